"""QueueScheduler on real Mesos and on the local cluster: results and exceptions of Python
tasks, command tasks, custom tasks, kills, tasks too big for every agent, subclass hooks,
placement methods, calls copied from a template."""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import cloudpickle
import pytest
from conftest import RealMesos, wait_until
from satyr import InvalidCallError, binpack
from satyr.apis._pickling import dumps_call
from satyr.messages import (
    PythonTask,
    PythonTaskStatus,
    RemoteTraceback,
    TaskError,
    TaskKilledError,
)
from satyr.proxies.messages import (
    CommandInfo,
    Cpus,
    Label,
    Labels,
    Mem,
    TaskInfo,
    TaskStatus,
)
from satyr.results import AsyncResult, ResultTimeoutError
from satyr.scheduler import PoolCall, QueueScheduler, Running, UnschedulableError, _core_method

# The tasks' functions live in this module, which the executor cannot import.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

SMALL = [Cpus(0.1), Mem(64)]


class Recording(QueueScheduler):
    """A subclass as the README writes them: hooks that call super()."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.seen: list[tuple[str, str]] = []
        self.offer_batches = 0

    def on_offers(self, driver: Any, offers: list[Any]) -> None:
        self.offer_batches += 1
        super().on_offers(driver, offers)

    def on_update(self, driver: Any, status: TaskStatus) -> None:
        self.seen.append((str(status.task_id.value), str(status.state)))
        super().on_update(driver, status)


@pytest.fixture(scope="module", params=["real", "local"])
def queue(request: pytest.FixtureRequest) -> Iterator[Recording]:
    cluster = request.getfixturevalue(f"{request.param}_mesos")
    scheduler = Recording(too_big_after=1.0, refuse_seconds=1.0)
    with Running(scheduler, name="queue-test", master=cluster.address):
        yield scheduler


def py(fn: Any, *args: Any, **kw: Any) -> PythonTask:
    return PythonTask(fn, args, resources=list(SMALL), **kw)


def divide(a: float, b: float) -> float:
    return a / b


def test_python_tasks_return_results_through_a_subclass(queue: Recording) -> None:
    results = [queue.submit(py(divide, i, 2)) for i in range(8)]
    assert [r.get(timeout=60) for r in results] == [i / 2 for i in range(8)]
    assert all(r.ready() and r.successful() for r in results)
    task_id = results[0].task.task_id.value
    assert (task_id, "TASK_FINISHED") in queue.seen
    assert queue.statuses[task_id].state == "TASK_FINISHED"
    assert queue.offer_batches >= 1


def test_the_users_exception_is_raised_with_the_remote_traceback_and_not_retried(
    queue: Recording,
) -> None:
    result = queue.submit(py(divide, 1, 0))
    assert result.wait(60)
    assert not result.successful()
    with pytest.raises(ZeroDivisionError) as info:
        result.get()
    assert isinstance(info.value.__cause__, RemoteTraceback)
    assert "in divide" in str(info.value.__cause__)
    assert result.task.attempt == 1  # never retried
    # The framework keeps going after a failure.
    assert queue.submit(py(divide, 9, 3)).get(timeout=60) == 3


def test_command_tasks_and_custom_task_subclasses(queue: Recording) -> None:
    class Custom(TaskInfo):
        proto = TaskInfo(labels=Labels(labels=[Label(key="custom-queue-test")]))
        updates: list[str]

        def on_update(self, status: TaskStatus) -> None:
            self.updates.append(str(status.state))

    ok = TaskInfo(name="echo", command=CommandInfo(value="echo 100"), resources=list(SMALL))
    bad = TaskInfo(name="fails", command=CommandInfo(value="exit 3"), resources=list(SMALL))
    custom = Custom(name="custom", command=CommandInfo(value="true"), resources=list(SMALL))
    custom.updates = []
    r_ok, r_bad, r_custom = (queue.submit(t) for t in (ok, bad, custom))
    status = r_ok.get(timeout=60)
    assert isinstance(status, TaskStatus) and status.state == "TASK_FINISHED"
    with pytest.raises(TaskError, match="TASK_FAILED"):
        r_bad.get(timeout=60)
    assert r_custom.get(timeout=60).state == "TASK_FINISHED"
    assert custom.updates[-1] == "TASK_FINISHED"


def test_a_task_larger_than_every_agent_is_an_error(queue: Recording) -> None:
    huge = queue.submit(PythonTask(divide, (1, 1), resources=[Cpus(64), Mem(64)]))
    with pytest.raises(
        UnschedulableError, match=r"more than any of the 1 known agents has .*can never run"
    ):
        huge.get(timeout=60)


def test_kill_a_running_task_and_wait_and_report(queue: Recording) -> None:
    started = queue.submit(
        TaskInfo(name="sleeper", command=CommandInfo(value="sleep 60"), resources=list(SMALL))
    )
    running = threading.Event()

    def watch() -> None:
        while not running.is_set():
            status = queue.statuses.get(started.task.task_id.value)
            if status is not None and status.state == "TASK_RUNNING":
                running.set()
                return
            if started.wait(0.05):
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    watcher.join(60)
    assert running.is_set()
    assert not queue.wait(0.01)
    queue.kill(started.task)
    with pytest.raises(TaskKilledError):
        started.get(timeout=60)
    assert queue.wait(30)
    report = queue.report()
    assert "killed" in report and "finished" in report and "submitted" in report


@pytest.fixture(scope="module", params=["real", "local"])
def plain(request: pytest.FixtureRequest) -> Iterator[QueueScheduler]:
    """A QueueScheduler whose callbacks are not overridden (statuses reach the core as bytes),
    on real Mesos and on the local cluster."""
    cluster = request.getfixturevalue(f"{request.param}_mesos")
    scheduler = QueueScheduler(refuse_seconds=1.0)
    with Running(scheduler, name="queue-calls-test", master=cluster.address):
        yield scheduler


def wait_for_state(queue: QueueScheduler, result: AsyncResult, state: str) -> bool:
    """Whether the task of ``result`` reached ``state`` before it ended (60 s at most)."""
    deadline = time.monotonic() + 60
    task_id = result.task.task_id
    task_id = task_id if isinstance(task_id, str) else task_id.value
    while time.monotonic() < deadline:
        status = queue.statuses.get(task_id)
        if status is not None and status.state == state:
            return True
        if result.wait(0.05):
            return False
    return False


def test_calls_copied_from_a_template_return_results_and_raise(plain: QueueScheduler) -> None:
    template = plain.add_template(py(divide, 0, 1))
    results = [
        plain.submit_call(template, "divide", dumps_call(divide, (i, 2), {})) for i in range(6)
    ]
    assert [r.get(timeout=60) for r in results] == [i / 2 for i in range(6)]
    call = results[0].task
    assert isinstance(call, PoolCall) and call.name == "divide" and call.attempt == 1
    status = plain.statuses[call.task_id]  # kept as bytes, decoded on access
    assert isinstance(status, PythonTaskStatus) and status.state == "TASK_FINISHED"
    assert status.result() == 0.0
    failing = plain.submit_call(template, "divide", dumps_call(divide, (1, 0), {}))
    with pytest.raises(ZeroDivisionError) as info:
        failing.get(timeout=60)
    assert isinstance(info.value.__cause__, RemoteTraceback)
    assert plain.statuses[failing.task.task_id].state == "TASK_FAILED"
    assert plain.wait(30)


def test_a_call_copied_from_a_template_can_be_killed(plain: QueueScheduler) -> None:
    template = plain.add_template(py(divide, 0, 1))
    started = plain.submit_call(template, "sleep", dumps_call(time.sleep, (60,), {}))
    # satyr-executor says TASK_RUNNING once the call has run for SATYR_RUNNING_DELAY
    assert wait_for_state(plain, started, "TASK_RUNNING")
    plain.kill(started.task)
    with pytest.raises(TaskKilledError):
        started.get(timeout=60)


def make_bytes(n: int) -> bytes:
    return bytes(range(256)) * (n // 256)


def test_template_calls_through_a_subclass_with_hooks(queue: Recording) -> None:
    # The subclass sees every status as a proxy; a result too big to travel inline is fetched
    # from the executor's sandbox.
    template = queue.add_template(py(divide, 0, 1))
    small = queue.submit_call(template, "divide", dumps_call(divide, (3, 2), {}))
    big = queue.submit_call(template, "make_bytes", dumps_call(make_bytes, (3 << 20,), {}))
    assert small.get(timeout=60) == 1.5
    assert big.get(timeout=120) == make_bytes(3 << 20)
    assert (small.task.task_id, "TASK_FINISHED") in queue.seen


def test_a_burst_of_calls_paces_the_event_stream_until_it_is_over(plain: QueueScheduler) -> None:
    wait_until("the scheduler to subscribe", lambda: plain.driver is not None)
    driver = plain.driver
    assert driver is not None and driver.event_pace == 0
    paces: set[float] = set()
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.001):
            paces.add(driver.event_pace)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        template = plain.add_template(py(divide, 0, 1))
        calls = [dumps_call(divide, (i, 1), {}) for i in range(40)]
        results = [plain.submit_call(template, "divide", data) for data in calls]
        assert [r.get(timeout=120) for r in results] == [float(i) for i in range(40)]
    finally:
        stop.set()
        sampler.join()
    # Paced while many were unfinished: their statuses were read in bursts.
    assert max(paces) > 0
    wait_until("the event stream to be read as it comes again", lambda: driver.event_pace == 0)

    # Every status was acknowledged (pipelined): the master keeps a finished task among the
    # framework's active ones until its status is acknowledged. A call may have finished as a
    # later attempt (`<id>.retryN`): a launch the master refused, racing an executor's exit, is
    # retried, and the refused attempt never ran.
    def attempt_id(call: PoolCall) -> str:
        return call.task_id if call.attempt == 1 else f"{call.task_id}.retry{call.attempt - 1}"

    calls_ended = [r.task for r in results]
    assert all(isinstance(c, PoolCall) for c in calls_ended)
    ids = {attempt_id(c) for c in calls_ended}

    def acknowledged() -> bool:
        with urllib.request.urlopen(f"{driver.master}/master/state", timeout=10) as r:
            state = json.load(r)
        assert driver.framework_id is not None
        fw = next(f for f in state["frameworks"] if f["id"] == str(driver.framework_id.value))
        active = {t["id"] for t in fw["tasks"]} & ids
        return not active and ids <= {t["id"] for t in fw["completed_tasks"]}

    wait_until("the master to have every status acknowledged", acknowledged)
    with pytest.raises(InvalidCallError, match="event_pace"):
        driver.event_pace = 2.0


def test_templates_are_python_tasks_and_numbers_are_checked(plain: QueueScheduler) -> None:
    with pytest.raises(TypeError, match="PythonTask"):
        plain.add_template(TaskInfo(name="t", command=CommandInfo(value="true")))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no task template number 99"):
        plain.submit_call(99, "f", dumps_call(divide, (1, 1), {}))


def test_get_times_out_with_both_timeout_errors() -> None:
    result = AsyncResult()
    with pytest.raises(TimeoutError):
        result.get(timeout=0.01)
    with pytest.raises(ResultTimeoutError):
        result.get(timeout=0.01)
    with pytest.raises(ValueError):
        result.successful()
    seen: list[Any] = []
    result.add_done_callback(seen.append)
    assert result._resolve(5) and not result._resolve(6)
    assert result.get() == 5 and seen == [result]


def test_placement_methods() -> None:
    assert _core_method(binpack.ffd) == "ffd"
    assert _core_method("bf") == "bf"

    def placer(items: list[list[float]], bins: list[list[float]]) -> list[int | None]:
        return [0 for _ in items]

    assert _core_method(placer) is placer
    with pytest.raises(ValueError):
        QueueScheduler(method="no-such-method")


@pytest.fixture(params=["real", "local"])
def cluster(request: pytest.FixtureRequest) -> RealMesos:
    found: RealMesos = request.getfixturevalue(f"{request.param}_mesos")
    return found


def test_a_python_placer_places_on_both_clusters(cluster: RealMesos) -> None:
    calls: list[int] = []

    def first_bin(items: list[list[float]], bins: list[list[float]]) -> list[int | None]:
        calls.append(len(items))
        return [0 for _ in items]

    scheduler = QueueScheduler(method=first_bin)
    with Running(scheduler, name="queue-placer-test", master=cluster.address):
        results = [scheduler.submit(py(divide, i, 1)) for i in range(3)]
        assert [r.get(timeout=60) for r in results] == [0, 1, 2]
    assert calls
