"""The scheduler driver's Python face: :class:`SchedulerDriver` connects a
:class:`~satyr.interface.Scheduler` to a Mesos master through the Rust driver.

The Rust driver does the protocol work (master detection, subscription, heartbeats, reconnection,
implicit acknowledgements); this module turns its events into callbacks on ONE dispatcher thread,
which waits for events with the GIL released and takes them in batches, and turns the callbacks'
calls (``driver.launch(offer, [task])``) into ``mesos.v1.scheduler.Call`` messages.

Arguments are proxies of :mod:`satyr.proxies.messages`, plain dicts in their shape, or, for ids,
plain strings.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from satyr import _satyr
from satyr._satyr import NotConnectedError, SatyrError
from satyr.interface import Scheduler
from satyr.proxies.messages import (
    AgentID,
    ExecutorID,
    Filters,
    FrameworkID,
    FrameworkInfo,
    MasterInfo,
    Message,
    Offer,
    OfferID,
    SchedulerCall,
    SchedulerEvent,
    TaskID,
    TaskInfo,
    TaskStatus,
)

__all__ = ["LocalMasterUnavailableError", "SchedulerDriver", "local_agents", "resolve_master"]

log = logging.getLogger("satyr.driver")

#: Events taken from the native queue per wait.
_BATCH = 256

_LOCAL = re.compile(r"local(?::(\d+))?")


class LocalMasterUnavailableError(SatyrError, RuntimeError):
    """``master='local'`` (or no master at all) asks for satyr's embedded local cluster, and it
    could not be started (the message says why)."""


def local_agents(master: str | None) -> int | None:
    """The number of agents a local-cluster address asks for (``'local'``: 1, ``'local:N'``: N),
    or ``None`` when ``master`` names a real master."""
    if master is None:
        return None
    m = _LOCAL.fullmatch(master.strip())
    if m is None:
        return None
    n = int(m.group(1) or 1)
    if n < 1:
        raise _satyr.InvalidCallError(f"master {master!r}: a local cluster needs at least 1 agent")
    return n


def resolve_master(master: str | None = None) -> str:
    """The master address to connect to: ``master``, else the ``MESOS_MASTER`` environment
    variable (read now). Unset, ``'local'`` or ``'local:N'`` start (once per process) the embedded
    local cluster with 1 or N agents and return its URL."""
    if master is None:
        master = os.environ.get("MESOS_MASTER") or "local"
    agents = local_agents(master)
    if agents is None:
        return master
    from satyr.local import shared_cluster  # the local cluster is only started when asked for

    try:
        return shared_cluster(agents).url
    except SatyrError as e:
        raise LocalMasterUnavailableError(f"the embedded local cluster did not start: {e}") from e


# -- argument coercion -----------------------------------------------------------------------


def _id(cls: type[Message], value: Any, what: str) -> Message:
    if isinstance(value, str):
        return cls(value=value)
    if isinstance(value, Message) and value.type_name == cls.type_name:
        return value
    if isinstance(value, Mapping):
        return cls(value)
    raise TypeError(f"{what}: expected a {cls.__name__} or a str, got {type(value).__name__}")


def _message(cls: type[Message], value: Any, what: str) -> Message:
    if isinstance(value, Message):
        if value.type_name != cls.type_name:
            raise TypeError(f"{what}: expected a {cls.__name__}, got a {type(value).__name__}")
        return value
    if isinstance(value, Mapping):
        return cls(value)
    raise TypeError(f"{what}: expected a {cls.__name__} or a dict, got {type(value).__name__}")


def _listed(value: Any) -> list[Any]:
    """One item or an iterable of items (a str, dict or message counts as one item)."""
    if isinstance(value, str | bytes | Mapping | Message):
        return [value]
    return list(value)


def _filters(filters: Filters | Mapping[str, Any] | None, refuse_seconds: float | None) -> Any:
    if filters is not None and refuse_seconds is not None:
        raise _satyr.InvalidCallError("give filters or refuse_seconds, not both")
    if refuse_seconds is not None:
        return Filters(refuse_seconds=refuse_seconds)
    if filters is None:
        return None
    return _message(Filters, filters, "filters")


def _roles(roles: str | Iterable[str]) -> list[str]:
    return [roles] if isinstance(roles, str) else list(roles)


class SchedulerDriver:
    """Connects ``scheduler`` to the Mesos master at ``master`` as ``framework``.

    Not started until :meth:`start`. Callbacks run on one dispatcher thread in event order; an
    exception in a callback is logged with its traceback and the framework keeps running. The
    calls may be made from any thread; they wait for the master's answer with the GIL released
    and raise :class:`~satyr.NotConnectedError` while not subscribed (nothing is queued).

    Settings (all checked here, each named in its error): ``implicit_acknowledgements`` (the
    driver acknowledges every status update that has a uuid on receipt; otherwise call
    :meth:`acknowledge`), ``principal``/``secret`` (HTTP basic authentication), ``ca_file``
    (PEM trust roots for https masters), ``suppressed_roles``, ``encoding`` (``'protobuf'`` or
    ``'json'``), ``heartbeats`` (call ``on_heartbeat``), and the native driver's ``backoff_min``,
    ``backoff_max``, ``heartbeat_misses``, ``max_frame_bytes``, ``connect_timeout``,
    ``subscribe_timeout``, ``request_timeout`` (seconds) and ``zk_scheme``.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        framework: FrameworkInfo | Mapping[str, Any],
        master: str,
        *,
        implicit_acknowledgements: bool = True,
        principal: str | None = None,
        secret: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        suppressed_roles: Sequence[str] = (),
        encoding: str = "protobuf",
        heartbeats: bool = False,
        **options: Any,
    ) -> None:
        if not isinstance(scheduler, Scheduler):
            raise TypeError(
                f"scheduler must be a satyr.interface.Scheduler, got {type(scheduler).__name__}"
            )
        self.scheduler = scheduler
        self.framework = _message(FrameworkInfo, framework, "framework")
        self._settings = _satyr.DriverSettings(
            master,
            self.framework.to_bytes(),
            implicit_acknowledgements=implicit_acknowledgements,
            principal=principal,
            secret=secret,
            ca_file=os.fspath(ca_file) if ca_file is not None else None,
            suppressed_roles=list(suppressed_roles),
            encoding=encoding,
            deliver_heartbeats=heartbeats,
            **options,
        )
        self._handle: _satyr.DriverHandle | None = None
        self._thread: threading.Thread | None = None
        self._error: SatyrError | None = None
        self._stop_lock = threading.Lock()
        # Agent of every offer held, for launch(offer_id, tasks) on tasks without an agent_id.
        self._offer_agents: dict[str, AgentID] = {}
        self._event_pace = 0.0

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> SchedulerDriver:
        """Starts the driver and its dispatcher thread; returns ``self``."""
        if self._handle is not None:
            raise SatyrError("the driver was started already")
        handle, events = _satyr.driver_start(self._settings)
        handle.set_pace(self._event_pace)
        self._handle = handle
        self._thread = threading.Thread(
            target=self._dispatch_loop, args=(events,), name="satyr-scheduler", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, failover: bool = False) -> None:
        """Stops the driver. Without ``failover`` the framework is torn down first (its tasks are
        killed and its id can never subscribe again); with it the connection is just closed and
        the framework lives on for its ``failover_timeout``, to be resubscribed with its id.
        Idempotent. May be called from a callback."""
        handle = self._started()
        with self._stop_lock:
            if handle.state == "STOPPED":
                return
            try:
                handle.stop(failover)
            except NotConnectedError:
                # Not subscribed: TEARDOWN could not be sent, but a stop command always ends the
                # driver (its state turns STOPPED just after this reply).
                if not failover:
                    log.warning("stopped while not subscribed: the framework was not torn down")

    def join(self, timeout: float | None = None) -> bool:
        """Waits until the driver has stopped and every callback ran (``on_failure`` included);
        True then, False if ``timeout`` seconds passed first. Called from a callback it cannot
        wait for its own thread: it tells at once whether the driver has stopped."""
        thread = self._thread
        if thread is None:
            raise SatyrError("the driver was not started")
        if thread is threading.current_thread():
            return self.state == "STOPPED"
        thread.join(timeout)
        return not thread.is_alive()

    def run(self) -> SatyrError | None:
        """Starts the driver and waits until it stops; returns the fatal error, if any."""
        self.start()
        self.join()
        return self._error

    @property
    def error(self) -> SatyrError | None:
        """Why the driver stopped, when it stopped with an error (after :meth:`join`)."""
        return self._error

    @property
    def state(self) -> str:
        """``'NOT_STARTED'``, ``'DISCONNECTED'``, ``'SUBSCRIBING'``, ``'SUBSCRIBED'`` or
        ``'STOPPED'``."""
        return "NOT_STARTED" if self._handle is None else self._handle.state

    @property
    def connected(self) -> bool:
        """True while subscribed (calls can be sent)."""
        return self.state == "SUBSCRIBED"

    @property
    def framework_id(self) -> FrameworkID | None:
        """The framework's id once known (given in the FrameworkInfo, or from SUBSCRIBED)."""
        value = self._handle.framework_id if self._handle is not None else None
        if value is None:
            value = self.framework.id.value if self.framework.has_field("id") else None
        return FrameworkID(value=value) if value else None

    @property
    def master(self) -> str | None:
        """The master subscribed (or subscribing) to, ``scheme://host:port``."""
        return self._handle.master if self._handle is not None else None

    @property
    def event_pace(self) -> float:
        """Seconds the driver waits after each read of the event stream before the next
        (default 0: every event is read as it comes). Paced, the events of a burst (status
        updates of many short tasks) are read, handed to the callbacks and acknowledged
        together, one wake-up of each thread instead of one per event, for that much latency.
        A scheduler with many short tasks running sets it (QueueScheduler does)."""
        return self._event_pace

    @event_pace.setter
    def event_pace(self, seconds: float) -> None:
        if not 0.0 <= seconds <= 1.0:
            raise _satyr.InvalidCallError(
                f"event_pace must be between 0 and 1 second, got {seconds!r}"
            )
        if self._handle is not None:
            self._handle.set_pace(seconds)
        self._event_pace = float(seconds)

    def __repr__(self) -> str:
        return f"<SchedulerDriver {self.framework.name!r} {self.state} master={self.master}>"

    # -- calls -----------------------------------------------------------------------------------

    def _started(self) -> _satyr.DriverHandle:
        if self._handle is None:
            raise NotConnectedError("the driver was not started: call start() (or use Running)")
        return self._handle

    def _call(self, **fields: Any) -> None:
        self._started().call(SchedulerCall(**fields).to_bytes())

    def send_call(self, call: bytes) -> None:
        """Sends an encoded ``mesos.v1.scheduler.Call`` as it is (``framework_id`` is filled in)
        and waits for the master's answer; for calls built elsewhere, e.g. the ops of
        :class:`satyr._satyr.SchedulerCore`."""
        self._started().call(call)

    def _offer_ids(self, offers: Any) -> tuple[list[OfferID], list[AgentID]]:
        """Offer ids and the agents known for them (from Offer proxies or held offers)."""
        ids: list[OfferID] = []
        agents: list[AgentID] = []
        for item in _listed(offers):
            if isinstance(item, Offer):
                ids.append(item.id)
                agent = item.agent_id if item.has_field("agent_id") else None
            else:
                oid = _id(OfferID, item, "offer")
                ids.append(oid)  # type: ignore[arg-type]
                agent = self._offer_agents.get(oid.value)
            if agent is not None and agent not in agents:
                agents.append(agent)
        if not ids:
            raise _satyr.InvalidCallError("no offer given")
        return ids, agents

    def _forget(self, ids: Iterable[OfferID]) -> None:
        for oid in ids:
            self._offer_agents.pop(oid.value, None)

    def launch(
        self,
        offers: Offer | OfferID | str | Iterable[Offer | OfferID | str],
        tasks: Iterable[TaskInfo | Mapping[str, Any]],
        filters: Filters | Mapping[str, Any] | None = None,
    ) -> None:
        """Launches ``tasks`` on the resources of ``offers`` (an offer, an offer id, or several of
        the same agent): ``driver.launch(offer, [task])`` or ``driver.launch(offer.id, [task])``.
        A task without an ``agent_id`` gets the offer's (set on the task itself). An empty task
        list declines the offers. Resources offered but not used are declined with
        ``filters``."""
        ids, agents = self._offer_ids(offers)
        infos = [_message(TaskInfo, t, "task") for t in tasks]
        if not infos:
            self.decline(ids, filters)
            return
        for task in infos:
            if not task.has_field("agent_id"):
                if len(agents) != 1:
                    raise _satyr.InvalidCallError(
                        f"task {task.task_id.value!r} has no agent_id and the offers do not name"
                        " exactly one agent: set task.agent_id = offer.agent_id"
                    )
                task.agent_id = agents[0].copy()
        operation = {"type": "LAUNCH", "launch": {"task_infos": infos}}
        self.accept(ids, [operation], filters)

    def accept(
        self,
        offer_ids: Offer | OfferID | str | Iterable[Offer | OfferID | str],
        operations: Iterable[Message | Mapping[str, Any]],
        filters: Filters | Mapping[str, Any] | None = None,
    ) -> None:
        """ACCEPT offers with any operations (LAUNCH, LAUNCH_GROUP, RESERVE, CREATE, ...); what
        is not used is declined with ``filters``. An offer the driver does not hold (used,
        declined, rescinded, or from before a resubscription) raises
        :class:`~satyr.OfferNotHeldError` and nothing is sent."""
        ids, _ = self._offer_ids(offer_ids)
        accept: dict[str, Any] = {"offer_ids": ids, "operations": list(operations)}
        if filters is not None:
            accept["filters"] = _filters(filters, None)
        self._call(type="ACCEPT", accept=accept)
        self._forget(ids)

    def decline(
        self,
        offer_ids: Offer | OfferID | str | Iterable[Offer | OfferID | str],
        filters: Filters | Mapping[str, Any] | None = None,
        refuse_seconds: float | None = None,
    ) -> None:
        """DECLINE offers, optionally refusing the same resources for ``refuse_seconds`` (or
        ``filters``). Offers no longer held are skipped silently."""
        ids, _ = self._offer_ids(offer_ids)
        decline: dict[str, Any] = {"offer_ids": ids}
        f = _filters(filters, refuse_seconds)
        if f is not None:
            decline["filters"] = f
        self._call(type="DECLINE", decline=decline)
        self._forget(ids)

    def accept_inverse_offers(
        self,
        inverse_offer_ids: OfferID | str | Iterable[OfferID | str],
        filters: Filters | Mapping[str, Any] | None = None,
    ) -> None:
        """ACCEPT_INVERSE_OFFERS: agree to give the resources back for maintenance."""
        ids = [_id(OfferID, i, "inverse offer") for i in _listed(inverse_offer_ids)]
        body: dict[str, Any] = {"inverse_offer_ids": ids}
        if filters is not None:
            body["filters"] = _filters(filters, None)
        self._call(type="ACCEPT_INVERSE_OFFERS", accept_inverse_offers=body)

    def decline_inverse_offers(
        self,
        inverse_offer_ids: OfferID | str | Iterable[OfferID | str],
        filters: Filters | Mapping[str, Any] | None = None,
    ) -> None:
        """DECLINE_INVERSE_OFFERS."""
        ids = [_id(OfferID, i, "inverse offer") for i in _listed(inverse_offer_ids)]
        body: dict[str, Any] = {"inverse_offer_ids": ids}
        if filters is not None:
            body["filters"] = _filters(filters, None)
        self._call(type="DECLINE_INVERSE_OFFERS", decline_inverse_offers=body)

    def kill(
        self,
        task_id: TaskID | TaskInfo | str,
        agent_id: AgentID | str | None = None,
        kill_policy: Message | Mapping[str, Any] | None = None,
    ) -> None:
        """KILL a task (a TaskInfo gives its own agent when ``agent_id`` is not given)."""
        body: dict[str, Any] = {}
        if isinstance(task_id, TaskInfo):
            body["task_id"] = task_id.task_id
            if agent_id is None and task_id.has_field("agent_id"):
                agent_id = task_id.agent_id
        else:
            body["task_id"] = _id(TaskID, task_id, "task_id")
        if agent_id is not None:
            body["agent_id"] = _id(AgentID, agent_id, "agent_id")
        if kill_policy is not None:
            body["kill_policy"] = kill_policy
        self._call(type="KILL", kill=body)

    def reconcile(
        self, tasks: Iterable[TaskStatus | TaskInfo | TaskID | str | Mapping[str, Any]] = ()
    ) -> None:
        """RECONCILE: the master answers with an update (no uuid, not to be acknowledged) for each
        task given (statuses, task infos or task ids); with none, for every task it knows
        (implicit reconciliation)."""
        entries = []
        for item in _listed(tasks):
            if isinstance(item, TaskStatus | TaskInfo):
                entry: dict[str, Any] = {"task_id": item.task_id}
                if item.has_field("agent_id"):
                    entry["agent_id"] = item.agent_id
            elif isinstance(item, Mapping) and "task_id" in item:
                entry = dict(item)
            else:
                entry = {"task_id": _id(TaskID, item, "task")}
            entries.append(entry)
        self._call(type="RECONCILE", reconcile={"tasks": entries})

    def revive(self, roles: str | Iterable[str] = ()) -> None:
        """REVIVE offers for ``roles`` (every role when empty), dropping their offer filters."""
        self._call(type="REVIVE", revive={"roles": _roles(roles)})

    def suppress(self, roles: str | Iterable[str] = ()) -> None:
        """SUPPRESS offers for ``roles`` (every role when empty) until :meth:`revive`."""
        self._call(type="SUPPRESS", suppress={"roles": _roles(roles)})

    def acknowledge(self, status: TaskStatus | Mapping[str, Any]) -> None:
        """Acknowledges a status update (explicit mode; a no-op with implicit
        acknowledgements). A status without a uuid (reconciliation, master-generated) must
        never be acknowledged: that raises :class:`~satyr.InvalidCallError`, nothing sent."""
        st = _message(TaskStatus, status, "status")
        self._started().acknowledge(st.to_bytes())

    def acknowledge_operation(self, status: Message | Mapping[str, Any]) -> None:
        """Acknowledges an offer operation's status update (one with a uuid)."""
        plain = status.to_plain() if isinstance(status, Message) else dict(status)
        uuid = plain.get("uuid", {}).get("value")
        if not uuid:
            raise _satyr.InvalidCallError("operation status has no uuid: nothing to acknowledge")
        body: dict[str, Any] = {
            k: plain[k] for k in ("agent_id", "resource_provider_id") if k in plain
        }
        body.update(uuid=uuid, operation_id=plain.get("operation_id", {}))
        self._call(type="ACKNOWLEDGE_OPERATION_STATUS", acknowledge_operation_status=body)

    def message(
        self, executor_id: ExecutorID | str, agent_id: AgentID | str, data: bytes | str
    ) -> None:
        """MESSAGE: ``data`` to an executor (delivery is not guaranteed)."""
        self._call(
            type="MESSAGE",
            message={
                "executor_id": _id(ExecutorID, executor_id, "executor_id"),
                "agent_id": _id(AgentID, agent_id, "agent_id"),
                "data": data.encode() if isinstance(data, str) else bytes(data),
            },
        )

    def request(self, requests: Iterable[Message | Mapping[str, Any]]) -> None:
        """REQUEST resources (``mesos.v1.Request`` items; the default allocator ignores it)."""
        self._call(type="REQUEST", request={"requests": list(requests)})

    def shutdown(self, executor_id: ExecutorID | str, agent_id: AgentID | str) -> None:
        """SHUTDOWN an executor (its tasks are killed)."""
        self._call(
            type="SHUTDOWN",
            shutdown={
                "executor_id": _id(ExecutorID, executor_id, "executor_id"),
                "agent_id": _id(AgentID, agent_id, "agent_id"),
            },
        )

    def teardown(self) -> None:
        """Tears the framework down (all its tasks are killed; its id is gone for good) and
        stops the driver: ``stop(failover=False)``."""
        self.stop(failover=False)

    # -- dispatch --------------------------------------------------------------------------------

    def _dispatch_loop(self, events: _satyr.EventReceiver) -> None:
        while True:
            batch = events.recv_batch(_BATCH, None)
            if batch is None:
                return
            # A scheduler with `_raw_updates` (QueueScheduler) may take a run of UPDATEs at once.
            updates = getattr(self.scheduler, "_raw_updates", None)
            i, n = 0, len(batch)
            while i < n:
                event = batch[i]
                if updates is not None and event.name == "UPDATE":
                    end = i + 1
                    while end < n and batch[end].name == "UPDATE":
                        end += 1
                    if self._take_updates(updates, batch[i:end]):
                        i = end
                        continue
                try:
                    self._dispatch(event)
                except Exception:
                    log.exception("scheduler callback for %s raised", event.name)
                i += 1

    def _take_updates(self, updates: Callable[..., bool], run: list[_satyr.DriverEvent]) -> bool:
        try:
            return bool(updates(self, [e.data for e in run]))
        except Exception:
            log.exception("scheduler callback for %d UPDATE events raised", len(run))
            return True

    def _dispatch(self, event: _satyr.DriverEvent) -> None:
        name = event.name
        s = self.scheduler
        if name == "STOPPED":
            self._offer_agents.clear()
            if event.error is not None:
                self._error = event.error
                s.on_failure(self, event.error)
            return
        if name == "DISCONNECTED":
            self._offer_agents.clear()
            log.info("disconnected from the master: %s", event.error)
            s.on_disconnected(self)
            return
        handler = _HANDLERS.get(name)
        if handler is None:
            log.debug("ignoring %s event", name)
            return
        assert event.data is not None  # every Mesos event carries its bytes
        raw = getattr(s, "_raw_event", None)
        if raw is not None and raw(self, name, event.data):
            return  # the scheduler took the encoded event as it is (no message proxies)
        handler(self, event, SchedulerEvent.from_bytes(event.data))

    def _on_subscribed(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        self._offer_agents.clear()
        sub = ev.subscribed
        framework_id = FrameworkID(value=event.framework_id or sub.framework_id.value)
        master = sub.master_info if sub.has_field("master_info") else _master_info(event.master)
        if event.reregistered:
            self.scheduler.on_reregistered(self, framework_id, master)
        else:
            self.scheduler.on_registered(self, framework_id, master)

    def _on_offers(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        offers: list[Offer] = list(ev.offers.offers)
        for offer in offers:
            self._offer_agents[offer.id.value] = offer.agent_id
        self.scheduler.on_offers(self, offers)

    def _on_rescind(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        offer_id = ev.rescind.offer_id
        self._offer_agents.pop(offer_id.value, None)
        self.scheduler.on_rescinded(self, offer_id)

    def _on_update(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        self.scheduler.on_update(self, ev.update.status)

    def _on_message(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        m = ev.message
        self.scheduler.on_message(self, m.executor_id, m.agent_id, m.data)

    def _on_failure(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        f = ev.failure
        if f.has_field("executor_id"):
            status = f.status if f.has_field("status") else None
            self.scheduler.on_executor_lost(self, f.executor_id, f.agent_id, status)
        elif f.has_field("agent_id"):
            self.scheduler.on_agent_lost(self, f.agent_id)

    def _on_error(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        message = ev.error.message
        log.error("the master sent ERROR: %s", message)
        self.scheduler.on_error(self, message)

    def _on_heartbeat(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        self.scheduler.on_heartbeat(self)

    def _on_inverse_offers(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        self.scheduler.on_inverse_offers(self, list(ev.inverse_offers.inverse_offers))

    def _on_rescind_inverse_offer(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        self.scheduler.on_rescinded_inverse_offer(self, ev.rescind_inverse_offer.inverse_offer_id)

    def _on_operation_update(self, event: _satyr.DriverEvent, ev: SchedulerEvent) -> None:
        self.scheduler.on_operation_update(self, ev.update_operation_status.status)


def _master_info(master: str | None) -> MasterInfo:
    """A MasterInfo naming ``scheme://host:port`` when SUBSCRIBED carried none."""
    info = MasterInfo(id="", ip=0, port=0)
    if master:
        host, _, port = master.split("://", 1)[-1].rpartition(":")
        info.hostname = host.strip("[]")
        info.port = int(port) if port.isdigit() else 0
        info.address = {"hostname": info.hostname, "port": info.port}
    return info


_Handler = Callable[[SchedulerDriver, Any, SchedulerEvent], None]

_HANDLERS: dict[str, _Handler] = {
    "SUBSCRIBED": SchedulerDriver._on_subscribed,
    "OFFERS": SchedulerDriver._on_offers,
    "RESCIND": SchedulerDriver._on_rescind,
    "UPDATE": SchedulerDriver._on_update,
    "MESSAGE": SchedulerDriver._on_message,
    "FAILURE": SchedulerDriver._on_failure,
    "ERROR": SchedulerDriver._on_error,
    "HEARTBEAT": SchedulerDriver._on_heartbeat,
    "INVERSE_OFFERS": SchedulerDriver._on_inverse_offers,
    "RESCIND_INVERSE_OFFER": SchedulerDriver._on_rescind_inverse_offer,
    "UPDATE_OPERATION_STATUS": SchedulerDriver._on_operation_update,
}
