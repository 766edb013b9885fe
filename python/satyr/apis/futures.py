"""``concurrent.futures`` on Mesos: :class:`MesosPoolExecutor` runs each call as a Mesos task
(a :class:`~satyr.messages.PythonTask`) and returns standard ``concurrent.futures.Future``\\ s
(of a subclass that makes its condition only when a thread waits: see ``_future``)::

    with MesosPoolExecutor(name='futures-pool') as executor:
        future = executor.submit(mul, 3, 5)            # or submit(mul, args=[3, 5])
        assert future.result(timeout=60) == 15
        assert list(executor.map(mul, range(4), range(4))) == [0, 1, 4, 9]
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from satyr.apis._future import LazyFuture
from satyr.apis._progress import Progress
from satyr.apis._runner import TASK_OPTIONS, Framework, check_options, chunks, run_chunk
from satyr.apis._worker import InitializerError
from satyr.apis._workers import Cancelled, WorkerLostError
from satyr.results import AsyncResult, ResultTimeoutError

__all__ = ["TASK_OPTIONS", "InitializerError", "MesosPoolExecutor", "WorkerLostError"]

log = logging.getLogger("satyr.futures")


class FutureResult(AsyncResult):
    """The outcome of one call, kept in its stdlib Future: what the pool and the scheduler
    resolve for a :class:`MesosPoolExecutor` call. Lighter than an AsyncResult settling a
    Future from a done callback (a pool makes one per call): no lock or list of its own.

    Resolving twice at once (the scheduler and a stopping pool) is harmless: the Future takes
    the first outcome, and the done callbacks (the pool's bookkeeping) may run twice, so they
    must be idempotent."""

    __slots__ = ("future",)

    def __init__(self, future: concurrent.futures.Future[Any]) -> None:
        # AsyncResult's lock and list are left unset: every method using them is overridden.
        self.future = future
        self.task = None
        self._ready = False
        self._value = None
        self._exception = None
        self._done_callbacks = []

    def __repr__(self) -> str:
        return f"<FutureResult {self.future!r} {getattr(self.task, 'name', '')!s}>"

    def ready(self) -> bool:
        return self.future.done()

    def successful(self) -> bool:
        if not self.future.done():
            raise ValueError(f"{self!r} not ready")
        return not self.future.cancelled() and self.future.exception() is None

    def wait(self, timeout: float | None = None) -> bool:
        done, _ = concurrent.futures.wait([self.future], timeout)
        return bool(done)

    def get(self, timeout: float | None = None) -> Any:
        try:
            return self.future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise ResultTimeoutError(f"no result within {timeout} s") from None

    def exception(self, timeout: float | None = None) -> BaseException | None:
        try:
            return self.future.exception(timeout)
        except concurrent.futures.TimeoutError:
            raise ResultTimeoutError(f"no result within {timeout} s") from None

    def add_done_callback(self, fn: Callable[[AsyncResult], object]) -> None:
        self._done_callbacks.append(fn)
        if self._ready:  # resolved meanwhile: it may then run twice, never not at all
            fn(self)

    def _resolve(self, value: Any = None, exception: BaseException | None = None) -> bool:
        if self._ready:
            return False
        self._ready = True
        self._value, self._exception = value, exception
        future = self.future
        try:
            if exception is None:
                future.set_result(value)
            elif future.done():
                pass
            elif not isinstance(exception, Cancelled | concurrent.futures.CancelledError) or (
                future.running()
            ):
                # A call that failed before it ran (its workers cannot start, it fits no
                # agent) fails, as the stdlib fails pending calls of a broken pool.
                future.set_exception(exception)
            elif not future.cancelled():
                future.cancel()
                future.set_running_or_notify_cancel()
        except concurrent.futures.InvalidStateError:
            pass  # the caller cancelled it meanwhile
        for fn in self._done_callbacks:
            try:
                fn(self)
            except Exception:
                log.exception("done callback of %r raised", self)
        return True


class MesosPoolExecutor(concurrent.futures.Executor):
    """A ``concurrent.futures.Executor`` whose calls run as tasks on a Mesos cluster.

    The framework ``name`` registers with ``master`` (default: ``MESOS_MASTER``) at
    construction. ``max_workers`` bounds the tasks in flight (None: as many as the cluster
    offers room for); more calls wait here in order. Task options given here (``resources``,
    ``envs``, ``uris``, ``docker``, ``force_pull``, ``retries``, ``command``,
    ``executor_resources``, ``idle_timeout``; see :class:`~satyr.messages.PythonTask`) are the
    defaults of every call; ``scheduler_options`` go to
    :class:`~satyr.scheduler.QueueScheduler`, other keywords to
    :class:`~satyr.scheduler.Running` (``role``, ``principal``, ...).

    ``mode='workers'`` (default): calls run on ``max_workers`` (None: the CPU count)
    long-running worker tasks that take calls over an authenticated connection to this process
    and leave after ``worker_idle_timeout`` seconds without work; a call that sets its own task
    options still runs as its own task. ``mode='tasks'``: every call is its own Mesos task.
    ``initializer(*initargs)`` runs once in each process running calls, before its first call;
    if it raises, the calls waiting for a worker fail with :class:`InitializerError`.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        name: str = "satyr-futures",
        master: str | None = None,
        scheduler_options: Mapping[str, Any] | None = None,
        framework_options: Mapping[str, Any] | None = None,
        mode: str = "workers",
        worker_idle_timeout: float = 60.0,
        initializer: Callable[..., object] | None = None,
        initargs: Sequence[Any] = (),
        **task_options: Any,
    ) -> None:
        check_options(task_options, "MesosPoolExecutor()")
        self._framework = Framework(
            max_workers,
            name,
            master,
            task_options,
            scheduler_options,
            dict(framework_options or {}),
            mode,
            worker_idle_timeout,
            initializer,
            initargs,
        )
        self._shutdown = False
        self._shutdown_lock = threading.Lock()

    @property
    def scheduler(self) -> Any:
        """The :class:`~satyr.scheduler.QueueScheduler` running the calls."""
        return self._framework.scheduler

    @property
    def _max_workers(self) -> int | None:
        # The stdlib executors' attribute: dask sizes its batches of calls by it.
        return self._framework.limit

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Any]:
        """Runs ``fn(*args, **kwargs)`` as a task; returns its Future.

        Keywords that name task options (``resources``, ``name``, ``envs``, ...) set this call's
        task; ``args=[...]`` and ``kwargs={...}`` give the call's arguments (the README's form).
        Any other keyword is a ``TypeError``: pass the function's keyword arguments as
        ``kwargs={...}``."""
        if not kwargs:  # the common call: no task options, no README-style arguments
            return self._send(fn, args, {}, kwargs)
        call_args = kwargs.pop("args", None)
        call_kwargs = kwargs.pop("kwargs", None)
        check_options(kwargs, "submit()")
        if call_args is not None:
            if args:
                raise TypeError("give the call's arguments positionally or as args=[...], not both")
            args = tuple(call_args)
        return self._send(fn, args, dict(call_kwargs or {}), kwargs)

    def _send(
        self,
        fn: Callable[..., Any],
        args: Any,
        kwargs: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> concurrent.futures.Future[Any]:
        future = LazyFuture()
        result = FutureResult(future)
        with self._shutdown_lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._framework.call(
                fn, args, kwargs, options, result, future.set_running_or_notify_cancel
            )
        return future

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
        progress: bool = False,
        **options: Any,
    ) -> Iterator[Any]:
        """``map(fn, *iterables)``: every call is submitted now (``chunksize`` calls per task),
        results come in order; ``concurrent.futures.TimeoutError`` when a result is not there
        ``timeout`` seconds after this call. ``options`` set the tasks (``resources``, ...).
        ``progress=True`` shows a tqdm bar of the calls ended (``ImportError`` without tqdm)."""
        check_options(options, "map()")
        end = None if timeout is None else time.monotonic() + timeout
        parts = chunks(zip(*iterables, strict=False), chunksize)
        bar = Progress("map") if progress else None
        try:
            futures = [
                self._send(run_chunk, (fn, chunk, True), {}, options)
                for chunk in (bar.counted(parts) if bar else parts)
            ]
        except BaseException:
            if bar:
                bar.close()
            raise
        if bar:
            bar.track(futures)

        def results() -> Iterator[Any]:
            try:
                futures.reverse()  # pop from the end, as the stdlib does
                while futures:
                    left = None if end is None else end - time.monotonic()
                    chunk = futures[-1].result(left)
                    futures.pop()
                    yield from chunk
            finally:
                for future in futures:
                    future.cancel()

        return results()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new calls; with ``cancel_futures`` calls not yet sent are cancelled; with
        ``wait`` returns once every call ended and the framework stopped (otherwise it stops
        in the background once they end)."""
        with self._shutdown_lock:
            already = self._shutdown
            self._shutdown = True
        if cancel_futures:
            for result in self._framework.cancel_waiting():
                result._resolve(None, concurrent.futures.CancelledError())
        if already and not wait:
            return
        if wait:
            self._finish()
        else:
            threading.Thread(
                target=self._finish, name="satyr-futures-shutdown", daemon=True
            ).start()

    _stopped = False

    def _finish(self) -> None:
        self._framework.wait()
        with self._shutdown_lock:
            if self._stopped:
                return
            self._stopped = True
        self._framework.stop()
