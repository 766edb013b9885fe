"""satyr.apis.multiprocessing.Pool on the real Mesos cluster: the multiprocessing.Pool methods,
callbacks, chunks, close/join/terminate, processes bound, per-call task options."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import cloudpickle
import pytest
from conftest import RealMesos
from satyr.apis.multiprocessing import Pool
from satyr.proxies.messages import Cpus, Mem

cloudpickle.register_pickle_by_value(sys.modules[__name__])

SMALL = [Cpus(0.1), Mem(64)]


def mul(a: int, b: int) -> int:
    return a * b


def square(x: int) -> int:
    return x * x


def fail(x: int) -> int:
    raise ValueError(f"bad {x}")


def slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@pytest.fixture(scope="module", params=["workers", "tasks"])
def pool(real_mesos: RealMesos, request: pytest.FixtureRequest) -> Iterator[Pool]:
    with Pool(
        name="pool-test", master=real_mesos.address, resources=SMALL, mode=request.param
    ) as p:
        yield p


def test_apply_and_apply_async_with_callbacks(pool: Pool) -> None:
    assert pool.apply(mul, (6, 7)) == 42
    got: list[object] = []
    errors: list[BaseException] = []
    ok = pool.apply_async(mul, [2, 3], callback=got.append, error_callback=errors.append)
    bad = pool.apply_async(fail, [1], callback=got.append, error_callback=errors.append)
    lam = pool.apply_async(lambda a, b: a + b, [1, 2], resources=[Cpus(0.1), Mem(32)])
    assert pool.wait(60)
    assert ok.ready() and ok.successful() and ok.get() == 6 and lam.get() == 3
    assert not bad.successful()
    with pytest.raises(ValueError, match="bad 1"):
        bad.get()
    assert got == [6] and len(errors) == 1 and isinstance(errors[0], ValueError)


def test_map_starmap_and_async_forms_with_chunks(pool: Pool) -> None:
    before = pool.scheduler.core.stats()["submitted"]
    assert pool.map(square, range(10), chunksize=4) == [x * x for x in range(10)]
    if pool._framework.workers is None:  # per-call tasks: one per chunk
        assert pool.scheduler.core.stats()["submitted"] - before == 3
    assert pool.starmap(mul, [(1, 2), (3, 4)]) == [2, 12]
    seen: list[object] = []
    res = pool.map_async(square, [5, 6], callback=seen.append)
    assert res.get(timeout=60) == [25, 36] and seen == [[25, 36]]
    assert pool.starmap_async(mul, [(2, 2)], chunksize=1).get(timeout=60) == [4]
    with pytest.raises(ValueError, match="bad"):
        pool.map(fail, [1, 2])
    assert pool.map(square, []) == []


def test_imap_in_order_and_unordered(pool: Pool) -> None:
    assert list(pool.imap(square, range(6), chunksize=2)) == [0, 1, 4, 9, 16, 25]
    assert sorted(pool.imap_unordered(square, range(6))) == [0, 1, 4, 9, 16, 25]


def test_unknown_options_are_type_errors(pool: Pool) -> None:
    with pytest.raises(TypeError, match="'colour'"):
        pool.apply_async(mul, (1, 2), colour="red")


def test_processes_bounds_concurrency_and_close_join(real_mesos: RealMesos) -> None:
    p = Pool(1, name="pool-bound", master=real_mesos.address, resources=SMALL, mode="tasks")
    first = p.apply_async(slow, (0.3,))
    rest = [p.apply_async(square, (i,)) for i in range(3)]
    assert p.scheduler.core.stats()["submitted"] == 1  # the others wait for the one slot
    p.close()
    with pytest.raises(ValueError, match="Pool not running"):
        p.apply_async(square, (1,))
    p.join()
    assert first.get(0) == 0.3 and [r.get(0) for r in rest] == [0, 1, 4]
    assert p.scheduler.driver is not None and p.scheduler.driver.state == "STOPPED"


def test_join_before_close_and_terminate(real_mesos: RealMesos) -> None:
    p = Pool(name="pool-terminate", master=real_mesos.address, resources=SMALL)
    with pytest.raises(ValueError, match="still running"):
        p.join()
    res = p.apply_async(slow, (30,))
    p.terminate()
    assert res.wait(30)
    assert not res.successful()
    p.join()
