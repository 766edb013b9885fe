"""Running a framework: :class:`Running` (this part) starts a scheduler against a Mesos master and
stops it again; the ready-made schedulers follow further down in this module."""

from __future__ import annotations

import getpass
import itertools
import logging
import math
import pickle
import re
import secrets
import signal
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from satyr import _satyr, binpack
from satyr._satyr import InvalidCallError, SatyrError, SchedulerCore
from satyr.driver import SchedulerDriver, resolve_master
from satyr.interface import Scheduler
from satyr.messages import (
    PythonTask,
    PythonTaskStatus,
    TaskError,
    TaskKilledError,
    status_outcome,
    task_error,
)
from satyr.proxies.messages import (
    AgentID,
    ExecutorID,
    FrameworkID,
    FrameworkInfo,
    MasterInfo,
    Offer,
    OfferID,
    SchedulerEvent,
    TaskID,
    TaskInfo,
    TaskStatus,
)
from satyr.results import AsyncResult

__all__ = ["PoolCall", "QueueScheduler", "Running", "StatusBook", "UnschedulableError"]

log = logging.getLogger("satyr.scheduler")

_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: With this many tasks unfinished their statuses come in bursts, and the driver reads the
#: event stream every ``_BURST_PACE`` s (``SchedulerDriver.event_pace``): one wake-up of each
#: thread for the events of a burst, for up to that much latency on a task that waited for an
#: offer cycle (1 s by default). See docs/driver.md for the CPU per task at each pace.
_BURST_TASKS = 16
_BURST_PACE = 0.05


# ================================================================================================
# Running
# ================================================================================================


def _framework_info(
    name: str,
    user: str | None,
    role: str | None,
    roles: Iterable[str] | None,
    principal: str | None,
    failover_timeout: float | None,
    checkpoint: bool | None,
    fields: Mapping[str, Any],
) -> FrameworkInfo:
    if not isinstance(name, str) or not name:
        raise InvalidCallError(f"name must be a non-empty str, got {name!r}")
    if user is None:
        user = getpass.getuser()
    if not isinstance(user, str) or not user:
        raise InvalidCallError(f"user must be a non-empty str, got {user!r}")
    info = FrameworkInfo(name=name, user=user)
    if role is not None and roles is not None:
        raise InvalidCallError("give role (one role) or roles (MULTI_ROLE), not both")
    if role is not None:
        if not isinstance(role, str) or not role:
            raise InvalidCallError(f"role must be a non-empty str, got {role!r}")
        info.role = role
    if roles is not None:
        roles = [roles] if isinstance(roles, str) else list(roles)
        if not roles or not all(isinstance(r, str) and r for r in roles):
            raise InvalidCallError(f"roles must be non-empty role names, got {roles!r}")
        info.roles = roles
        info.capabilities = [*info.capabilities, {"type": "MULTI_ROLE"}]
    if principal is not None:
        info.principal = principal
    if failover_timeout is not None:
        if (
            isinstance(failover_timeout, bool)
            or not isinstance(failover_timeout, int | float)
            or not math.isfinite(failover_timeout)
            or failover_timeout < 0
        ):
            raise InvalidCallError(
                f"failover_timeout must be a number of seconds >= 0, got {failover_timeout!r}"
            )
        info.failover_timeout = float(failover_timeout)
    if checkpoint is not None:
        if not isinstance(checkpoint, bool):
            raise InvalidCallError(f"checkpoint must be a bool, got {checkpoint!r}")
        info.checkpoint = checkpoint
    for key, value in fields.items():
        try:
            setattr(info, key, value)
        except (AttributeError, TypeError, ValueError) as e:
            raise InvalidCallError(f"FrameworkInfo setting {key}={value!r}: {e}") from None
    return info


class Running:
    """Runs ``scheduler`` as the framework ``name`` on a Mesos master::

        with Running(MyScheduler(), name='my-framework') as driver:
            ...   # the framework runs; callbacks arrive on the dispatcher thread

    On entry the driver starts and SIGINT/SIGTERM handlers are installed (in the main thread)
    that stop the framework and then do what the handlers they replaced did (by default:
    ``KeyboardInterrupt``, and ``SystemExit(143)`` for SIGTERM); on exit the driver is stopped
    (``stop(failover=failover)``), joined, and the replaced handlers are restored. If the driver
    stopped by itself with an error (framework removed, credentials refused), leaving the block
    raises that error, unless the block raised one of its own.

    ``master`` defaults to the ``MESOS_MASTER`` environment variable, read here (not at import):
    ``zk://[user:pass@]h1:2181,h2:2181/mesos``, ``http(s)://host:5050``, ``host:5050``,
    ``file:///path``. ``user`` defaults to the current user; ``role`` subscribes with one role,
    ``roles`` with several (MULTI_ROLE); ``principal``/``secret`` authenticate over HTTP basic
    auth; ``failover_timeout`` (seconds) is how long the master keeps the framework after the
    driver goes away (with ``failover=True`` on exit, or a crash); other ``FrameworkInfo``
    fields may be given as keywords (``webui_url=...``, ``labels=...``). ``driver_options`` go to
    :class:`~satyr.driver.SchedulerDriver` (``encoding``, ``ca_file``, ``heartbeats``,
    ``backoff_max``, ...). Every setting is checked here; a bad one raises
    :class:`~satyr.InvalidCallError` naming it.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        name: str = "satyr",
        master: str | None = None,
        user: str | None = None,
        *,
        role: str | None = None,
        roles: Iterable[str] | None = None,
        principal: str | None = None,
        secret: str | None = None,
        failover_timeout: float | None = None,
        checkpoint: bool | None = None,
        implicit_acknowledgements: bool = True,
        failover: bool = False,
        driver_options: Mapping[str, Any] | None = None,
        **framework_info_fields: Any,
    ) -> None:
        info = _framework_info(
            name,
            user,
            role,
            roles,
            principal,
            failover_timeout,
            checkpoint,
            framework_info_fields,
        )
        self.master = resolve_master(master)
        self.failover = failover
        self.driver = SchedulerDriver(
            scheduler,
            info,
            self.master,
            implicit_acknowledgements=implicit_acknowledgements,
            principal=principal,
            secret=secret,
            **dict(driver_options or {}),
        )
        self._replaced: dict[int, Any] = {}

    @property
    def scheduler(self) -> Scheduler:
        """The scheduler whose callbacks run."""
        return self.driver.scheduler

    def start(self) -> SchedulerDriver:
        """Starts the driver and installs the signal handlers; returns the driver."""
        self.driver.start()
        self._install_handlers()
        return self.driver

    def stop(self, failover: bool | None = None) -> None:
        """Stops the driver (``failover`` defaults to the one given at construction)."""
        try:
            self.driver.stop(self.failover if failover is None else failover)
        finally:
            self._restore_handlers()

    def join(self, timeout: float | None = None) -> bool:
        """Waits for the driver to stop (see :meth:`SchedulerDriver.join`)."""
        return self.driver.join(timeout)

    def run(self) -> SatyrError | None:
        """Runs until the driver stops (by a signal, or from a callback); returns the fatal
        error, if any."""
        with self:
            self.join()
        return self.driver.error

    def __enter__(self) -> SchedulerDriver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        try:
            self.stop()
        except SatyrError as e:
            if exc is None and self.driver.state != "STOPPED":
                raise
            log.warning("stopping the driver: %s", e)
        self.join()
        if exc is None and self.driver.error is not None:
            raise self.driver.error

    # -- signals ---------------------------------------------------------------------------------

    def _install_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        for signum in _SIGNALS:
            self._replaced[signum] = signal.signal(signum, self._on_signal)

    def _restore_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # left for __exit__ (or a later stop) in the main thread
        replaced, self._replaced = self._replaced, {}
        for signum, handler in replaced.items():
            if signal.getsignal(signum) == self._on_signal:
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    def _on_signal(self, signum: int, frame: types.FrameType | None) -> None:
        previous = self._replaced.get(signum, signal.SIG_DFL)
        log.info("signal %d: stopping the framework", signum)
        # Stop in the background: a signal handler must not block on the network.
        threading.Thread(target=self._stop_quietly, name="satyr-signal-stop", daemon=True).start()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)

    def _stop_quietly(self) -> None:
        try:
            self.driver.stop(self.failover)
        except SatyrError as e:
            log.warning("stopping the driver on a signal: %s", e)


# ================================================================================================
# QueueScheduler
# ================================================================================================

_RETRY_SUFFIX = re.compile(r"^(.*)\.retry\d+$")

Placer = Callable[[list[list[float]], list[list[float]]], Sequence[int | None]]


class UnschedulableError(TaskError):
    """A task can never run: it is larger than every agent of the cluster."""


def _core_method(method: str | Callable[..., Any] | None) -> str | Placer | None:
    """A ``satyr.binpack`` function given by itself stands for its name (the core runs it in
    Rust); any other callable is a placer over rows of floats."""
    if callable(method) and getattr(method, "__module__", None) == binpack.__name__:
        name = getattr(method, "__name__", "")
        if name in binpack.METHODS or name == "best":
            return name
    return method


class PoolCall:
    """A Python call queued as a copy of a task template (:meth:`QueueScheduler.submit_call`):
    the task is built in the core and its statuses settle the result without message proxies.
    Stands for the task in ``AsyncResult.task``."""

    __slots__ = ("attempt", "name", "retries", "task_id")

    def __init__(self, task_id: str, name: str, retries: int) -> None:
        self.task_id = task_id
        self.name = name
        self.retries = retries
        self.attempt = 1

    def __repr__(self) -> str:
        return f"<PoolCall {self.task_id} {self.name}>"

    def outcome(self, status: TaskStatus) -> Any:
        """The result a terminal status carries, or raises (as ``PythonTask.outcome``)."""
        return status_outcome(status)


class StatusBook(Mapping[str, TaskStatus]):
    """The latest status of every task, by task id: a read-only mapping whose statuses are
    kept as they came (protobuf bytes) and decoded into proxies when looked at."""

    def __init__(self) -> None:
        self._items: dict[str, TaskStatus | bytes] = {}

    def __getitem__(self, task_id: str) -> TaskStatus:
        item = self._items[task_id]
        if isinstance(item, bytes):
            item = TaskStatus.from_bytes(item)
            self._items[task_id] = item
        return item

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"StatusBook({dict(self)!r})"

    def _put(self, task_id: str, status: TaskStatus | bytes) -> None:
        self._items[task_id] = status


class QueueScheduler(Scheduler):
    """A work queue on Mesos: :meth:`submit` tasks (``PythonTask``, command ``TaskInfo``s or
    your ``TaskInfo`` subclasses), get :class:`~satyr.results.AsyncResult`\\ s back::

        scheduler = QueueScheduler()
        with Running(scheduler, name='work'):
            print(scheduler.submit(PythonTask(sum, [range(10)])).get(timeout=30))

    The queue lives in the Rust core (:class:`satyr._satyr.SchedulerCore`): offers are packed
    with ``method`` (``'bfd'`` by default, any :mod:`satyr.binpack` heuristic by name or as the
    function itself, ``'best'``, or a callable ``placer(items, capacities) -> [bin or None]``);
    a task that fits no offer waits, one larger than every agent fails with
    :class:`UnschedulableError` after ``too_big_after`` seconds; a task whose agent or executor
    failed is retried up to ``max_attempts`` times in all (a ``PythonTask``'s ``retries``),
    never for its own exception; the framework SUPPRESSes offers when idle and REVIVEs on new
    work. A failing task never stops the framework.

    Subclasses override the callbacks (``on_offers``, ``on_update``, ...) and call ``super()``.
    ``core_options`` go to :class:`~satyr._satyr.SchedulerCore` (``refuse_seconds``,
    ``too_big_after``, ``launch_timeout``, ``weights``, ...).
    """

    def __init__(
        self,
        method: str | Callable[..., Any] | None = "bfd",
        *,
        max_attempts: int = 3,
        tick_interval: float = 1.0,
        **core_options: Any,
    ) -> None:
        self.core = SchedulerCore(
            method=_core_method(method), max_attempts=max_attempts, **core_options
        )
        # Launches are only logged, at debug level (the tick re-reads the level).
        self.core.report_launches = log.isEnabledFor(logging.DEBUG)
        self.tick_interval = tick_interval
        self.driver: SchedulerDriver | None = None
        #: The latest status of every task submitted (by the task id given at submit).
        self.statuses = StatusBook()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._results: dict[str, AsyncResult] = {}
        self._wake = threading.Event()
        self._ticker: threading.Thread | None = None
        self._closed = False
        self._templates: list[tuple[int, float]] = []
        # Ops of the core waiting to be sent, and who sends them (one thread at a time, in order).
        self._outbox: list[tuple[str, bytes]] = []
        self._send_lock = threading.Lock()
        self._call_ids = itertools.count(1)
        self._call_prefix = secrets.token_hex(4)

    # -- submitting ------------------------------------------------------------------------------

    def submit(self, task: TaskInfo, result: AsyncResult | None = None) -> AsyncResult:
        """Queues ``task`` (a task id is made up if it has none); returns its result: a
        ``PythonTask``'s return value, or for other tasks their final ``TaskStatus``. Raises the
        task's exception, or a :class:`~satyr.messages.TaskError` when it ended otherwise."""
        if not isinstance(task, TaskInfo):
            raise TypeError(f"submit takes a TaskInfo (or PythonTask), got {type(task).__name__}")
        if not task.has_field("task_id") or not task.task_id.value:
            base = re.sub(r"[^A-Za-z0-9_.-]", "-", str(task.name or "task"))[:64]
            task.task_id = TaskID(value=f"{base}-{uuid.uuid4().hex[:12]}")
        attempts = task.retries if isinstance(task, PythonTask) else None
        result = result if result is not None else AsyncResult(task)
        result.task = task
        with self._lock:
            if self._closed:
                raise SatyrError("the scheduler was stopped; it takes no more tasks")
            # PythonTasks holding more than a core's worth of cpus on one agent run in several
            # executor processes, not behind one GIL.
            executor_cpus = task.executor_cpus if isinstance(task, PythonTask) else None
            task_id = self.core.submit(
                task.to_bytes(), max_attempts=attempts, executor_cpus=executor_cpus
            )
            self._results[task_id] = result
        self._wake.set()
        return result

    def add_template(self, task: PythonTask) -> int:
        """Keeps ``task`` (its settings; ``task_id``, ``name`` and ``data`` are replaced in
        every copy) for :meth:`submit_call`; returns its number."""
        if not isinstance(task, PythonTask):
            raise TypeError(f"a template is a PythonTask, got {type(task).__name__}")
        number = self.core.add_template(task.to_bytes())
        with self._lock:
            self._templates.append((task.retries, task.executor_cpus))
        return number

    def submit_call(
        self, template: int, name: str, data: bytes, result: AsyncResult | None = None
    ) -> AsyncResult:
        """Queues a copy of the task ``template`` (:meth:`add_template`) named ``name`` that
        runs ``data``, a call pickled as ``PythonTask.data`` pickles it (small enough to travel
        inline); returns its result, as :meth:`submit` does. Cheaper than submitting a
        PythonTask: no message proxies, on the way in or for its statuses."""
        if not 0 <= template < len(self._templates):
            raise ValueError(f"no task template number {template}: add_template gives them")
        retries, executor_cpus = self._templates[template]
        call = PoolCall(f"{self._call_prefix}-{next(self._call_ids)}", name, retries)
        result = result if result is not None else AsyncResult(call)
        result.task = call
        with self._lock:
            if self._closed:
                raise SatyrError("the scheduler was stopped; it takes no more tasks")
            # Positional: keywords cost a parse per call.
            self.core.submit_call(template, call.task_id, name, data, retries, executor_cpus)
            self._results[call.task_id] = result
        if not self._wake.is_set():  # a burst wakes the tick thread once, not per call
            self._wake.set()
        return result

    def kill(self, task: TaskInfo | TaskID | PoolCall | str) -> None:
        """Kills a queued or running task; its result raises
        :class:`~satyr.messages.TaskKilledError`."""
        if isinstance(task, TaskInfo):
            task_id = str(task.task_id.value)
        elif isinstance(task, PoolCall):
            task_id = task.task_id
        elif isinstance(task, TaskID):
            task_id = str(task.value)
        else:
            task_id = task
        self._feed(self.core.kill, task_id)

    # -- waiting and reporting -------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> bool:
        """Waits until every submitted task has ended; False after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while self._results:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def is_idle(self) -> bool:
        """True when no submitted task is waiting or running."""
        with self._lock:
            return not self._results

    def report(self) -> str:
        """One line on the queue: live tasks by state, ended ones by outcome, totals."""
        with self._lock:
            live = self.core.counts()
            stats = self.core.stats()
            waiting, held = self.core.waiting, self.core.held_offers
        live_text = ", ".join(f"{n} {s}" for s, n in sorted(live.items())) or "none"
        ended = ", ".join(
            f"{stats[k]} {k}"
            for k in ("finished", "exception", "failed", "killed", "error")
            if stats.get(k)
        )
        return (
            f"live: {live_text}; ended: {ended or 'none'}; submitted {stats.get('submitted', 0)}, "
            f"launches {stats.get('launches', 0)}, retries {stats.get('retries', 0)}; "
            f"{waiting} waiting for offers, {held} offers held"
        )

    # -- feeding the core ------------------------------------------------------------------------

    def _feed(
        self,
        fn: Callable[..., Any],
        *args: Any,
        status: TaskStatus | None = None,
        raw: tuple[str, bytes, bytes | None] | None = None,
    ) -> None:
        """Runs one core input, sends its ops in order, then resolves what ended. ``status``
        is the status the input carried, or ``raw`` its digest (``core.update_digest``)."""
        done: list[tuple[AsyncResult, Any, BaseException | None]] = []
        with self._lock:
            out = fn(*args)
            if out is None:
                return
            self._take(out, done, status, raw, None)
        self._finish(done)

    def _take(
        self,
        out: tuple[list[tuple[str, bytes]], list[tuple[str, str, str | None, bool]]],
        done: list[tuple[AsyncResult, Any, BaseException | None]],
        status: TaskStatus | None,
        raw: tuple[str, bytes, bytes | None] | None,
        raws: Mapping[str, tuple[str, bytes, bytes | None]] | None,
    ) -> None:
        """Queues a core output's ops and collects the results it ends into ``done`` (under
        the queue's lock). ``raws`` maps task ids to the digests of the statuses an input of
        several carried."""
        ops, outcomes = out
        self._outbox.extend(ops)
        debug = log.isEnabledFor(logging.DEBUG)
        results = self._results
        for outcome in outcomes:
            kind = outcome[1]
            if kind == "launched" and not debug:
                continue  # one per task placed; only ever logged
            if raws is not None:
                raw = raws.get(outcome[0])
                if kind == "finished" and raw is not None and raw[2] is not None:
                    # The common end of a pool call: its result inline (see _outcome).
                    result = results.pop(outcome[0], None)
                    if result is not None:
                        try:
                            done.append((result, pickle.loads(raw[2]), None))
                        except Exception as e:
                            done.append((result, None, e))
                    continue
            resolved = self._outcome(outcome, status, raw)
            if resolved is not None:
                done.append(resolved)
        if done:
            self._changed.notify_all()

    def _finish(self, done: list[tuple[AsyncResult, Any, BaseException | None]]) -> None:
        """Sends the ops queued, then resolves ``done`` (not under the queue's lock)."""
        if self._outbox:  # also ops an earlier input left when it raised
            self._flush()
        for result, value, exc in done:
            result._resolve(value, exc)

    def _flush(self) -> None:
        """Sends the ops queued so far, in the order the core made them. Not under the queue's
        lock: a call to the master takes a round trip, and submitting must not wait for it."""
        with self._send_lock:
            while True:
                with self._lock:
                    ops, self._outbox = self._outbox, []
                if not ops:
                    return
                self._send(ops)

    def _send(self, ops: list[tuple[str, bytes]]) -> None:
        driver = self.driver
        for name, data in ops:
            if driver is None:
                return
            try:
                driver.send_call(data)
            except SatyrError as e:
                log.warning("sending %s failed: %s", name, e)
                if name == "ACCEPT":
                    call = _satyr.decode("mesos.v1.scheduler.Call", data)
                    ids = [o["value"] for o in call.get("accept", {}).get("offer_ids", [])]
                    more, outcomes = self.core.launch_failed(ids)
                    self._send(more)
                    for outcome in outcomes:
                        log.debug("after a failed ACCEPT: %s", outcome)

    def _outcome(
        self,
        outcome: tuple[str, str, str | None, bool],
        status: TaskStatus | None,
        raw: tuple[str, bytes, bytes | None] | None = None,
    ) -> tuple[AsyncResult, Any, BaseException | None] | None:
        task_id, kind, detail, _ = outcome
        if not task_id:
            log.error("queue scheduler: %s: %s", kind, detail)
            return None
        if kind == "launched":
            log.debug("task %s launched on %s", task_id, detail)
            return None
        if kind == "update":
            return None
        result = self._results.get(task_id)
        if result is None:
            return None
        task = result.task
        if kind == "retry":
            log.info("task %s: %s", task_id, detail)
            if isinstance(task, PythonTask | PoolCall):
                task.attempt += 1
            return None
        del self._results[task_id]
        if raw is not None and raw[0] == task_id:
            if kind == "finished" and raw[2] is not None:
                try:  # a result inline: no status proxy needed
                    return result, pickle.loads(raw[2]), None
                except Exception as e:
                    return result, None, e
            status = TaskStatus.from_bytes(raw[1])
        if status is not None and _base_id(str(status.task_id.value)) != task_id:
            status = None
        if kind == "finished":
            if isinstance(task, PythonTask | PoolCall):
                return _settle(task, status, result)
            return result, status, None
        if kind == "error":
            return result, None, UnschedulableError(f"task {task_id}: {detail}", status)
        if isinstance(task, PythonTask | PoolCall) and status is not None:
            return _settle(task, status, result)
        if kind == "killed":
            exc: BaseException = TaskKilledError(f"task {task_id} was killed: {detail}", status)
        elif status is not None:
            exc = task_error(status)
        else:
            exc = TaskError(f"task {task_id} {kind}: {detail}", status)
        return result, None, exc

    # -- the Scheduler interface -----------------------------------------------------------------

    def on_registered(
        self, driver: SchedulerDriver, framework_id: FrameworkID, master: MasterInfo
    ) -> None:
        self._subscribed(driver)

    def on_reregistered(
        self, driver: SchedulerDriver, framework_id: FrameworkID, master: MasterInfo
    ) -> None:
        self._subscribed(driver)

    def _subscribed(self, driver: SchedulerDriver) -> None:
        self.driver = driver
        self._feed(self.core.subscribed)
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick_loop, name="satyr-queue", daemon=True)
            self._ticker.start()

    def on_disconnected(self, driver: SchedulerDriver) -> None:
        with self._lock:
            self.core.disconnected()

    def _pace(self, driver: SchedulerDriver) -> None:
        """Paces the event stream while many tasks are unfinished (see ``_BURST_TASKS``)."""
        pace = _BURST_PACE if len(self._results) >= _BURST_TASKS else 0.0
        if driver.event_pace != pace:
            driver.event_pace = pace

    def _raw_updates(self, driver: SchedulerDriver, events: list[bytes]) -> bool:
        """Takes a burst of UPDATE events as one core input when every one settles a template
        call from its bytes (``_raw_event``'s lean case): each decoded once, in the core.
        False, having done nothing, when one needs more (a proxy, a result fetched from a
        sandbox) or a subclass overrides ``on_update``: the driver then hands them over one
        by one."""
        if type(self).on_update is not QueueScheduler.on_update:
            return False
        done: list[tuple[AsyncResult, Any, BaseException | None]] = []
        try:
            with self._lock:
                out = self.core.settle_updates(events)
                if out is None:
                    return False
                ops, outcomes, digests = out
                raws: dict[str, tuple[str, bytes, bytes | None]] = {}
                put = self.statuses._put
                for digest in digests:
                    raws[digest[0]] = digest
                    put(digest[0], digest[1])
                self._take((ops, outcomes), done, None, None, raws)
            self._finish(done)
        finally:
            self._pace(driver)
        return True

    def _raw_event(self, driver: SchedulerDriver, name: str, data: bytes) -> bool:
        """Takes an OFFERS or UPDATE event to the core encoded as it came, when no subclass
        overrides the callback: no proxy for every offer, no re-encoding of every status."""
        try:
            return self._take_raw_event(name, data)
        finally:
            self._pace(driver)

    def _take_raw_event(self, name: str, data: bytes) -> bool:
        cls = type(self)
        if name == "OFFERS" and cls.on_offers is QueueScheduler.on_offers:
            self._feed(self.core.event, data)
            return True
        if name == "UPDATE" and cls.on_update is QueueScheduler.on_update:
            digest = self.core.update_digest(data)
            if digest is not None:
                task_id, state, status_bytes, inline = digest
                with self._lock:
                    result = self._results.get(task_id)
                    lean = result is not None and isinstance(result.task, PoolCall)
                    if lean:
                        self.statuses._put(task_id, status_bytes)
                if lean and (inline is not None or state != "TASK_FINISHED"):
                    self._feed(self.core.event, data, raw=(task_id, status_bytes, inline))
                    return True
                if lean:  # a result out of band: fetched here, not under the lock
                    status = TaskStatus.from_bytes(status_bytes)
                    try:
                        if isinstance(status, PythonTaskStatus):
                            status.fetch()
                    except Exception:
                        log.exception("task %s: fetching its result failed", task_id)
                    with self._lock:
                        self.statuses._put(task_id, status)
                    self._feed(self.core.event, data, status=status)
                    return True
            status = SchedulerEvent.from_bytes(data).update.status
            self._take_update(status, self.core.event, data)
            return True
        return False

    def on_offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        """Packs queued tasks into ``offers`` and answers every one of them (launch or
        decline); a subclass may handle some offers itself and pass the rest here."""
        if offers:
            self._feed(self.core.offers, [o.to_bytes() for o in offers])

    def on_rescinded(self, driver: SchedulerDriver, offer_id: OfferID) -> None:
        self._feed(self.core.rescind, str(offer_id.value))

    def on_update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        """Records the status, hands it to its task (``task.update(status)``, or the task's
        ``on_update``), then to the core, which resolves or retries the task."""
        self._take_update(status, self.core.update, status.to_bytes())

    def _take_update(self, status: TaskStatus, feed: Callable[..., Any], data: bytes) -> None:
        task_id = _base_id(str(status.task_id.value))
        with self._lock:
            result = self._results.get(task_id)
            if result is not None:
                self.statuses._put(task_id, status)
        task = result.task if result is not None else None
        try:
            if isinstance(task, PythonTask):
                task.update(status)  # also fetches a result that travelled out of band
            elif isinstance(task, PoolCall):
                if isinstance(status, PythonTaskStatus):
                    status.fetch()  # here, not under the lock
            elif task is not None and callable(getattr(type(task), "on_update", None)):
                task.on_update(status)
        except Exception:
            log.exception("task %s: handling its status raised", task_id)
        self._feed(feed, data, status=status)

    def on_executor_lost(
        self,
        driver: SchedulerDriver,
        executor_id: ExecutorID,
        agent_id: AgentID,
        status: int | None,
    ) -> None:
        with self._lock:
            self.core.executor_lost(str(agent_id.value), str(executor_id.value))

    def on_failure(self, driver: SchedulerDriver, error: SatyrError) -> None:
        """The framework stopped for good: every unfinished task fails with ``error``."""
        with self._lock:
            self._closed = True
            pending, self._results = self._results, {}
            self._changed.notify_all()
        for result in pending.values():
            result._resolve(None, error)
        self._wake.set()

    # -- time ------------------------------------------------------------------------------------

    def _tick_loop(self) -> None:
        while True:
            self._wake.wait(self.tick_interval)
            self._wake.clear()
            driver = self.driver
            if self._closed or driver is None or driver.state == "STOPPED":
                return
            if not driver.connected:
                continue
            self.core.report_launches = log.isEnabledFor(logging.DEBUG)
            try:
                self._feed(self.core.tick)
            except Exception:
                log.exception("queue scheduler tick failed")


def _base_id(task_id: str) -> str:
    """The submitted id of an attempt's id (``<id>.retry<n>``)."""
    match = _RETRY_SUFFIX.match(task_id)
    return match.group(1) if match else task_id


def _settle(
    task: PythonTask | PoolCall, status: TaskStatus | None, result: AsyncResult
) -> tuple[AsyncResult, Any, BaseException | None]:
    if status is None:
        task_id = task.task_id if isinstance(task, PoolCall) else task.task_id.value
        return result, None, TaskError(f"task {task_id} ended without a status")
    try:
        return result, task.outcome(status), None
    except Exception as e:
        return result, None, e
