"""Worker mode on the real Mesos cluster: many calls through few long-running worker tasks,
exceptions with their remote traceback, workers dying mid-call, the idle timeout, and the
authenticated connection."""

from __future__ import annotations

import json
import multiprocessing.connection
import os
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import cloudpickle
import pytest
from conftest import RealMesos, wait_until
from satyr.apis._workers import WorkerLostError
from satyr.apis.futures import MesosPoolExecutor
from satyr.apis.multiprocessing import Pool
from satyr.messages import RemoteTraceback, ResultNotPicklableError
from satyr.proxies.messages import Cpus, Mem

cloudpickle.register_pickle_by_value(sys.modules[__name__])

SMALL = [Cpus(0.1), Mem(64)]


def square(x: int) -> int:
    return x * x


def fail(message: str) -> None:
    raise KeyError(message)


def unpicklable() -> object:
    return threading.Lock()


def die() -> None:
    os._exit(3)


def die_once(marker: str) -> str:
    """Takes its worker down the first time, returns the second time."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(3)
    return "survived"


def framework_tasks(cluster: RealMesos, name: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{cluster.url}/master/state", timeout=10) as r:
        state = json.load(r)
    tasks: list[dict[str, object]] = []
    for fw in state["frameworks"] + state.get("completed_frameworks", []):
        if fw["name"] == name:
            tasks += fw["tasks"] + fw["completed_tasks"]
    return tasks


@pytest.fixture(scope="module")
def executor(real_mesos: RealMesos) -> Iterator[MesosPoolExecutor]:
    with MesosPoolExecutor(
        2, name="workers-test", master=real_mesos.address, resources=SMALL
    ) as ex:
        yield ex


def test_many_calls_run_on_max_workers_tasks(
    real_mesos: RealMesos, executor: MesosPoolExecutor
) -> None:
    futures = [executor.submit(square, i) for i in range(200)]
    assert [f.result(timeout=120) for f in futures] == [i * i for i in range(200)]
    assert list(executor.map(square, range(50), chunksize=7)) == [i * i for i in range(50)]
    tasks = framework_tasks(real_mesos, "workers-test")
    assert 1 <= len(tasks) <= 2
    assert all(t["name"] == "satyr-worker" for t in tasks)


def test_exceptions_keep_their_type_and_remote_traceback(executor: MesosPoolExecutor) -> None:
    exc = executor.submit(fail, "nope").exception(timeout=60)
    assert isinstance(exc, KeyError) and exc.args == ("nope",)
    assert isinstance(exc.__cause__, RemoteTraceback)
    assert "in fail" in exc.__cause__.tb and "KeyError: 'nope'" in exc.__cause__.tb
    with pytest.raises(ResultNotPicklableError, match="cannot be pickled"):
        executor.submit(unpicklable).result(timeout=60)
    assert executor.submit(square, 9).result(timeout=60) == 81  # the worker still serves


def test_a_call_whose_worker_dies_runs_again_elsewhere(
    executor: MesosPoolExecutor, tmp_path: Path
) -> None:
    marker = str(tmp_path / "died")
    assert executor.submit(die_once, marker).result(timeout=120) == "survived"
    assert os.path.exists(marker)


def test_a_call_that_always_kills_its_worker_fails_clearly(
    executor: MesosPoolExecutor,
) -> None:
    with pytest.raises(WorkerLostError, match="worker went away"):
        executor.submit(die).result(timeout=300)
    assert executor.submit(square, 3).result(timeout=120) == 9  # new workers start


def test_calls_with_their_own_resources_are_their_own_tasks(executor: MesosPoolExecutor) -> None:
    before = executor.scheduler.core.stats()["submitted"]
    assert executor.submit(square, 4, resources=[Cpus(0.1), Mem(32)]).result(timeout=60) == 16
    assert executor.scheduler.core.stats()["submitted"] - before == 1


def test_idle_workers_leave_and_their_tasks_finish(real_mesos: RealMesos) -> None:
    with Pool(
        1, name="workers-idle", master=real_mesos.address, resources=SMALL, worker_idle_timeout=0.3
    ) as pool:
        assert pool.apply(square, (5,)) == 25
        workers = pool._framework.workers
        assert workers is not None
        wait_until("the idle worker to leave", lambda: not workers.tasks(), 60)
        wait_until(
            "the worker task to finish in Mesos",
            lambda: (
                [t["state"] for t in framework_tasks(real_mesos, "workers-idle")]
                == ["TASK_FINISHED"]
            ),
            60,
        )
        assert pool.apply(square, (6,)) == 36  # a new worker starts for new work
        assert workers.started == 2


def test_a_wrong_authkey_is_refused(executor: MesosPoolExecutor) -> None:
    workers = executor._framework.workers
    assert workers is not None
    with pytest.raises(multiprocessing.AuthenticationError):
        multiprocessing.connection.Client(workers.address, authkey=b"not the key")
    assert executor.submit(square, 7).result(timeout=60) == 49
