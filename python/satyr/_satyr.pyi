"""Type stubs for the private native module ``satyr._satyr`` (hand-written, checked by stubtest)."""

from collections.abc import Mapping, Sequence
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
