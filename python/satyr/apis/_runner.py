"""What the pools share: a framework running a :class:`~satyr.scheduler.QueueScheduler`, task
options, a bound on tasks in flight, and chunks of calls run as one task."""

from __future__ import annotations

import collections
import functools
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from satyr.apis._pickling import dumps_call
from satyr.apis._worker import serve
from satyr.apis._workers import Cancelled, Workers
from satyr.messages import PythonTask, payload_threshold
from satyr.proxies.messages import Resource
from satyr.results import AsyncResult
from satyr.scheduler import QueueScheduler, Running

#: Keyword arguments of ``submit``/``map``/``apply_async`` that set the task, not the call.
TASK_OPTIONS = frozenset(
    {
        "resources",
        "name",
        "envs",
        "uris",
        "docker",
        "force_pull",
        "retries",
        "command",
        "executor_resources",
        "idle_timeout",
    }
)
#: How pools run calls: on long-running worker tasks (default) or each as its own task.
MODES = ("workers", "tasks")


def check_options(options: Mapping[str, Any], where: str) -> None:
    """TypeError for a keyword that is not a task option, saying how to pass the function's own
    keyword arguments."""
    unknown = sorted(set(options) - TASK_OPTIONS)
    if unknown:
        raise TypeError(
            f"{where} got unknown task option(s) {', '.join(map(repr, unknown))}; task options "
            f"are {', '.join(sorted(TASK_OPTIONS))}. Pass the function's own keyword arguments "
            "as kwargs={...} (or bind them with functools.partial)"
        )


def run_chunk(fn: Callable[..., Any], items: Sequence[Any], star: bool) -> list[Any]:
    """Runs ``fn`` over a chunk of argument tuples (``star``) or single arguments, in a task."""
    if star:
        return [fn(*item) for item in items]
    return [fn(item) for item in items]


_initialized: set[str] = set()
_initialized_lock = threading.Lock()


def run_initialized(
    key: str,
    initializer: Callable[..., object],
    initargs: Sequence[Any],
    fn: Callable[..., Any],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> Any:
    """Runs ``fn(*args, **kwargs)`` in a task, after ``initializer(*initargs)`` if this process
    has not run the initializer of the framework ``key`` yet."""
    with _initialized_lock:
        if key not in _initialized:
            initializer(*initargs)
            _initialized.add(key)
    return fn(*args, **kwargs)


def noop() -> None:
    """The call of a pool's template task (replaced in every copy)."""


def chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to ``size`` items, in order."""
    if size < 1:
        raise ValueError(f"chunksize must be >= 1, got {size}")
    chunk: list[Any] = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Framework:
    """A started framework running a QueueScheduler, with at most ``limit`` tasks in flight
    (None: no limit); further tasks wait here, in order, until one ends.

    In ``mode='workers'`` calls (see :meth:`call`) run on ``limit`` (None: the CPU count)
    long-running worker tasks (:mod:`satyr.apis._workers`) that leave after
    ``worker_idle_timeout`` seconds without work; calls that set task options still run as
    their own tasks. ``initializer(*initargs)`` runs once in each process that runs calls (each
    worker before its first call; in ``mode='tasks'`` before the first call of this framework in
    each executor process)."""

    def __init__(
        self,
        limit: int | None,
        name: str,
        master: str | None,
        defaults: Mapping[str, Any],
        scheduler_options: Mapping[str, Any] | None,
        framework_options: Mapping[str, Any],
        mode: str = "workers",
        worker_idle_timeout: float = 60.0,
        initializer: Callable[..., object] | None = None,
        initargs: Sequence[Any] = (),
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
        if limit is not None and limit < 1:
            raise ValueError(f"the number of workers must be >= 1, got {limit}")
        check_options(defaults, "the pool")
        retries = defaults.get("retries", 3)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            raise ValueError(f"retries is the number of attempts, at least 1; got {retries!r}")
        if initializer is not None and not callable(initializer):
            raise TypeError(f"initializer must be callable, got {type(initializer).__name__}")
        # One key per framework: a warm executor shared by two pools runs each one's initializer.
        self._init = (secrets.token_hex(8), initializer, tuple(initargs)) if initializer else None
        self._template_number: int | None = None
        #: SATYR_PAYLOAD_THRESHOLD, read once: reading the environment costs more than
        #: pickling a small call.
        self._threshold = payload_threshold()
        self.limit = limit
        self.defaults = dict(defaults)
        self.scheduler = QueueScheduler(**dict(scheduler_options or {}))
        self.running = Running(self.scheduler, name=name, master=master, **framework_options)
        self._lock = threading.Lock()
        self._waiting: collections.deque[
            tuple[Callable[[AsyncResult], object], AsyncResult, Callable[[], bool] | None]
        ] = collections.deque()
        self._sent: set[AsyncResult] = set()
        self._outstanding: set[AsyncResult] = set()
        self._idle = threading.Condition(self._lock)
        self._ended_callback = self._ended  # bound once, not once per call
        self.running.start()
        self.workers: Workers | None = None
        if mode == "workers":
            self.workers = Workers(
                limit or os.cpu_count() or 1,
                self._start_worker,
                master,
                worker_idle_timeout,
                retries=retries,
                initializer=initializer,
                initargs=tuple(initargs),
            )

    def _start_worker(self, fn: Callable[..., Any], args: Sequence[Any]) -> AsyncResult:
        task = self.task(fn, args, {}, {"name": "satyr-worker"})
        task.executor_cpus = 0.0  # an executor process of its own: workers must not share a GIL
        return self.scheduler.submit(task, AsyncResult(task))

    def call(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        options: Mapping[str, Any],
        result: AsyncResult,
        starting: Callable[[], bool] | None = None,
    ) -> AsyncResult:
        """Runs ``fn(*args, **kwargs)`` on a worker, or as its own task when there are no
        workers or ``options`` set the task; ``result`` resolves with its outcome."""
        if self.workers is None or options:
            if not options and self._init is None:
                data = dumps_call(fn, args, kwargs)
                if len(data) <= self._threshold:
                    name = getattr(fn, "__name__", None) or "python-task"
                    return self._submit_call(name, data, result, starting)
            task = self.task(fn, args, kwargs, options)
            result.task = task
            return self.submit(task, result, starting)
        result.add_done_callback(self._ended_callback)
        with self._lock:
            self._outstanding.add(result)
        try:
            return self.workers.submit(fn, args, kwargs, result, starting)
        except Exception as e:
            result._resolve(None, e)
            return result

    def task(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> PythonTask:
        """A PythonTask for ``fn(*args, **kwargs)`` with the pool's defaults and ``options``."""
        merged = {**self.defaults, **options}
        resources = merged.pop("resources", None)
        if resources is not None:
            resources = [r if isinstance(r, Resource) else Resource(**r) for r in resources]
        if self._init is not None and fn is not serve:
            args, kwargs = (*self._init, fn, tuple(args), dict(kwargs)), {}
            fn = run_initialized
        return PythonTask(fn, tuple(args), dict(kwargs), resources=resources, **merged)

    def _template(self) -> int:
        """The scheduler's template of a call with the pool's defaults only (a copy costs far
        less than building a PythonTask from its settings)."""
        if self._template_number is None:
            template = self.task(noop, (), {}, {"name": "python-task"})
            template.clear_field("data")
            self._template_number = self.scheduler.add_template(template)
        return self._template_number

    def submit(
        self,
        task: PythonTask,
        result: AsyncResult,
        starting: Callable[[], bool] | None = None,
    ) -> AsyncResult:
        """Sends ``task`` now, or once a slot frees; ``result`` resolves when it ends. When it
        is about to be sent, ``starting()`` returning False drops it (it was cancelled)."""
        return self._submit(functools.partial(self.scheduler.submit, task), result, starting)

    def _submit(
        self,
        send: Callable[[AsyncResult], object],
        result: AsyncResult,
        starting: Callable[[], bool] | None,
    ) -> AsyncResult:
        """``send(result)`` now, or once a slot frees (see :meth:`submit`)."""
        result.add_done_callback(self._ended_callback)
        with self._lock:
            self._outstanding.add(result)
            if self.limit is not None and len(self._sent) >= self.limit:
                self._waiting.append((send, result, starting))
                return result
            self._sent.add(result)
        self._start(send, result, starting)
        return result

    def _submit_call(
        self,
        name: str,
        data: bytes,
        result: AsyncResult,
        starting: Callable[[], bool] | None,
    ) -> AsyncResult:
        """:meth:`_submit` of a copy of the pool's template running the pickled call ``data``:
        the same steps, without the partial function a waiting call needs (most do not)."""
        template = self._template_number
        if template is None:
            template = self._template()
        result.add_done_callback(self._ended_callback)
        with self._lock:
            self._outstanding.add(result)
            if self.limit is not None and len(self._sent) >= self.limit:
                send = functools.partial(self.scheduler.submit_call, template, name, data)
                self._waiting.append((send, result, starting))
                return result
            self._sent.add(result)
        if starting is not None and not starting():
            result._resolve(None, Cancelled("the call was cancelled"))
            return result
        try:
            self.scheduler.submit_call(template, name, data, result)
        except Exception as e:
            result._resolve(None, e)
        return result

    def _start(
        self,
        send: Callable[[AsyncResult], object],
        result: AsyncResult,
        starting: Callable[[], bool] | None,
    ) -> None:
        if starting is not None and not starting():
            result._resolve(None, Cancelled("the call was cancelled"))
            return
        try:
            send(result)
        except Exception as e:
            result._resolve(None, e)

    def _ended(self, result: AsyncResult) -> None:
        nxt = None
        with self._lock:
            self._outstanding.discard(result)
            if result in self._sent:
                self._sent.discard(result)
                if self._waiting:
                    nxt = self._waiting.popleft()
                    self._sent.add(nxt[1])
            if not self._outstanding:
                self._idle.notify_all()
        if nxt is not None:
            self._start(*nxt)

    def cancel_waiting(self) -> list[AsyncResult]:
        """Drops the tasks that wait for a slot; returns their results (unresolved)."""
        calls = self.workers.cancel_waiting() if self.workers is not None else []
        with self._lock:
            waiting, self._waiting = list(self._waiting), collections.deque()
            results = [result for _, result, _ in waiting] + calls
            for result in results:
                self._outstanding.discard(result)
            if not self._outstanding:
                self._idle.notify_all()
        return results

    def kill_all(self) -> None:
        """Drops waiting tasks and kills every task sent."""
        for result in self.cancel_waiting():
            result._resolve(None, Cancelled("the pool was terminated"))
        if self.workers is not None:
            self.workers.stop(Cancelled("the pool was terminated"))
        with self._lock:
            sent = list(self._sent)
        for result in sent:
            try:
                self.scheduler.kill(result.task)
            except KeyError:
                pass  # it ended meanwhile

    def wait(self, timeout: float | None = None) -> bool:
        """Waits until every task submitted here has ended."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._outstanding, timeout)

    def stop(self) -> None:
        """Stops the framework; results still outstanding fail with :class:`Cancelled`
        (Mesos ends their tasks with the framework)."""
        if self.workers is not None:
            self.workers.stop()
            for task in self.workers.tasks():
                task.wait(10)  # told to stop: their tasks finish
        self.running.stop()
        self.running.join(30)
        with self._lock:
            left = list(self._outstanding)
        for result in left:
            result._resolve(None, Cancelled("the pool was stopped before the call ended"))
