"""PythonTask through satyr-executor on real Mesos 1.11 (tests/realmesos): results, exceptions
with their remote traceback, crashes, kill, large payloads and warm executor reuse."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import wait

import cloudpickle
import pytest

from satyr.messages import (
    ExecutorTerminatedError,
    PythonTask,
    PythonTaskStatus,
    RemoteError,
    RemoteTraceback,
    ResultNotPicklableError,
    TaskKilledError,
)
from tests.executor_harness import MiniScheduler

pytestmark = pytest.mark.realmesos

# Functions of this module travel by value: the executor cannot import the tests package.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

WAIT = 90


@pytest.fixture(scope="module")
def sched(real_mesos) -> Iterator[MiniScheduler]:  # type: ignore[no-untyped-def]
    os.environ.setdefault("SATYR_PAYLOAD_HOST", "127.0.0.1")
    s = MiniScheduler(real_mesos.address)
    try:
        yield s
    finally:
        s.teardown()


def run(sched: MiniScheduler, task: PythonTask) -> object:
    status = sched.submit(task).result(timeout=WAIT)
    task.update(status)
    return task.outcome(status)


def test_result_round_trip(sched: MiniScheduler) -> None:
    task = PythonTask(sum, [range(10)], name="sum")
    status = sched.submit(task).result(timeout=WAIT)
    assert isinstance(status, PythonTaskStatus)
    assert status.state == "TASK_FINISHED"
    assert status.source == "SOURCE_EXECUTOR"
    assert task.outcome(status) == 45
    states = [s.state for s in sched.statuses[task.task_id.value]]
    assert states == ["TASK_RUNNING", "TASK_FINISHED"]
