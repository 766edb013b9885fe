"""satyr.binpack on the message proxies: real Offer/TaskInfo objects (built from Cpus/Mem/Disk/
Ports/Gpus, decoded from bytes, captured from a real Mesos), satyr 0.2.1's golden placements, and
every placement checked with the resource algebra (``sum(bin items) <= offer``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from satyr import _satyr, binpack
from satyr.proxies.messages import (
    Cpus,
    Disk,
    Gpus,
    Mem,
    Offer,
    Ports,
    SchedulerEvent,
    TaskInfo,
)

FIXTURES = Path(__file__).parent / "fixtures"

# satyr 0.2.1's binpack test fixture: offers O0..O3 and tasks T0..T6 as (cpus, mem), disk 0.
OFFERS = [(1.1, 2048), (2.0, 512), (0.8, 1024), (1.6, 2048)]
TASKS = [(0.1, 128), (1.0, 256), (3.0, 4096), (0.2, 64), (1.4, 1024), (0.5, 128), (0.1, 128)]
# Its placements (satyr-0.2.1.md §c; weights cpus=1, mem=1; ff takes none).
GOLDEN = {
    "ff": ([["T0", "T1"], ["T3", "T5", "T6"], [], ["T4"]], ["T2"]),
    "ffd": ([["T1", "T0"], ["T5", "T3", "T6"], [], ["T4"]], ["T2"]),
    "mr": ([["T3", "T5"], ["T6"], [], ["T0", "T1"]], ["T2", "T4"]),
    "bf": ([["T1"], [], ["T0", "T3", "T5"], ["T4", "T6"]], ["T2"]),
    "bfd": ([["T1"], [], ["T5", "T3", "T0"], ["T4", "T6"]], ["T2"]),
}


def built() -> tuple[list[TaskInfo], list[Offer]]:
    tasks = [
        TaskInfo(name=f"T{i}", task_id=f"T{i}", resources=[Cpus(c), Mem(m), Disk(0)])
        for i, (c, m) in enumerate(TASKS)
    ]
    offers = [
        Offer(
            id=f"O{i}",
            agent_id=f"A{i}",
            framework_id="F",
            hostname=f"h{i}",
            resources=[Cpus(c), Mem(m), Disk(0)],
        )
        for i, (c, m) in enumerate(OFFERS)
    ]
    return tasks, offers


def decoded() -> tuple[list[TaskInfo], list[Offer]]:
    """The same fixture as plain forms, encoded and decoded (resources come back as Cpus...)."""

    def scalar(name: str, value: float) -> dict[str, Any]:
        return {"name": name, "type": "SCALAR", "scalar": {"value": value}}

    tasks = [
        TaskInfo.from_bytes(
            _satyr.encode(
                "mesos.v1.TaskInfo",
                {
                    "name": f"T{i}",
                    "task_id": {"value": f"T{i}"},
                    "agent_id": {"value": ""},
                    "resources": [scalar("cpus", c), scalar("mem", m)],
                },
            )
        )
        for i, (c, m) in enumerate(TASKS)
    ]
    offers = [
        Offer.from_bytes(
            _satyr.encode(
                "mesos.v1.Offer",
                {
                    "id": {"value": f"O{i}"},
                    "framework_id": {"value": "F"},
                    "agent_id": {"value": f"A{i}"},
                    "hostname": f"h{i}",
                    "resources": [
                        scalar("cpus", c),
                        scalar("mem", m),
                        {**scalar("disk", 0), "allocation_info": {"role": "*"}},
                    ],
                },
            )
        )
        for i, (c, m) in enumerate(OFFERS)
    ]
    assert type(offers[0].resources[0]) is Cpus
    return tasks, offers


def names(result: tuple[list[tuple[Offer, list[TaskInfo]]], list[TaskInfo]]) -> Any:
    bins, skip = result
    return [[t.name for t in content] for _, content in bins], [t.name for t in skip]


def assert_placements_fit(
    result: tuple[list[tuple[Offer, list[TaskInfo]]], list[TaskInfo]],
) -> None:
    """Every bin's items, summed with the algebra, fit in its offer (and leave a valid rest)."""
    for target, content in result[0]:
        if content:
            total = sum(content)
            assert total <= target, (target, content)
            assert (target - total) <= target


@pytest.mark.parametrize("source", [built, decoded])
@pytest.mark.parametrize("method", sorted(GOLDEN))
def test_golden_placements_on_proxies(source: Any, method: str) -> None:
    tasks, offers = source()
    fn = getattr(binpack, method)
    result = fn(tasks, offers) if method == "ff" else fn(tasks, offers, cpus=1, mem=1)
    assert names(result) == GOLDEN[method]
    assert [target for target, _ in result[0]] == offers
    assert all(a is b for (a, _), b in zip(result[0], offers, strict=True))
    assert_placements_fit(result)
    # What was skipped fits in nothing the offers have left.
    left = [target - sum(content) if content else target for target, content in result[0]]
    for item in result[1]:
        assert not any(item <= rest for rest in left)


def test_weights_on_proxies_match_satyr() -> None:
    tasks, offers = built()
    expected = [0.0379, 0.2027, 1.1795, 0.0427, 0.3980, 0.1013, 0.0379]
    assert binpack.weight(tasks, cpus=1, mem=1) == pytest.approx(expected, abs=5e-5)
    assert round(sum(binpack.weight(offers, cpus=4, mem=1.5)), 1) == 5.5


@pytest.mark.parametrize("method", binpack.METHODS)
def test_every_method_respects_the_algebra(method: str) -> None:
    tasks = [
        TaskInfo(name=f"t{i}", resources=[Cpus(0.1 * (i % 7 + 1)), Mem(64 * (i % 5 + 1))])
        for i in range(40)
    ]
    offers = [
        Offer(id=f"o{j}", resources=[Cpus(1 + j % 3), Mem(512 * (j % 4 + 1)), Disk(100)])
        for j in range(8)
    ]
    weights = {"cpus": 1, "mem": 1} if method in binpack.WEIGHTED else {}
    result = binpack.solve(method, tasks, offers, **weights)
    assert_placements_fit(result)
    placed = sum(len(content) for _, content in result[0])
    assert placed + len(result[1]) == len(tasks) and placed > 0


def test_best_on_proxies() -> None:
    tasks, offers = built()
    result = binpack.best(tasks, offers, cpus=1, mem=1)
    assert_placements_fit(result)
    assert names(result)[1] == ["T2"]  # nothing can place 3 cpus


def test_fixed_point_on_proxies() -> None:
    tasks = [TaskInfo(name="a", resources=[Cpus(0.1)]), TaskInfo(name="b", resources=[Cpus(0.2)])]
    target = Offer(id="o", resources=[Cpus(0.3)])
    for method in binpack.METHODS:
        weights = {"cpus": 1} if method in binpack.WEIGHTED else {}
        result = binpack.solve(method, tasks, [target], **weights)
        assert sorted(t.name for t in result[0][0][1]) == ["a", "b"], method
        assert_placements_fit(result)


def test_ports_and_gpus_on_proxies() -> None:
    offers = [
        Offer(id="plain", resources=[Cpus(8), Mem(8192), Ports((31000, 31009))]),
        Offer(id="gpu", resources=[Cpus(8), Mem(8192), Gpus(2), Ports((31000, 31001))]),
    ]
    assert binpack.resources(offers[1]) == {"cpus": 8, "mem": 8192, "gpus": 2, "ports": 2}
    gpu_tasks = [TaskInfo(name=f"g{i}", resources=[Cpus(1), Gpus(1)]) for i in range(3)]
    bins, skip = binpack.bfd(gpu_tasks, offers, cpus=1, gpus=1)
    assert [t.name for t in bins[1][1]] == ["g0", "g1"] and [t.name for t in skip] == ["g2"]
    assert_placements_fit((bins, skip))
    # Ports count as a dimension: distinct ports, all inside both offers' ranges.
    port_tasks = [
        TaskInfo(name=f"p{i}", resources=[Cpus(0.1), Ports(31000 + i)]) for i in range(2)
    ] + [TaskInfo(name="wide", resources=[Cpus(0.1), Ports((31002, 31009))])]
    bins, skip = binpack.ff(port_tasks, list(reversed(offers)))
    assert [t.name for t in bins[0][1]] == ["p0", "p1"]  # the gpu offer has 2 ports
    assert [t.name for t in bins[1][1]] == ["wide"] and skip == []
    assert_placements_fit((bins, skip))


def test_reserved_resources_only_serve_their_role() -> None:
    target = Offer(id="o", resources=[Cpus(1), Cpus(2, role="a"), Mem(1024)])
    assert binpack.resources(target) == {"cpus": 1, "cpus(a)": 2, "mem": 1024}
    unreserved = [TaskInfo(name=f"u{i}", resources=[Cpus(1), Mem(1)]) for i in range(2)]
    bins, skip = binpack.ff(unreserved, [target])
    assert [t.name for t in bins[0][1]] == ["u0"] and [t.name for t in skip] == ["u1"]
    assert_placements_fit((bins, skip))
    for_a = [TaskInfo(name=f"a{i}", resources=[Cpus(1, role="a"), Mem(1)]) for i in range(3)]
    bins, skip = binpack.bfd(for_a, [target], cpus=1, mem=1)
    assert [t.name for t in bins[0][1]] == ["a0", "a1"] and [t.name for t in skip] == ["a2"]
    assert_placements_fit((bins, skip))
    for_b = [TaskInfo(name="b", resources=[Cpus(0.5, role="b")])]
    assert binpack.ff(for_b, [target])[1] == for_b


def test_satyr_scheduler_fixture_on_proxies() -> None:
    """satyr's scheduler test: a (0.1, 128, 0) task and offers first=(2, 256, 1024),
    second=(1, 1024, 2048); QueueScheduler's bfd(cpus=1, mem=1) launches on the first."""
    t = TaskInfo(name="task", resources=[Cpus(0.1), Mem(128), Disk(0)])
    first = Offer(id="first-offer", resources=[Cpus(2), Mem(256), Disk(1024)])
    second = Offer(id="second-offer", resources=[Cpus(1), Mem(1024), Disk(2048)])
    bins, skip = binpack.bfd([t], [first, second], cpus=1, mem=1)
    assert bins == [(first, [t]), (second, [])] and skip == []


def test_captured_offers_pack() -> None:
    data = (FIXTURES / "scheduler_stream.recordio").read_bytes()
    offers = []
    while data:
        newline = data.index(b"\n")
        size = int(data[:newline])
        event = SchedulerEvent.from_bytes(data[newline + 1 : newline + 1 + size])
        data = data[newline + 1 + size :]
        if event.type == "OFFERS":
            offers.extend(event.offers.offers)
    assert binpack.resources(offers[2]) == {
        "ports": 1001,
        "cpus(satyr)": 0.6,
        "mem(satyr)": 64,
        "cpus": 1.9,
        "mem": 2048,
        "disk": 4096,
    }
    tasks = [
        TaskInfo(name=f"t{i}", resources=[Cpus(0.3), Mem(256), Disk(512), Ports(31000 + i)])
        for i in range(20)
    ] + [TaskInfo(name=f"r{i}", resources=[Cpus(0.2, role="satyr")]) for i in range(8)]
    for method in ("ff", "bfd"):
        weights = {"cpus": 1, "mem": 1} if method == "bfd" else {}
        result = binpack.solve(method, tasks, offers, **weights)
        assert_placements_fit(result)
        placed = [t.name for _, content in result[0] for t in content]
        # 2 unreserved cpus (1.9 in the third offer) hold 6 + 6 + 6 tasks of 0.3; the role's
        # 0.5 + 0.5 + 0.6 cpus hold 2 + 2 + 3 tasks of 0.2.
        assert len([n for n in placed if n.startswith("t")]) == 18, method
        assert len([n for n in placed if n.startswith("r")]) == 7, method
