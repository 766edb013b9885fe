"""Results of submitted work: :class:`AsyncResult`, resolved exactly once with a value or an
exception, in the style of ``multiprocessing.pool.AsyncResult``."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["AsyncResult", "ResultTimeoutError"]

log = logging.getLogger("satyr.results")


class ResultTimeoutError(multiprocessing.TimeoutError, TimeoutError):
    """A result was not ready in time: both ``multiprocessing.TimeoutError`` (what
    ``multiprocessing.pool.AsyncResult.get`` raises) and the builtin ``TimeoutError``
    (``concurrent.futures.TimeoutError``)."""


_PENDING = object()


class AsyncResult:
    """The future result of one submitted task (or call).

    ``get(timeout)`` returns the value or raises the task's exception; ``wait(timeout)`` waits;
    ``ready()``/``successful()`` ask. ``callback(value)`` or ``error_callback(exception)`` run
    once when it resolves (on the thread resolving it); so does every function given to
    :meth:`add_done_callback` (with this result).
    """

    # Slots and a held lock in place of an Event: a pool makes one of these per call, and
    # every container object a call keeps alive adds to the garbage collector's work.
    __slots__ = (
        "__weakref__",
        "_callback",
        "_done_callbacks",
        "_error_callback",
        "_exception",
        "_lock",
        "_ready",
        "_unresolved",
        "_value",
        "task",
    )

    def __init__(
        self,
        task: Any = None,
        callback: Callable[[Any], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
    ) -> None:
        self.task = task
        self._callback = callback
        self._error_callback = error_callback
        self._ready = False
        # Held until the result resolves: a waiter acquires it (and hands it on at once).
        self._unresolved = threading.Lock()
        self._unresolved.acquire()
        self._lock = threading.Lock()
        self._value: Any = _PENDING
        self._exception: BaseException | None = None
        self._done_callbacks: list[Callable[[AsyncResult], object]] = []

    def __repr__(self) -> str:
        state = "pending"
        if self._ready:
            state = "failed" if self._exception is not None else "done"
        return f"<AsyncResult {state} {getattr(self.task, 'name', '')!s}>"

    # -- asking ---------------------------------------------------------------------------------

    def ready(self) -> bool:
        """True once the result is known."""
        return self._ready

    def successful(self) -> bool:
        """True if the task returned a value; ``ValueError`` if it is not ready yet (as
        ``multiprocessing`` does)."""
        if not self._ready:
            raise ValueError(f"{self!r} not ready")
        return self._exception is None

    def wait(self, timeout: float | None = None) -> bool:
        """Waits up to ``timeout`` seconds (forever by default); True once ready."""
        if self._ready:
            return True
        if not self._unresolved.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            return False
        self._unresolved.release()
        return True

    def get(self, timeout: float | None = None) -> Any:
        """The value; raises the task's exception, or :class:`ResultTimeoutError` when not
        ready within ``timeout`` seconds."""
        if not self.wait(timeout):
            raise ResultTimeoutError(f"no result within {timeout} s")
        if self._exception is not None:
            raise self._exception
        return self._value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The task's exception, or None if it returned a value."""
        if not self.wait(timeout):
            raise ResultTimeoutError(f"no result within {timeout} s")
        return self._exception

    def add_done_callback(self, fn: Callable[[AsyncResult], object]) -> None:
        """Calls ``fn(self)`` when resolved (at once if it is already)."""
        with self._lock:
            if not self._ready:
                self._done_callbacks.append(fn)
                return
        fn(self)

    # -- resolving (the scheduler's side) -------------------------------------------------------

    def _resolve(self, value: Any = None, exception: BaseException | None = None) -> bool:
        """Sets the value or the exception; False (and nothing changes) if already resolved."""
        with self._lock:
            if self._ready:
                return False
            self._value = value
            self._exception = exception
            self._ready = True
            self._unresolved.release()
            callbacks, self._done_callbacks = self._done_callbacks, []
        # A raising callback is the user's bug: logged, never allowed to stop the scheduler.
        try:
            if exception is None:
                if self._callback is not None:
                    self._callback(value)
            elif self._error_callback is not None:
                self._error_callback(exception)
        except Exception:
            log.exception("callback of %r raised", self)
        for fn in callbacks:
            try:
                fn(self)
            except Exception:
                log.exception("done callback of %r raised", self)
        return True
