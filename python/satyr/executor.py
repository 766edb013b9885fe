"""satyr-executor: the Mesos executor that runs Python tasks (and executors written in Python).

Start it as an executor command: ``satyr-executor`` (console script) or
``python -m satyr.executor``, optionally ``--executor module:Class`` for your own
:class:`satyr.interface.Executor`. The Rust driver in the native module owns the process's
connection to the agent (the v1 executor API, reconnection, SIGTERM, the shutdown guard); Python
runs the tasks, each in its own thread, in one interpreter whose imports stay warm across tasks.

The default :class:`PythonExecutor` runs :class:`~satyr.messages.PythonTask` payloads: TASK_RUNNING
once a task has run for ``SATYR_RUNNING_DELAY`` seconds (default 0.05; 0 = at once), then
TASK_FINISHED with the pickled result, or TASK_FAILED with the exception. A task that ends within
the delay sends only its terminal status: every status costs the agent, the master and the
scheduler a round of acknowledgements, and for short calls TASK_RUNNING would double them. KILL
raises :class:`TaskKilled` in the task's thread; a task that does not stop within the kill grace
period (stuck in C code) takes the executor down with it. Settings (environment of the executor):
``SATYR_EXECUTOR_IDLE_TIMEOUT`` (seconds without tasks before it exits, default 60; 0 = never),
``SATYR_EXECUTOR_CONCURRENCY`` (most tasks run at once, default no limit: each task holds its
own Mesos resources), ``SATYR_PAYLOAD_THRESHOLD`` (results larger than this go to the sandbox),
``SATYR_EXECUTOR_RETAINED_MEMORY`` (bytes of freed memory the process keeps for reuse, default
256 MiB; 0 = the C library's default): a worker's next big argument then reuses pages already
backed instead of mapping fresh ones, which on a VM costs more than the transfer itself. The
process never holds more than its own high-water mark.
"""

from __future__ import annotations

import argparse
import collections
import faulthandler
import importlib
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from satyr import _satyr
from satyr.interface import Executor
from satyr.messages import (
    IDLE_TIMEOUT_ENV,
    RESULTS_DIR,
    PythonTask,
    PythonTaskStatus,
    ResultNotPicklableError,
    env_bytes,
)
from satyr.proxies.messages import (
    ExecutorEvent,
    TaskGroupInfo,
    TaskID,
    TaskInfo,
    TaskStatus,
)

log = logging.getLogger("satyr.executor")

CONCURRENCY_ENV = "SATYR_EXECUTOR_CONCURRENCY"
RUNNING_DELAY_ENV = "SATYR_RUNNING_DELAY"
RETAINED_MEMORY_ENV = "SATYR_EXECUTOR_RETAINED_MEMORY"
DEFAULT_RETAINED_MEMORY = 256 << 20
#: Kill grace period when the KILL names none (as Mesos's command executor).
DEFAULT_KILL_GRACE = 3.0


class TaskKilled(BaseException):
    """Raised inside a task's thread when the scheduler kills it (a BaseException, so that
    ``except Exception`` in task code does not swallow it)."""


class ExecutorDriver:
    """What an :class:`~satyr.interface.Executor` talks to: sends status updates and messages,
    stops the executor. Wraps the native driver; properties describe the agent's environment."""

    def __init__(self, native: Any = None, **options: Any) -> None:
        self._native = native if native is not None else _satyr.ExecutorDriver(**options)
        #: The grace period of the KILL being handled (seconds), or None if it named none.
        self.kill_grace_period: float | None = None

    def update(self, status: TaskStatus) -> bytes:
        """Sends a status update reliably; returns its uuid."""
        return bytes(self._native.update(status.to_bytes()))

    def message(self, data: bytes) -> None:
        """Sends a framework message to the scheduler (unreliable)."""
        self._native.message(bytes(data))

    def stop(self, timeout: float | None = None) -> None:
        """Ends the executor once the agent accepted every update (at most ``timeout``
        seconds; default: the shutdown grace period)."""
        if timeout is None:
            timeout = self.shutdown_grace_period
        self._native.stop(max(0.0, timeout))

    def abort(self) -> None:
        """Ends the executor now, whatever is unsent."""
        self._native.stop(0.0)

    def shutdown(self) -> None:
        """Starts the shutdown path (``on_shutdown``) as if the agent had asked."""
        self._native.shutdown()

    @property
    def framework_id(self) -> str:
        return str(self._native.framework_id)

    @property
    def executor_id(self) -> str:
        return str(self._native.executor_id)

    @property
    def agent_endpoint(self) -> str:
        """``host:port`` of the agent."""
        return str(self._native.agent_endpoint)

    @property
    def sandbox(self) -> str | None:
        """The sandbox directory as this process sees it."""
        return self._native.sandbox

    @property
    def directory(self) -> str | None:
        """The sandbox directory on the agent's host."""
        return self._native.directory

    @property
    def checkpoint(self) -> bool:
        return bool(self._native.checkpoint)

    @property
    def shutdown_grace_period(self) -> float:
        return float(self._native.shutdown_grace_period)

    @property
    def subscribed(self) -> bool:
        return bool(self._native.subscribed)


def _dispatch(executor: Executor, driver: ExecutorDriver, name: str, payload: Any) -> None:
    if name == "SUBSCRIBED":
        reregistered, raw = payload
        sub = ExecutorEvent.Subscribed.from_bytes(raw)
        if reregistered:
            executor.on_reregistered(driver, sub.agent_info)
        else:
            executor.on_registered(driver, sub.executor_info, sub.framework_info, sub.agent_info)
    elif name == "LAUNCH":
        executor.on_launch(driver, TaskInfo.from_bytes(payload))
    elif name == "LAUNCH_GROUP":
        executor.on_launch_group(driver, list(TaskGroupInfo.from_bytes(payload).tasks))
    elif name == "KILL":
        task_id, grace = payload
        driver.kill_grace_period = grace
        executor.on_kill(driver, TaskID(value=task_id))
    elif name == "ACKNOWLEDGED":
        task_id, uuid = payload
        executor.on_acknowledged(driver, TaskID(value=task_id), bytes(uuid))
    elif name == "MESSAGE":
        executor.on_message(driver, bytes(payload))
    elif name == "ERROR":
        executor.on_error(driver, str(payload))
    elif name == "DISCONNECTED":
        log.warning("disconnected from the agent: %s", payload)
        executor.on_disconnected(driver)
    elif name == "SHUTDOWN":
        log.info("shutting down: %s", payload)
        began = time.monotonic()
        try:
            executor.on_shutdown(driver)
        finally:
            left = driver.shutdown_grace_period - (time.monotonic() - began)
            driver.stop(max(0.0, left * 0.9))


def run(executor: Executor, driver: ExecutorDriver | None = None, poll: float = 0.25) -> None:
    """Runs ``executor`` until the driver stops (SHUTDOWN, lost agent, ``driver.stop()``):
    delivers events to its methods in order, on this thread. An exception in a method is logged
    and does not stop the executor."""
    driver = driver if driver is not None else ExecutorDriver()
    while True:
        try:
            batch = driver._native.recv(poll)
        except KeyboardInterrupt:
            driver.shutdown()
            continue
        if batch is None:
            return
        for name, payload in batch:
            try:
                _dispatch(executor, driver, name, payload)
            except Exception:
                log.exception("executor callback for %s failed", name)


# -- the Python task runner -----------------------------------------------------------------------


@dataclass(eq=False)
class _Run:
    task: PythonTask
    thread: threading.Thread | None = None
    done: bool = False
    killed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class _RunningAnnouncer:
    """Sends TASK_RUNNING for the runs still going ``delay`` seconds after they started, from
    one thread for all of them. The run's lock orders it before the terminal status."""

    def __init__(self, driver: ExecutorDriver, delay: float) -> None:
        self._driver = driver
        self._delay = delay
        self._due: collections.deque[tuple[float, _Run]] = collections.deque()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, run: _Run) -> None:
        if self._delay <= 0:
            self._announce(run)
            return
        with self._wake:
            # Same delay for every run: due times arrive in order, a deque is a queue by time.
            self._due.append((time.monotonic() + self._delay, run))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="satyr-running", daemon=True
                )
                self._thread.start()
            elif len(self._due) == 1:
                self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0][0] > time.monotonic():
                    left = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(left)
                _, run = self._due.popleft()
            self._announce(run)

    def _announce(self, run: _Run) -> None:
        with run.lock:
            if run.done:
                return
            try:
                self._driver.update(run.task.status("TASK_RUNNING"))
            except Exception:
                log.exception("sending TASK_RUNNING of task %s", run.task.task_id.value)


def _env_float(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {text!r}") from None


class PythonExecutor(Executor):
    """Runs :class:`~satyr.messages.PythonTask` payloads, one thread per task, for as long as
    tasks keep coming (it exits after ``idle_timeout`` seconds without any)."""

    def __init__(self, idle_timeout: float | None = None, concurrency: int | None = None) -> None:
        self.idle_timeout = (
            idle_timeout if idle_timeout is not None else _env_float(IDLE_TIMEOUT_ENV, 60.0)
        )
        limit = concurrency if concurrency is not None else int(_env_float(CONCURRENCY_ENV, 0))
        self._slots = threading.BoundedSemaphore(limit) if limit > 0 else None
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._idle_timer: threading.Timer | None = None
        self._broken = False
        self.running_delay = max(0.0, _env_float(RUNNING_DELAY_ENV, 0.05))
        self._announcer: _RunningAnnouncer | None = None
        #: Tasks run by this process so far.
        self.tasks_run = 0

    # -- callbacks -------------------------------------------------------------------------------

    def on_registered(
        self, driver: Any, executor_info: Any, framework_info: Any, agent: Any
    ) -> None:
        self._arm_idle(driver)

    def on_launch(self, driver: ExecutorDriver, task: TaskInfo) -> None:
        if not isinstance(task, PythonTask):
            status = task.status(
                "TASK_FAILED",
                message="satyr-executor runs Python tasks only (TaskInfo with the 'python' "
                "label and a pickled (fn, args, kwargs) in data)",
                reason="REASON_TASK_INVALID",
            )
            driver.update(status)
            return
        run = _Run(task)
        with self._lock:
            if self._broken:
                driver.update(
                    task.status(
                        "TASK_FAILED",
                        message="this executor is exiting (a task could not be interrupted)",
                        reason="REASON_EXECUTOR_TERMINATED",
                    )
                )
                return
            self._runs[str(task.task_id.value)] = run
            self.tasks_run += 1
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
        run.thread = threading.Thread(
            target=self._run, args=(driver, run), name=f"task-{task.task_id.value}", daemon=True
        )
        run.thread.start()

    def on_kill(self, driver: ExecutorDriver, task_id: TaskID) -> None:
        with self._lock:
            run = self._runs.get(str(task_id.value))
        if run is None:
            return
        self._interrupt(run)
        grace = driver.kill_grace_period or DEFAULT_KILL_GRACE
        timer = threading.Timer(grace, self._kill_deadline, (driver, run))
        timer.daemon = True
        timer.start()

    def on_shutdown(self, driver: ExecutorDriver) -> None:
        with self._lock:
            runs = list(self._runs.values())
            if self._idle_timer is not None:
                self._idle_timer.cancel()
        for run in runs:
            self._interrupt(run)
        deadline = time.monotonic() + driver.shutdown_grace_period * 0.5
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))
        for run in runs:
            self._finish(
                driver,
                run,
                run.task.status(
                    "TASK_KILLED", message="the executor shut down before the task ended"
                ),
            )

    # -- internals -------------------------------------------------------------------------------

    def _interrupt(self, run: _Run) -> None:
        with run.lock:
            if run.done or run.thread is None or run.thread.ident is None:
                return
            run.killed = True
            _satyr.interrupt_thread(run.thread.ident, TaskKilled)

    def _kill_deadline(self, driver: ExecutorDriver, run: _Run) -> None:
        if run.thread is None or not run.thread.is_alive() or run.done:
            return
        # Stuck in C code: the task ends with this executor, and so do the others.
        log.error("task %s did not stop within its kill grace period", run.task.task_id.value)
        self._finish(
            driver,
            run,
            run.task.status(
                "TASK_KILLED",
                message="the task could not be interrupted (stuck outside Python code); its "
                "executor exits",
            ),
        )
        with self._lock:
            self._broken = True
            others = [r for r in self._runs.values() if r is not run]
        for other in others:
            self._finish(
                driver,
                other,
                other.task.status(
                    "TASK_FAILED",
                    message=f"the executor exits: task {run.task.task_id.value} could not be "
                    "interrupted",
                    reason="REASON_EXECUTOR_TERMINATED",
                ),
            )
        driver.stop()

    def _finish(self, driver: ExecutorDriver, run: _Run, status: TaskStatus) -> bool:
        """Sends the task's terminal status unless one was sent already."""
        with run.lock:
            if run.done:
                return False
            run.done = True
        driver.update(status)
        with self._lock:
            self._runs.pop(str(run.task.task_id.value), None)
            idle = not self._runs
        if idle:
            self._arm_idle(driver)
        return True

    def _arm_idle(self, driver: ExecutorDriver) -> None:
        if self.idle_timeout <= 0:
            return
        with self._lock:
            if self._runs or self._broken:
                return
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            self._idle_timer = threading.Timer(self.idle_timeout, self._idle, (driver,))
            self._idle_timer.daemon = True
            self._idle_timer.start()

    def _idle(self, driver: ExecutorDriver) -> None:
        with self._lock:
            if self._runs:
                return
        log.info("no task for %.1f s: exiting", self.idle_timeout)
        driver.stop()

    def _run(self, driver: ExecutorDriver, run: _Run) -> None:
        try:
            if self._slots is not None:
                self._slots.acquire()
            try:
                self._announce(driver, run)
                status = self._execute(run.task)
            finally:
                if self._slots is not None:
                    self._slots.release()
            self._finish(driver, run, status)
        except TaskKilled:
            self._finish(driver, run, run.task.status("TASK_KILLED", message="killed"))
        except BaseException as e:  # the runner itself failed: still end the task
            log.exception("running task %s failed", run.task.task_id.value)
            try:
                self._finish(driver, run, _failed(run.task, e))
            except TaskKilled:
                pass

    def _announce(self, driver: ExecutorDriver, run: _Run) -> None:
        with self._lock:
            if self._announcer is None:
                self._announcer = _RunningAnnouncer(driver, self.running_delay)
            announcer = self._announcer
        announcer.add(run)

    def _execute(self, task: PythonTask) -> TaskStatus:
        try:
            fn, args, kwargs = task.data
        except TaskKilled:
            raise
        except BaseException as e:
            status = _failed(task, e)
            status.reason = "REASON_TASK_INVALID"
            status.message = f"cannot load the task's function and arguments: {status.message}"
            return status
        try:
            result = fn(*args, **kwargs)
        except TaskKilled:
            return task.status("TASK_KILLED", message="killed by the scheduler")
        except BaseException as e:
            return _failed(task, e)
        status = task.status("TASK_FINISHED")
        try:
            status.data = result
        except TaskKilled:
            raise
        except BaseException as e:
            err = ResultNotPicklableError(
                f"the result of task {task.task_id.value} (a {type(result).__qualname__}) "
                f"cannot be pickled: {type(e).__name__}: {e}"
            )
            err.__cause__ = e
            status = _failed(task, err)
            status.error_kind = "unpicklable-result"
        return status


def _failed(task: TaskInfo, exc: BaseException) -> PythonTaskStatus:
    status = PythonTaskStatus(task_id=task.task_id.copy(), state="TASK_FAILED")
    status.exception = exc
    return status


class OneOffExecutor(Executor):
    """The README's one-off executor: runs one Python task in a thread, reports its result, and
    stops."""

    def on_launch(self, driver: ExecutorDriver, task: TaskInfo) -> None:
        def run_task() -> None:
            driver.update(task.status("TASK_RUNNING"))
            try:
                result = task()  # type: ignore[operator]
            except Exception as e:
                log.exception("task %s failed", task.task_id.value)
                driver.update(_failed(task, e))
            else:
                driver.update(task.status("TASK_FINISHED", data=result))
            driver.stop()

        threading.Thread(target=run_task, daemon=True).start()

    def on_kill(self, driver: ExecutorDriver, task_id: TaskID) -> None:
        driver.update(TaskStatus(task_id=task_id, state="TASK_KILLED"))
        driver.stop()


# -- command line ---------------------------------------------------------------------------------


def load_executor(spec: str) -> Executor:
    """``module:Class`` (or ``module.Class``) → an instance of that Executor class."""
    module_name, sep, attr = spec.partition(":")
    if not sep:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"--executor must be module:Class, not {spec!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    executor = obj() if isinstance(obj, type) else obj
    if not isinstance(executor, Executor):
        raise TypeError(f"{spec} is not a satyr.interface.Executor")
    return executor


def retained_memory() -> int:
    """Bytes of freed memory the executor keeps for reuse (``SATYR_EXECUTOR_RETAINED_MEMORY``)."""
    return env_bytes(RETAINED_MEMORY_ENV, DEFAULT_RETAINED_MEMORY)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``satyr-executor`` and ``python -m satyr.executor``."""
    # First, before any thread exists: threads keep the allocator arena they start with.
    try:
        _satyr.retain_freed_memory(retained_memory())
    except ValueError as e:
        print(f"satyr-executor: {e}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(
        prog="satyr-executor", description="Mesos executor running Python tasks (satyr)."
    )
    parser.add_argument(
        "--executor",
        default="satyr.executor:PythonExecutor",
        help="the satyr.interface.Executor to run, as module:Class",
    )
    parser.add_argument("--log-level", default=os.environ.get("SATYR_LOG_LEVEL", "INFO"))
    opts = parser.parse_args(argv)
    logging.basicConfig(
        level=opts.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # A crash in C code (segfault) leaves the Python stacks in the sandbox's stderr.
    faulthandler.enable()
    # Executors and modules fetched into the sandbox (URIs) are importable.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        executor = load_executor(opts.executor)
        driver = ExecutorDriver()
    except Exception as e:
        print(f"satyr-executor: {e}", file=sys.stderr)
        return 2
    # The token is for the driver only (the C++ library erases it too).
    os.environ.pop("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", None)
    log.info(
        "executor %s of framework %s, agent %s",
        driver.executor_id,
        driver.framework_id,
        driver.agent_endpoint,
    )
    run(executor, driver)
    if driver.sandbox:
        shutil.rmtree(os.path.join(driver.sandbox, RESULTS_DIR), ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    stuck = [t for t in threading.enumerate() if t.name.startswith("task-") and t.is_alive()]
    if stuck:
        # Threads stuck in C code would hang the interpreter's exit.
        os._exit(0)
    return 0


if __name__ == "__main__":
    # Run the canonical module's main, so that its classes (TaskKilled, ...) are the ones the
    # tasks see, not copies living in __main__.
    from satyr.executor import main as _main

    sys.exit(_main())
