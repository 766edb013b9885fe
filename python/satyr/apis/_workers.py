"""Worker mode: a few long-running worker tasks run many calls over a direct connection.

The pool opens a ``multiprocessing.connection.Listener`` with a random ``authkey`` (every
connection passes an HMAC challenge first; then messages are framed by :mod:`satyr.apis._wire`,
big arguments and results out of band) and starts, lazily and at most ``size`` at a time,
PythonTasks running :func:`satyr.apis._worker.serve`. A worker connects back, says ``hello`` with
its token, and receives lists of ``(call_id, pickled (fn, args, kwargs))``; it answers with lists
of ``(call_id, ok, pickled result or error envelope, seconds it ran)``. ``("revoke", ids)`` asks
for calls it has not started (for another worker that is idle): it answers ``("revoked", ids)``
with those it gave up. ``None`` tells it to stop; it says ``idle`` and leaves after
``idle_timeout`` seconds without work, so its task finishes and Mesos frees its resources. A
call whose worker goes away (connection lost, task lost or failed) is given to another worker,
up to ``retries`` attempts in all; then it fails with :class:`WorkerLostError`.
"""

from __future__ import annotations

import collections
import ipaddress
import itertools
import logging
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Listener
from typing import Any

from satyr._satyr import SatyrError
from satyr.apis import _wire
from satyr.apis._worker import InitializerError, serve
from satyr.messages import _rebuild, payload_host
from satyr.results import AsyncResult

log = logging.getLogger("satyr.workers")

#: Sets the host the pool listens on for its workers over TCP (default: a Unix socket when the
#: cluster is the embedded one or its master is on loopback, else
#: :func:`satyr.messages.payload_host`).
HOST_ENV = "SATYR_WORKER_HOST"
#: Most calls sent to one worker before it answers: hides the round trip for short calls.
PIPELINE = 16
#: A worker is sent about this much work (in seconds of calls, by their recent average) ahead:
#: long calls go one at a time, so an idle worker takes the next one rather than it queueing
#: behind a slow call elsewhere.
AHEAD_SECONDS = 0.002
#: Worker tasks that may fail to start in a row (with no worker connected) before the calls
#: waiting for one fail with the reason.
START_FAILURES = 3


class WorkerLostError(SatyrError):
    """A call's worker went away (its task was lost or failed, its connection dropped) more
    times than the pool retries."""


class Cancelled(Exception):
    """A call dropped before it was sent to a worker."""


@dataclass(eq=False)
class Call:
    payload: _wire.Pickled
    result: AsyncResult
    starting: Callable[[], bool] | None
    attempts: int = 0
    started: bool = False


@dataclass(eq=False)
class Worker:
    token: str
    task_result: AsyncResult | None = None
    conn: _wire.Channel | None = None
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    calls: dict[int, Call] = field(default_factory=dict)
    #: Calls asked back (not started there yet) for an idle worker; answered by "revoked".
    revoking: set[int] = field(default_factory=set)
    leaving: bool = False
    gone: bool = False


def listen_host(master: str | None) -> str | None:
    """Where workers reach this process: ``SATYR_WORKER_HOST``, else None (this machine: a
    Unix socket) for the embedded cluster or a loopback master, else this host's address."""
    value = os.environ.get(HOST_ENV, "").strip()
    if value:
        return value
    master = (master or os.environ.get("MESOS_MASTER", "")).strip()
    if master in ("", "local") or master.startswith("local:"):
        return None
    host = master.split("://")[-1].split("/")[0].rsplit(":", 1)[0].strip("[]")
    try:
        if host == "localhost" or ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return payload_host()


class Workers:
    """Runs calls on up to ``size`` worker tasks; ``start_task(fn, args)`` submits one worker
    task (a PythonTask with the pool's task options) and returns its AsyncResult."""

    def __init__(
        self,
        size: int,
        start_task: Callable[[Callable[..., Any], Sequence[Any]], AsyncResult],
        master: str | None,
        idle_timeout: float = 60.0,
        retries: int = 3,
        initializer: Callable[..., object] | None = None,
        initargs: Sequence[Any] = (),
    ) -> None:
        if size < 1:
            raise ValueError(f"the number of workers must be >= 1, got {size}")
        self.size = size
        self.idle_timeout = float(idle_timeout)
        self.retries = retries
        self._start_task = start_task
        self._init = (initializer, tuple(initargs))
        self._authkey = secrets.token_bytes(32)
        host = listen_host(master)
        self._socket_dir: str | None = None
        if host is None:
            # Workers on this machine: a Unix socket moves big payloads faster than loopback TCP.
            self._socket_dir = tempfile.mkdtemp(prefix="satyr-workers-")
            where: str | tuple[str, int] = os.path.join(self._socket_dir, "pool.sock")
            self._listener = Listener(where, family="AF_UNIX", authkey=self._authkey)
        else:
            self._listener = Listener((host, 0), authkey=self._authkey)
        #: Where workers connect: a Unix socket path, or (host, port).
        self.address: str | tuple[str, int] = self._listener.address
        self._lock = threading.Lock()
        self._pending: collections.deque[Call] = collections.deque()
        self._workers: dict[str, Worker] = {}
        self._ids = itertools.count()
        self._start_failures = 0
        self._closed = False
        #: Recent average seconds a call runs on a worker (what the workers report).
        self._call_seconds = 0.0
        #: How many worker tasks were started (for tests and reports).
        self.started = 0
        threading.Thread(target=self._accept, name="satyr-workers-accept", daemon=True).start()

    # -- calls -----------------------------------------------------------------------------------

    def submit(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        result: AsyncResult,
        starting: Callable[[], bool] | None = None,
    ) -> AsyncResult:
        """Queues ``fn(*args, **kwargs)``; ``result`` resolves with its value or exception.
        ``starting()`` returning False when it is about to be sent drops it (cancelled)."""
        payload = _wire.dumps_call(fn, args, kwargs)
        with self._lock:
            if self._closed:
                raise RuntimeError("the pool's workers are stopped")
            self._pending.append(Call(payload, result, starting))
        self._dispatch()
        return result

    def cancel_waiting(self) -> list[AsyncResult]:
        """Drops the calls not yet sent to a worker; returns their results (unresolved). Calls
        a worker gave back (already reported running) stay: they run elsewhere."""
        with self._lock:
            waiting = [call for call in self._pending if not call.started]
            self._pending = collections.deque(call for call in self._pending if call.started)
        return [call.result for call in waiting]

    def _dispatch(self) -> None:
        """Sends waiting calls to connected workers with room; starts workers if needed."""
        sends: list[tuple[Worker, list[tuple[int, Call]]]] = []
        start = 0
        with self._lock:
            # Each worker gets its fair share of the outstanding calls (as if all `size` workers
            # were up), so that calls spread over the workers instead of queueing on the first.
            busy = sum(len(w.calls) for w in self._workers.values() if not w.gone)
            share = -(-(busy + len(self._pending)) // max(1, self.size))
            depth = 1 + int(AHEAD_SECONDS / self._call_seconds) if self._call_seconds else PIPELINE
            cap = min(PIPELINE, depth, max(1, share))
            for worker in self._workers.values():
                if not self._pending:
                    break
                if worker.conn is None or worker.leaving or worker.gone:
                    continue
                batch = []
                while self._pending and len(worker.calls) < cap:
                    call = self._pending.popleft()
                    call_id = next(self._ids)
                    worker.calls[call_id] = call
                    batch.append((call_id, call))
                if batch:
                    sends.append((worker, batch))
            revokes = [] if self._pending else self._rebalance()
            if self._pending and not self._closed:
                live = sum(1 for w in self._workers.values() if not (w.gone or w.leaving))
                connecting = sum(1 for w in self._workers.values() if w.conn is None and not w.gone)
                want = min(self.size - live, len(self._pending) - connecting * cap)
                start = max(0, want)
        for worker, batch in sends:
            self._send(worker, batch)
        for worker, ids in revokes:
            try:
                with worker.send_lock:
                    assert worker.conn is not None
                    worker.conn.send(("revoke", ids))
            except (OSError, EOFError, ValueError):
                self._lost(worker, "its connection broke")
        for _ in range(start):
            self._start_worker()

    def _rebalance(self) -> list[tuple[Worker, list[int]]]:
        """With nothing waiting here and a connected worker idle, asks the busiest worker for
        the newer half of the calls queued on it (under the lock)."""
        ready = [
            w
            for w in self._workers.values()
            if w.conn is not None and not (w.leaving or w.gone) and not w.calls
        ]
        if not ready:
            return []
        asked = [
            w
            for w in self._workers.values()
            if w.conn is not None and not (w.leaving or w.gone or w.revoking)
        ]
        if not asked:
            return []
        busiest = max(asked, key=lambda w: len(w.calls))
        take = len(busiest.calls) // 2  # the oldest is likely running there: never asked for
        if take < 1:
            return []
        ids = sorted(busiest.calls)[-take:]
        busiest.revoking.update(ids)
        return [(busiest, ids)]

    def _revoked(self, worker: Worker, ids: list[int]) -> None:
        """The worker gave back calls it had not started: they wait here again, first."""
        with self._lock:
            worker.revoking.clear()
            back = [worker.calls.pop(i) for i in sorted(ids, reverse=True) if i in worker.calls]
            for call in back:
                call.attempts -= 1  # it never ran
                self._pending.appendleft(call)
        self._dispatch()

    def _send(self, worker: Worker, batch: list[tuple[int, Call]]) -> None:
        out = []
        for call_id, call in batch:
            if not call.started:
                call.started = True
                if call.starting is not None and not call.starting():
                    with self._lock:
                        worker.calls.pop(call_id, None)
                    call.result._resolve(None, Cancelled("the call was cancelled"))
                    continue
            call.attempts += 1
            out.append((call_id, call.payload))
        if not out:
            return
        try:
            with worker.send_lock:
                assert worker.conn is not None  # only connected workers get calls
                worker.conn.send(out)
        except (OSError, EOFError, ValueError):
            self._lost(worker, "its connection broke")

    # -- workers ---------------------------------------------------------------------------------

    def _start_worker(self) -> None:
        worker = Worker(secrets.token_hex(16))
        with self._lock:
            if self._closed:
                return
            self._workers[worker.token] = worker
            self.started += 1
        try:
            result = self._start_task(
                serve, (self.address, self._authkey, worker.token, self.idle_timeout, *self._init)
            )
        except Exception as e:
            self._task_ended(worker, None, e)
            return
        worker.task_result = result
        result.add_done_callback(lambda r: self._task_ended(worker, r, r.exception(0)))

    def _accept(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except OSError:
                return  # closed
            except Exception as e:  # a failed HMAC challenge: not one of ours
                log.warning("refused a worker connection: %s", e)
                continue
            threading.Thread(
                target=self._serve_worker, args=(conn,), name="satyr-worker-conn", daemon=True
            ).start()

    def _serve_worker(self, authenticated: Connection) -> None:
        conn = _wire.channel_of(authenticated)
        try:
            hello = conn.recv()
        except (OSError, EOFError):
            conn.close()
            return
        token = hello[1] if isinstance(hello, tuple) and len(hello) == 3 else None
        with self._lock:
            worker = self._workers.get(token) if isinstance(token, str) else None
            if worker is None or worker.gone or self._closed:
                worker = None
            else:
                worker.conn = conn
                self._start_failures = 0
        if worker is None:
            conn.close()
            return
        self._dispatch()
        while True:
            try:
                message = conn.recv()
            except (OSError, EOFError):
                self._lost(worker, "its connection was lost")
                return
            if isinstance(message, tuple) and message[:1] == ("revoked",):
                self._revoked(worker, list(message[1]))
                continue
            if isinstance(message, tuple) and message[:1] == ("idle",):
                with self._lock:
                    worker.leaving = True
                self._lost(worker, "it left idle", retry_free=True)
                return
            self._replies(worker, message)

    def _replies(
        self, worker: Worker, replies: list[tuple[int, bool, _wire.Pickled, float]]
    ) -> None:
        with self._lock:
            calls = [
                (worker.calls.pop(call_id, None), ok, data) for call_id, ok, data, _ in replies
            ]
            for *_, seconds in replies:
                self._call_seconds += 0.25 * (max(seconds, 1e-6) - self._call_seconds)
        for call, ok, data in calls:
            if call is None:
                continue
            try:
                if ok:
                    call.result._resolve(_wire.loads(data))
                else:
                    envelope = _wire.loads(data)
                    call.result._resolve(None, _rebuild(envelope, None))  # type: ignore[arg-type]
            except Exception as e:
                call.result._resolve(
                    None, SatyrError(f"the call's result could not be unpickled here: {e!r}")
                )
        self._dispatch()

    def _task_ended(self, worker: Worker, task: AsyncResult | None, exc: BaseException | None):
        if exc is not None and worker.conn is None and not worker.gone:
            with self._lock:
                self._start_failures += 1
                # The user's initializer fails every worker alike: no point in trying more.
                failed = isinstance(exc, InitializerError)
                failed = failed or self._start_failures >= START_FAILURES
                doomed = list(self._pending) if failed else []
                if failed:
                    self._pending.clear()
            for call in doomed:
                if isinstance(exc, InitializerError):
                    call.result._resolve(None, exc)
                else:
                    call.result._resolve(
                        None, WorkerLostError(f"worker tasks failed to start: {exc!r}")
                    )
        self._lost(worker, f"its task ended ({exc!r})" if exc else "its task ended")

    def _lost(self, worker: Worker, why: str, retry_free: bool = False) -> None:
        """The worker is gone: its calls go back to the queue (or fail after ``retries``)."""
        failed: list[Call] = []
        with self._lock:
            if worker.gone:
                return
            worker.gone = True
            self._workers.pop(worker.token, None)
            calls = sorted(worker.calls.items())
            worker.calls.clear()
            for _, call in reversed(calls):
                if retry_free:
                    call.attempts -= 1  # it never ran
                if call.attempts >= self.retries or self._closed:
                    failed.append(call)
                else:
                    self._pending.appendleft(call)
        if worker.conn is not None:
            worker.conn.close()
        for call in failed:
            call.result._resolve(
                None,
                WorkerLostError(
                    f"the call's worker went away ({why}) after {call.attempts} attempt(s)"
                ),
            )
        if not self._closed:
            self._dispatch()

    # -- life cycle ------------------------------------------------------------------------------

    def stop(self, exc: BaseException | None = None) -> None:
        """Tells every worker to stop and stops listening; calls still waiting or running fail
        with ``exc`` (default :class:`Cancelled`)."""
        with self._lock:
            self._closed = True
            workers = list(self._workers.values())
            left = list(self._pending) + [c for w in workers for c in w.calls.values()]
            self._pending.clear()
            for w in workers:
                w.calls.clear()
        for w in workers:
            if w.conn is not None:
                try:
                    with w.send_lock:
                        w.conn.send(None)
                except (OSError, EOFError, ValueError):
                    pass
        self._listener.close()
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        for call in left:
            call.result._resolve(None, exc or Cancelled("the pool was stopped"))

    def tasks(self) -> list[AsyncResult]:
        """The AsyncResults of the worker tasks still running."""
        with self._lock:
            return [w.task_result for w in self._workers.values() if w.task_result is not None]
