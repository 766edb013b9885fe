"""A minimal v1 scheduler for the executor tests on real Mesos: it launches tasks into offers,
acknowledges updates and resolves one future per task with its terminal status.

Test-only: the library's own schedulers are satyr.scheduler; this one stays small so that the
executor tests depend on nothing but the real master and satyr-executor.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import urllib.request
from concurrent.futures import Future
from typing import Any

from satyr.proxies.messages import SchedulerCall, SchedulerEvent, TaskInfo, TaskStatus

PROTOBUF = "application/x-protobuf"


def _scalars(resources: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in resources:
        if r.type == "SCALAR":
            out[str(r.name)] = out.get(str(r.name), 0.0) + float(r.scalar.value)
    return out


class MiniScheduler:
    """Subscribes to ``master`` (``host:port``) and runs submitted tasks."""

    def __init__(self, master: str, name: str = "satyr-executor-tests") -> None:
        self.host, port = master.removeprefix("http://").split(":")
        self.port = int(port)
        self.name = name
        self.framework_id: str | None = None
        self.stream_id: str | None = None
        self.statuses: dict[str, list[TaskStatus]] = {}
        self.messages: list[tuple[str, bytes]] = []
        #: (executor id, exit status) of every FAILURE event naming an executor.
        self.executor_exits: list[tuple[str, int]] = []
        self.message_arrived = threading.Condition()
        self._queue: list[TaskInfo] = []
        self._futures: dict[str, Future[TaskStatus]] = {}
        self._running: dict[str, Future[TaskStatus]] = {}
        self._agents: dict[str, str] = {}
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._closed = False
        self._conn = http.client.HTTPConnection(self.host, self.port, timeout=None)
        call = SchedulerCall(
            type="SUBSCRIBE",
            subscribe={"framework_info": {"user": os.environ.get("USER", "root"), "name": name}},
        )
        self._conn.request(
            "POST",
            "/api/v1/scheduler",
            call.to_bytes(),
            {"Content-Type": PROTOBUF, "Accept": PROTOBUF},
        )
        self._resp = self._conn.getresponse()
        if self._resp.status != 200:
            raise RuntimeError(f"SUBSCRIBE: {self._resp.status} {self._resp.read()!r}")
        self.stream_id = self._resp.getheader("Mesos-Stream-Id")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._subscribed.wait(30):
            raise RuntimeError("no SUBSCRIBED from the master")

    # -- public ------------------------------------------------------------------------------

    def submit(self, task: TaskInfo) -> Future[TaskStatus]:
        """Launches ``task`` into the next offer that fits it; the future gets its terminal
        status."""
        fut: Future[TaskStatus] = Future()
        with self._lock:
            self._futures[str(task.task_id.value)] = fut
            self._queue.append(task)
        self._call(SchedulerCall(type="REVIVE"))
        return fut

    def wait_state(self, task_id: str, state: str, timeout: float = 60) -> TaskStatus:
        """Blocks until the task reported ``state``."""
        with self.message_arrived:
            ok = self.message_arrived.wait_for(
                lambda: any(s.state == state for s in self.statuses.get(task_id, [])), timeout
            )
        if not ok:
            raise TimeoutError(f"task {task_id} never reached {state}: {self.statuses}")
        return next(s for s in self.statuses[task_id] if s.state == state)

    def wait_executor_exit(self, executor_id: str, count: int = 1, timeout: float = 60) -> None:
        """Blocks until the master reported ``count`` exits of that executor id."""
        with self.message_arrived:
            ok = self.message_arrived.wait_for(
                lambda: sum(e == executor_id for e, _ in self.executor_exits) >= count, timeout
            )
        if not ok:
            raise TimeoutError(f"executor {executor_id} did not exit: {self.executor_exits}")

    def wait_message(self, timeout: float = 60) -> tuple[str, bytes]:
        with self.message_arrived:
            if not self.message_arrived.wait_for(lambda: bool(self.messages), timeout):
                raise TimeoutError("no framework message")
            return self.messages.pop(0)

    def kill(self, task_id: str) -> None:
        agent = self._agents.get(task_id)
        kill: dict[str, Any] = {"task_id": {"value": task_id}}
        if agent:
            kill["agent_id"] = {"value": agent}
        self._call(SchedulerCall(type="KILL", kill=kill))

    def message(self, agent_id: str, executor_id: str, data: bytes) -> None:
        self._call(
            SchedulerCall(
                type="MESSAGE",
                message={
                    "agent_id": {"value": agent_id},
                    "executor_id": {"value": executor_id},
                    "data": data,
                },
            )
        )

    def shutdown_executor(self, agent_id: str, executor_id: str) -> None:
        self._call(
            SchedulerCall(
                type="SHUTDOWN",
                shutdown={
                    "agent_id": {"value": agent_id},
                    "executor_id": {"value": executor_id},
                },
            )
        )

    def teardown(self) -> None:
        self._closed = True
        try:
            self._call(SchedulerCall(type="TEARDOWN"))
        finally:
            self._conn.close()

    def master_state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://{self.host}:{self.port}/master/state") as r:
            return json.load(r)  # type: ignore[no-any-return]

    # -- internals ---------------------------------------------------------------------------

    def _call(self, call: SchedulerCall) -> None:
        if self.framework_id is not None:
            call.framework_id = {"value": self.framework_id}
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            headers = {"Content-Type": PROTOBUF, "Accept": PROTOBUF}
            if self.stream_id:
                headers["Mesos-Stream-Id"] = self.stream_id
            conn.request("POST", "/api/v1/scheduler", call.to_bytes(), headers)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status not in (200, 202) and not self._closed:
                raise RuntimeError(f"{call.type}: {resp.status} {body!r}")
        finally:
            conn.close()

    def _records(self) -> Any:
        while True:
            size = b""
            while True:
                c = self._resp.read(1)
                if not c:
                    return
                if c == b"\n":
                    break
                size += c
            yield self._resp.read(int(size))

    def _read(self) -> None:
        try:
            for record in self._records():
                self._event(SchedulerEvent.from_bytes(record))
        except Exception:
            if not self._closed:
                raise

    def _event(self, ev: SchedulerEvent) -> None:
        if ev.type == "SUBSCRIBED":
            self.framework_id = str(ev.subscribed.framework_id.value)
            self._subscribed.set()
        elif ev.type == "OFFERS":
            for offer in ev.offers.offers:
                self._offer(offer)
        elif ev.type == "UPDATE":
            self._update(ev.update.status)
        elif ev.type == "FAILURE" and ev.failure.has_field("executor_id"):
            with self.message_arrived:
                self.executor_exits.append(
                    (str(ev.failure.executor_id.value), int(ev.failure.status))
                )
                self.message_arrived.notify_all()
        elif ev.type == "MESSAGE":
            with self.message_arrived:
                self.messages.append((str(ev.message.executor_id.value), bytes(ev.message.data)))
                self.message_arrived.notify_all()

    def _offer(self, offer: Any) -> None:
        free = _scalars(offer.resources)
        running = {str(e.value) for e in offer.executor_ids}
        launch: list[TaskInfo] = []
        with self._lock:
            for task in list(self._queue):
                need = _scalars(task.resources)
                if task.has_field("executor"):
                    eid = str(task.executor.executor_id.value)
                    if eid not in running:
                        for k, v in _scalars(task.executor.resources).items():
                            need[k] = need.get(k, 0.0) + v
                if all(free.get(k, 0.0) + 1e-9 >= v for k, v in need.items()):
                    for k, v in need.items():
                        free[k] -= v
                    if task.has_field("executor"):
                        running.add(str(task.executor.executor_id.value))
                    task.agent_id = offer.agent_id.copy()
                    self._agents[str(task.task_id.value)] = str(offer.agent_id.value)
                    launch.append(task)
                    self._queue.remove(task)
        if launch:
            op = {"type": "LAUNCH", "launch": {"task_infos": [t.to_plain() for t in launch]}}
            call = SchedulerCall(
                type="ACCEPT",
                accept={
                    "offer_ids": [offer.id.to_plain()],
                    "operations": [op],
                    "filters": {"refuse_seconds": 0.0},
                },
            )
        else:
            call = SchedulerCall(
                type="DECLINE",
                decline={"offer_ids": [offer.id.to_plain()], "filters": {"refuse_seconds": 1.0}},
            )
        self._call(call)

    def _update(self, status: TaskStatus) -> None:
        if status.has_field("uuid"):
            self._call(
                SchedulerCall(
                    type="ACKNOWLEDGE",
                    acknowledge={
                        "agent_id": status.agent_id.to_plain(),
                        "task_id": status.task_id.to_plain(),
                        "uuid": bytes(status.uuid),
                    },
                )
            )
        task_id = str(status.task_id.value)
        with self.message_arrived:
            self.statuses.setdefault(task_id, []).append(status)
            self.message_arrived.notify_all()
        if status.has_terminated():
            fut = self._futures.pop(task_id, None)
            if fut is not None and not fut.done():
                fut.set_result(status)
