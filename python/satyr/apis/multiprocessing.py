"""``multiprocessing.Pool`` on Mesos: :class:`Pool` runs calls as Mesos tasks with the
standard pool's methods::

    with Pool(name='satyr-pool') as pool:
        res = pool.apply_async(mul, [2, 3])
        print(pool.map(abs, [-1, -2]), res.get(timeout=60))
"""

from __future__ import annotations

import functools
import queue
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from satyr.apis._progress import Progress
from satyr.apis._runner import Framework, check_options, chunks, run_chunk
from satyr.apis._worker import InitializerError
from satyr.apis._workers import WorkerLostError
from satyr.results import AsyncResult

__all__ = ["AsyncResult", "InitializerError", "Pool", "WorkerLostError"]


class _Gathered(AsyncResult):
    """The list of results of several chunk tasks, in order; fails with the first error."""

    def __init__(
        self,
        parts: int,
        callback: Callable[[Any], object] | None,
        error_callback: Callable[[BaseException], object] | None,
    ) -> None:
        super().__init__(None, callback, error_callback)
        self._parts: list[list[Any] | None] = [None] * parts
        self._left = parts
        self._part_lock = threading.Lock()
        if parts == 0:
            self._resolve([])

    def part_done(self, index: int, part: AsyncResult) -> None:
        exc = part.exception(0)
        if exc is not None:
            self._resolve(None, exc)
            return
        with self._part_lock:
            self._parts[index] = part.get(0)
            self._left -= 1
            last = self._left == 0
        if last:
            self._resolve([x for chunk in self._parts for x in chunk or ()])


class Pool:
    """A ``multiprocessing.pool.Pool`` whose workers are Mesos tasks.

    ``processes`` bounds the tasks in flight (None: as many as the cluster has room for). Task
    options given here (``resources``, ``envs``, ``uris``, ``docker``, ...; see
    :class:`~satyr.messages.PythonTask`) are every call's defaults, and each method takes them
    as keywords for its own calls. ``mode='workers'`` (default): calls run on ``processes``
    (None: the CPU count) long-running worker tasks, which leave after ``worker_idle_timeout``
    seconds without work; calls with their own task options, and every call in
    ``mode='tasks'``, run as their own Mesos tasks. the many-call methods (``map``, ``starmap``,
    ``imap``, ... and their async forms) also take ``progress=True`` for a tqdm bar of the calls
    ended. ``initializer(*initargs)`` runs once in each process running calls, before its first
    call (each worker task; in ``mode='tasks'``, each executor process); if it raises, the calls
    waiting for a worker fail with :class:`InitializerError` instead of waiting for ever.
    Leaving the ``with`` block terminates the pool, as the standard library does: call
    :meth:`wait` (or ``close(); join()``) first to let work finish.
    """

    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable[..., object] | None = None,
        initargs: Sequence[Any] = (),
        *,
        name: str = "satyr-pool",
        master: str | None = None,
        scheduler_options: Mapping[str, Any] | None = None,
        framework_options: Mapping[str, Any] | None = None,
        mode: str = "workers",
        worker_idle_timeout: float = 60.0,
        **task_options: Any,
    ) -> None:
        check_options(task_options, "Pool()")
        self._framework = Framework(
            processes,
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
        self._state = "RUN"
        self._stopped = False

    @property
    def scheduler(self) -> Any:
        """The :class:`~satyr.scheduler.QueueScheduler` running the calls."""
        return self._framework.scheduler

    def _check_running(self) -> None:
        if self._state != "RUN":
            raise ValueError("Pool not running")

    def _chunk_tasks(
        self,
        func: Callable[..., Any],
        items: Iterable[Any],
        chunksize: int | None,
        star: bool,
        options: Mapping[str, Any],
    ) -> list[AsyncResult]:
        options = dict(options)
        progress = options.pop("progress", False)
        check_options(options, "the pool method")
        self._check_running()
        items = list(items)
        if chunksize is None:
            chunksize = max(1, len(items) // 16)
        parts = chunks(items, chunksize)
        bar = Progress("map") if progress else None
        results = []
        for chunk in bar.counted(parts) if bar else parts:
            results.append(
                self._framework.call(run_chunk, (func, chunk, star), {}, options, AsyncResult())
            )
        if bar:
            bar.track(results)
        return results

    # -- one call --------------------------------------------------------------------------------

    def apply_async(
        self,
        func: Callable[..., Any],
        args: Sequence[Any] = (),
        kwds: Mapping[str, Any] | None = None,
        callback: Callable[[Any], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
        **options: Any,
    ) -> AsyncResult:
        """Runs ``func(*args, **kwds)`` as a task; ``options`` set the task (``resources``,
        ...)."""
        check_options(options, "apply_async()")
        self._check_running()
        result = AsyncResult(None, callback, error_callback)
        return self._framework.call(func, args, dict(kwds or {}), options, result)

    def apply(
        self,
        func: Callable[..., Any],
        args: Sequence[Any] = (),
        kwds: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Any:
        """``apply_async(...).get()``."""
        return self.apply_async(func, args, kwds, **options).get()

    # -- many calls ------------------------------------------------------------------------------

    def map_async(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Any],
        chunksize: int | None = None,
        callback: Callable[[Any], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
        **options: Any,
    ) -> AsyncResult:
        """An AsyncResult of ``[func(x) for x in iterable]``, ``chunksize`` items per task."""
        return self._gather(func, iterable, chunksize, False, callback, error_callback, options)

    def starmap_async(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Sequence[Any]],
        chunksize: int | None = None,
        callback: Callable[[Any], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
        **options: Any,
    ) -> AsyncResult:
        """An AsyncResult of ``[func(*args) for args in iterable]``."""
        return self._gather(func, iterable, chunksize, True, callback, error_callback, options)

    def _gather(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Any],
        chunksize: int | None,
        star: bool,
        callback: Callable[[Any], object] | None,
        error_callback: Callable[[BaseException], object] | None,
        options: Mapping[str, Any],
    ) -> AsyncResult:
        parts = self._chunk_tasks(func, iterable, chunksize, star, options)
        gathered = _Gathered(len(parts), callback, error_callback)
        for i, part in enumerate(parts):
            part.add_done_callback(functools.partial(gathered.part_done, i))
        return gathered

    def map(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Any],
        chunksize: int | None = None,
        **options: Any,
    ) -> list[Any]:
        """``[func(x) for x in iterable]``, run on the cluster."""
        return list(self.map_async(func, iterable, chunksize, **options).get())

    def starmap(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Sequence[Any]],
        chunksize: int | None = None,
        **options: Any,
    ) -> list[Any]:
        """``[func(*args) for args in iterable]``, run on the cluster."""
        return list(self.starmap_async(func, iterable, chunksize, **options).get())

    def imap(
        self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int = 1, **options: Any
    ) -> Iterator[Any]:
        """Results of ``func(x)`` in order, as they come (every call is submitted now)."""
        parts = self._chunk_tasks(func, iterable, chunksize, False, options)

        def results() -> Iterator[Any]:
            for part in parts:
                yield from part.get()

        return results()

    def imap_unordered(
        self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int = 1, **options: Any
    ) -> Iterator[Any]:
        """Results of ``func(x)`` in the order the tasks end."""
        parts = self._chunk_tasks(func, iterable, chunksize, False, options)
        ended: queue.SimpleQueue[AsyncResult] = queue.SimpleQueue()
        for part in parts:
            part.add_done_callback(ended.put)

        def results() -> Iterator[Any]:
            for _ in parts:
                yield from ended.get().get()

        return results()

    # -- life cycle ------------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> bool:
        """Waits until every call submitted so far has ended; False after ``timeout``."""
        return self._framework.wait(timeout)

    def close(self) -> None:
        """No more calls; the submitted ones run to their end."""
        self._state = "CLOSE"

    def terminate(self) -> None:
        """Stops at once: calls not yet sent are dropped, running tasks killed."""
        self._state = "TERMINATE"
        if not self._stopped:
            self._framework.kill_all()
            self._stop()

    def join(self) -> None:
        """Waits for the submitted calls after :meth:`close` or :meth:`terminate`."""
        if self._state == "RUN":
            raise ValueError("Pool is still running")
        self._framework.wait()
        self._stop()

    def _stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._framework.stop()

    def __enter__(self) -> Pool:
        self._check_running()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.terminate()
