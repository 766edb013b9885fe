"""PythonTask and PythonTaskStatus without a cluster: payloads, executor settings and ids,
results and exceptions as they travel in statuses, errors for statuses Mesos makes up."""

from __future__ import annotations

import sys
import threading
import time

import cloudpickle
import pytest
from satyr import SatyrError, _satyr
from satyr.executor import TaskKilled
from satyr.messages import (
    ERROR_LABEL,
    OUTCOME_LABEL,
    PAYLOAD_LABEL,
    ExecutorTerminatedError,
    PayloadError,
    PythonTask,
    PythonTaskStatus,
    RemoteError,
    RemoteTraceback,
    TaskError,
    TaskKilledError,
    TaskLostError,
    task_error,
)
from satyr.proxies.messages import Resource, TaskInfo, TaskStatus


def add(a: int, b: int = 0) -> int:
    return a + b


def labels(msg: TaskInfo | TaskStatus) -> dict[str, str]:
    return {str(lab.key): str(lab.value) for lab in msg.labels.labels}


def test_defaults_and_round_trip_through_bytes() -> None:
    task = PythonTask(add, [1], {"b": 2})
    assert task.name == "add"
    assert task() == 3
    assert labels(task) == {"python": ""}
    assert {(r.name, r.scalar.value) for r in task.resources} == {("cpus", 0.1), ("mem", 128.0)}
    ex = task.executor
    assert ex.type == "CUSTOM"
    assert {(r.name, r.scalar.value) for r in ex.resources} == {("cpus", 0.1), ("mem", 64.0)}
    assert task.command == [sys.executable, "-m", "satyr.executor"]
    assert ex.command.shell is False and ex.command.value == sys.executable
    assert not task.has_field("command"), "the executor runs it: no task command"
    decoded = TaskInfo.from_bytes(task.to_bytes())
    assert isinstance(decoded, PythonTask)
    assert decoded() == 3


def test_same_settings_share_an_executor_id_and_settings_change_it() -> None:
    a = PythonTask(add, [1], envs={"X": "1"})
    b = PythonTask(sum, [[1, 2]], envs={"X": "1"}, resources=[])
    assert a.executor.executor_id == b.executor.executor_id
    assert a.task_id != b.task_id
    ids = {a.executor.executor_id.value}
    for change in (
        lambda t: setattr(t, "envs", {"X": "2"}),
        lambda t: setattr(t, "uris", ["http://example.org/x.tgz"]),
        lambda t: setattr(t, "command", "satyr-executor"),
        lambda t: setattr(t, "docker", "python:3.11"),
        lambda t: setattr(t, "force_pull", True),
    ):
        change(b)
        assert b.executor.executor_id.value not in ids
        ids.add(b.executor.executor_id.value)
    assert PythonTask(add, idle_timeout=5).envs == {"SATYR_EXECUTOR_IDLE_TIMEOUT": "5.0"}


def test_docker_settings() -> None:
    task = PythonTask(add, [1], docker="satyr:latest", force_pull=True, uris=["http://h/a"])
    c = task.executor.container
    assert c.type == "DOCKER" and c.docker.image == "satyr:latest"
    assert c.docker.network == "HOST" and c.docker.force_pull_image is True
    assert task.docker == "satyr:latest" and task.force_pull
    assert task.command == "python3 -m satyr.executor"
    assert task.uris == ["http://h/a"]
    task.docker = None
    assert task.docker is None and not task.executor.has_field("container")


def test_large_arguments_are_served_and_released(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SATYR_PAYLOAD_HOST", "127.0.0.1")
    monkeypatch.setenv("SATYR_PAYLOAD_THRESHOLD", "1000")
    before = _satyr.payload_served()
    blob = bytes(range(256)) * 40
    task = PythonTask(len, [blob])
    assert labels(task)[PAYLOAD_LABEL] == "url"
    url = bytes(task.get_field("data")).decode()
    assert url.startswith("http://127.0.0.1:")
    assert _satyr.payload_served() == before + 1
    decoded = TaskInfo.from_bytes(task.to_bytes())
    assert decoded() == len(blob)
    task.release_payload()
    assert _satyr.payload_served() == before
    assert decoded() == len(blob), "fetched once, kept"
    with pytest.raises(PayloadError, match="404"):
        TaskInfo.from_bytes(task.to_bytes()).data  # noqa: B018
    small = PythonTask(len, [b"x"])
    assert PAYLOAD_LABEL not in labels(small)
    monkeypatch.setenv("SATYR_PAYLOAD_THRESHOLD", "lots")
    with pytest.raises(ValueError, match="SATYR_PAYLOAD_THRESHOLD"):
        PythonTask(len, [b"x"])


def test_served_arguments_go_away_with_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SATYR_PAYLOAD_HOST", "127.0.0.1")
    monkeypatch.setenv("SATYR_PAYLOAD_THRESHOLD", "10")
    before = _satyr.payload_served()
    task = PythonTask(len, [b"y" * 100])
    assert _satyr.payload_served() == before + 1
    del task
    import gc

    gc.collect()
    assert _satyr.payload_served() == before


def test_result_status_round_trip_and_large_results_in_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    task = PythonTask(add, [1])
    status = task.status("TASK_FINISHED", data={"answer": 42})
    assert isinstance(status, PythonTaskStatus)
    got = TaskStatus.from_bytes(status.to_bytes())
    assert isinstance(got, PythonTaskStatus)
    assert got.result() == {"answer": 42} and got.exception is None
    assert task.outcome(got) == {"answer": 42}
    # In an executor, a result above the threshold goes to the sandbox; the status names it.
    monkeypatch.setenv("SATYR_PAYLOAD_THRESHOLD", "100")
    monkeypatch.setenv("MESOS_SANDBOX", str(tmp_path))
    monkeypatch.setenv("MESOS_DIRECTORY", "/host/sandbox")
    monkeypatch.setenv("MESOS_AGENT_ENDPOINT", "127.0.0.1:1")
    big = task.status("TASK_FINISHED", data=b"z" * 1000)
    assert labels(big)[PAYLOAD_LABEL] == "url"
    url = bytes(big.get_field("data")).decode()
    assert url.startswith(
        "http://127.0.0.1:1/files/download?path=%2Fhost%2Fsandbox%2Fsatyr-results%2F"
    )
    files = list((tmp_path / "satyr-results").iterdir())  # type: ignore[operator]
    assert len(files) == 1 and cloudpickle.loads(files[0].read_bytes()) == b"z" * 1000


def failing(n: int) -> None:
    def inner() -> None:
        raise KeyError(f"missing {n}")

    inner()


def test_exception_travels_with_type_and_traceback() -> None:
    task = PythonTask(failing, [5])
    status = task.status("TASK_FAILED")
    try:
        task()
    except KeyError as e:
        status.exception = e
    assert labels(status)[ERROR_LABEL] == "exception"
    # The queue scheduler core's contract: the user's exception is final, never retried.
    assert labels(status)[OUTCOME_LABEL] == _satyr.SchedulerCore.EXCEPTION
    assert OUTCOME_LABEL == _satyr.SchedulerCore.OUTCOME_LABEL
    assert status.message == "KeyError: 'missing 5'"
    got = TaskStatus.from_bytes(status.to_bytes())
    assert isinstance(got, PythonTaskStatus) and got.data is None
    with pytest.raises(KeyError, match="missing 5") as info:
        task.outcome(got)
    tb = info.value.__cause__
    assert isinstance(tb, RemoteTraceback)
    assert "in inner" in str(tb) and "in failing" in str(tb)


class NeedsArgs(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}/{b}")


def test_exception_that_cannot_be_rebuilt_is_a_remote_error() -> None:
    status = PythonTaskStatus(task_id="t", state="TASK_FAILED")
    lock = threading.Lock()

    class Bad(Exception):
        pass

    err = Bad("with a lock")
    err.lock = lock  # type: ignore[attr-defined]
    status.exception = err
    assert status.error_kind == "unpicklable-exception"
    exc = TaskStatus.from_bytes(status.to_bytes()).exception
    assert isinstance(exc, RemoteError) and "with a lock" in str(exc)
    assert "could not be pickled" in str(exc)
    # Pickles, but its __init__ signature breaks unpickling: still a clear error.
    status.exception = NeedsArgs(1, 2)
    exc = TaskStatus.from_bytes(status.to_bytes()).exception
    assert isinstance(exc, (NeedsArgs, RemoteError))
    assert "1/2" in str(exc)


def test_statuses_made_up_by_mesos_become_clear_errors() -> None:
    def st(state: str, reason: str | None = None, message: str = "") -> TaskStatus:
        s = TaskStatus(task_id="t1", state=state, message=message, source="SOURCE_AGENT")
        if reason:
            s.reason = reason
        return s

    died = task_error(st("TASK_FAILED", "REASON_EXECUTOR_TERMINATED", "Executor terminated"))
    assert isinstance(died, ExecutorTerminatedError)
    assert "os._exit()" in str(died) and "segfault" in str(died)
    assert died.reason == "REASON_EXECUTOR_TERMINATED" and died.state == "TASK_FAILED"
    assert isinstance(task_error(st("TASK_LOST", "REASON_AGENT_REMOVED")), TaskLostError)
    assert isinstance(task_error(st("TASK_KILLED")), TaskKilledError)
    other = task_error(st("TASK_ERROR", "REASON_TASK_INVALID", "bad"))
    assert type(other) is TaskError and "bad" in str(other)
    assert isinstance(other, SatyrError)
    task = PythonTask(add, [1], retries=2)
    lost = st("TASK_LOST", "REASON_AGENT_REMOVED")
    assert task.should_retry(lost)
    task.attempt = 2
    assert not task.should_retry(lost)
    assert not PythonTask(add).should_retry(st("TASK_KILLED"))
    with pytest.raises(TaskLostError):
        task.outcome(lost)
    with pytest.raises(TaskError, match="without a Python result"):
        task.outcome(st("TASK_FINISHED"))


def test_update_calls_the_hooks() -> None:
    seen: list[str] = []

    class Hooked(PythonTask):
        def on_update(self, status: TaskStatus) -> None:
            seen.append(f"update {status.state}")

        def on_success(self, status: TaskStatus) -> None:
            seen.append("success")

        def on_fail(self, status: TaskStatus) -> None:
            seen.append("fail")

    task = Hooked(add, [1])
    task.update(task.status("TASK_RUNNING"))
    task.update(task.status("TASK_FINISHED", data=1))
    task.update(task.status("TASK_FAILED"))
    assert seen == [
        "update TASK_RUNNING",
        "update TASK_FINISHED",
        "success",
        "update TASK_FAILED",
        "fail",
    ]
    assert task.last_status is not None and task.last_status.state == "TASK_FAILED"


def test_interrupt_thread_raises_in_that_thread() -> None:
    caught = threading.Event()
    started = threading.Event()

    def loop() -> None:
        started.set()
        try:
            while True:
                time.sleep(0.01)
        except TaskKilled:
            caught.set()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    started.wait(5)
    assert t.ident is not None
    assert _satyr.interrupt_thread(t.ident, TaskKilled)
    t.join(10)
    assert caught.is_set() and not t.is_alive()
    assert not _satyr.interrupt_thread(t.ident, TaskKilled)
    with pytest.raises(TypeError):
        _satyr.interrupt_thread(t.ident, int)  # type: ignore[arg-type]


def test_executor_driver_needs_the_agent_environment() -> None:
    with pytest.raises(SatyrError, match="MESOS_FRAMEWORK_ID is not set"):
        _satyr.ExecutorDriver({"MESOS_EXECUTOR_ID": "e", "MESOS_AGENT_ENDPOINT": "127.0.0.1:1"})
    with pytest.raises(SatyrError, match="MESOS_RECOVERY_TIMEOUT"):
        _satyr.ExecutorDriver(
            {
                "MESOS_FRAMEWORK_ID": "f",
                "MESOS_EXECUTOR_ID": "e",
                "MESOS_AGENT_ENDPOINT": "127.0.0.1:1",
                "MESOS_RECOVERY_TIMEOUT": "soon",
            }
        )


def test_resources_can_be_given() -> None:
    cpus = Resource(name="cpus", type="SCALAR", scalar={"value": 2.0})
    task = PythonTask(add, [1], resources=[cpus], executor_resources=[cpus])
    assert [r.scalar.value for r in task.resources] == [2.0]
    assert [r.scalar.value for r in task.executor.resources] == [2.0]


def test_update_fetches_an_out_of_band_result_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The executor's sandbox file is here stood in for by a served payload: same URL scheme.
    url = _satyr.payload_serve(cloudpickle.dumps(list(range(1000))), "127.0.0.1")
    task = PythonTask(add, [1])
    status = task.status("TASK_FINISHED")
    status.set_field("data", url.encode())
    status.labels.labels.append({"key": PAYLOAD_LABEL, "value": "url"})
    got = TaskStatus.from_bytes(status.to_bytes())
    assert isinstance(got, PythonTaskStatus)
    task.update(got)
    assert _satyr.payload_release(url)  # the executor went away with its sandbox file
    assert task.outcome(got) == list(range(1000))
