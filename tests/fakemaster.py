"""A small scripted fake Mesos master for the Python driver tests: an HTTP/1.1 server on loopback
that records every request (headers, body, decoded call) and answers as the test scripts it.

A SUBSCRIBE gets the next scripted reply (a status code) or, by default, a 200 event stream that
the test drives through a :class:`Stream` (``send(event)``, ``send_raw(bytes)``, ``close()``).
Other calls get the next scripted reply or 202. Events and calls are plain-form dicts, encoded
and decoded with satyr's codec.
"""

from __future__ import annotations

import http.server
import itertools
import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from satyr import _satyr
from satyr.interface import Scheduler

#: How long a test waits for something the driver should do.
WAIT = 20.0

CALL = "mesos.v1.scheduler.Call"
EVENT = "mesos.v1.scheduler.Event"


def record(event: dict[str, Any]) -> bytes:
    """One RecordIO record holding the protobuf encoding of ``event``."""
    data = _satyr.encode(EVENT, event)
    return b"%d\n%s" % (len(data), data)


@dataclass
class Request:
    """One request as received."""

    path: str
    headers: dict[str, str]
    body: bytes
    call: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.call.get("type", "UNKNOWN"))


@dataclass
class Reply:
    """A scripted plain response."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Stream:
    """The test's end of one open subscription stream."""

    def __init__(self, request: Request, stream_id: str) -> None:
        self.request = request
        self.stream_id = stream_id
        self._chunks: queue.Queue[bytes | None] = queue.Queue()
        self.closed = threading.Event()

    def send_raw(self, data: bytes) -> None:
        """Sends raw bytes as one HTTP chunk."""
        self._chunks.put(data)

    def send(self, event: dict[str, Any]) -> None:
        """Sends one event as one RecordIO record."""
        self.send_raw(record(event))

    def close(self) -> None:
        """Ends the stream (EOF)."""
        self._chunks.put(None)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            if headers.get("content-type") == "application/json":
                call = json.loads(body)  # Mesos's JSON: snake_case names, enums as names
            else:
                call = _satyr.decode(CALL, body)
        except (ValueError, _satyr.ProtocolError):
            call = {}
        req = Request(self.path, headers, body, call)
        self.server.master._received(req)
        is_subscribe = req.type == "SUBSCRIBE"
        reply = self.server.master._next_reply(is_subscribe)
        if reply is None and is_subscribe:
            self._stream(req)
            return
        reply = reply or Reply(202)
        self.send_response(reply.status)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _stream(self, req: Request) -> None:
        master = self.server.master
        stream = Stream(req, f"S{next(master._stream_ids)}")
        self.send_response(200)
        self.send_header("Mesos-Stream-Id", stream.stream_id)
        self.send_header("Content-Type", req.headers.get("accept", "application/json"))
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        master._streams.put(stream)
        try:
            while True:
                chunk = stream._chunks.get()
                if chunk is None:
                    self.wfile.write(b"0\r\n\r\n")
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        except OSError:
            pass  # the driver closed the connection
        finally:
            stream.closed.set()
            self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    master: FakeMaster


class FakeMaster:
    """The fake master; use as a context manager (or call :meth:`close`)."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.master = self
        self._lock = threading.Condition()
        self._requests: list[Request] = []
        self._subscribe_script: list[Reply] = []
        self._call_script: list[Reply] = []
        self._streams: queue.Queue[Stream] = queue.Queue()
        self._stream_ids = itertools.count(1)
        self._open: list[Stream] = []
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        for s in self._open:
            s.close()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeMaster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scripting -------------------------------------------------------------------------------

    def script_subscribe(self, *replies: Reply) -> None:
        """The next SUBSCRIBEs get these replies, in order (then the default stream)."""
        with self._lock:
            self._subscribe_script.extend(replies)

    def script_call(self, *replies: Reply) -> None:
        """The next other calls get these replies, in order (then 202)."""
        with self._lock:
            self._call_script.extend(replies)

    def _next_reply(self, subscribe: bool) -> Reply | None:
        with self._lock:
            script = self._subscribe_script if subscribe else self._call_script
            return script.pop(0) if script else None

    def _received(self, req: Request) -> None:
        with self._lock:
            self._requests.append(req)
            self._lock.notify_all()

    # -- observing -------------------------------------------------------------------------------

    def next_stream(self, timeout: float = WAIT) -> Stream:
        """The next subscription stream the driver opened."""
        try:
            stream = self._streams.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no SUBSCRIBE reached the fake master in time") from None
        self._open.append(stream)
        return stream

    def subscribe(self, framework_id: str = "fw-1", heartbeat: float = 15.0) -> Stream:
        """Waits for a SUBSCRIBE and answers SUBSCRIBED."""
        stream = self.next_stream()
        stream.send(subscribed(framework_id, heartbeat))
        return stream

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def calls(self, type: str | None = None) -> list[Request]:
        """Non-SUBSCRIBE requests (of ``type``) so far."""
        return [
            r for r in self.requests() if r.type != "SUBSCRIBE" and (type is None or r.type == type)
        ]

    def wait_until(self, what: str, pred: Callable[[list[Request]], bool]) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: pred(self._requests), timeout=WAIT):
                got = [r.type for r in self._requests]
                raise AssertionError(f"timed out waiting for {what}; got {got}")

    def wait_calls(self, type: str, n: int = 1) -> list[Request]:
        """Waits until ``n`` calls of ``type`` arrived; returns all of them."""
        self.wait_until(f"{n} {type} calls", lambda rs: sum(r.type == type for r in rs) >= n)
        return self.calls(type)


# -- event builders (plain form) ------------------------------------------------------------------


def subscribed(framework_id: str, heartbeat: float = 15.0) -> dict[str, Any]:
    return {
        "type": "SUBSCRIBED",
        "subscribed": {
            "framework_id": {"value": framework_id},
            "heartbeat_interval_seconds": heartbeat,
        },
    }


def offer(offer_id: str, agent: str = "agent-1", hostname: str = "host-1") -> dict[str, Any]:
    return {
        "id": {"value": offer_id},
        "framework_id": {"value": "fw-1"},
        "agent_id": {"value": agent},
        "hostname": hostname,
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2.0}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024.0}},
        ],
    }


def offers(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "OFFERS", "offers": {"offers": list(items)}}


def rescind(offer_id: str) -> dict[str, Any]:
    return {"type": "RESCIND", "rescind": {"offer_id": {"value": offer_id}}}


def update(
    task: str, state: str, uuid: bytes | None = None, agent: str = "agent-1", **fields: Any
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "task_id": {"value": task},
        "state": state,
        "agent_id": {"value": agent},
        **fields,
    }
    if uuid is not None:
        status["uuid"] = uuid
    return {"type": "UPDATE", "update": {"status": status}}


def error(message: str) -> dict[str, Any]:
    return {"type": "ERROR", "error": {"message": message}}


def heartbeat() -> dict[str, Any]:
    return {"type": "HEARTBEAT"}


# -- a scheduler that records its callbacks --------------------------------------------------------


class Recorder(Scheduler):
    """Records every callback as ``(name, args)`` with the thread it ran on; tests wait for them
    with :meth:`expect`. ``on_offers`` records only (it does not decline)."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self.seen: list[tuple[str, tuple[Any, ...]]] = []
        self.threads: set[str] = set()

    def _rec(self, name: str, *args: Any) -> None:
        self.threads.add(threading.current_thread().name)
        self.events.put((name, args))

    def next(self, timeout: float = WAIT) -> tuple[str, tuple[Any, ...]]:
        try:
            item = self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no callback within {timeout} s; seen {self.names()}") from None
        self.seen.append(item)
        return item

    def expect(self, name: str, timeout: float = WAIT) -> tuple[Any, ...]:
        """Skips callbacks until ``name`` arrives; returns its arguments (after the driver)."""
        while True:
            got, args = self.next(timeout)
            if got == name:
                return args[1:]

    def names(self) -> list[str]:
        return [n for n, _ in self.seen]

    def on_registered(self, driver, framework_id, master):
        self._rec("registered", driver, framework_id, master)

    def on_reregistered(self, driver, framework_id, master):
        self._rec("reregistered", driver, framework_id, master)

    def on_disconnected(self, driver):
        self._rec("disconnected", driver)

    def on_offers(self, driver, offers):
        self._rec("offers", driver, offers)

    def on_rescinded(self, driver, offer_id):
        self._rec("rescinded", driver, offer_id)

    def on_update(self, driver, status):
        self._rec("update", driver, status)

    def on_message(self, driver, executor_id, agent_id, message):
        self._rec("message", driver, executor_id, agent_id, message)

    def on_slave_lost(self, driver, slave_id):
        self._rec("slave_lost", driver, slave_id)

    def on_executor_lost(self, driver, executor_id, agent_id, status):
        self._rec("executor_lost", driver, executor_id, agent_id, status)

    def on_error(self, driver, message):
        self._rec("error", driver, message)

    def on_heartbeat(self, driver):
        self._rec("heartbeat", driver)

    def on_inverse_offers(self, driver, inverse_offers):
        self._rec("inverse_offers", driver, inverse_offers)

    def on_rescinded_inverse_offer(self, driver, inverse_offer_id):
        self._rec("rescinded_inverse_offer", driver, inverse_offer_id)

    def on_operation_update(self, driver, status):
        self._rec("operation_update", driver, status)

    def on_failure(self, driver, error):
        self._rec("failure", driver, error)
