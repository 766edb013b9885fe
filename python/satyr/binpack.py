"""Bin packing of Mesos tasks (items) into offers (targets), with a Rust core.

satyr 0.2.1's heuristics keep their signatures and their exact decisions:
:func:`ff`, :func:`ffd`, :func:`mr`, :func:`bf`, :func:`bfd` and :func:`weight`. Each returns
``(bins, skip)`` where ``bins = [(target, [items placed, in placement order]), ...]`` lists
*every* target in input order and ``skip`` lists the items that were not placed, in the order
the heuristic handled them.

Vector heuristics that pack multi-resource demands tighter (:func:`ffd_sum`, :func:`ffd_max`,
:func:`ffd_l2`, :func:`bfd_l2`, :func:`dot_product`, :func:`l2`) and a portfolio (:func:`best`)
have the same shape; :func:`solve` runs any of them by name. :func:`pack` and
:func:`pack_best` are the array-level API (rows of numbers in, bin indices out).

How items and targets are read (duck typing, first rule that applies):

1. a mapping ``{resource name: quantity}``;
2. an object with a ``resources`` attribute (an ``Offer``, a ``TaskInfo``): every resource has
   a ``name`` and, according to its ``type`` (``"SCALAR"``/``"RANGES"``/``"SET"`` or the Mesos
   enum numbers 0/1/2; without a ``type`` the first of ``scalar``/``ranges``/``set`` that is
   present), a quantity: ``scalar.value``; the number of ports in ``ranges.range`` (each with
   ``begin``/``end``, both included); the number of entries in ``set.item``. Entries with the
   same name and role add up. Resources reserved for a role (the last of ``reservations``, or
   the legacy ``role`` other than ``"*"``) are their own dimension ``name(role)``, e.g.
   ``cpus(analytics)``: as in the resource algebra, they serve only demands reserved for that
   role, never unreserved ones (weights name unreserved dimensions). satyr's message proxies
   (``Offer``, ``TaskInfo``, ...) are read from their plain form, without building proxies;
3. an object with numeric attributes among ``cpus``, ``mem``, ``disk``, ``gpus``, ``ports``
   (satyr's light resource objects); the ones it lacks count as 0.

The dimensions are the union of the resource names of all items and targets (plus ``cpus``,
``mem`` and ``disk`` always, and every weight name); a resource an object does not have counts
as 0. An item fits a target when none of its quantities exceeds the target's remaining one.
Quantities are Mesos fixed-point numbers with three decimals, so tasks of 0.1 and 0.2 cpus fit
an offer of 0.3 cpus (satyr's floats said no), and quantities finer than 0.001 are rounded.

Weights (``cpus=1, mem=1``) name resources; satyr's formula gives item ``i`` the weight
``sum(k_a * (x_ia / sum_j x_ja))``, summed in keyword order; a resource whose total is 0
contributes nothing.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real
from typing import Any, TypeVar

from satyr import _satyr

__all__ = [
    "LIGHT_ATTRIBUTES",
    "METHODS",
    "PORTFOLIO",
    "WEIGHTED",
    "best",
    "bf",
    "bfd",
    "bfd_l2",
    "dot_product",
    "ff",
    "ffd",
    "ffd_l2",
    "ffd_max",
    "ffd_sum",
    "l2",
    "mr",
    "pack",
    "pack_best",
    "resources",
    "solve",
    "weight",
]

ItemT = TypeVar("ItemT")
TargetT = TypeVar("TargetT")

#: Every heuristic's name, in the portfolio's tie-breaking order.
METHODS: tuple[str, ...] = tuple(_satyr.binpack_methods())
#: The portfolio's default members, in tie-breaking order.
PORTFOLIO: tuple[str, ...] = tuple(_satyr.binpack_portfolio())
#: The heuristics that rank by satyr weights (and so take weights).
WEIGHTED: tuple[str, ...] = ("ffd", "mr", "bf", "bfd")
#: Attributes read from objects without ``resources`` (satyr's light resource objects).
LIGHT_ATTRIBUTES: tuple[str, ...] = ("cpus", "mem", "disk", "gpus", "ports")

# Dimensions every packing has (satyr's ResourcesMixin always has them), and their order.
_ALWAYS = ("cpus", "mem", "disk")
_KINDS = {0: "SCALAR", 1: "RANGES", 2: "SET", 3: "TEXT"}


def _get(obj: object, name: str) -> Any:
    """``getattr(obj, name, None)`` that also survives satyr-style proxies raising KeyError."""
    try:
        return getattr(obj, name)
    except (AttributeError, KeyError):
        return None


def _kind(resource: object) -> str:
    kind = _get(resource, "type")
    if kind is None:
        for probe in ("scalar", "ranges", "set"):
            if _get(resource, probe) is not None:
                return probe.upper()
        return "UNKNOWN"
    if isinstance(kind, int):
        return _KINDS.get(kind, str(kind))
    return str(_get(kind, "name") or kind).rsplit(".", 1)[-1].upper()


def _dimension(name: str, role: object) -> str:
    """The dimension of a resource: its name, with the role when it is reserved."""
    if isinstance(role, str) and role and role != "*":
        return f"{name}({role})"
    return name


def _role(resource: object) -> object:
    stack = _get(resource, "reservations")
    if stack:
        return _get(stack[-1], "role")
    return _get(resource, "role")


def _count(name: str, spans: Iterable[tuple[int, int]]) -> int:
    count = 0
    for begin, end in spans:
        if end < begin:
            raise ValueError(f"resource {name!r}: range {begin}-{end} ends before it begins")
        count += end - begin + 1
    return count


def _plain_quantity(resource: Mapping[str, Any]) -> tuple[str, float]:
    """``_quantity`` of a plain-form Resource dict (a message proxy's storage)."""
    name = resource.get("name")
    if not isinstance(name, str):
        raise TypeError(f"a resource needs a string name, got {resource!r}")
    kind = resource.get("type")
    if kind is None:
        kind = next((k.upper() for k in ("scalar", "ranges", "set") if k in resource), "UNKNOWN")
    stack = resource.get("reservations")
    dimension = _dimension(name, stack[-1].get("role") if stack else resource.get("role"))
    if kind == "SCALAR":
        return dimension, float(resource.get("scalar", {}).get("value", 0.0))
    if kind == "RANGES":
        spans = resource.get("ranges", {}).get("range", ())
        return dimension, float(_count(name, ((s.get("begin", 0), s.get("end", 0)) for s in spans)))
    if kind == "SET":
        return dimension, float(len(resource.get("set", {}).get("item", ())))
    raise ValueError(f"resource {name!r} of type {kind} has no quantity to pack")


def _proxy_resources(obj: object) -> list[dict[str, Any]] | None:
    """The plain-form resources of a satyr message proxy with ``resources``, else None."""
    proxies = sys.modules.get("satyr.proxies.resources")
    if proxies is None:
        return None  # not imported: no proxy can exist
    found: list[dict[str, Any]] | None = proxies.plain_resources(obj)
    return found


def _quantity(resource: object) -> tuple[str, float]:
    name = _get(resource, "name")
    if not isinstance(name, str):
        raise TypeError(f"a resource needs a string name, got {resource!r}")
    kind = _kind(resource)
    name = _dimension(name, _role(resource))
    if kind == "SCALAR":
        return name, float(resource.scalar.value)  # type: ignore[attr-defined]
    if kind == "RANGES":
        spans = resource.ranges.range  # type: ignore[attr-defined]
        return name, float(_count(name, ((int(s.begin), int(s.end)) for s in spans)))
    if kind == "SET":
        return name, float(len(list(resource.set.item)))  # type: ignore[attr-defined]
    raise ValueError(f"resource {name!r} of type {kind} has no quantity to pack")


def resources(obj: object) -> dict[str, float]:
    """The resource quantities of an item or target, by name (see the module docs)."""
    if isinstance(obj, Mapping):
        return {str(k): float(v) for k, v in obj.items()}
    plain = _proxy_resources(obj)
    if plain is not None:
        found: dict[str, float] = {}
        for entry in plain:
            name, quantity = _plain_quantity(entry)
            found[name] = found.get(name, 0.0) + quantity
        return found
    listed = _get(obj, "resources")
    if listed is not None:
        out: dict[str, float] = {}
        for resource in listed:
            name, quantity = _quantity(resource)
            out[name] = out.get(name, 0.0) + quantity
        return out
    light = {}
    for name in LIGHT_ATTRIBUTES:
        value = _get(obj, name)
        if value is not None:
            light[name] = float(value)
    if light:
        return light
    raise TypeError(
        f"cannot read resources of {obj!r}: expected a mapping, an object with `resources`, "
        f"or attributes among {', '.join(LIGHT_ATTRIBUTES)}"
    )


def _vectors(objs: Sequence[object], role: str) -> list[dict[str, float]]:
    out = []
    for index, obj in enumerate(objs):
        vec = resources(obj)
        for name, quantity in vec.items():
            if not math.isfinite(quantity) or quantity < 0:
                raise ValueError(
                    f"{role} #{index}: {name} must be a finite non-negative quantity, "
                    f"got {quantity}"
                )
        out.append(vec)
    return out


def _dimensions(vectors: Iterable[Mapping[str, float]], extra: Iterable[str]) -> list[str]:
    names = set(_ALWAYS).union(extra)
    for vec in vectors:
        names.update(vec)
    ordered = [n for n in LIGHT_ATTRIBUTES if n in names]
    return ordered + sorted(names - set(ordered))


def _matrix(vectors: Sequence[Mapping[str, float]], dims: Sequence[str]) -> list[list[float]]:
    return [[vec.get(d, 0.0) for d in dims] for vec in vectors]


def _factor(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"weight {name}={value!r} must be a number")
    factor = float(value)
    if not math.isfinite(factor):
        raise ValueError(f"weight {name}={value!r} must be finite")
    return factor


def _terms(weights: Mapping[str, object], dims: Sequence[str]) -> list[tuple[int, float]]:
    index = {d: i for i, d in enumerate(dims)}
    return [(index[name], _factor(name, k)) for name, k in weights.items()]


def _layout(
    items: Sequence[ItemT],
    targets: Sequence[TargetT],
    assignment: Sequence[int | None],
    order: Sequence[int],
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    bins: list[tuple[TargetT, list[ItemT]]] = [(t, []) for t in targets]
    skip: list[ItemT] = []
    for i in order:
        b = assignment[i]
        if b is None:
            skip.append(items[i])
        else:
            bins[b][1].append(items[i])
    return bins, skip


def _run(
    method: str | None,
    items: Iterable[ItemT],
    targets: Iterable[TargetT],
    weights: Mapping[str, object],
    methods: Sequence[str] = (),
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    item_list, target_list = list(items), list(targets)
    ivecs, tvecs = _vectors(item_list, "item"), _vectors(target_list, "target")
    dims = _dimensions([*ivecs, *tvecs], weights)
    terms = _terms(weights, dims) if weights else None
    rows, caps = _matrix(ivecs, dims), _matrix(tvecs, dims)
    if method is None:
        _, (assignment, order) = _satyr.binpack_best(list(methods), rows, caps, terms)
    else:
        _check_method(method)
        if method in WEIGHTED and terms is None:
            raise ValueError(f"{method} needs resource weights, e.g. {method}(..., cpus=1, mem=1)")
        if method not in WEIGHTED and terms is not None:
            raise ValueError(f"{method} takes no weights")
        assignment, order = _satyr.binpack_pack(method, rows, caps, terms)
    return _layout(item_list, target_list, assignment, order)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown packing method {method!r}; known methods: {', '.join(METHODS)}")


def weight(items: Iterable[object], **weights: float) -> list[float]:
    """satyr's ``weight``: each item's weighted share of the listed resources' totals.

    ``weight(tasks, cpus=1, mem=1)`` sums to 2 when neither total is 0. Raises ValueError
    without weights.
    """
    if not weights:
        raise ValueError("missing resource weights: give at least one, e.g. cpus=1, mem=1")
    vecs = _vectors(list(items), "item")
    dims = _dimensions(vecs, weights)
    return _satyr.binpack_weight(_matrix(vecs, dims), _terms(weights, dims))


def ff(
    items: Iterable[ItemT], targets: Iterable[TargetT]
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """First-Fit: each item, in the given order, into the first target where it fits."""
    return _run("ff", items, targets, {})


def ffd(
    items: Iterable[ItemT], targets: Iterable[TargetT], **weights: float
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """First-Fit-Decreasing: First-Fit over the items by decreasing :func:`weight` (stable)."""
    return _run("ffd", items, targets, weights)


def mr(
    items: Iterable[ItemT], targets: Iterable[TargetT], **weights: float
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """Max-Rest: each item, in order, to the target with the largest weighted remaining
    capacity (first on ties); skipped if it does not fit there."""
    return _run("mr", items, targets, weights)


def bf(
    items: Iterable[ItemT], targets: Iterable[TargetT], **weights: float
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """Best-Fit: each item, in order, into the target where it fits with the smallest
    weighted leftover (weights relative to the candidates' leftovers; first on ties)."""
    return _run("bf", items, targets, weights)


def bfd(
    items: Iterable[ItemT], targets: Iterable[TargetT], **weights: float
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """Best-Fit-Decreasing: Best-Fit over the items by decreasing :func:`weight` (stable)."""
    return _run("bfd", items, targets, weights)


def ffd_sum(
    items: Iterable[ItemT], targets: Iterable[TargetT]
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """First fit, items by decreasing sum of demands normalised by the largest target."""
    return _run("ffd_sum", items, targets, {})


def ffd_max(
    items: Iterable[ItemT], targets: Iterable[TargetT]
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """First fit, items by decreasing largest normalised demand."""
    return _run("ffd_max", items, targets, {})


def ffd_l2(
    items: Iterable[ItemT], targets: Iterable[TargetT]
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """First fit, items by decreasing L2 norm of the normalised demand."""
    return _run("ffd_l2", items, targets, {})


def bfd_l2(
    items: Iterable[ItemT], targets: Iterable[TargetT]
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """Items by decreasing L2 norm, each into the target whose normalised leftover has the
    smallest L2 norm."""
    return _run("bfd_l2", items, targets, {})


def dot_product(
    items: Iterable[ItemT], targets: Iterable[TargetT]
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """Target at a time: fill it with the fitting item whose normalised demand has the largest
    dot product with the target's remaining capacity, then move to the next target."""
    return _run("dot_product", items, targets, {})


def l2(
    items: Iterable[ItemT], targets: Iterable[TargetT]
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """Target at a time: fill it with the fitting item that leaves the remaining capacity
    with the smallest L2 norm, then move to the next target."""
    return _run("l2", items, targets, {})


def solve(
    method: str, items: Iterable[ItemT], targets: Iterable[TargetT], **weights: float
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """Runs the heuristic named ``method`` (one of :data:`METHODS`); weights only for
    :data:`WEIGHTED` methods, which require them."""
    return _run(method, items, targets, weights)


def best(
    items: Iterable[ItemT],
    targets: Iterable[TargetT],
    methods: Sequence[str] = PORTFOLIO,
    **weights: float,
) -> tuple[list[tuple[TargetT, list[ItemT]]], list[ItemT]]:
    """Portfolio: runs every heuristic in ``methods`` and keeps the packing that places the
    most items, then uses the fewest targets; ties go to the earliest method. Weighted members
    use ``weights``, or weight 1 on every resource when none are given."""
    for method in methods:
        _check_method(method)
    if not methods:
        raise ValueError("the portfolio needs at least one method")
    return _run(None, items, targets, weights, methods)


def _width(rows: Any) -> int | None:
    try:
        view = memoryview(rows)
    except TypeError:
        return len(rows[0]) if len(rows) else None
    return view.shape[1] if view.ndim == 2 and view.shape else None


def _array_terms(weights: Sequence[float] | None, items: Any, capacities: Any) -> Any:
    if weights is None:
        return None
    width = _width(items) or _width(capacities)
    if width is not None and len(weights) != width:
        raise ValueError(f"expected one weight per dimension ({width}), got {len(weights)}")
    return [(d, _factor(f"weights[{d}]", k)) for d, k in enumerate(weights)]


def pack(
    method: str,
    items: Any,
    capacities: Any,
    weights: Sequence[float] | None = None,
) -> list[int | None]:
    """Array-level packing: the bin index of every item, or None when it was skipped.

    ``items`` and ``capacities`` are sequences of equally long numeric vectors (one entry per
    dimension, natural units such as cpus or MB) or 2-D buffers of doubles (rows x dimensions).
    ``weights`` gives one factor per dimension to the :data:`WEIGHTED` methods (default: 1 on
    every dimension); other methods take none.
    """
    _check_method(method)
    if weights is not None and method not in WEIGHTED:
        raise ValueError(f"{method} takes no weights")
    terms = _array_terms(weights, items, capacities)
    assignment, _ = _satyr.binpack_pack(method, items, capacities, terms)
    return assignment


def pack_best(
    items: Any,
    capacities: Any,
    methods: Sequence[str] = PORTFOLIO,
    weights: Sequence[float] | None = None,
) -> tuple[str, list[int | None]]:
    """Array-level portfolio: ``(winning method, bin index of every item or None)``; see
    :func:`pack` for the inputs and :func:`best` for how the winner is chosen."""
    for method in methods:
        _check_method(method)
    if not methods:
        raise ValueError("the portfolio needs at least one method")
    terms = _array_terms(weights, items, capacities)
    method, (assignment, _) = _satyr.binpack_best(list(methods), items, capacities, terms)
    return method, assignment
