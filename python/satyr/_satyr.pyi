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
    def submit(self, task: bytes, max_attempts: int | None = None) -> str:
        """Queues a ``mesos.v1.TaskInfo`` (its resources are its demand); returns its id.
        ``ValueError`` for a bad or duplicate id or not exactly one of command/executor,
        ``ResourceError`` for bad resources."""
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
    def workers_failed(self) -> str | None:
        """Why worker mode gave up, or None."""
