"""Executors written in Python, run by satyr-executor on real Mesos 1.11: the README's
OneOffExecutor, a user's Executor class talking to the scheduler with framework messages, the
agent's SHUTDOWN, and the agent's own check of executor updates (case 38's negative control)."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import cloudpickle
import pytest
from satyr.messages import PythonTask, PythonTaskStatus, TaskKilledError

from tests.executor_harness import MiniScheduler

pytestmark = pytest.mark.realmesos

cloudpickle.register_pickle_by_value(sys.modules[__name__])

WAIT = 90

ECHO_EXECUTOR = '''
import http.client
import os

from satyr.interface import Executor
from satyr.proxies.messages import ExecutorCall


class EchoExecutor(Executor):
    """Answers framework messages; finishes its task on b"finish"."""

    task = None
    registered = False

    def on_registered(self, driver, executor_info, framework_info, agent_info):
        self.registered = executor_info.executor_id.value == driver.executor_id

    def on_launch(self, driver, task):
        self.task = task
        driver.update(task.status("TASK_RUNNING"))

    def on_message(self, driver, message):
        if message == b"finish":
            driver.update(self.task.status("TASK_FINISHED", data=("done", self.registered)))
        elif message == b"text-uuid":
            driver.message(post_text_uuid(driver, self.task))
        else:
            driver.message(b"echo:" + message)

    def on_kill(self, driver, task_id):
        driver.update(self.task.status("TASK_KILLED"))

    def on_shutdown(self, driver):
        driver.update(self.task.status("TASK_KILLED", message="shutdown"))


def post_text_uuid(driver, task):
    """An UPDATE whose uuid is a 36-byte text UUID, straight to the agent: it must refuse it."""
    call = ExecutorCall(
        executor_id={"value": driver.executor_id},
        framework_id={"value": driver.framework_id},
        type="UPDATE",
        update={"status": {
            "task_id": task.task_id.to_plain(),
            "state": "TASK_RUNNING",
            "source": "SOURCE_EXECUTOR",
            "uuid": b"0f8fad5b-d9cb-469f-a165-70867728950e",
        }},
    )
    host, port = driver.agent_endpoint.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", "/api/v1/executor", call.to_bytes(),
                 {"Content-Type": "application/x-protobuf"})
    resp = conn.getresponse()
    return f"{resp.status} {resp.read().decode(errors='replace')}".encode()
'''


@pytest.fixture(scope="module", params=["real", "local"])
def sched(request: pytest.FixtureRequest) -> Iterator[MiniScheduler]:
    """A scheduler on real Mesos 1.11, then on the embedded local cluster: same tests, same
    assertions."""
    cluster = request.getfixturevalue(f"{request.param}_mesos")
    s = MiniScheduler(cluster.address, name="satyr-python-executors")
    try:
        yield s
    finally:
        s.teardown()


@pytest.fixture(scope="module")
def echo_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("echo")
    (where / "echo_executor.py").write_text(textwrap.dedent(ECHO_EXECUTOR))
    return where


def runner(executor: str) -> list[str]:
    return [sys.executable, "-m", "satyr.executor", "--executor", executor]


def double(x: int) -> int:
    return 2 * x


def broken() -> None:
    raise RuntimeError("one-off failure")


def test_readme_one_off_executor(sched: MiniScheduler) -> None:
    cmd = runner("satyr.executor:OneOffExecutor")
    task = PythonTask(double, [21], command=cmd)
    status = sched.submit(task).result(timeout=WAIT)
    assert isinstance(status, PythonTaskStatus)
    assert task.outcome(status) == 42
    failing = PythonTask(broken, command=[*cmd, "--log-level", "debug"])
    status = sched.submit(failing).result(timeout=WAIT)
    with pytest.raises(RuntimeError, match="one-off failure") as info:
        failing.outcome(status)
    assert "in broken" in str(info.value.__cause__)


def test_user_executor_with_framework_messages(sched: MiniScheduler, echo_module: Path) -> None:
    task = PythonTask(
        None, command=runner("echo_executor:EchoExecutor"), envs={"PYTHONPATH": str(echo_module)}
    )
    fut = sched.submit(task)
    running = sched.wait_state(task.task_id.value, "TASK_RUNNING")
    agent, executor = running.agent_id.value, task.executor.executor_id.value
    sched.message(agent, executor, b"ping")
    assert sched.wait_message() == (executor, b"echo:ping")
    # The agent refuses an UPDATE with a text uuid (the driver never sends one).
    sched.message(agent, executor, b"text-uuid")
    _, answer = sched.wait_message()
    assert answer.startswith(b"400") and b"UUID" in answer, answer
    sched.message(agent, executor, b"finish")
    assert task.outcome(fut.result(timeout=WAIT)) == ("done", True)


def spin() -> None:
    import time

    while True:
        time.sleep(0.05)


def pid_of(sched: MiniScheduler, envs: dict[str, str]) -> int:
    """The pid of the executor process that runs a task with these settings (retried as a
    scheduler would if it went to an executor that was exiting)."""
    task = PythonTask(os.getpid, envs=envs)
    while True:
        status = sched.submit(task).result(timeout=WAIT)
        if not task.should_retry(status):
            return int(task.outcome(status))
        task.attempt += 1


def test_agent_shutdown_kills_tasks_and_ends_the_executor(sched: MiniScheduler) -> None:
    envs = {"SHUTDOWN": "1"}
    before = pid_of(sched, envs)
    task = PythonTask(spin, envs=envs)
    fut = sched.submit(task)
    running = sched.wait_state(task.task_id.value, "TASK_RUNNING")
    sched.shutdown_executor(running.agent_id.value, task.executor.executor_id.value)
    status = fut.result(timeout=WAIT)
    assert status.state == "TASK_KILLED" and status.source == "SOURCE_EXECUTOR", status
    with pytest.raises(TaskKilledError):
        task.outcome(status)
    # That executor process ends; the next task with these settings starts a new one.
    sched.wait_executor_exit(task.executor.executor_id.value)
    assert pid_of(sched, envs) != before


def test_console_script_runs_tasks(sched: MiniScheduler) -> None:
    import shutil
    import sysconfig

    script = shutil.which("satyr-executor", path=sysconfig.get_path("scripts")) or shutil.which(
        "satyr-executor"
    )
    assert script is not None, "pip install . installs the satyr-executor console script"
    task = PythonTask(double, [4], command=[script, "--log-level", "warning"])
    status = sched.submit(task).result(timeout=WAIT)
    assert task.outcome(status) == 8
