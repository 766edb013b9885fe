"""Helpers of the local cluster's Python tests: a minimal v1 scheduler (JSON, stdlib only) and
process inspection through /proc and pidfds (waiting on processes that are not our children)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import queue
import select
import threading
import time
from typing import Any

WAIT = 30.0


class JsonScheduler:
    """SUBSCRIBE over JSON; events on a queue; calls with the stream id."""

    def __init__(self, address: str, name: str = "test", **info: Any) -> None:
        host, port = address.split(":")
        self.host, self.port = host, int(port)
        framework = {"user": os.environ.get("USER", "root"), "name": name, **info}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=WAIT)
        body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework}}
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self.conn.request("POST", "/api/v1/scheduler", json.dumps(body), headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.read()
        self.stream_id = self.response.getheader("Mesos-Stream-Id")
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        first = self.next("SUBSCRIBED")
        self.framework_id = first["subscribed"]["framework_id"]["value"]

    def _read(self) -> None:
        try:
            while True:
                size = b""
                while (c := self.response.read(1)) != b"\n":
                    if not c:
                        raise EOFError
                    size += c
                self.events.put(json.loads(self.response.read(int(size))))
        except (EOFError, OSError, ValueError, http.client.HTTPException):
            self.events.put(None)

    def next(self, kind: str, timeout: float = WAIT) -> dict[str, Any]:
        """The next event of this type (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            if event is None:
                raise EOFError("the event stream ended")
            if event["type"] == kind:
                return event

    def call(self, body: dict[str, Any]) -> int:
        """Sends a call; returns the HTTP status."""
        body = {"framework_id": {"value": self.framework_id}, **body}
        conn = http.client.HTTPConnection(self.host, self.port, timeout=WAIT)
        headers = {"Content-Type": "application/json", "Mesos-Stream-Id": self.stream_id}
        conn.request("POST", "/api/v1/scheduler", json.dumps(body), headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status

    def launch(self, offer: dict[str, Any], tasks: list[dict[str, Any]]) -> int:
        operation = {"type": "LAUNCH", "launch": {"task_infos": tasks}}
        accept = {"offer_ids": [offer["id"]], "operations": [operation]}
        return self.call({"type": "ACCEPT", "accept": accept})

    def update(self) -> dict[str, Any]:
        """The next status update, acknowledged when it has a uuid."""
        status = self.next("UPDATE")["update"]["status"]
        if "uuid" in status:
            ack = {
                "agent_id": status["agent_id"],
                "task_id": status["task_id"],
                "uuid": status["uuid"],
            }
            self.call({"type": "ACKNOWLEDGE", "acknowledge": ack})
        return status


def task(task_id: str, offer: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A TaskInfo on the offer's agent using 0.1 cpus and 32 MB."""
    scalar = {"type": "SCALAR"}
    return {
        "name": task_id,
        "task_id": {"value": task_id},
        "agent_id": offer["agent_id"],
        "resources": [
            {"name": "cpus", **scalar, "scalar": {"value": 0.1}},
            {"name": "mem", **scalar, "scalar": {"value": 32}},
        ],
        **fields,
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def processes_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose environment holds ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read()
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in environ and state not in ("Z", "X"):
            found.append(int(entry))
    return found


def wait_all_exit(pids: list[int], timeout: float) -> list[int]:
    """Waits (pidfds, no polling) until every process has exited; returns those still alive."""
    fds = {}
    for pid in pids:
        try:
            fds[os.pidfd_open(pid)] = pid
        except ProcessLookupError:
            continue
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout
    alive = dict(fds)
    while alive:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for fd, _ in poller.poll(left * 1000):
            poller.unregister(fd)
            alive.pop(fd, None)
    for fd in fds:
        os.close(fd)
    return sorted(alive.values())
