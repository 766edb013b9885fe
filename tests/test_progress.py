"""``progress=True`` on MesosPoolExecutor.map and the Pool's many-call methods, on the real Mesos
cluster: a tqdm bar over the items that ends full and closed; a clear ImportError without tqdm."""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from typing import Any

import cloudpickle
import pytest
import tqdm.auto
import tqdm.std
from conftest import RealMesos
from satyr.apis.futures import MesosPoolExecutor
from satyr.apis.multiprocessing import Pool
from satyr.proxies.messages import Cpus, Mem

cloudpickle.register_pickle_by_value(sys.modules[__name__])

SMALL = [Cpus(0.1), Mem(64)]
WAIT = 60.0


def square(x: int) -> int:
    return x * x


class RecordedBar(tqdm.std.tqdm):  # type: ignore[type-arg]
    """A real tqdm bar writing to a buffer, remembered so the test can wait for its close."""

    made: list[RecordedBar] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.out = io.StringIO()
        self.closed = threading.Event()
        super().__init__(*args, file=self.out, **kwargs)
        RecordedBar.made.append(self)

    def close(self) -> None:
        super().close()
        self.closed.set()


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[RecordedBar]]:
    RecordedBar.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", RecordedBar)
    yield RecordedBar.made


def finished(bar: RecordedBar, total: int) -> None:
    assert bar.closed.wait(WAIT)
    assert bar.total == total and bar.n == total
    shown = bar.out.getvalue()
    assert "map: 100%" in shown and f"{total}/{total}" in shown


@pytest.fixture(scope="module")
def executor(real_mesos: RealMesos) -> Iterator[MesosPoolExecutor]:
    with MesosPoolExecutor(name="progress-test", master=real_mesos.address, resources=SMALL) as ex:
        yield ex


@pytest.fixture(scope="module")
def pool(real_mesos: RealMesos) -> Iterator[Pool]:
    with Pool(name="progress-pool", master=real_mesos.address, resources=SMALL) as p:
        yield p


def test_executor_map_shows_a_bar_over_the_items(
    executor: MesosPoolExecutor, bars: list[RecordedBar]
) -> None:
    results = list(executor.map(square, range(10), chunksize=3, progress=True, timeout=WAIT))
    assert results == [x * x for x in range(10)]
    (bar,) = bars
    finished(bar, 10)


def test_executor_map_without_progress_makes_no_bar(
    executor: MesosPoolExecutor, bars: list[RecordedBar]
) -> None:
    assert list(executor.map(square, range(3), timeout=WAIT)) == [0, 1, 4]
    assert bars == []


def test_an_empty_map_closes_its_bar_at_once(
    executor: MesosPoolExecutor, bars: list[RecordedBar]
) -> None:
    assert list(executor.map(square, [], progress=True)) == []
    (bar,) = bars
    assert bar.closed.is_set() and bar.total == 0


def test_pool_map_and_imap_show_bars(pool: Pool, bars: list[RecordedBar]) -> None:
    assert pool.map(square, range(7), chunksize=2, progress=True) == [x * x for x in range(7)]
    assert list(pool.imap(square, range(5), progress=True)) == [x * x for x in range(5)]
    first, second = bars
    finished(first, 7)
    finished(second, 5)


def test_progress_without_tqdm_is_a_clear_import_error(
    executor: MesosPoolExecutor, pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"map\(progress=True\).*pip install tqdm"):
        executor.map(square, range(3), progress=True)
    with pytest.raises(ImportError, match="pip install tqdm"):
        pool.map(square, range(3), progress=True)
    # Without progress nothing needs tqdm.
    assert pool.map(square, range(3)) == [0, 1, 4]
