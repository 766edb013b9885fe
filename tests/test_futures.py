"""MesosPoolExecutor on the real Mesos cluster: stdlib Futures, submit's two forms, task options,
map with chunks and timeouts, max_workers, cancel, shutdown."""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import time
from collections.abc import Iterator

import cloudpickle
import pytest
from conftest import RealMesos
from satyr.apis.futures import MesosPoolExecutor
from satyr.proxies.messages import Cpus, Mem

cloudpickle.register_pickle_by_value(sys.modules[__name__])

SMALL = [Cpus(0.1), Mem(64)]


def mul(a: int, b: int = 1) -> int:
    return a * b


def fail(message: str) -> None:
    raise KeyError(message)


def slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@pytest.fixture(scope="module", params=["workers", "tasks"])
def executor(real_mesos: RealMesos, request: pytest.FixtureRequest) -> Iterator[MesosPoolExecutor]:
    with MesosPoolExecutor(
        name="futures-test", master=real_mesos.address, resources=SMALL, mode=request.param
    ) as ex:
        yield ex


def test_submit_both_forms_and_stdlib_helpers(executor: MesosPoolExecutor) -> None:
    f1 = executor.submit(mul, 3, 5)
    f2 = executor.submit(mul, args=[3, 5])
    f3 = executor.submit(mul, 3, kwargs={"b": 7}, resources=[Cpus(0.1), Mem(32)], name="m")
    assert isinstance(f1, concurrent.futures.Future)
    seen: list[int] = []
    f1.add_done_callback(lambda f: seen.append(f.result()))
    done = {f.result(timeout=60) for f in concurrent.futures.as_completed([f1, f2, f3], 60)}
    assert done == {15, 21}
    assert seen == [15]
    waited = concurrent.futures.wait([f1, f2], timeout=60)
    assert len(waited.done) == 2 and not waited.not_done


def make_bytes(n: int) -> bytes:
    return bytes(range(256)) * (n // 256)


def test_arguments_and_results_over_the_inline_limit(executor: MesosPoolExecutor) -> None:
    # Over SATYR_PAYLOAD_THRESHOLD (1 MiB): per-call tasks serve the arguments over HTTP and
    # fetch the result from the executor's sandbox; workers send both on their connection.
    big = make_bytes(3 << 20)
    assert executor.submit(len, big).result(timeout=120) == len(big)
    assert executor.submit(make_bytes, 3 << 20).result(timeout=120) == big


def test_exceptions_arrive_through_the_future(executor: MesosPoolExecutor) -> None:
    future = executor.submit(fail, "nope")
    assert isinstance(future.exception(timeout=60), KeyError)
    with pytest.raises(KeyError, match="nope"):
        future.result()


def test_unknown_keywords_are_a_type_error_that_explains(executor: MesosPoolExecutor) -> None:
    with pytest.raises(TypeError, match=r"unknown task option\(s\) 'b'.*kwargs=\{\.\.\.\}"):
        executor.submit(mul, 3, b=4)
    with pytest.raises(TypeError, match="not both"):
        executor.submit(mul, 3, args=[4])
    with pytest.raises(TypeError, match="'colour'"):
        executor.map(mul, [1], colour="red")


def test_map_in_order_with_chunks_and_options(executor: MesosPoolExecutor) -> None:
    it = executor.map(mul, range(10), range(10), timeout=60, resources=[Cpus(0.1), Mem(64)])
    assert list(it) == [i**2 for i in range(10)]
    before = executor.scheduler.core.stats()["submitted"]
    assert list(executor.map(mul, range(25), chunksize=10, timeout=60)) == list(range(25))
    if executor._framework.workers is None:  # per-call tasks: one per chunk
        assert executor.scheduler.core.stats()["submitted"] - before == 3  # 10 + 10 + 5


def test_map_timeout_raises_the_futures_timeout(executor: MesosPoolExecutor) -> None:
    it = executor.map(slow, [5.0], timeout=0.05)
    with pytest.raises(concurrent.futures.TimeoutError):
        next(it)


def test_max_workers_bounds_tasks_in_flight_and_cancel(real_mesos: RealMesos) -> None:
    ex = MesosPoolExecutor(
        1, name="futures-bound", master=real_mesos.address, resources=SMALL, mode="tasks"
    )
    try:
        first = ex.submit(slow, 0.5)
        queued = [ex.submit(mul, i) for i in range(3)]
        # Only one task is in flight; the rest wait here and can be cancelled.
        assert ex.scheduler.core.stats()["submitted"] == 1
        assert queued[2].cancel() and queued[2].cancelled()
        assert [f.result(timeout=60) for f in queued[:2]] == [0, 1]
        assert first.result(timeout=60) == 0.5
        assert ex.scheduler.core.stats()["submitted"] == 3
    finally:
        ex.shutdown()


def test_shutdown_waits_cancels_and_refuses(real_mesos: RealMesos) -> None:
    ex = MesosPoolExecutor(
        1, name="futures-shutdown", master=real_mesos.address, resources=SMALL, mode="tasks"
    )
    running = ex.submit(slow, 0.3)
    waiting = ex.submit(mul, 2)
    ex.shutdown(wait=True, cancel_futures=True)
    assert running.result(timeout=0) == 0.3
    assert waiting.cancelled()
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(mul, 1)
    assert ex.scheduler.driver is not None and ex.scheduler.driver.state == "STOPPED"


def test_leaving_with_waits_for_outstanding_work(real_mesos: RealMesos) -> None:
    done = threading.Event()
    with MesosPoolExecutor(name="futures-with", master=real_mesos.address, resources=SMALL) as ex:
        future = ex.submit(slow, 0.3)
        future.add_done_callback(lambda _: done.set())
    assert done.is_set() and future.result(timeout=0) == 0.3
