"""The worker side of worker mode: a long-running Python task that connects back to the pool's
scheduler process and runs the calls it is sent, until told to stop, the connection drops, or it
has been idle for ``idle_timeout`` seconds (then its task finishes and Mesos frees its
resources). See :mod:`satyr.apis._workers` for the protocol."""

from __future__ import annotations

import socket
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Client
from typing import Any

import cloudpickle

from satyr._satyr import SatyrError
from satyr.apis import _wire
from satyr.messages import ResultNotPicklableError


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
    ran = 0
    with conn:
        conn.send(("hello", token, socket.gethostname()))
        while True:
            try:
                if not conn.poll(idle_timeout):
                    # Calls sent after this are not run: the pool gives them to another worker.
                    conn.send(("idle", ran))
                    return ran
                batch = conn.recv()
            except (EOFError, OSError):
                return ran  # the pool is gone
            if batch is None:
                return ran  # told to stop
            replies = []
            for call_id, payload in batch:
                started = time.perf_counter()
                ok, data = run_call(payload)
                replies.append((call_id, ok, data, time.perf_counter() - started))
            ran += len(replies)
            try:
                conn.send(replies)
            except (EOFError, OSError):
                return ran
