"""satyr.binpack: satyr 0.2.1's heuristics (golden placements), weights, resource reading,
fixed point, vector heuristics, the portfolio and the array API."""

from __future__ import annotations

import array
import random
from typing import Any

import pytest
from satyr import binpack

# --- duck-typed message shapes (what satyr's proxies look like) -------------------------------


class Scalar:
    def __init__(self, value: float) -> None:
        self.value = value


class Span:
    def __init__(self, begin: int, end: int) -> None:
        self.begin, self.end = begin, end


class Ranges:
    def __init__(self, *spans: tuple[int, int]) -> None:
        self.range = [Span(b, e) for b, e in spans]


class Set:
    def __init__(self, *items: str) -> None:
        self.item = list(items)


class Resource:
    def __init__(self, name: str, type: Any = None, **value: Any) -> None:
        self.name = name
        if type is not None:
            self.type = type
        for key, v in value.items():
            setattr(self, key, v)


def scalar(name: str, value: float) -> Resource:
    return Resource(name, "SCALAR", scalar=Scalar(value))


class Message:
    """An Offer or TaskInfo: a label plus a list of resources."""

    def __init__(self, label: str, *resources: Resource) -> None:
        self.label = label
        self.resources = list(resources)

    def __repr__(self) -> str:
        return self.label


class Light:
    """satyr's light resource objects: cpus/mem/disk attributes."""

    def __init__(self, label: str, cpus: float, mem: float, disk: float = 0.0) -> None:
        self.label, self.cpus, self.mem, self.disk = label, cpus, mem, disk

    def __repr__(self) -> str:
        return self.label


OFFERS = [(1.1, 2048), (2.0, 512), (0.8, 1024), (1.6, 2048)]
TASKS = [(0.1, 128), (1.0, 256), (3.0, 4096), (0.2, 64), (1.4, 1024), (0.5, 128), (0.1, 128)]


def message(label: str, cpus: float, mem: float) -> Message:
    return Message(label, scalar("cpus", cpus), scalar("mem", mem), scalar("disk", 0.0))


def fixture(kind: str) -> tuple[list[Any], list[Any]]:
    make = message if kind == "messages" else Light
    offers = [make(f"O{i}", c, m) for i, (c, m) in enumerate(OFFERS)]
    tasks = [make(f"T{i}", c, m) for i, (c, m) in enumerate(TASKS)]
    return tasks, offers


# satyr 0.2.1's placements for its test fixture (weights cpus=1, mem=1; ff takes none).
GOLDEN = {
    "ff": ([["T0", "T1"], ["T3", "T5", "T6"], [], ["T4"]], ["T2"]),
    "ffd": ([["T1", "T0"], ["T5", "T3", "T6"], [], ["T4"]], ["T2"]),
    "mr": ([["T3", "T5"], ["T6"], [], ["T0", "T1"]], ["T2", "T4"]),
    "bf": ([["T1"], [], ["T0", "T3", "T5"], ["T4", "T6"]], ["T2"]),
    "bfd": ([["T1"], [], ["T5", "T3", "T0"], ["T4", "T6"]], ["T2"]),
}


def labels(result: tuple[list[tuple[Any, list[Any]]], list[Any]]) -> Any:
    bins, skip = result
    return [[t.label for t in content] for _, content in bins], [t.label for t in skip]


@pytest.mark.parametrize("kind", ["messages", "light"])
@pytest.mark.parametrize("method", sorted(GOLDEN))
def test_golden_placements(kind: str, method: str) -> None:
    tasks, offers = fixture(kind)
    fn = getattr(binpack, method)
    result = fn(tasks, offers) if method == "ff" else fn(tasks, offers, cpus=1, mem=1)
    assert labels(result) == GOLDEN[method]
    # Every target appears, in input order, as the very objects given.
    assert [target for target, _ in result[0]] == offers


def test_weights_match_satyr() -> None:
    tasks, offers = fixture("messages")
    got = binpack.weight(tasks, cpus=1, mem=1)
    expected = [0.0379, 0.2027, 1.1795, 0.0427, 0.3980, 0.1013, 0.0379]
    assert got == pytest.approx(expected, abs=5e-5)
    assert round(sum(binpack.weight(offers, cpus=1)), 1) == 1.0
    assert round(sum(binpack.weight(offers, cpus=1, mem=1)), 1) == 2.0
    assert round(sum(binpack.weight(offers, cpus=4, mem=1.5)), 1) == 5.5
    # satyr computes k * (x / sum) in float; the native result is bit-identical to it.
    total = sum(float(c) for c, _ in TASKS)
    assert binpack.weight(tasks, cpus=3) == [3 * (c / total) for c, _ in TASKS]


def test_weight_of_resource_with_zero_total_is_zero() -> None:
    tasks, _ = fixture("light")
    assert binpack.weight(tasks, disk=1) == [0.0] * len(tasks)
    assert binpack.weight(tasks, cpus=1, disk=5) == binpack.weight(tasks, cpus=1)
    assert binpack.weight(tasks, gpus=1) == [0.0] * len(tasks)  # nobody has gpus


def test_fixed_point_quantities() -> None:
    tasks = [Light("a", 0.1, 0), Light("b", 0.2, 0)]
    offer = Light("o", 0.3, 0)
    for method in binpack.METHODS:
        bins, skip = binpack.solve(method, tasks, [offer], **weights_for(method))
        assert sorted(t.label for t in bins[0][1]) == ["a", "b"], method
        assert skip == []


def test_ports_ranges_count_as_a_dimension() -> None:
    offer = Message(
        "o",
        scalar("cpus", 4),
        scalar("mem", 4096),
        Resource("ports", "RANGES", ranges=Ranges((31000, 31001), (31005, 31005))),
    )
    assert binpack.resources(offer) == {"cpus": 4.0, "mem": 4096.0, "ports": 3.0}
    needs_two = [Message(f"t{i}", scalar("cpus", 0.1), scalar("ports", 2)) for i in range(3)]
    bins, skip = binpack.ff(needs_two, [offer])
    assert [t.label for t in bins[0][1]] == ["t0"]  # 3 ports: only one task of 2 ports fits
    assert [t.label for t in skip] == ["t1", "t2"]


def test_gpus_dimension() -> None:
    plain = message("plain", 8, 8192)
    gpu = Message("gpu", scalar("cpus", 8), scalar("mem", 8192), scalar("gpus", 2))
    tasks = [Message(f"g{i}", scalar("cpus", 1), scalar("gpus", 1)) for i in range(3)]
    bins, skip = binpack.bfd(tasks, [plain, gpu], cpus=1, gpus=1)
    assert bins[0][1] == []
    assert [t.label for t in bins[1][1]] == ["g0", "g1"]
    assert [t.label for t in skip] == ["g2"]


def test_resource_reading_rules() -> None:
    # type as Mesos enum number, type omitted (probe), sets counted, same name summed.
    msg = Message(
        "m",
        Resource("cpus", 0, scalar=Scalar(1.5)),
        Resource("cpus", None, scalar=Scalar(0.5)),
        Resource("zones", 2, set=Set("a", "b")),
        Resource("ports", None, ranges=Ranges((1, 10))),
    )
    assert binpack.resources(msg) == {"cpus": 2.0, "zones": 2.0, "ports": 10.0}
    assert binpack.resources({"cpus": 1, "foo": 2}) == {"cpus": 1.0, "foo": 2.0}
    assert binpack.resources(Light("l", 1, 2, 3)) == {"cpus": 1.0, "mem": 2.0, "disk": 3.0}
    with pytest.raises(TypeError, match="cannot read resources"):
        binpack.resources(object())
    with pytest.raises(ValueError, match="TEXT"):
        binpack.resources(Message("t", Resource("note", 3, text="x")))
    with pytest.raises(ValueError, match="ends before"):
        binpack.resources(Message("r", Resource("ports", "RANGES", ranges=Ranges((5, 1)))))


def test_other_named_resources_are_dimensions() -> None:
    offers = [{"cpus": 1, "licenses": 1}, {"cpus": 1, "licenses": 2}]
    tasks = [{"cpus": 0.1, "licenses": 2}]
    bins, skip = binpack.ff(tasks, offers)
    assert bins[1][1] == tasks and skip == []


def random_instance(seed: int, n: int = 120, m: int = 60) -> tuple[list[Any], list[Any]]:
    rng = random.Random(seed)
    tasks = [
        {"cpus": rng.choice([0.25, 0.5, 1, 2, 3]), "mem": rng.choice([128, 512, 1024, 3072])}
        for _ in range(n)
    ]
    offers = [
        {"cpus": rng.choice([2, 4, 8]), "mem": rng.choice([2048, 4096, 8192])} for _ in range(m)
    ]
    return tasks, offers


def quality(result: tuple[list[tuple[Any, list[Any]]], list[Any]]) -> tuple[int, int]:
    bins, skip = result
    return len(skip), sum(1 for _, content in bins if content)


@pytest.mark.parametrize("seed", range(6))
def test_portfolio_never_worse_than_its_members(seed: int) -> None:
    tasks, offers = random_instance(seed)
    ranks = [quality(binpack.solve(m, tasks, offers, **weights_for(m))) for m in binpack.PORTFOLIO]
    winner = quality(binpack.best(tasks, offers, cpus=1, mem=1))
    assert winner == min(ranks)
    method, assignment = binpack.pack_best(
        [[t["cpus"], t["mem"]] for t in tasks], [[o["cpus"], o["mem"]] for o in offers]
    )
    assert method == binpack.PORTFOLIO[ranks.index(min(ranks))]
    assert (assignment.count(None), len({b for b in assignment if b is not None})) == winner


def weights_for(method: str) -> dict[str, float]:
    return {"cpus": 1, "mem": 1} if method in binpack.WEIGHTED else {}


@pytest.mark.parametrize("method", binpack.METHODS)
def test_every_method_respects_capacities(method: str) -> None:
    tasks, offers = random_instance(42, n=200, m=30)
    bins, skip = binpack.solve(method, tasks, offers, **weights_for(method))
    placed = [t for _, content in bins for t in content]
    assert sorted(map(id, placed + skip)) == sorted(map(id, tasks))
    for offer, content in bins:
        for dim in ("cpus", "mem"):
            assert sum(t[dim] for t in content) <= offer[dim] + 1e-9


def test_array_api_lists_and_buffers_agree() -> None:
    tasks, offers = random_instance(3)
    rows = [[t["cpus"], t["mem"]] for t in tasks]
    caps = [[o["cpus"], o["mem"]] for o in offers]

    def buffer(matrix: list[list[float]]) -> memoryview:
        flat = array.array("d", [x for row in matrix for x in row])
        return memoryview(flat).cast("B").cast("d", [len(matrix), 2])

    for method in binpack.METHODS:
        from_lists = binpack.pack(method, rows, caps)
        assert binpack.pack(method, buffer(rows), buffer(caps)) == from_lists
        expected = _assignment(binpack.solve(method, tasks, offers, **weights_for(method)), tasks)
        assert from_lists == expected, method
    # Explicit weights, one per dimension.
    by_cpus = binpack.pack("bfd", rows, caps, weights=[1, 0])
    assert by_cpus == _assignment(binpack.bfd(tasks, offers, cpus=1, mem=0), tasks)


def _assignment(result: Any, items: list[Any]) -> list[int | None]:
    out: list[int | None] = [None] * len(items)
    for b, (_, content) in enumerate(result[0]):
        for t in content:
            out[next(i for i, x in enumerate(items) if x is t)] = b
    return out


def test_empty_inputs() -> None:
    tasks, offers = fixture("light")
    bins, skip = binpack.bfd([], offers, cpus=1)
    assert [c for _, c in bins] == [[], [], [], []] and skip == []
    for method in binpack.METHODS:
        bins, skip = binpack.solve(method, tasks, [], **weights_for(method))
        assert bins == [] and sorted(skip, key=tasks.index) == tasks
    assert binpack.pack("ff", [], []) == []
    assert binpack.weight([], cpus=1) == []


def test_errors() -> None:
    tasks, offers = fixture("light")
    for method in binpack.WEIGHTED:
        with pytest.raises(ValueError, match="needs resource weights"):
            binpack.solve(method, tasks, offers)
    with pytest.raises(ValueError, match="missing resource weights"):
        binpack.weight(tasks)
    with pytest.raises(ValueError, match="unknown packing method 'nope'"):
        binpack.solve("nope", tasks, offers)
    with pytest.raises(ValueError, match="unknown packing method"):
        binpack.pack("nope", [[1]], [[1]])
    with pytest.raises(ValueError, match="unknown packing method"):
        binpack.best(tasks, offers, methods=("ff", "nope"))
    with pytest.raises(ValueError, match="at least one method"):
        binpack.best(tasks, offers, methods=())
    with pytest.raises(ValueError, match="takes no weights"):
        binpack.solve("ff", tasks, offers, cpus=1)
    with pytest.raises(ValueError, match="takes no weights"):
        binpack.pack("dot_product", [[1]], [[1]], weights=[1])
    with pytest.raises(ValueError, match=r"item #1: cpus must be a finite non-negative"):
        binpack.ff([Light("a", 1, 1), Light("b", -1, 1)], offers)
    with pytest.raises(ValueError, match="target #0: mem"):
        binpack.ff(tasks, [Light("o", 1, float("nan"))])
    with pytest.raises(ValueError, match="must be a number"):
        binpack.bfd(tasks, offers, cpus="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be finite"):
        binpack.bfd(tasks, offers, cpus=float("inf"))
    with pytest.raises(ValueError, match="must not be negative"):
        binpack.pack("ff", [[-1.0]], [[1.0]])
    with pytest.raises(ValueError, match="row 1 has 1 values, expected 2"):
        binpack.pack("ff", [[1, 2], [1]], [[1, 2]])
    with pytest.raises(ValueError, match="items have 2 dimensions but capacities have 1"):
        binpack.pack("ff", [[1, 2]], [[1]])
    with pytest.raises(ValueError, match="one weight per dimension"):
        binpack.pack("bfd", [[1, 2]], [[1, 2]], weights=[1])
    with pytest.raises(ValueError, match="sequence of numeric vectors"):
        binpack.pack("ff", [["x"]], [[1]])
