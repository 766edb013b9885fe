"""Resources and their algebra on the message proxies (the Rust core does the arithmetic).

Single resources (``mesos.v1.Resource`` proxies)::

    Cpus(0.5), Mem(128), Disk(512), Gpus(1)              # scalars (name and type from the class)
    Ports((31000, 31010)), Ports([(31000, 31010), (31020, 31020)]), Ports(31000), Ports([80, 443])
    ScalarResource('licenses', 2), RangesResource('slots', [(1, 4)]), SetResource('zones', ['a'])
    Cpus(1, role='analytics')                            # reserved for a role (see below)

Decoded resources come back as these classes (``offer.resources[0]`` is a ``Cpus``, ``Ports``,
``ScalarResource``, ...). Rules:

* **Kinds.** Two resources combine only when they are the same kind of resource: same name, same
  value type, same reservations, disk identity, revocable/shared flags and provider
  (``allocation_info`` is not part of it). ``Cpus(1) + Mem(1)`` and ``Cpus(1) < Cpus(1, role='a')``
  raise :class:`satyr.ResourceKindError` (a ``TypeError``).
* **Fixed point.** Scalars are Mesos's: three decimals, rounded half away from zero, so
  ``Cpus(0.1) + Cpus(0.2) == Cpus(0.3)``. Constructors round what they are given.
* **Numbers** mix with scalars: ``Cpus(1) + 2``, ``2 * Mem(64)``, ``offer.cpus >= 1.5``,
  ``float(Cpus(1.5))``, ``int(...)``, and ``sum([Cpus(1), Cpus(2)])`` (``0 + r`` is ``r``).
* **Ranges and sets**: ``+`` is union, ``-`` difference, ``a <= b`` containment
  (``Ports((31000, 31001)) <= Ports((31000, 31010))``); ``len()`` counts values or items.
* **Below zero**: a result that would be negative (``Cpus(1) - Cpus(2)``, removing a port that is
  not there) raises :class:`satyr.ResourceError` (a ``ValueError``) naming both amounts; so do
  negative, non-finite or malformed amounts.
* ``==`` compares kind and amount (``Cpus(1) == Cpus(1.0001)`` at three decimals, ``Cpus(1) == 1``);
  resources of different kinds are simply unequal. ``+``/``-`` keep the left operand's other fields
  (``allocation_info``, ...); ``+=``/``-=`` change the resource in place.

**Roles.** ``role='a'`` builds ``reservations=[{'role': 'a', 'type': 'STATIC'}]``, the
post-RESERVATION_REFINEMENT form Mesos 1.11 offers (the legacy ``role`` field means the same to the
algebra). Resources reserved for a role never count for another role nor for unreserved demand.
When a demand names only a role (no principal or labels), any offered resource reserved for that
role serves it: ``TaskInfo(resources=[Cpus(1, role='a')]) <= offer`` also uses the offer's dynamic
reservations for ``a``. To launch, Mesos needs the task to echo the offered reservation exactly:
use ``task.resources = offer.find(task)``, which picks the offered entries (with their
reservations and ``allocation_info``) serving the demand.

Messages with resources (``Offer``, ``TaskInfo``, ``ExecutorInfo``; see :class:`ResourcesMixin`)
add, subtract and compare by all their resources: ``task <= offer``, ``task < offer``,
``offer - task``, ``sum(offers)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from numbers import Real
from typing import TYPE_CHECKING, Any, TypeVar

from satyr import _satyr
from satyr.proxies import _registry
from satyr.proxies._base import _DATA, _EXTRA, _LINK, Message, _raw
from satyr.proxies._classes import ResourceBase
from satyr.proxies._containers import MapField, RepeatedField

__all__ = [
    "Cpus",
    "Disk",
    "Gpus",
    "Mem",
    "Ports",
    "RangesResource",
    "Resource",
    "ResourcesMixin",
    "ScalarResource",
    "SetResource",
]

R = TypeVar("R", bound="Resource")
T = TypeVar("T", bound="ResourcesMixin")

RESOURCE_TYPE = "mesos.v1.Resource"
_VALUE_KEYS = {"SCALAR": "scalar", "RANGES": "ranges", "SET": "set"}
_IDENTITY_FREE = frozenset({"name", "type", "scalar", "ranges", "set"})
_MAX_PORT = 2**64 - 1

# -- amounts ---------------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    kind = type(value)
    if kind is float or kind is int:
        return True
    return kind is not bool and isinstance(value, Real)


def _millis(value: float) -> int:
    """``value`` in thousandths, rounded half away from zero as Mesos does (exact for floats)."""
    scaled = abs(value) * 1000.0
    whole = math.floor(scaled)
    rounded = whole + (1 if scaled - whole >= 0.5 else 0)
    return int(rounded if value >= 0 else -rounded)


def _order_key(value: float) -> float | int:
    return _millis(value) if math.isfinite(value) else float(value)


def _amount(name: str, value: object) -> float:
    """A scalar amount given by the user: a finite number >= 0, rounded to three decimals."""
    if not _is_number(value):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number) or number < 0:
        raise _satyr.ResourceError(f"{name}: {value!r} is not a finite amount >= 0")
    return _millis(number) / 1000.0


def _port(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_PORT:
        raise _satyr.ResourceError(f"{name}: {value!r} is not an int from 0 to 2**64-1")
    return int(value)


def _span(name: str, spec: object) -> tuple[int, int]:
    if isinstance(spec, int):
        port = _port(name, spec)
        return port, port
    if isinstance(spec, range):
        if spec.step != 1 or not spec:
            raise _satyr.ResourceError(f"{name}: {spec!r} must be a non-empty range of step 1")
        return _port(name, spec.start), _port(name, spec.stop - 1)
    if isinstance(spec, Mapping):
        begin, end = spec.get("begin"), spec.get("end")
    elif isinstance(spec, tuple | list) and len(spec) == 2:
        begin, end = spec
    else:
        raise _satyr.ResourceError(
            f"{name}: expected a port, a (begin, end) pair or a range, got {spec!r}"
        )
    first, last = _port(name, begin), _port(name, end)
    if first > last:
        raise _satyr.ResourceError(f"{name}: range begin {first} is greater than its end {last}")
    return first, last


def _spans(name: str, spec: object) -> list[tuple[int, int]]:
    """Normalized (sorted, merged) inclusive ranges from a port, a ``(begin, end)`` pair, a
    ``range`` or an iterable of those."""
    if isinstance(spec, int | range | Mapping) or (
        isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(v, int) for v in spec)
    ):
        spans = [_span(name, spec)]
    elif isinstance(spec, Iterable) and not isinstance(spec, str | bytes):
        spans = [_span(name, item) for item in spec]
    else:
        raise _satyr.ResourceError(f"{name}: expected ports or ranges, got {spec!r}")
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _items(name: str, spec: object) -> list[str]:
    values = [spec] if isinstance(spec, str) else spec
    if not isinstance(values, Iterable):
        raise _satyr.ResourceError(f"{name}: expected str items, got {spec!r}")
    out = set()
    for item in values:
        if not isinstance(item, str):
            raise _satyr.ResourceError(f"{name}: expected str items, got {item!r}")
        out.add(item)
    return sorted(out)


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _is_unset(value: Any) -> bool:
    kind = type(value)
    return (kind is RepeatedField or kind is MapField) and not value._items


_LEAVES = frozenset({str, float, int, bool, bytes})


def _deep(value: Any) -> Any:
    """A deep plain copy of a stored value (plain parts or proxies)."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _LEAVES else _deep(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _LEAVES else _deep(v) for v in value]
    if kind is RepeatedField:
        return _deep(value._items)
    if kind is MapField:
        return _deep(value._items)
    if isinstance(value, Message):
        return _deep({k: v for k, v in value._data.items() if not _is_unset(v)})
    return value


_PLAIN_TYPES = frozenset({str, int, float, bool, bytes, dict, list})


def _plain_of(msg: Message) -> dict[str, Any]:
    """A message's plain form for reading (the natives): its own storage when that holds no
    proxies (dicts and lists stored in a message are plain), else a shallow plain form."""
    data = msg._data
    for value in data.values():
        if type(value) not in _PLAIN_TYPES:
            return msg._plain(False)
    return data


# -- single resources ------------------------------------------------------------------------------


class Resource(ResourceBase):
    """``mesos.v1.Resource``: one named resource (``cpus``, ``mem``, ``ports``, ...) of an offer,
    task or executor, with the single-resource algebra (see the module docs)."""

    __slots__ = ()

    # -- reading -----------------------------------------------------------------------------------

    @property
    def reservation_role(self) -> str | None:
        """The role this resource is reserved for (the last reservation's), or None."""
        stack = self._data.get("reservations")
        if stack:
            last = stack[-1]
            role = last.get("role") if type(last) is dict else last.role
            return str(role) if role else None
        legacy = self._data.get("role")
        return legacy if legacy and legacy != "*" else None

    @property
    def value(self) -> Any:
        """The amount: a float (SCALAR), ``[(begin, end), ...]`` (RANGES) or ``[item, ...]``
        (SET)."""
        kind = self._data.get("type")
        plain = _plain_of(self)
        if kind == "SCALAR":
            return float(plain.get("scalar", {}).get("value", 0.0))
        if kind == "RANGES":
            spans = plain.get("ranges", {}).get("range", [])
            return [(int(s.get("begin", 0)), int(s.get("end", 0))) for s in spans]
        if kind == "SET":
            return list(plain.get("set", {}).get("item", []))
        raise TypeError(f"{self._label()}: a resource of type {kind!r} has no value")

    def _label(self) -> str:
        return str(self._data.get("name") or type(self).__name__)

    def _scalar(self) -> float | None:
        """The scalar amount, or None when this is not a scalar resource."""
        if self._data.get("type") != "SCALAR":
            return None
        part = self._data.get("scalar")
        if part is None:
            return 0.0
        return float(part.get("value", 0.0) if type(part) is dict else part.value)

    def __float__(self) -> float:
        scalar = self._scalar()
        if scalar is None:
            raise TypeError(f"{self._label()} is not a scalar resource")
        return scalar

    def __int__(self) -> int:
        return int(self.__float__())

    # -- operands ----------------------------------------------------------------------------------

    def _operand(self, other: object) -> dict[str, Any] | None:
        """``other`` as a plain Resource for the natives: a resource, or a number as this same
        kind of resource (scalars only); None for anything else."""
        if isinstance(other, Message):
            return _plain_of(other) if other.type_name == RESOURCE_TYPE else None
        if _is_number(other) and self._scalar() is not None:
            return {**_plain_of(self), "scalar": {"value": _amount(self._label(), other)}}
        return None

    def _derive(self: R, plain: dict[str, Any]) -> R:
        return _raw(type(self), _deep(plain))

    def _take_value(self, plain: dict[str, Any]) -> None:
        """Replace this resource's amount with the one of ``plain`` (same kind)."""
        key = _VALUE_KEYS.get(str(plain.get("type")))
        if key is not None:
            self._store(self._info.fields[key], _deep(plain[key]))

    # -- arithmetic --------------------------------------------------------------------------------

    def __add__(self: R, other: object) -> R:
        b = self._operand(other)
        if b is None:
            return NotImplemented
        return self._derive(_satyr.resource_add(_plain_of(self), b))

    def __radd__(self: R, other: object) -> R:
        if _is_number(other) and other == 0:
            return self._derive(_plain_of(self))  # sum() starts from 0
        return self.__add__(other)

    def __sub__(self: R, other: object) -> R:
        b = self._operand(other)
        if b is None:
            return NotImplemented
        return self._derive(_satyr.resource_sub(_plain_of(self), b))

    def __rsub__(self: R, other: object) -> R:
        b = self._operand(other) if _is_number(other) else None
        if b is None:
            return NotImplemented
        return self._derive(_satyr.resource_sub(b, _plain_of(self)))

    def __iadd__(self: R, other: object) -> R:
        b = self._operand(other)
        if b is None:
            return NotImplemented
        self._take_value(_satyr.resource_add(_plain_of(self), b))
        return self

    def __isub__(self: R, other: object) -> R:
        b = self._operand(other)
        if b is None:
            return NotImplemented
        self._take_value(_satyr.resource_sub(_plain_of(self), b))
        return self

    def __mul__(self: R, factor: object) -> R:
        scalar = self._scalar()
        if scalar is None or not _is_number(factor):
            return NotImplemented
        number = float(factor)  # type: ignore[arg-type]
        if not math.isfinite(number) or number < 0:
            raise _satyr.ResourceError(f"{self._label()}: cannot scale by {factor!r}")
        product = _amount(self._label(), scalar * number)
        return self._derive({**_plain_of(self), "scalar": {"value": product}})

    __rmul__ = __mul__

    def __truediv__(self: R, divisor: object) -> R:
        if self._scalar() is None or not _is_number(divisor):
            return NotImplemented
        if divisor == 0:
            raise ZeroDivisionError(f"{self._label()} divided by zero")
        return self.__mul__(1.0 / float(divisor))  # type: ignore[arg-type]

    # -- comparison --------------------------------------------------------------------------------

    def _compare(self, other: object) -> tuple[Any, Any] | None:
        """Ordering keys: ``(self fits in other, other fits in self)`` as a pair of bools for
        resources, or two numbers for a scalar against a number; None when not comparable."""
        if isinstance(other, Message):
            if other.type_name != RESOURCE_TYPE:
                return None
            return _satyr.resource_compare(_plain_of(self), _plain_of(other))
        scalar = self._scalar()
        if scalar is None or not _is_number(other):
            return None
        a, b = _order_key(scalar), _order_key(float(other))  # type: ignore[arg-type]
        return a <= b, b <= a

    def __le__(self, other: object) -> bool:
        keys = self._compare(other)
        return NotImplemented if keys is None else bool(keys[0])

    def __lt__(self, other: object) -> bool:
        keys = self._compare(other)
        return NotImplemented if keys is None else bool(keys[0] and not keys[1])

    def __ge__(self, other: object) -> bool:
        keys = self._compare(other)
        return NotImplemented if keys is None else bool(keys[1])

    def __gt__(self, other: object) -> bool:
        keys = self._compare(other)
        return NotImplemented if keys is None else bool(keys[1] and not keys[0])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message) and other.type_name == RESOURCE_TYPE:
            try:
                keys = _satyr.resource_compare(_plain_of(self), _plain_of(other))
            except _satyr.ResourceKindError:
                return False
            except _satyr.ResourceError:
                # Not a valid resource (no name, no type, ...): compare content.
                return super().__eq__(other)
            return keys[0] and keys[1]
        if _is_number(other):
            scalar = self._scalar()
            return scalar is not None and _order_key(scalar) == _order_key(float(other))  # type: ignore[arg-type]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    # -- repr --------------------------------------------------------------------------------------

    def _head(self) -> list[str] | None:
        """The positional part of the readable repr, or None to use the generic message repr."""
        return None

    def __repr__(self) -> str:
        head = self._head()
        if head is None:
            return super().__repr__()
        parts = list(head)
        shown = set(_IDENTITY_FREE)
        role = _simple_role(self._data)
        if role is not None:
            parts.append(f"role={role!r}")
            shown.add("reservations")
        for name, field in self._info.fields.items():
            if name in shown or not self.has_field(name):
                continue
            parts.append(f"{name}={self._get(field)!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _simple_role(data: Mapping[str, Any]) -> str | None:
    """The role of a one-level STATIC reservation (what ``role=`` builds), else None."""
    stack = data.get("reservations")
    if not stack or len(stack) != 1 or "role" in data or "reservation" in data:
        return None
    level = stack[0]
    plain = level if type(level) is dict else _plain_of(level)
    if set(plain) == {"role", "type"} and plain["type"] == "STATIC":
        return str(plain["role"])
    return None


def _init_resource(
    resource: Resource,
    name: str,
    kind: str,
    value: Any,
    role: str | None,
    fields: dict[str, Any],
) -> None:
    """Initialize a resource (instead of ``Message.__init__``, which would check and convert
    every field: this is on the hot path of building tasks)."""
    if not isinstance(name, str) or not name:
        raise _satyr.ResourceError(f"a resource name must be a non-empty str, got {name!r}")
    given = _IDENTITY_FREE.intersection(fields)
    if given:
        raise TypeError(f"{name}: {', '.join(sorted(given))} come from the constructor arguments")
    data: dict[str, Any] = {"name": name, "type": kind, _VALUE_KEYS[kind]: value}
    if role is not None and role != "*":
        if not isinstance(role, str) or not role:
            raise _satyr.ResourceError(f"{name}: a role must be a non-empty str, got {role!r}")
        if "reservations" in fields or "reservation" in fields:
            raise TypeError(f"{name}: give role= or reservations, not both")
        data["reservations"] = [{"role": role, "type": "STATIC"}]
    _DATA.__set__(resource, data)
    _LINK.__set__(resource, None)
    _EXTRA.__set__(resource, None)
    for key, item in fields.items():
        setattr(resource, key, item)
    if type(resource) not in _BUILTIN and resource._template:
        # A user's subclass: its template may ask for more than name and type.
        _registry.fill_template(resource, resource._template)


class ScalarResource(Resource):
    """A scalar resource of any name: ``ScalarResource('licenses', 2, role=None, **fields)``."""

    __slots__ = ()
    proto = {"type": "SCALAR"}

    def __init__(
        self, name: str, value: float = 0.0, role: str | None = None, **fields: Any
    ) -> None:
        _init_resource(self, name, "SCALAR", {"value": _amount(name, value)}, role, fields)

    def _head(self) -> list[str] | None:
        scalar = self._scalar()
        if scalar is None or not isinstance(self._data.get("name"), str):
            return None
        return [repr(self._data["name"]), _number_text(scalar)]


class _NamedScalar(ScalarResource, register=False):
    """A scalar whose name comes from the class (``Cpus``, ``Mem``, ...); not registered, as it
    would otherwise take every scalar with ScalarResource's inherited template."""

    __slots__ = ()
    _resource_name = ""

    def __init__(self, value: float = 0.0, role: str | None = None, **fields: Any) -> None:
        super().__init__(self._resource_name, value, role, **fields)

    def _head(self) -> list[str] | None:
        head = super()._head()
        return None if head is None else head[1:]


class RangesResource(Resource):
    """A ranges resource of any name: ``RangesResource('slots', [(1, 4)], role=None, **fields)``.
    Ranges are inclusive; give a value, a ``(begin, end)`` pair, a ``range`` or a list of those
    (a list of ints is a list of single values). ``len()`` is the number of values."""

    __slots__ = ()
    proto = {"type": "RANGES"}

    def __init__(self, name: str, ranges: Any = (), role: str | None = None, **fields: Any) -> None:
        spans = _spans(name, ranges)
        value = {"range": [{"begin": b, "end": e} for b, e in spans]} if spans else {}
        _init_resource(self, name, "RANGES", value, role, fields)

    def __len__(self) -> int:
        return sum(end - begin + 1 for begin, end in self.value)

    def _head(self) -> list[str] | None:
        if not isinstance(self._data.get("name"), str):
            return None
        return [repr(self._data["name"]), repr(self.value)]


class SetResource(Resource):
    """A set resource: ``SetResource('zones', ['a', 'b'], role=None, **fields)`` (a str is one
    item). ``len()`` is the number of items."""

    __slots__ = ()
    proto = {"type": "SET"}

    def __init__(self, name: str, items: Any = (), role: str | None = None, **fields: Any) -> None:
        values = _items(name, items)
        _init_resource(self, name, "SET", {"item": values} if values else {}, role, fields)

    def __len__(self) -> int:
        return len(self.value)

    def _head(self) -> list[str] | None:
        if not isinstance(self._data.get("name"), str):
            return None
        return [repr(self._data["name"]), repr(self.value)]


# Defined last, so dispatch (most recent class first) tries the common resources first.


class Ports(RangesResource):
    """``ports``: ``Ports((31000, 31010))``, ``Ports([(31000, 31010), (31020, 31020)])``,
    ``Ports(31000)``, ``Ports(range(31000, 31011))``."""

    __slots__ = ()
    proto = {"name": "ports", "type": "RANGES"}

    def __init__(self, ranges: Any = (), role: str | None = None, **fields: Any) -> None:
        super().__init__("ports", ranges, role, **fields)

    def _head(self) -> list[str] | None:
        head = super()._head()
        return None if head is None else head[1:]


class Gpus(_NamedScalar):
    """``gpus``: ``Gpus(1)``."""

    __slots__ = ()
    proto = {"name": "gpus", "type": "SCALAR"}
    _resource_name = "gpus"


class Disk(_NamedScalar):
    """``disk`` in MB: ``Disk(512)``."""

    __slots__ = ()
    proto = {"name": "disk", "type": "SCALAR"}
    _resource_name = "disk"


class Mem(_NamedScalar):
    """``mem`` in MB: ``Mem(128)``."""

    __slots__ = ()
    proto = {"name": "mem", "type": "SCALAR"}
    _resource_name = "mem"


class Cpus(_NamedScalar):
    """``cpus``: ``Cpus(0.5)``, ``Cpus(1, role='a')``."""

    __slots__ = ()
    proto = {"name": "cpus", "type": "SCALAR"}
    _resource_name = "cpus"


#: The classes above: their constructors set everything their templates ask for.
_BUILTIN = frozenset({ScalarResource, Cpus, Mem, Disk, Gpus, RangesResource, Ports, SetResource})


# -- messages with resources -----------------------------------------------------------------------


def _plain_resources(msg: Message) -> list[dict[str, Any]]:
    """The plain form of a message's ``resources`` (dicts shared with the message: read only)."""
    value = msg._data.get("resources")
    if not value:
        return []
    items = value._items if type(value) is RepeatedField else value
    return [item if type(item) is dict else _plain_of(item) for item in items]


def plain_resources(msg: object) -> list[dict[str, Any]] | None:
    """The plain form of a message's ``resources`` (shared with the message: read only), or None
    when ``msg`` is not a message with resources (for readers such as :mod:`satyr.binpack`)."""
    if isinstance(msg, Message) and _has_resources(msg):
        return _plain_resources(msg)
    return None


def _has_resources(msg: Message) -> bool:
    field = msg._info.fields.get("resources")
    return (
        field is not None
        and field.is_repeated
        and field.message_type is not None
        and field.message_type.full_name == RESOURCE_TYPE
    )


def _resource_list(other: object) -> list[dict[str, Any]] | None:
    """``other`` as plain resources: a message with ``resources``, a resource, or a list of
    resources (proxies or dicts); None for anything else."""
    if isinstance(other, Message):
        if other.type_name == RESOURCE_TYPE:
            return [_plain_of(other)]
        return _plain_resources(other) if _has_resources(other) else None
    if isinstance(other, list | tuple | RepeatedField):
        out = []
        for item in other:
            if isinstance(item, Message) and item.type_name == RESOURCE_TYPE:
                out.append(_plain_of(item))
            elif isinstance(item, Mapping):
                out.append(_plain_of(Resource(item)))
            else:
                return None
        return out
    return None


def _total(msg: Message, name: str, cls: type[R]) -> R:
    total = _satyr.resources_scalar_total(_plain_resources(msg), name)
    return _raw(cls, {"name": name, "type": "SCALAR", "scalar": {"value": total}})


if TYPE_CHECKING:
    _MessageLike = Message
else:
    _MessageLike = object


class ResourcesMixin(_MessageLike):
    """The resource algebra of a message with ``resources`` (``Offer``, ``TaskInfo``,
    ``ExecutorInfo``).

    * ``cpus``, ``mem``, ``disk``, ``gpus`` are the totals over every role (``Cpus``, ``Mem``, ...,
      comparable with numbers: ``offer.cpus >= 2``); ``ports`` all ports as one ``Ports``.
      Assigning one (``task.cpus = 2``, ``task.ports = Ports(8080)``, ``None`` or 0 to drop it)
      replaces every entry of that name.
    * ``a + b``, ``a - b``: a copy of ``a`` (same class, id, agent and every other field) holding
      the sum / the rest of the resources; ``+=``/``-=`` change ``a`` in place. ``b`` may be any
      message with resources, a resource or a list of resources. ``sum(offers)`` is the first
      offer holding every offer's resources. ``a - b`` draws ``b`` as a demand (see below) and
      raises ``satyr.ResourceError`` naming the shortfall when ``b`` does not fit.
    * ``a <= b``: ``a`` fits in ``b`` (every resource; ranges and sets by containment; role
      aware: a resource reserved for a role serves only demands for that role). ``a < b``: fits
      with something of ``b`` left over ("fits and not equal"). ``a >= b``, ``a > b`` likewise
      with the roles swapped. Operands as for ``+``. Unlike satyr 0.2.1 (``<`` only when every
      one of cpus, mem and disk is strictly smaller), an exact fit is ``<=`` but not ``<``, and
      ``a < b`` whenever ``a`` fits and ``b`` has anything more.
    * ``==`` is not part of this: it stays the proxies' content equality (same message, same
      fields). Ordering compares resources only.
    """

    __slots__ = ()

    def _resources_plain(self) -> list[dict[str, Any]]:
        """The plain form of ``resources`` (shared with this message: read only)."""
        return _plain_resources(self)

    def _put_resources(self, items: list[Any]) -> None:
        field = self._info.fields["resources"]
        if items:
            self._store(field, RepeatedField(self, field, items))
        else:
            self.clear_field("resources")

    def _with_resources(self: T, plain: list[dict[str, Any]]) -> T:
        """A deep copy of this message (same class) holding ``plain`` as its resources."""
        data = {
            name: _deep(value)
            for name, value in self._data.items()
            if name != "resources" and not _is_unset(value)
        }
        if plain:
            data["resources"] = [_deep(r) for r in plain]
        clone = _raw(type(self), data)
        if self._extra and self._extra.get("auto"):
            clone._extras()["auto"] = set(self._extra["auto"])
        state = getattr(self, "__dict__", None)
        if state:
            clone.__dict__.update(state)
        return clone

    # -- totals ------------------------------------------------------------------------------------

    def _set_named(self, name: str, value: object, cls: type[Resource]) -> None:
        """Replace every ``name`` entry by ``value`` (a resource of that name, a number)."""
        if value is None or (_is_number(value) and value == 0):
            entry = None
        elif isinstance(value, Message) and value.type_name == RESOURCE_TYPE:
            if value._data.get("name") != name:
                raise _satyr.ResourceKindError(
                    f"cannot set {name} to a {value._data.get('name')!r} resource"
                )
            entry = value.copy()
        elif cls is Ports:
            entry = Ports(value)
        elif _is_number(value) and issubclass(cls, _NamedScalar):
            entry = cls(value)  # type: ignore[arg-type]
        else:
            raise TypeError(f"cannot set {name} to {type(value).__name__}")
        current = self._data.get("resources")
        items = list(current._items if isinstance(current, RepeatedField) else current or [])
        names = [i.get("name") if type(i) is dict else i._data.get("name") for i in items]
        at = names.index(name) if name in names else len(items)
        kept = [item for item, n in zip(items, names, strict=True) if n != name]
        if entry is not None:
            kept.insert(min(at, len(kept)), entry)
        self._put_resources(kept)

    @property
    def cpus(self) -> Cpus:
        """Total ``cpus`` (over every role); assign to replace them."""
        return _total(self, "cpus", Cpus)

    @cpus.setter
    def cpus(self, value: Cpus | float | None) -> None:
        self._set_named("cpus", value, Cpus)

    @property
    def mem(self) -> Mem:
        """Total ``mem`` in MB (over every role); assign to replace it."""
        return _total(self, "mem", Mem)

    @mem.setter
    def mem(self, value: Mem | float | None) -> None:
        self._set_named("mem", value, Mem)

    @property
    def disk(self) -> Disk:
        """Total ``disk`` in MB (over every role and volume); assign to replace it."""
        return _total(self, "disk", Disk)

    @disk.setter
    def disk(self, value: Disk | float | None) -> None:
        self._set_named("disk", value, Disk)

    @property
    def gpus(self) -> Gpus:
        """Total ``gpus`` (over every role); assign to replace them."""
        return _total(self, "gpus", Gpus)

    @gpus.setter
    def gpus(self, value: Gpus | float | None) -> None:
        self._set_named("gpus", value, Gpus)

    @property
    def ports(self) -> Ports:
        """Every port (over every role) as one ``Ports``; assign to replace them."""
        spans = [
            (int(s.get("begin", 0)), int(s.get("end", 0)))
            for r in _plain_resources(self)
            if r.get("name") == "ports" and r.get("type") == "RANGES"
            for s in r.get("ranges", {}).get("range", [])
        ]
        return Ports(spans)

    @ports.setter
    def ports(self, value: Ports | Any) -> None:
        self._set_named("ports", value, Ports)

    def find(self, demand: object) -> list[Resource] | None:
        """The entries of these resources that serve ``demand`` (a message with resources, a
        resource or a list), cut to size and keeping their reservations and ``allocation_info``:
        what to put in a task launched on this offer (``task.resources = offer.find(task)``).
        None when the demand does not fit."""
        wanted = _resource_list(demand)
        if wanted is None:
            raise TypeError(f"cannot find resources for a {type(demand).__name__}")
        found = _satyr.resources_find(wanted, _plain_resources(self))
        if found is None:
            return None
        return [Resource.from_plain(_deep(r)) for r in found]

    # -- arithmetic --------------------------------------------------------------------------------

    def __add__(self: T, other: object) -> T:
        b = _resource_list(other)
        if b is None:
            return NotImplemented
        return self._with_resources(_satyr.resources_add(_plain_resources(self), b))

    def __radd__(self: T, other: object) -> T:
        if _is_number(other) and other == 0:
            return self._with_resources(_plain_resources(self))  # sum() starts from 0
        b = _resource_list(other)
        if b is None:
            return NotImplemented
        return self._with_resources(_satyr.resources_add(b, _plain_resources(self)))

    def __sub__(self: T, other: object) -> T:
        b = _resource_list(other)
        if b is None:
            return NotImplemented
        _, rest = _satyr.resources_take(b, _plain_resources(self))
        return self._with_resources(rest)

    def __iadd__(self: T, other: object) -> T:
        b = _resource_list(other)
        if b is None:
            return NotImplemented
        total = _satyr.resources_add(_plain_resources(self), b)
        self._put_resources([_deep(r) for r in total])
        return self

    def __isub__(self: T, other: object) -> T:
        b = _resource_list(other)
        if b is None:
            return NotImplemented
        _, rest = _satyr.resources_take(b, _plain_resources(self))
        self._put_resources([_deep(r) for r in rest])
        return self

    # -- comparison --------------------------------------------------------------------------------

    def __le__(self, other: object) -> bool:
        b = _resource_list(other)
        return NotImplemented if b is None else _satyr.resources_fit(_plain_resources(self), b) >= 0

    def __lt__(self, other: object) -> bool:
        b = _resource_list(other)
        return NotImplemented if b is None else _satyr.resources_fit(_plain_resources(self), b) > 0

    def __ge__(self, other: object) -> bool:
        b = _resource_list(other)
        return NotImplemented if b is None else _satyr.resources_fit(b, _plain_resources(self)) >= 0

    def __gt__(self, other: object) -> bool:
        b = _resource_list(other)
        return NotImplemented if b is None else _satyr.resources_fit(b, _plain_resources(self)) > 0
