"""The Future a :class:`~satyr.apis.futures.MesosPoolExecutor` call returns: a
``concurrent.futures.Future`` that makes its condition only when a thread waits on it.

A stdlib Future builds a ``threading.Condition`` in ``__init__`` (an RLock, a deque and five
bound methods: eight objects the garbage collector tracks, ~3 µs) and notifies it on every
change, waiters or not. A pool making thousands of calls mostly resolves futures nobody waits
on yet, and then reads them once they are done. :class:`LazyFuture` keeps the stdlib's fields
and behaviour, but its ``_condition`` (and its lists of waiters and callbacks) are made on first
use. Until a condition exists nobody can be waiting (``result``, ``exception``, ``wait`` and
``as_completed`` all make it first), so state changes only need to exclude that making: one
module lock, held for a few attribute stores, covers both. Once a condition exists, every
method is the stdlib's own.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from concurrent.futures._base import (
    CANCELLED,
    CANCELLED_AND_NOTIFIED,
    FINISHED,
    PENDING,
    RUNNING,
)
from typing import Any

log = logging.getLogger("satyr.futures")

#: Held while a lazy field is made, and while a future without a condition changes state.
_MAKING = threading.Lock()
_LAZY: dict[str, Callable[[], Any]] = {
    "_condition": threading.Condition,
    "_waiters": list,
    "_done_callbacks": list,
}
_DONE = (CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED)


class LazyFuture(concurrent.futures.Future[Any]):
    """A ``concurrent.futures.Future`` whose condition is made when first needed."""

    def __init__(self) -> None:  # Future.__init__ would make the condition
        self._state = PENDING
        self._result = None
        self._exception: BaseException | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not yet in the instance's dict.
        make = _LAZY.get(name)
        if make is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with _MAKING:
            fields = self.__dict__
            value = fields.get(name)
            if value is None:
                value = fields[name] = make()
        return value

    # -- reads: one attribute each, no lock needed ------------------------------------------------

    def cancelled(self) -> bool:
        return self._state in (CANCELLED, CANCELLED_AND_NOTIFIED)

    def running(self) -> bool:
        return self._state == RUNNING

    def done(self) -> bool:
        return self._state in _DONE

    def result(self, timeout: float | None = None) -> Any:
        # FINISHED is final and set after the result: a finished call needs no lock.
        if self._state == FINISHED and self._exception is None:
            return self._result
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if self._state == FINISHED:
            return self._exception
        return super().exception(timeout)

    # -- changes: without a condition, under the module lock ---------------------------------------

    def set_running_or_notify_cancel(self) -> bool:
        with _MAKING:
            if "_condition" not in self.__dict__:
                if self._state == PENDING:
                    self._state = RUNNING
                    return True
                if self._state == CANCELLED:
                    self._state = CANCELLED_AND_NOTIFIED
                    return False
        return super().set_running_or_notify_cancel()  # with waiters, or the stdlib's error

    def set_result(self, result: Any) -> None:
        with _MAKING:
            alone = "_condition" not in self.__dict__ and self._state not in _DONE
            if alone:
                self._result = result
                self._state = FINISHED
        if not alone:
            super().set_result(result)  # notifies, or raises InvalidStateError
        elif "_done_callbacks" in self.__dict__:
            self._invoke_callbacks()

    def set_exception(self, exception: BaseException | None) -> None:
        with _MAKING:
            alone = "_condition" not in self.__dict__ and self._state not in _DONE
            if alone:
                self._exception = exception
                self._state = FINISHED
        if not alone:
            super().set_exception(exception)
        elif "_done_callbacks" in self.__dict__:
            self._invoke_callbacks()

    def add_done_callback(self, fn: Callable[[concurrent.futures.Future[Any]], object]) -> None:
        with _MAKING:
            if "_condition" in self.__dict__:
                alone = False
            elif self._state not in _DONE:
                self.__dict__.setdefault("_done_callbacks", []).append(fn)
                return
            else:
                alone = True
        if not alone:
            super().add_done_callback(fn)
            return
        try:
            fn(self)
        except Exception:
            log.exception("exception calling callback for %r", self)
