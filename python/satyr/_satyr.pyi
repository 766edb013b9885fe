"""Type stubs for the private native module ``satyr._satyr`` (hand-written, checked by stubtest)."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias, final

__version__: str

class SatyrError(Exception):
    """Base class of every satyr error."""

class ProtocolError(SatyrError):
    """A Mesos message could not be decoded or encoded."""

class ResourceError(SatyrError, ValueError):
    """A bad resource value, or resource arithmetic that would go below zero."""

class ResourceKindError(SatyrError, TypeError):
    """Resource arithmetic mixing kinds (cpus + mem, one name with two value types)."""

# Resource algebra on plain-form ``mesos.v1.Resource`` dicts. Results are new lists of shallow
# copies of the input dicts (nested dicts are shared) with only the value part replaced.
_Resource: TypeAlias = dict[str, Any]
_Resources: TypeAlias = Sequence[Mapping[str, Any]]

def resources_add(a: _Resources, b: _Resources) -> list[_Resource]:
    """``a + b`` per resource identity (scalars summed, ranges and sets united), normalized."""

def resources_sub(a: _Resources, b: _Resources) -> list[_Resource]:
    """``a - b`` per resource identity; ``ResourceError`` if ``b`` is not contained in ``a``."""

def resources_contains(a: _Resources, b: _Resources) -> bool:
    """True when ``a`` fits in ``b``."""

def resources_equal(a: _Resources, b: _Resources) -> bool:
    """True when ``a`` and ``b`` hold the same quantity of every resource."""

def resources_normalize(a: _Resources) -> list[_Resource]:
    """``a`` with same-identity entries merged and zero entries dropped."""

def resources_scalar_total(a: _Resources, name: str) -> float:
    """Total scalar amount of resource ``name`` over all roles, reservations and flags."""

def resources_count(a: _Resources, name: str) -> int:
    """Number of range values plus set items of resource ``name`` (e.g. ports)."""

def resources_to_vector(a: _Resources, names: Sequence[str]) -> list[int]:
    """One int per name, in thousandths: scalar totals, 1000 per range value or set item."""

def resources_find(a: _Resources, b: _Resources) -> list[_Resource] | None:
    """The entries of ``b`` that serve demand ``a`` (with ``b``'s fields), or None."""

def resources_take(a: _Resources, b: _Resources) -> tuple[list[_Resource], list[_Resource]]:
    """``(taken, rest)``: the entries of ``b`` serving demand ``a`` (with ``b``'s fields) and what
    remains of ``b``; ``ResourceError`` naming the shortfall when ``a`` does not fit."""

def resources_fit(a: _Resources, b: _Resources) -> int:
    """How demand ``a`` fits in ``b``: -1 not at all, 0 taking all of ``b``, 1 with some left."""

# Single resources of the same kind (name, value type, reservations, flags; else
# ResourceKindError). Results keep ``a``'s other fields.

def resource_add(a: Mapping[str, Any], b: Mapping[str, Any]) -> _Resource:
    """``a + b`` for one resource."""

def resource_sub(a: Mapping[str, Any], b: Mapping[str, Any]) -> _Resource:
    """``a - b`` for one resource (possibly zero); ``ResourceError`` if ``b`` does not fit."""

def resource_compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[bool, bool]:
    """``(a fits in b, b fits in a)`` for one resource."""

# -- plain-form codec (see PLAIN_FORM.md) -------------------------------------------------------

UNKNOWN_FIELDS_KEY: str
"""Plain-form key holding a message's unknown fields (raw protobuf bytes), kept for re-encoding."""

def decode(type_name: str, data: bytes) -> dict[str, Any]:
    """Decode protobuf ``data`` as the message ``type_name`` (e.g. ``'mesos.v1.TaskInfo'``) to
    its plain form; bad bytes raise :class:`ProtocolError`, an unknown type ``ValueError``."""

def encode(type_name: str, plain: Mapping[str, Any]) -> bytes:
    """Encode the plain form of the message ``type_name``; a wrong key, type or enum name raises
    ``ValueError`` naming the field path (``TaskInfo.resources[0].scalar.value: ...``)."""

def message_schema() -> dict[str, dict[str, dict[str, Any]]]:
    """``{type_name: {field_name: {number, kind, label, type_name, default, oneof, key_kind,
    enum_values}}}`` for every message type, fields in declaration order."""

# --- binpack (satyr.binpack builds on these) ---------------------------------------------------

def binpack_pack(
    method: str,
    items: object,
    capacities: object,
    weights: list[tuple[int, float]] | None = None,
) -> tuple[list[int | None], list[int]]:
    """Runs one heuristic; returns (bin of every item or None, processing order)."""

def binpack_best(
    methods: list[str],
    items: object,
    capacities: object,
    weights: list[tuple[int, float]] | None = None,
) -> tuple[str, tuple[list[int | None], list[int]]]:
    """Runs a portfolio; returns (winning method, (bins of items, processing order))."""

def binpack_weight(rows: object, weights: list[tuple[int, float]]) -> list[float]:
    """satyr's weight formula over rows of quantities."""

def binpack_methods() -> list[str]:
    """Names of every heuristic, in the portfolio's tie-breaking order."""

def binpack_portfolio() -> list[str]:
    """Names of the portfolio's default members, in tie-breaking order."""

# --- scheduler driver (satyr.driver builds on these) -------------------------------------------

class MesosError(SatyrError):
    """The Mesos master refused: an ERROR event, or an HTTP error the driver does not retry."""

class FrameworkRemovedError(MesosError):
    """The master removed the framework (torn down, or its failover timeout ran out): its id can
    never subscribe again."""

class AuthenticationError(MesosError):
    """The master refused the principal/secret (HTTP 401). Not retried."""

class MesosConnectionError(SatyrError, ConnectionError):
    """The master cannot be reached or the connection to it broke (refused, TLS, timeout,
    malformed or oversized stream, heartbeats missed, no leader in ZooKeeper)."""

class NotConnectedError(MesosConnectionError):
    """A call was not sent: the driver is not subscribed (yet, or right now), or has stopped."""

class InvalidCallError(SatyrError, ValueError):
    """A bad driver setting or call argument (master address, framework info, a status without a
    uuid to acknowledge, ...); nothing was sent."""

class OfferNotHeldError(InvalidCallError):
    """An offer was accepted that the driver does not hold: already used or declined, rescinded,
    or from before a resubscription."""

@final
class DriverSettings:
    """Everything a driver needs, checked when built (``InvalidCallError`` names the setting)."""

    def __new__(
        cls,
        master: str,
        framework_info: bytes,
        *,
        implicit_acknowledgements: bool = True,
        principal: str | None = None,
        secret: str | None = None,
        ca_file: str | None = None,
        suppressed_roles: list[str] = ...,
        encoding: str = "protobuf",
        zk_scheme: str = "http",
        backoff_min: float = 0.5,
        backoff_max: float = 15.0,
        heartbeat_misses: int = 5,
        max_frame_bytes: int | None = None,
        connect_timeout: float = 10.0,
        subscribe_timeout: float = 75.0,
        request_timeout: float = 75.0,
        deliver_heartbeats: bool = False,
    ) -> DriverSettings: ...
    @property
    def master(self) -> str:
        """The master address as given."""
    @property
    def implicit_acknowledgements(self) -> bool:
        """Whether status updates are acknowledged by the driver on receipt."""

@final
class DriverHandle:
    """Calls and control of a running driver; every method releases the GIL while it waits."""

    def call(self, call: bytes) -> None:
        """Sends a ``mesos.v1.scheduler.Call`` (protobuf bytes) and waits for the 202."""
    def acknowledge(self, status: bytes) -> None:
        """Acknowledges a ``mesos.v1.TaskStatus`` (protobuf bytes); a no-op in implicit mode."""
    def set_pace(self, pace: float) -> None:
        """Waits ``pace`` seconds (0 to 1) after each read of the event stream before the next."""
    def stop(self, failover: bool) -> None:
        """Stops the driver (TEARDOWN first unless ``failover``)."""
    def join(self, timeout: float | None = None) -> tuple[bool, SatyrError | None]:
        """``(stopped, fatal error or None)``; ``(False, None)`` on timeout."""
    @property
    def state(self) -> str:
        """``DISCONNECTED``, ``SUBSCRIBING``, ``SUBSCRIBED`` or ``STOPPED``."""
    @property
    def framework_id(self) -> str | None:
        """The framework id once known."""
    @property
    def master(self) -> str | None:
        """The master subscribed (or subscribing) to, ``scheme://host:port``."""

@final
class DriverEvent:
    """One driver event: a Mesos event (``data`` = protobuf ``mesos.v1.scheduler.Event``) or
    ``DISCONNECTED`` / ``STOPPED`` (with ``error``)."""

    @property
    def name(self) -> str: ...
    @property
    def data(self) -> bytes | None: ...
    @property
    def error(self) -> SatyrError | None: ...
    @property
    def reregistered(self) -> bool: ...
    @property
    def master(self) -> str | None: ...
    @property
    def framework_id(self) -> str | None: ...

@final
class EventReceiver:
    """The driver's events, in order, for one reader."""

    def recv_batch(self, max: int, timeout: float | None = None) -> list[DriverEvent] | None:
        """Up to ``max`` events after waiting up to ``timeout`` s (GIL released) for the first;
        ``[]`` on timeout, ``None`` once the driver stopped and all events were taken."""
    def __len__(self) -> int: ...

def driver_start(settings: DriverSettings) -> tuple[DriverHandle, EventReceiver]:
    """Starts a scheduler driver on the shared runtime."""

def driver_validate_call(call: bytes) -> None:
    """Checks a ``mesos.v1.scheduler.Call`` as the driver does before sending it."""

# --- executor (satyr.executor builds on these) -------------------------------------------------

@final
class ExecutorDriver:
    """The v1 executor driver: subscribes to the agent named by the ``MESOS_*`` environment (or
    ``env``), delivers its events through :meth:`recv` and sends updates reliably."""

    def __new__(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        handle_sigterm: bool = True,
        guard: bool = True,
        registration_timeout: float = 60.0,
    ) -> ExecutorDriver: ...
    def recv(self, timeout: float, max: int = 64) -> list[tuple[str, Any]] | None:
        """Up to ``max`` ``(name, payload)`` events, waiting up to ``timeout`` s for the first;
        ``[]`` on timeout, ``None`` once stopped. Names: SUBSCRIBED ``(reregistered, bytes)``,
        LAUNCH/LAUNCH_GROUP ``bytes``, KILL ``(task_id, grace or None)``, ACKNOWLEDGED
        ``(task_id, uuid)``, MESSAGE ``bytes``, ERROR/DISCONNECTED/SHUTDOWN ``str``."""
    def update(self, status: bytes) -> bytes:
        """Sends an encoded TaskStatus reliably; returns its uuid."""
    def message(self, data: bytes) -> None:
        """Sends a MESSAGE to the scheduler."""
    def shutdown(self) -> None:
        """Starts the shutdown path as if the agent had sent SHUTDOWN."""
    def stop(self, timeout: float) -> None:
        """Ends the driver once every update was acknowledged, or after ``timeout`` s."""
    @property
    def subscribed(self) -> bool: ...
    @property
    def pending_updates(self) -> int: ...
    @property
    def shutting_down(self) -> bool: ...
    @property
    def framework_id(self) -> str: ...
    @property
    def executor_id(self) -> str: ...
    @property
    def agent_endpoint(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def sandbox(self) -> str | None: ...
    @property
    def directory(self) -> str | None: ...
    @property
    def checkpoint(self) -> bool: ...
    @property
    def shutdown_grace_period(self) -> float: ...
    @property
    def recovery_timeout(self) -> float: ...
    @property
    def subscription_backoff_max(self) -> float: ...

def interrupt_thread(ident: int, exc: type[BaseException]) -> bool:
    """Raises ``exc`` in the thread ``ident`` at its next Python bytecode; False if no such
    thread."""

def retain_freed_memory(limit: int) -> bool:
    """Makes this process's C allocator keep up to ``limit`` bytes of freed memory for reuse
    (glibc: one arena, big blocks from the heap); False for 0 or another C library. Call it
    before threads start; ValueError if ``limit`` is more than glibc takes."""

def release_freed_memory() -> bool:
    """Gives the freed memory the C allocator keeps back to the system (for a worker gone
    idle); whether any was released."""

def payload_serve(data: bytes, host: str) -> str:
    """Serves ``data`` from this process at an unguessable URL on ``host``."""

def payload_release(url: str) -> bool:
    """Stops serving the payload at ``url``."""

def payload_served() -> int:
    """Number of payloads this process serves."""

def http_get(url: str, timeout: float = 600.0) -> bytes:
    """GETs ``url`` without the GIL; HTTP errors raise SatyrError."""

# --- queue scheduler core (satyr.scheduler builds QueueScheduler and the pools on it) ----------

# One call to send: (call type, mesos.v1.scheduler.Call bytes), e.g. ("ACCEPT", b"...").
_Op: TypeAlias = tuple[str, bytes]
# (task id, kind, detail, is_worker). Kinds: "launched" (detail: agent id), "update" (detail:
# state name), "retry" (detail: why, which attempt next), and the terminal ones, exactly one per
# task: "finished", "exception" (the user's code raised; the status data holds it), "failed"
# (detail: why), "killed", "error" (detail: why it can never run). Scheduler-level outcomes have
# an empty task id: "workers_failed", "placer_error".
_Outcome: TypeAlias = tuple[str, str, str | None, bool]
_Output: TypeAlias = tuple[list[_Op], list[_Outcome]]

@final
class SchedulerCore:
    """The queue scheduler's state machine: tasks, offers, status updates and time in; calls for
    the master and task outcomes out. No I/O; thread-safe.

    Messages are protobuf bytes; ``now`` is seconds of a monotonic clock (``time.monotonic()``),
    or the core's own clock when omitted (use one or the other, not both). Every input returns
    ``(ops, outcomes)``: send the ops in order, then act on the outcomes.

    ``method`` is a ``satyr.binpack`` method name (default ``"bfd"``), ``"best"`` (the
    portfolio), or a callable ``placer(items, capacities) -> list[int | None]`` over rows of
    floats (one column per dimension), like ``satyr.binpack.pack``; every proposal is checked
    exactly against the offered resources. ``weights`` default to cpus=1, mem=1; ``dimensions``
    to cpus, mem, disk, gpus, ports.
    """

    OUTCOME_LABEL: str
    """Label key the executor sets on TASK_FAILED when the user's code raised ("satyr.outcome")."""
    EXCEPTION: str
    """That label's value for the user's exception ("exception"); such a task is never retried."""

    def __new__(
        cls,
        *,
        method: str
        | Callable[[list[list[float]], list[list[float]]], Sequence[int | None]]
        | None = None,
        weights: Sequence[tuple[str, float]] | None = None,
        dimensions: Sequence[str] | None = None,
        max_attempts: int = 3,
        refuse_seconds: float = 5.0,
        idle_refuse_seconds: float = 300.0,
        hold_offers: float = 0.0,
        too_big_after: float = 10.0,
        reconcile_interval: float = 900.0,
        reconcile_retry: float = 1.0,
        launch_timeout: float = 60.0,
        roles: Sequence[str] | None = None,
        max_candidates: int = 100000,
    ) -> SchedulerCore: ...
    def submit(
        self, task: bytes, max_attempts: int | None = None, executor_cpus: float | None = None
    ) -> str:
        """Queues a ``mesos.v1.TaskInfo`` (its resources are its demand); returns its id.
        With ``executor_cpus`` it shares an executor of its settings only with tasks of at
        most that many cpus in all (0: none), more executors (``<id>-1``, ...) starting as
        needed. ``ValueError`` for a bad or duplicate id or not exactly one of
        command/executor, ``ResourceError`` for bad resources."""
    def add_template(self, task: bytes) -> int:
        """Keeps a ``mesos.v1.TaskInfo`` for :meth:`submit_call` to copy; returns its number."""
    def submit_call(
        self,
        template: int,
        task_id: str,
        name: str,
        data: bytes,
        max_attempts: int | None = None,
        executor_cpus: float | None = None,
    ) -> str:
        """Queues a copy of template ``template`` with this id, name and ``data``, as
        :meth:`submit` queues a TaskInfo; returns the id."""
    @staticmethod
    def update_digest(event: bytes) -> tuple[str, str, bytes, bytes | None] | None:
        """An UPDATE event (``mesos.v1.scheduler.Event`` bytes) without proxies: ``(task id
        as submitted, state, TaskStatus bytes, pickled result inline or None)``; None for
        other events."""
    def settle_updates(
        self, events: Sequence[bytes], now: float | None = None
    ) -> tuple[list[_Op], list[_Outcome], list[tuple[str, bytes, bytes | None]]] | None:
        """A burst of UPDATE events of template copies (``submit_call``) as one input, each
        decoded once: ``(ops, outcomes, digests)``, a digest being ``(task id as submitted,
        TaskStatus bytes, inline result)`` for each event, in order. None, having done nothing,
        when an event is not an UPDATE of a live template copy, or is a finished one whose
        result is not inline (the caller takes those one by one)."""
    def submit_many(self, tasks: Sequence[bytes], max_attempts: int | None = None) -> list[str]:
        """Queues many TaskInfos; on an error, the tasks before it stay queued."""
    def offers(self, offers: Sequence[bytes], now: float | None = None) -> _Output:
        """New ``mesos.v1.Offer``s: placed into (one ACCEPT per agent) and answered."""
    def rescind(self, offer_id: str, now: float | None = None) -> _Output:
        """A rescinded offer is forgotten."""
    def update(self, status: bytes, now: float | None = None) -> _Output:
        """A ``mesos.v1.TaskStatus`` (acknowledging it stays the driver's job)."""
    def event(self, event: bytes, now: float | None = None) -> _Output:
        """A whole ``mesos.v1.scheduler.Event``: SUBSCRIBED, OFFERS, RESCIND, UPDATE and FAILURE
        are handled, others produce nothing."""
    def events(self, events: Sequence[bytes], now: float | None = None) -> _Output:
        """Several events, in order, as one input (one output for a burst of updates)."""
    def tick(self, now: float | None = None) -> _Output:
        """Time passes; also places work submitted since the last input into held offers and
        sends REVIVE/SUPPRESS. Call after submitting and about every second."""
    def kill(self, task_id: str, now: float | None = None) -> _Output:
        """Kills a task: a queued one ends "killed" at once, a launched one gets a KILL call.
        ``KeyError`` when no such task is live."""
    def subscribed(self, now: float | None = None) -> _Output:
        """Every SUBSCRIBED: held offers are forgotten, launched tasks reconciled."""
    def disconnected(self) -> None:
        """The subscription was lost: no calls until ``subscribed``."""
    def launch_failed(self, offer_ids: Sequence[str], now: float | None = None) -> _Output:
        """The ACCEPT answering these offers could not be sent: its tasks queue again."""
    def executor_lost(self, agent_id: str, executor_id: str) -> None:
        """An executor exited (a FAILURE event with an executor id)."""
    def set_agent_total(self, agent_id: str, resources: Sequence[bytes]) -> None:
        """An agent's real total (``mesos.v1.Resource`` bytes each), for too-big checks."""
    def set_workers(
        self, template: bytes, idle_timeout: float = 60.0, max_failures: int = 5
    ) -> None:
        """Worker mode from a TaskInfo template (its task id is the prefix of worker ids
        ``<prefix>-<n>``); idle workers beyond demand are killed after ``idle_timeout``."""
    def want_workers(self, n: int, now: float | None = None) -> _Output:
        """How many workers are wanted now; missing ones are queued, lost ones replaced."""
    def worker_idle(self, worker_id: str, now: float | None = None) -> bool:
        """A worker has no call in flight since ``now``; False for an unknown worker."""
    def worker_busy(self, worker_id: str) -> bool:
        """A worker has a call in flight; False for an unknown worker."""
    def state(self, task_id: str) -> str | None:
        """``TASK_STAGING`` while queued, ``TASK_STARTING`` once launched, then the last state
        Mesos reported; None once the task ended."""
    def is_worker(self, task_id: str) -> bool:
        """True for a live worker id."""
    def counts(self) -> dict[str, int]:
        """Live per-call tasks by state name."""
    def worker_counts(self) -> dict[str, int]:
        """Live workers by state name."""
    def stats(self) -> dict[str, int]:
        """Ended tasks by outcome and the totals ``submitted``, ``launches``, ``retries``."""
    def __len__(self) -> int:
        """Live per-call tasks."""
    def is_idle(self) -> bool:
        """No per-call task is live."""
    @property
    def waiting(self) -> int:
        """Tasks (workers included) waiting for offers."""
    @property
    def held_offers(self) -> int:
        """Offers held now."""
    @property
    def report_launches(self) -> bool:
        """Whether outputs include a "launched" outcome for every task placed (default
        True)."""
    @report_launches.setter
    def report_launches(self, value: bool) -> None: ...
    @property
    def workers_failed(self) -> str | None:
        """Why worker mode gave up, or None."""

# The embedded local cluster (``satyr.local`` wraps it).
@final
class LocalCluster:
    """A Mesos-compatible master and agents on 127.0.0.1, started by the constructor."""

    def __new__(
        cls,
        agents: int = 1,
        resources: str | None = None,
        port: int = 0,
        work_dir: str | None = None,
        allocation_interval: float = 1.0,
        heartbeat_interval: float = 15.0,
        status_update_retry: float = 10.0,
        executor_registration_timeout: float = 60.0,
        executor_shutdown_grace_period: float = 5.0,
        kill_grace_period: float = 3.0,
        stop_grace_period: float = 2.0,
        inherit_env: bool = True,
    ) -> LocalCluster: ...
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, the master's URL."""
    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``."""
    @property
    def port(self) -> int:
        """The master's port."""
    @property
    def work_dir(self) -> str:
        """The folder holding the sandboxes."""
    @property
    def agents(self) -> list[dict[str, Any]]:
        """Dicts with ``id``, ``url``, ``port``, ``work_dir`` and ``resources``."""
    def live_processes(self) -> int:
        """Child processes (executors, command tasks) alive now."""
    def stop(self) -> None:
        """Stops the cluster (idempotent): executors and tasks are terminated."""

# The bridge from the core's ``tracing`` events to ``logging`` (driven by ``satyr._logging``).
def log_set_level(level: int) -> None:
    """Sets the Python level at or above which the core's events are forwarded."""

def log_level() -> int:
    """The Python level at or above which the core's events are forwarded."""

def log_flush(timeout: float | None = None) -> bool:
    """Waits until every event emitted so far reached ``logging``; False after ``timeout``."""

def log_close() -> None:
    """Stops forwarding for good (at interpreter exit)."""

# Worker mode's connection (``satyr.apis._wire``).
def recv_buffer(fd: int, size: int, prefix: bytes, writable: bool) -> bytes | bytearray:
    """A new ``bytes`` (``bytearray`` if ``writable``) of ``size`` bytes: ``prefix`` then the
    rest read from the blocking socket ``fd`` without the GIL; EOFError if it closes first."""
