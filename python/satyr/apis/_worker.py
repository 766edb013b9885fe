"""The worker side of worker mode: a long-running Python task that connects back to the pool's
scheduler process and runs the calls it is sent, until told to stop, the connection drops, or it
has been idle for ``idle_timeout`` seconds (then its task finishes and Mesos frees its
resources). See :mod:`satyr.apis._workers` for the protocol."""

from __future__ import annotations

import collections
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Client
from typing import Any

import cloudpickle

from satyr._satyr import SatyrError, release_freed_memory
from satyr.apis import _wire
from satyr.messages import ResultNotPicklableError

#: Seconds of calls run before their results are sent (at least one call each time).
REPLY_AFTER = 0.002
#: Seconds without calls after which a worker gives the memory its calls freed back to the
#: system (satyr-executor keeps it for the next big argument while calls keep coming).
RELEASE_AFTER = 1.0


class InitializerError(SatyrError):
    """The pool's ``initializer`` raised in a worker (its exception is the ``__cause__``): the
    calls waiting for a worker fail with this rather than wait for one that cannot start."""


def envelope(exc: BaseException) -> dict[str, Any]:
    """What travels back for a call that raised: the shape ``satyr.messages._rebuild`` reads
    (type name, message, traceback text, the pickled exception or None)."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        pickled: bytes | None = cloudpickle.dumps(exc)
    except Exception as e:
        pickled = None
        tb += f"\n(the exception could not be pickled: {type(e).__name__}: {e})\n"
    return {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc),
        "traceback": tb,
        "exception": pickled,
    }


def run_call(payload: _wire.Pickled) -> tuple[bool, _wire.Pickled]:
    """(True, pickled result) or (False, pickled error envelope) for one pickled call."""
    try:
        fn, args, kwargs = _wire.loads(payload)
        value = fn(*args, **kwargs)
    except BaseException as e:  # the user's code: anything it raises goes back to the caller
        return False, _wire.dumps(envelope(e))
    try:
        return True, _wire.dumps(value)
    except Exception as e:
        err = ResultNotPicklableError(
            f"the result of the call ({type(value).__qualname__}) cannot be pickled: "
            f"{type(e).__name__}: {e}"
        )
        return False, _wire.dumps(envelope(err))


class _Inbox:
    """The calls sent to this worker, read by a thread of their own: the pool may take back
    calls that have not started (for a worker gone idle) while a long call runs here."""

    def __init__(self, conn: _wire.Channel) -> None:
        self.conn = conn
        self.queue: collections.deque[tuple[int, _wire.Pickled]] = collections.deque()
        self.cond = threading.Condition()
        self.send_lock = threading.Lock()
        self.ended = False  # told to stop, the connection is gone, or said idle

    def send(self, message: Any) -> bool:
        try:
            with self.send_lock:
                self.conn.send(message)
            return True
        except (EOFError, OSError):
            return False

    def read(self) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                message = None
            with self.cond:
                if message is None:
                    self.ended = True
                    self.cond.notify_all()
                    return
                if isinstance(message, tuple) and message[:1] == ("revoke",):
                    wanted = set(message[1])
                    back = [c for c, _ in self.queue if c in wanted]
                    self.queue = collections.deque(c for c in self.queue if c[0] not in wanted)
                else:
                    back = None
                    self.queue.extend(message)
                    self.cond.notify_all()
            if back is not None and not self.send(("revoked", back)):
                return

    def next_call(self, wait: float) -> tuple[tuple[int, _wire.Pickled] | None, bool]:
        """(the next call, False); (None, False) if none came within ``wait`` seconds and
        ``idle`` is False; (None, True) when the worker ends: told to stop, connection gone,
        or, with ``idle``, nothing for ``wait`` seconds (it says ``idle`` to the pool)."""
        with self.cond:
            if not self.cond.wait_for(lambda: self.queue or self.ended, wait):
                return None, False
            if self.ended:
                return None, True
            return self.queue.popleft(), False

    def leave_if_idle(self) -> bool:
        """Says ``idle`` when no call is waiting; the pool gives calls sent after it elsewhere."""
        with self.cond:
            if self.queue or self.ended:
                return False
            self.ended = True
        self.send(("idle", 0))
        return True


def serve(
    address: str | tuple[str, int],
    authkey: bytes,
    token: str,
    idle_timeout: float,
    initializer: Callable[..., object] | None = None,
    initargs: Sequence[Any] = (),
) -> int:
    """Runs ``initializer(*initargs)`` (its exception fails the worker's task), connects to the
    pool at ``address`` (HMAC challenge with ``authkey``), introduces itself as ``token`` and
    runs batches of calls; returns how many calls it ran."""
    if initializer is not None:
        try:
            initializer(*initargs)
        except BaseException as e:
            raise InitializerError(f"the pool's initializer raised {type(e).__name__}: {e}") from e
    if isinstance(address, str):  # a Unix socket: the pool runs on this machine
        conn = _wire.channel_of(Client(address, family="AF_UNIX", authkey=authkey))
    else:
        conn = _wire.channel_of(Client((str(address[0]), int(address[1])), authkey=authkey))
    inbox = _Inbox(conn)
    with conn:
        conn.send(("hello", token, socket.gethostname()))
        threading.Thread(target=inbox.read, name="satyr-worker-inbox", daemon=True).start()
        ran = 0
        replies: list[tuple[int, bool, _wire.Pickled, float]] = []
        began = 0.0
        holding = False  # calls ran since the freed memory was last given back
        rest = False  # memory given back: what is left of the idle timeout
        while True:
            # Calls are taken one at a time (the pool may take back those still waiting here);
            # short ones are answered in batches, long ones one by one.
            if replies:
                wait = 0.0
            elif holding:
                wait = min(RELEASE_AFTER, idle_timeout)
            elif rest:
                wait = max(0.0, idle_timeout - RELEASE_AFTER)
            else:
                wait = idle_timeout
            call, ended = inbox.next_call(wait)
            if call is None:
                if replies:
                    if not inbox.send(replies):
                        return ran
                    replies = []
                    continue
                if ended:
                    return ran
                if holding:
                    holding = False
                    release_freed_memory()
                    if idle_timeout > wait:
                        rest = True
                        continue
                if inbox.leave_if_idle():
                    return ran
                continue
            holding, rest = True, False
            if not replies:
                began = time.perf_counter()
            started = time.perf_counter()
            ok, data = run_call(call[1])
            replies.append((call[0], ok, data, time.perf_counter() - started))
            ran += 1
            if time.perf_counter() - began >= REPLY_AFTER:
                if not inbox.send(replies):
                    return ran
                replies = []
