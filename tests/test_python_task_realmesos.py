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
from conftest import RealMesos
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


@pytest.fixture(scope="module", params=["real", "local"])
def sched(request: pytest.FixtureRequest) -> Iterator[MiniScheduler]:
    """A scheduler on real Mesos 1.11, then on the embedded local cluster: same tests, same
    assertions."""
    cluster = request.getfixturevalue(f"{request.param}_mesos")
    os.environ.setdefault("SATYR_PAYLOAD_HOST", "127.0.0.1")
    s = MiniScheduler(cluster.address)
    try:
        yield s
    finally:
        s.teardown()


def run(sched: MiniScheduler, task: PythonTask) -> object:
    """The task's outcome, retrying as a scheduler does when its executor or agent failed (e.g.
    it was launched to an executor that was exiting)."""
    while True:
        status = sched.submit(task).result(timeout=WAIT)
        task.update(status)
        if not task.should_retry(status):
            return task.outcome(status)
        task.attempt += 1


def test_result_round_trip(sched: MiniScheduler) -> None:
    task = PythonTask(sum, [range(10)], name="sum")
    status = sched.submit(task).result(timeout=WAIT)
    assert isinstance(status, PythonTaskStatus)
    assert status.state == "TASK_FINISHED"
    assert status.source == "SOURCE_EXECUTOR"
    assert task.outcome(status) == 45
    states = [s.state for s in sched.statuses[task.task_id.value]]
    # It ended within SATYR_RUNNING_DELAY: its terminal status is its only one.
    assert states == ["TASK_FINISHED"]


def test_running_is_sent_once_a_task_runs_past_the_delay(sched: MiniScheduler) -> None:
    task = PythonTask(time.sleep, [0.5], name="sleep")
    assert run(sched, task) is None
    states = [s.state for s in sched.statuses[task.task_id.value]]
    assert states == ["TASK_RUNNING", "TASK_FINISHED"]


def test_running_delay_zero_sends_running_first(sched: MiniScheduler) -> None:
    task = PythonTask(sum, [range(4)], name="sum", envs={"SATYR_RUNNING_DELAY": "0"})
    assert run(sched, task) == 6
    states = [s.state for s in sched.statuses[task.task_id.value]]
    assert states == ["TASK_RUNNING", "TASK_FINISHED"]


class Custom(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(code, text)
        self.code = code


def raises_value_error(x: int) -> int:
    if x > 0:
        raise ValueError(f"bad value {x}")
    return x


def raises_custom() -> None:
    raise Custom(7, "seven")


def test_exception_keeps_type_message_and_remote_traceback(sched: MiniScheduler) -> None:
    task = PythonTask(raises_value_error, [3])
    with pytest.raises(ValueError, match="bad value 3") as info:
        run(sched, task)
    cause = info.value.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert "raises_value_error" in str(cause) and "ValueError: bad value 3" in str(cause)
    status = task.last_status
    assert isinstance(status, PythonTaskStatus)
    assert status.state == "TASK_FAILED" and status.error_kind == "exception"
    assert status.message == "ValueError: bad value 3"
    assert not task.should_retry(status), "an exception raised by the task is final"
    with pytest.raises(Custom) as custom:
        run(sched, PythonTask(raises_custom))
    assert custom.value.code == 7 and custom.value.args == (7, "seven")


class Holder:
    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()


class Unpicklable(Exception):
    def __init__(self) -> None:
        import threading

        super().__init__("holds a lock")
        self.lock = threading.Lock()


def returns_unpicklable() -> Holder:
    return Holder()


def raises_unpicklable() -> None:
    raise Unpicklable()


def test_unpicklable_result_and_exception_are_clear_errors(sched: MiniScheduler) -> None:
    with pytest.raises(ResultNotPicklableError, match=r"Holder.*cannot be pickled"):
        run(sched, PythonTask(returns_unpicklable))
    with pytest.raises(RemoteError, match="Unpicklable: holds a lock") as info:
        run(sched, PythonTask(raises_unpicklable))
    assert info.value.type_name.endswith("Unpicklable")
    assert "raises_unpicklable" in info.value.remote_traceback


def exits_hard() -> None:
    os._exit(3)


def segfaults() -> None:
    import ctypes

    ctypes.string_at(0)


@pytest.mark.parametrize("fn", [exits_hard, segfaults], ids=["os._exit", "segfault"])
def test_crashing_executor_is_a_clear_error(sched: MiniScheduler, fn: object) -> None:
    task = PythonTask(fn, retries=1, envs={"CRASH": fn.__name__})  # type: ignore[attr-defined]
    with pytest.raises(ExecutorTerminatedError, match="executor terminated") as info:
        run(sched, task)
    assert info.value.reason == "REASON_EXECUTOR_TERMINATED"
    task.retries = 3
    assert task.should_retry(info.value.status)  # type: ignore[arg-type]


def spins() -> None:
    while True:
        time.sleep(0.05)


def test_kill_interrupts_a_running_task(sched: MiniScheduler) -> None:
    task = PythonTask(spins)
    fut = sched.submit(task)
    sched.wait_state(task.task_id.value, "TASK_RUNNING")
    sched.kill(task.task_id.value)
    status = fut.result(timeout=WAIT)
    assert status.state == "TASK_KILLED" and status.source == "SOURCE_EXECUTOR"
    with pytest.raises(TaskKilledError):
        task.outcome(status)
    # The executor survived the kill: the next task with the same settings runs in it.
    assert run(sched, PythonTask(os.getpid)) == run(sched, PythonTask(os.getpid))


def sleeps_in_c() -> None:
    time.sleep(600)


def test_task_stuck_in_c_ends_with_its_executor(sched: MiniScheduler) -> None:
    envs = {"STUCK": "1"}
    pid_task = PythonTask(os.getpid, envs=envs)
    first_pid = run(sched, pid_task)
    task = PythonTask(sleeps_in_c, envs=envs)
    fut = sched.submit(task)
    sched.wait_state(task.task_id.value, "TASK_RUNNING")
    began = time.monotonic()
    sched.kill(task.task_id.value)
    status = fut.result(timeout=WAIT)
    assert status.state == "TASK_KILLED"
    assert "could not be interrupted" in status.message
    assert time.monotonic() - began < 30
    # That executor exits; a fresh one takes the next task.
    sched.wait_executor_exit(task.executor.executor_id.value)
    later = run(sched, PythonTask(os.getpid, envs=envs))
    assert later != first_pid


def test_warm_executor_runs_many_tasks(sched: MiniScheduler) -> None:
    n = 8
    tasks = [PythonTask(os.getpid, envs={"REUSE": "1"}) for _ in range(n)]
    eids = {t.executor.executor_id.value for t in tasks}
    assert len(eids) == 1
    futs = [sched.submit(t) for t in tasks]
    wait(futs, timeout=WAIT)
    pids = {t.outcome(f.result()) for t, f in zip(tasks, futs, strict=True)}
    assert len(pids) == 1, f"{n} tasks ran in {len(pids)} executor processes"
    state = sched.master_state()
    fw = next(f for f in state["frameworks"] if f["id"] == sched.framework_id)
    ran = [
        t
        for t in fw["tasks"] + fw["completed_tasks"]
        if t["executor_id"] == next(iter(eids)) and t["id"] in {x.task_id.value for x in tasks}
    ]
    assert len(ran) == n
    assert {t["state"] for t in ran} == {"TASK_FINISHED"}


def reverse(data: bytes) -> bytes:
    return data[::-1]


def test_100_mb_argument_and_result_travel_out_of_band(sched: MiniScheduler) -> None:
    from satyr import _satyr

    blob = os.urandom(1 << 20) * 100
    task = PythonTask(reverse, [blob], envs={"BIG": "1"})
    assert len(task.get_field("data")) < 200, "the arguments are served, not inlined"
    assert _satyr.payload_served() >= 1
    began = time.monotonic()
    status = sched.submit(task).result(timeout=WAIT)
    assert len(status.get_field("data")) < 500, "the result is fetched, not inlined"
    result = task.outcome(status)
    took = time.monotonic() - began
    assert result == blob[::-1]
    print(f"100 MB argument + 100 MB result round trip: {took:.2f} s")
    task.update(status)
    assert task._payload_url is None


@pytest.fixture(scope="module")
def real_sched(real_mesos: RealMesos) -> Iterator[MiniScheduler]:
    """A scheduler on real Mesos only: for what only the real master can tell."""
    s = MiniScheduler(real_mesos.address, name="satyr-docker-validation")
    try:
        yield s
    finally:
        s.teardown()


def test_docker_settings_pass_the_real_masters_validation(real_sched: MiniScheduler) -> None:
    """No Docker engine here: the agent fails the launch, but the master accepted the task. (The
    embedded local cluster has no containerizers: Docker settings are a real-cluster matter.)"""
    task = PythonTask(sum, [[1]], docker="python:3.11-slim", force_pull=True, retries=1)
    status = real_sched.submit(task).result(timeout=WAIT)
    assert status.state in ("TASK_FAILED", "TASK_ERROR", "TASK_LOST"), status
    assert status.source != "SOURCE_MASTER", f"refused by the master: {status.message}"
    print(f"docker task: {status.state} {status.source} {status.reason}: {status.message}")


def meet(parties: int) -> int:
    """Returns once `parties` tasks run at the same time in this process."""
    import threading

    barrier = sys.__dict__.setdefault("satyr_test_barrier", threading.Barrier(parties))
    return int(barrier.wait(timeout=60)) if barrier.parties == parties else -1


def test_tasks_run_concurrently_in_one_executor(sched: MiniScheduler) -> None:
    tasks = [PythonTask(meet, [3], envs={"MEET": "1"}) for _ in range(3)]
    futs = [sched.submit(t) for t in tasks]
    got = sorted(int(t.outcome(f.result(timeout=WAIT))) for t, f in zip(tasks, futs, strict=True))
    assert got == [0, 1, 2], "all three waited on one barrier in one process"


def test_idle_executor_exits_after_its_timeout(sched: MiniScheduler) -> None:
    task = PythonTask(sum, [[2, 3]], idle_timeout=0.5)
    began = time.monotonic()
    assert run(sched, task) == 5
    sched.wait_executor_exit(task.executor.executor_id.value)
    assert time.monotonic() - began < 30
    exits = [s for e, s in sched.executor_exits if e == task.executor.executor_id.value]
    assert exits == [0], "a clean exit"
