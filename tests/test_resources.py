"""The resource algebra on the message proxies: Cpus/Mem/Disk/Gpus/Ports and scalar, ranges and
set resources of any name; Offer/TaskInfo/ExecutorInfo combining and comparing by their
resources; roles; real captured offers; the README's spellings."""

from __future__ import annotations

import copy
import math
import pickle
from pathlib import Path
from typing import Any

import pytest
import satyr
from satyr import _satyr
from satyr.proxies import _registry
from satyr.proxies.messages import (
    AgentInfo,
    CommandInfo,
    Cpus,
    Disk,
    ExecutorInfo,
    Gpus,
    Mem,
    Offer,
    Ports,
    RangesResource,
    Resource,
    ScalarResource,
    SchedulerEvent,
    SetResource,
    TaskInfo,
)

FIXTURES = Path(__file__).parent / "fixtures"


def records(data: bytes) -> list[bytes]:
    """RecordIO frames: ``<decimal length>\\n<bytes>``, repeated."""
    out = []
    while data:
        newline = data.index(b"\n")
        size = int(data[:newline])
        out.append(data[newline + 1 : newline + 1 + size])
        data = data[newline + 1 + size :]
    return out


def captured_offers() -> list[Offer]:
    """Every offer of the real Mesos 1.11 scheduler stream, decoded with the proxies."""
    events = [
        SchedulerEvent.from_bytes(r)
        for r in records((FIXTURES / "scheduler_stream.recordio").read_bytes())
    ]
    return [offer for e in events if e.type == "OFFERS" for offer in e.offers.offers]


def task(*resources: Any, **fields: Any) -> TaskInfo:
    return TaskInfo(name="t", resources=list(resources), **fields)


def offer(*resources: Any, **fields: Any) -> Offer:
    fields.setdefault("id", "o1")
    fields.setdefault("agent_id", "a1")
    fields.setdefault("framework_id", "f1")
    fields.setdefault("hostname", "h1")
    return Offer(resources=list(resources), **fields)


def shape(cpus: float, mem: float, disk: float, cls: type = TaskInfo) -> Any:
    return cls(resources=[Cpus(cpus), Mem(mem), Disk(disk)])


# --- construction, repr, plain form, dispatch ---------------------------------------------------


def test_constructors_build_the_mesos_resource() -> None:
    assert Cpus(0.5).to_plain() == {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}}
    assert Mem(128).to_plain() == {"name": "mem", "type": "SCALAR", "scalar": {"value": 128.0}}
    assert Disk(512).name == "disk" and Gpus(1).name == "gpus"
    assert ScalarResource("licenses", 2).to_plain() == {
        "name": "licenses",
        "type": "SCALAR",
        "scalar": {"value": 2.0},
    }
    assert Ports((31000, 31010)).to_plain() == {
        "name": "ports",
        "type": "RANGES",
        "ranges": {"range": [{"begin": 31000, "end": 31010}]},
    }
    assert SetResource("zones", ["b", "a", "b"]).to_plain() == {
        "name": "zones",
        "type": "SET",
        "set": {"item": ["a", "b"]},
    }
    assert Cpus().to_plain()["scalar"] == {"value": 0.0}
    assert Ports().to_plain() == {"name": "ports", "type": "RANGES", "ranges": {}}
    # Every form of ports; ranges are normalized (sorted, merged, adjacent ones joined).
    assert Ports(31000).value == [(31000, 31000)]
    assert Ports([(31000, 31010), (31020, 31020)]).value == [(31000, 31010), (31020, 31020)]
    assert Ports([80, 443, 81]).value == [(80, 81), (443, 443)]
    assert Ports(range(31000, 31011)).value == [(31000, 31010)]
    assert Ports([(5, 9), (1, 4), {"begin": 20, "end": 21}]).value == [(1, 9), (20, 21)]
    assert RangesResource("slots", [(1, 4)]).value == [(1, 4)]
    assert SetResource("zones", "a").value == ["a"]


def test_scalars_are_fixed_point_from_construction() -> None:
    third = Cpus(1 / 3)
    assert float(third) == 0.333
    assert Mem(0.0005).value == 0.001
    assert Mem(0.0004).value == 0.0


def test_repr_is_readable() -> None:
    assert repr(Cpus(0.5)) == "Cpus(0.5)"
    assert repr(Mem(128)) == "Mem(128)"
    assert repr(Gpus(1)) == "Gpus(1)"
    assert repr(Ports((31000, 31010))) == "Ports([(31000, 31010)])"
    assert (
        repr(Ports([(31000, 31010), (31020, 31020)])) == "Ports([(31000, 31010), (31020, 31020)])"
    )
    assert repr(ScalarResource("licenses", 2.5)) == "ScalarResource('licenses', 2.5)"
    assert repr(RangesResource("slots", [(1, 4)])) == "RangesResource('slots', [(1, 4)])"
    assert repr(SetResource("zones", ["a", "b"])) == "SetResource('zones', ['a', 'b'])"
    assert repr(Cpus(1, role="a")) == "Cpus(1, role='a')"
    assert (
        repr(Cpus(1, allocation_info={"role": "r"}))
        == "Cpus(1, allocation_info=AllocationInfo(role='r'))"
    )
    dynamic = Cpus(1, reservations=[{"role": "a", "type": "DYNAMIC", "principal": "p"}])
    assert repr(dynamic) == (
        "Cpus(1, reservations=[ReservationInfo(principal='p', role='a', type='DYNAMIC')])"
    )
    # Not a well-formed resource: the generic message repr.
    assert repr(Resource(name="cpus")) == "Resource(name='cpus')"


def test_roles_build_a_static_reservation() -> None:
    reserved = Cpus(1, role="a")
    assert reserved.to_plain()["reservations"] == [{"role": "a", "type": "STATIC"}]
    assert reserved.reservation_role == "a"
    assert Cpus(1).reservation_role is None
    assert "reservations" not in Cpus(1, role="*")
    assert Resource(name="cpus", role="b").reservation_role == "b"  # legacy field
    stack = [{"role": "a", "type": "STATIC"}, {"role": "a/b", "type": "DYNAMIC", "principal": "p"}]
    assert Cpus(1, reservations=stack).reservation_role == "a/b"
    # A legacy role and a one-level STATIC stack are the same reservation.
    assert Cpus(1, role="a") == Resource.from_plain({**Cpus(1).to_plain(), "role": "a"})


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Cpus(-1), satyr.ResourceError, r"cpus: -1 is not a finite amount >= 0"),
        (lambda: Mem(math.nan), satyr.ResourceError, r"mem: nan is not a finite amount"),
        (lambda: Disk(math.inf), satyr.ResourceError, r"disk: inf is not a finite amount"),
        (lambda: Cpus("1"), TypeError, r"cpus: expected a number, got str"),
        (lambda: Cpus(True), TypeError, r"cpus: expected a number, got bool"),
        (lambda: ScalarResource("", 1), satyr.ResourceError, r"non-empty str"),
        (lambda: Ports((5, 4)), satyr.ResourceError, r"ports: range begin 5 is greater than"),
        (lambda: Ports(-1), satyr.ResourceError, r"ports: -1 is not an int from 0 to 2\*\*64-1"),
        (lambda: Ports("80"), satyr.ResourceError, r"ports: expected ports or ranges"),
        (lambda: Ports([(1, 2, 3)]), satyr.ResourceError, r"expected a port, a \(begin, end\)"),
        (lambda: Ports(range(5, 1)), satyr.ResourceError, r"non-empty range of step 1"),
        (lambda: SetResource("zones", [1]), satyr.ResourceError, r"zones: expected str items"),
        (lambda: Cpus(1, role=""), satyr.ResourceError, r"a role must be a non-empty str"),
        (
            lambda: Cpus(1, role="a", reservations=[{"role": "a"}]),
            TypeError,
            r"give role= or reservations",
        ),
        (lambda: Cpus(1, type="SET"), TypeError, r"cpus: type come from the constructor"),
        (lambda: Cpus(1, colour="red"), AttributeError, r"no field or attribute 'colour'"),
    ],
)
def test_bad_construction_names_the_problem(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_decoded_resources_come_back_as_resource_classes() -> None:
    def decoded(plain: dict[str, Any]) -> Resource:
        return Resource.from_bytes(_satyr.encode("mesos.v1.Resource", plain))

    assert type(decoded(Cpus(1).to_plain())) is Cpus
    assert type(decoded(Mem(1).to_plain())) is Mem
    assert type(decoded(Disk(1).to_plain())) is Disk
    assert type(decoded(Gpus(1).to_plain())) is Gpus
    assert type(decoded(Ports(1).to_plain())) is Ports
    assert type(decoded(ScalarResource("licenses", 1).to_plain())) is ScalarResource
    assert type(decoded(RangesResource("slots", 1).to_plain())) is RangesResource
    assert type(decoded(SetResource("zones", "a").to_plain())) is SetResource
    assert type(Resource.from_plain({"name": "cpus"})) is Resource  # no type: nothing to match
    # Constructing through dicts dispatches too.
    built = TaskInfo(resources=[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}])
    assert type(built.resources[0]) is Cpus
    again = Resource.from_bytes(Cpus(2, role="a").to_bytes())
    assert again == Cpus(2, role="a") and type(again) is Cpus


def test_copies_and_pickles_keep_the_class() -> None:
    for resource in (Cpus(1, role="a"), Ports((1, 5)), SetResource("z", ["a"])):
        for clone in (
            resource.copy(),
            copy.deepcopy(resource),
            pickle.loads(pickle.dumps(resource)),
        ):
            assert type(clone) is type(resource)
            assert clone.to_plain() == resource.to_plain()


def test_user_subclasses_of_resource_classes_dispatch() -> None:
    state = _registry.snapshot()
    try:

        class RevocableCpus(Cpus):
            proto = {"name": "cpus", "type": "SCALAR", "revocable": {}}

        made = RevocableCpus(2)
        assert made.to_plain()["revocable"] == {}
        assert type(Resource.from_bytes(made.to_bytes())) is RevocableCpus
        assert type(Resource.from_bytes(Cpus(2).to_bytes())) is Cpus
        assert made + RevocableCpus(1) == RevocableCpus(3)
        with pytest.raises(satyr.ResourceKindError):
            made + Cpus(1)  # revocable and not revocable are different resources
    finally:
        _registry.restore(state)


# --- single resources: arithmetic ---------------------------------------------------------------


def test_same_kind_arithmetic() -> None:
    assert Cpus(1) + Cpus(2) == Cpus(3)
    assert type(Cpus(1) + Cpus(2)) is Cpus
    assert Mem(256) - Mem(128) == Mem(128)
    assert (Cpus(1) - Cpus(1)).value == 0.0
    assert Ports((1, 3)) + Ports((4, 9)) == Ports((1, 9))
    assert Ports((1, 10)) - Ports((3, 4)) == Ports([(1, 2), (5, 10)])
    assert SetResource("z", ["a", "b"]) + SetResource("z", "c") == SetResource("z", ["a", "b", "c"])
    assert SetResource("z", ["a", "b"]) - SetResource("z", "a") == SetResource("z", "b")
    assert Cpus(1, role="a") + Cpus(1, role="a") == Cpus(2, role="a")


def test_numbers_mix_with_scalars() -> None:
    assert Cpus(1) + 2 == Cpus(3)
    assert 2 + Cpus(1) == Cpus(3)
    assert Cpus(3) - 1 == Cpus(2)
    assert 3 - Cpus(1) == Cpus(2)
    assert type(3 - Cpus(1)) is Cpus
    assert Mem(64) * 2 == Mem(128) and 2 * Mem(64) == Mem(128)
    assert Mem(128) / 4 == Mem(32)
    assert Mem(128) / 3 == Mem(42.667)  # the factor is not rounded, the result is
    with pytest.raises(satyr.ResourceError, match="mem: cannot scale by -1"):
        Mem(1) * -1
    assert sum([Cpus(1), Cpus(2)]) == Cpus(3)
    assert sum([Ports(1), Ports(2)]) == Ports((1, 2))
    assert float(Cpus(1.5)) == 1.5 and int(Cpus(1.5)) == 1
    assert math.isclose(float(sum([Mem(0.1)] * 10)), 1.0)
    with pytest.raises(ZeroDivisionError):
        Cpus(1) / 0
    with pytest.raises(satyr.ResourceError, match=r"cpus: -1 is not a finite amount"):
        Cpus(1) + (-1)
    with pytest.raises(TypeError, match="not a scalar resource"):
        float(Ports(1))
    for bad in (lambda: Ports(1) + 1, lambda: Cpus(1) + "1", lambda: Cpus(1) * Cpus(2)):
        with pytest.raises(TypeError):
            bad()


def test_fixed_point_point_one_plus_point_two() -> None:
    total = Cpus(0.1) + Cpus(0.2)
    assert total == Cpus(0.3)
    assert total.value == 0.3
    assert total == 0.3 and total <= 0.3 and not total < 0.3
    assert task(Cpus(0.1)) + task(Cpus(0.2)) <= offer(Cpus(0.3))
    assert task(Cpus(0.1), Cpus(0.2)) <= offer(Cpus(0.3))
    assert Cpus(1) == Cpus(1.0004)
    assert Cpus(1) != Cpus(1.0005)


def test_different_kinds_are_type_errors() -> None:
    with pytest.raises(satyr.ResourceKindError, match=r"cpus \(SCALAR\) and mem \(SCALAR\)"):
        Cpus(1) + Mem(1)
    with pytest.raises(TypeError):
        Cpus(1) - Mem(1)
    with pytest.raises(TypeError, match="different reservations"):
        Cpus(1) + Cpus(1, role="a")
    with pytest.raises(TypeError):
        Cpus(1) + ScalarResource("ports", 1)
    with pytest.raises(TypeError, match="different resources"):
        _ = Cpus(1) < Mem(2)
    with pytest.raises(TypeError):
        _ = Ports(1) <= SetResource("ports", "1")
    assert issubclass(satyr.ResourceKindError, TypeError)


def test_below_zero_is_a_resource_error() -> None:
    with pytest.raises(satyr.ResourceError, match=r"cannot subtract cpus 2 from 1: 1 short"):
        Cpus(1) - Cpus(2)
    with pytest.raises(ValueError, match=r"cannot subtract mem 1 from 0.5: 0.5 short"):
        Mem(0.5) - 1
    with pytest.raises(satyr.ResourceError, match=r"ports \[5-6\] from \[1-5\]: \[6-6\] short"):
        Ports((1, 5)) - Ports((5, 6))
    with pytest.raises(satyr.ResourceError, match=r"\{c\} short"):
        SetResource("z", "a") - SetResource("z", "c")
    with pytest.raises(satyr.ResourceError):
        1 - Cpus(2)


def test_in_place_operators_change_the_resource() -> None:
    cpus = Cpus(1)
    same = cpus
    cpus += Cpus(0.5)
    cpus -= 0.25
    assert same is cpus and cpus == Cpus(1.25)
    ports = Ports((1, 10))
    ports -= Ports((1, 5))
    assert ports.value == [(6, 10)]
    ports -= Ports((6, 10))
    assert len(ports) == 0 and ports.to_plain()["ranges"] == {}
    # A resource inside a message: the message sees the change.
    t = task(Cpus(1), Mem(128))
    first = t.resources[0]
    first += 1
    assert t.cpus == 2
    with pytest.raises(satyr.ResourceError):
        first -= 3
    assert t.cpus == 2  # unchanged by the failed subtraction


def test_results_keep_the_left_operand_fields() -> None:
    offered = Cpus(2, allocation_info={"role": "r"})
    rest = offered - Cpus(0.5)
    assert rest.to_plain()["allocation_info"] == {"role": "r"}
    assert (Cpus(0.5) + offered).to_plain().get("allocation_info") is None
    # Results are independent copies.
    rest.allocation_info.role = "other"
    assert offered.allocation_info.role == "r"


# --- single resources: comparison ---------------------------------------------------------------


def test_comparisons_with_the_same_kind_and_numbers() -> None:
    assert Cpus(1) < Cpus(2) and Cpus(1) <= Cpus(1) and Cpus(2) > Cpus(1) and Cpus(2) >= Cpus(2)
    assert not Cpus(2) < Cpus(2)
    assert Cpus(1) == 1 and 1 == Cpus(1) and Cpus(1) != 2
    assert Cpus(1) < 1.5 and 0.5 < Cpus(1) and Cpus(1) >= 1 and Cpus(1) <= 1.0001
    assert Cpus(1) < math.inf and not Cpus(1) < math.nan
    assert Cpus(1) != Mem(1)  # other kinds are simply unequal
    assert Cpus(1) != Cpus(1, role="a")
    assert Cpus(1) != "1" and Ports(1) != 1
    assert Cpus(1, allocation_info={"role": "r"}) == Cpus(1)  # allocation_info is no part of it
    with pytest.raises(TypeError):
        _ = Cpus(1) < "2"
    with pytest.raises(TypeError):
        _ = Ports(1) < 2


def test_ports_compare_by_containment() -> None:
    assert Ports((31000, 31001)) <= Ports((31000, 31010))
    assert Ports((31000, 31001)) < Ports((31000, 31010))
    assert not Ports((31000, 31011)) <= Ports((31000, 31010))
    assert Ports(31005) <= Ports([(31000, 31002), (31004, 31006)])
    assert not Ports(31003) <= Ports([(31000, 31002), (31004, 31006)])
    # Neither contains the other: no order either way.
    a, b = Ports((1, 2)), Ports((2, 3))
    assert not (a <= b or b <= a or a < b or a > b or a == b)
    assert Ports([(1, 2), (3, 4)]) == Ports((1, 4))
    assert len(Ports([(31000, 31010), (31020, 31020)])) == 12


def test_sets_and_gpus() -> None:
    assert SetResource("z", "a") < SetResource("z", ["a", "b"])
    assert not SetResource("z", "c") <= SetResource("z", ["a", "b"])
    assert len(SetResource("z", ["a", "b"])) == 2
    assert Gpus(1) + Gpus(1) == 2
    gpu_offer = offer(Cpus(8), Mem(8192), Gpus(2))
    assert task(Cpus(1), Gpus(2)) <= gpu_offer
    assert not task(Cpus(1), Gpus(3)) <= gpu_offer
    assert not task(Cpus(1), Gpus(1)) <= offer(Cpus(8), Mem(8192))
    assert gpu_offer.gpus == 2 and offer(Cpus(1)).gpus == 0


# --- messages with resources --------------------------------------------------------------------


def test_totals_are_resource_objects_comparing_with_numbers() -> None:
    o = offer(Cpus(1.5), Cpus(0.5, role="a"), Mem(1024), Disk(10), Ports([(1, 5), (7, 7)]))
    assert o.cpus == 2 and type(o.cpus) is Cpus
    assert o.mem == Mem(1024) and o.mem >= 1000 and o.disk == 10
    assert o.ports == Ports([(1, 5), (7, 7)]) and len(o.ports) == 6
    empty = TaskInfo()
    assert empty.cpus == 0 and empty.ports == Ports() and len(empty.ports) == 0


def test_totals_are_settable() -> None:
    t = task(Mem(128), Cpus(1), Cpus(1, role="a"))
    t.cpus = 2
    assert t.resources == [Mem(128), Cpus(2)]
    t.cpus = Cpus(0.5, role="b")
    assert t.resources == [Mem(128), Cpus(0.5, role="b")]
    t.ports = [(31000, 31001)]
    t.gpus = Gpus(1)
    t.disk = 0
    t.mem = None
    assert t.resources == [Cpus(0.5, role="b"), Ports((31000, 31001)), Gpus(1)]
    with pytest.raises(satyr.ResourceKindError, match="cannot set cpus to a 'mem' resource"):
        t.cpus = Mem(1)
    with pytest.raises(TypeError, match="cannot set mem to str"):
        t.mem = "1"
    fresh = TaskInfo()
    fresh.cpus = 1
    assert fresh.to_plain()["resources"] == [Cpus(1).to_plain()]


def test_add_and_sub_keep_the_left_message() -> None:
    o = offer(Cpus(2), Mem(1024), Ports((31000, 31009)))
    t = task(Cpus(0.5), Mem(256), Ports(31000))
    rest = o - t
    assert type(rest) is Offer
    assert rest.id == o.id and rest.agent_id == o.agent_id and rest.hostname == "h1"
    assert rest.resources == [Cpus(1.5), Mem(768), Ports((31001, 31009))]
    assert o.resources == [Cpus(2), Mem(1024), Ports((31000, 31009))]  # unchanged
    both = t + TaskInfo(name="other", resources=[Cpus(1), Gpus(1)])
    assert type(both) is TaskInfo and both.name == "t" and both.task_id == t.task_id
    assert both.resources == [Cpus(1.5), Mem(256), Ports(31000), Gpus(1)]
    assert o - t - Cpus(0.5) == offer(Cpus(1), Mem(768), Ports((31001, 31009)))
    assert o + Cpus(1) == offer(Cpus(3), Mem(1024), Ports((31000, 31009)))
    assert o - [Cpus(1), {"name": "mem", "type": "SCALAR", "scalar": {"value": 24}}] == offer(
        Cpus(1), Mem(1000), Ports((31000, 31009))
    )
    assert (Cpus(1) + task(Mem(1))).resources == [Cpus(1), Mem(1)]
    with pytest.raises(satyr.ResourceError, match=r"cannot subtract cpus 3 from 2: 1 short"):
        o - task(Cpus(3))
    with pytest.raises(satyr.ResourceError, match=r"ports \[31010-31010\]"):
        o - task(Ports(31010))
    with pytest.raises(satyr.ResourceKindError):
        o + task(ScalarResource("ports", 1))


def test_results_are_deep_copies() -> None:
    o = offer(Cpus(2, allocation_info={"role": "r"}), Mem(64))
    o.attributes.append({"name": "rack", "type": "TEXT", "text": {"value": "r1"}})
    rest = o - task(Cpus(1))
    rest.resources[0].allocation_info.role = "x"
    rest.attributes[0].text.value = "changed"
    assert o.resources[0].allocation_info.role == "r"
    assert o.attributes[0].text.value == "r1"


def test_in_place_add_and_sub() -> None:
    o = offer(Cpus(2), Mem(1024))
    keep = o
    o -= task(Cpus(0.5), Mem(1024))
    assert keep is o and o.resources == [Cpus(1.5)]
    o += [Mem(1), Cpus(0.5)]
    assert o.resources == [Cpus(2), Mem(1)]
    o -= Cpus(2)
    o -= Mem(1)
    assert "resources" not in o and o.resources == []
    with pytest.raises(satyr.ResourceError):
        o -= Cpus(1)


def test_sum_of_offers() -> None:
    offers = [offer(Cpus(1), Mem(10), id="o1"), offer(Cpus(2), Disk(5), id="o2"), offer(Mem(5))]
    total = sum(offers)
    assert type(total) is Offer and total.id.value == "o1"
    assert total.resources == [Cpus(3), Mem(15), Disk(5)]
    assert sum([task(Cpus(1)), task(Cpus(2))]).cpus == 3
    assert offers[0].resources == [Cpus(1), Mem(10)]  # sum copies
    assert sum(offers[:1]) == offers[0]


def test_fits_and_ordering() -> None:
    o = offer(Cpus(2), Mem(1024), Disk(100))
    assert task(Cpus(1), Mem(512)) <= o
    assert task(Cpus(1), Mem(512)) < o
    assert o >= task(Cpus(1)) and o > task(Cpus(1))
    exact = task(Cpus(2), Mem(1024), Disk(100))
    assert exact <= o and not exact < o and o >= exact and not o > exact
    assert not task(Cpus(3)) <= o and not o <= task(Cpus(3))
    assert task() <= o and task() < o and not o <= task()
    assert TaskInfo() <= TaskInfo() and not TaskInfo() < TaskInfo()


def test_ordering_is_by_resources_and_equality_by_content() -> None:
    a, b = task(Cpus(1), Mem(1)), task(Mem(1), Cpus(1))
    assert a <= b and b <= a and not a < b
    assert a != b  # different task ids and resource order: not the same message
    twin = a.copy()
    assert twin == a


def test_comparisons_across_types_and_with_lists() -> None:
    o = offer(Cpus(2), Mem(1024))
    executor = ExecutorInfo(resources=[Cpus(1), Mem(512)], command=CommandInfo(value="x"))
    assert task(Cpus(1)) <= executor and task(Cpus(1)) < executor
    assert executor < o and o > executor
    assert [Cpus(1), Mem(1)] < o and o > [Cpus(1)] and [Cpus(2), Mem(1024)] <= o
    assert not [Cpus(3)] <= o
    assert o >= [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}}]
    assert Cpus(1) <= o and Cpus(1) < o and not Cpus(3) <= o
    agent = AgentInfo(hostname="h", resources=[Cpus(4)])  # any message with resources
    assert task(Cpus(4)) <= agent and not task(Cpus(4)) < agent
    for bad in (lambda: o < 1, lambda: o <= "x", lambda: o < [1], lambda: o < CommandInfo()):
        with pytest.raises(TypeError):
            bad()
    for bad in (lambda: o + 1, lambda: o - "x", lambda: 1 - o, lambda: [Cpus(1)] - o):
        with pytest.raises(TypeError):
            bad()


def test_satyr_truth_table_under_fits_semantics() -> None:
    """satyr 0.2.1's test-suite table (o1=(1,128,0), o2=(2,256,1024), t1=(0.5,128,0),
    t2=(1,256,512), t3=(0.5,256,512)) recomputed: ``a <= b`` is "a fits in b", ``a < b`` is "fits
    and b has something more", ``a > b`` is ``b < a``. satyr's ``<`` needed every one of cpus,
    mem and disk strictly smaller, and its ``>`` meant "some dimension exceeds"."""
    o1, o2 = shape(1, 128, 0, Offer), shape(2, 256, 1024, Offer)
    t1, t2, t3 = shape(0.5, 128, 0), shape(1, 256, 512), shape(0.5, 256, 512)
    # Rows where both agree.
    assert o1 < o2 and o1 <= o2 and o2 > o1 and o2 >= o1
    assert t1 < t2 and t2 > t1
    assert o1 >= t1 and o2 >= t1 and o2 >= t2 and t2 >= o1
    assert t3 <= t2 and t3 > t1
    assert o1.cpus == 1 and o2.disk == 1024
    # satyr: t3 > o1 (t3 has more mem). Here o1 does not fit in t3 (cpus 1 > 0.5): False.
    assert not t3 > o1
    assert not o1 <= t3 and not t3 <= o1  # neither fits in the other
    # satyr: a task of (0.1, 128, 0) is not < an offer of (2, 256, 0) (disk 0 is not < 0).
    assert shape(0.1, 128, 0) < shape(2, 256, 0, Offer)
    # satyr: for a=(2,1,0), b=(1,2,0) both a > b and b > a. Here neither.
    a, b = shape(2, 1, 0), shape(1, 2, 0)
    assert not a > b and not b > a and not a < b and not b < a


# --- roles --------------------------------------------------------------------------------------


def test_reserved_for_a_never_counts_for_b_or_unreserved() -> None:
    o = offer(Cpus(1), Cpus(4, role="a"), Mem(100, role="b"))
    assert task(Cpus(1)) <= o
    assert not task(Cpus(2)) <= o  # unreserved demand: only the unreserved cpu
    assert task(Cpus(4, role="a")) <= o
    assert not task(Cpus(4.5, role="a")) <= o
    assert not task(Cpus(1, role="b")) <= o
    assert not task(Mem(1)) <= o and not task(Mem(1, role="a")) <= o
    assert task(Cpus(1), Cpus(4, role="a"), Mem(100, role="b")) <= o
    assert o.cpus == 5  # totals count every role
    with pytest.raises(satyr.ResourceError, match=r'cpus\(reserved for "b"\) 1 from 0: 1 short'):
        o - task(Cpus(1, role="b"))
    rest = o - task(Cpus(1), Cpus(1, role="a"))
    assert rest.resources == [Cpus(3, role="a"), Mem(100, role="b")]


def test_a_role_demand_is_served_by_any_reservation_of_the_role() -> None:
    alloc = {"role": "a"}
    dynamic = [{"role": "a", "type": "DYNAMIC", "principal": "ops"}]
    o = offer(
        Cpus(1, allocation_info=alloc),
        Cpus(0.5, role="a", allocation_info=alloc),
        Cpus(0.5, reservations=dynamic, allocation_info=alloc),
        Mem(512, allocation_info=alloc),
    )
    demand = task(Cpus(0.75, role="a"), Mem(128))
    assert demand <= o and demand < o
    found = o.find(demand)
    assert found == [
        Cpus(0.5, role="a"),
        Cpus(0.25, reservations=dynamic),
        Mem(128),
    ]
    assert all(r.to_plain()["allocation_info"] == alloc for r in found)
    assert [type(r) for r in found] == [Cpus, Cpus, Mem]
    # Echo the offered entries in the task (what Mesos needs to launch on reserved resources).
    demand.resources = found
    assert demand <= o
    rest = o - demand
    assert rest.resources == [
        Cpus(1, allocation_info=alloc),
        Cpus(0.25, reservations=dynamic, allocation_info=alloc),
        Mem(384, allocation_info=alloc),
    ]
    assert o - task(Cpus(0.75, role="a"), Mem(128)) == rest
    # A demand naming the exact reservation needs exactly it.
    assert task(Cpus(0.5, reservations=dynamic)) <= o
    other = [{"role": "a", "type": "DYNAMIC", "principal": "someone"}]
    assert not task(Cpus(0.5, reservations=other)) <= o
    assert o.find(task(Cpus(2))) is None
    assert o.find([]) == []
    with pytest.raises(TypeError, match="cannot find resources for a int"):
        o.find(3)


def test_allocation_info_is_kept_through_offer_minus_task() -> None:
    alloc = {"role": "web"}
    o = offer(Cpus(2, allocation_info=alloc), Ports((31000, 31009), allocation_info=alloc))
    rest = o - task(Cpus(0.5), Ports(31000))
    assert [r.to_plain()["allocation_info"] for r in rest.resources] == [alloc, alloc]
    assert rest.resources == [Cpus(1.5), Ports((31001, 31009))]


# --- real captured offers -----------------------------------------------------------------------


def test_captured_offers_decode_to_resource_objects() -> None:
    offers = captured_offers()
    assert len(offers) == 3
    first = offers[0]
    assert [type(r) for r in first.resources] == [Ports, Cpus, Mem, Cpus, Mem, Disk]
    assert first.resources[0] == Ports((31000, 32000))
    assert first.resources[1] == Cpus(0.5, role="satyr")
    assert first.resources[1].reservation_role == "satyr"
    assert first.resources[3] == Cpus(2)
    assert first.cpus == 2.5 and first.mem == 2112 and first.disk == 4096
    assert first.ports == Ports((31000, 32000)) and len(first.ports) == 1001
    assert first.gpus == 0
    assert all(r.allocation_info.role == "satyr" for r in first.resources)
    # The third offer shows the dynamic reservation the capture made (0.1 cpus, with labels).
    third = offers[2]
    dynamic = third.resources[3]
    assert type(dynamic) is Cpus and dynamic == 0.1 and dynamic.reservation_role == "satyr"
    assert dynamic.reservations[0].principal == "satyr-capture"
    assert third.cpus == 2.5


def test_task_against_a_real_offer() -> None:
    offers = captured_offers()
    real = offers[0]
    t = TaskInfo(name="satyr-task", resources=[Cpus(0.1), Mem(128), Disk(512)])
    assert t < real and t <= real and real > t
    assert not TaskInfo(resources=[Cpus(2.5)]) <= real  # only 2 unreserved cpus
    assert TaskInfo(resources=[Cpus(2), Cpus(0.5, role="satyr")]) <= real
    t.slave_id = real.slave_id
    assert t.agent_id == real.agent_id
    rest = real - t
    assert rest.id == real.id and rest.cpus == 2.4 and rest.mem == 1984 and rest.disk == 3584
    assert all(r.allocation_info.role == "satyr" for r in rest.resources)
    assert Offer.from_bytes(rest.to_bytes()) == rest  # still a valid message
    # A role demand draws on the static and the dynamic reservation of the third offer.
    third = offers[2]
    reserved = TaskInfo(resources=[Cpus(0.6, role="satyr")])
    assert reserved <= third and not reserved <= offers[0]
    found = third.find(reserved)
    assert found is not None and TaskInfo(resources=found).cpus == 0.6
    assert [r.reservations[0].type for r in found] == ["STATIC", "DYNAMIC"]
    total = sum(offers)
    assert total.id == offers[0].id and total.cpus == 7.5 and len(total.ports) == 1001


# --- the README -------------------------------------------------------------------------------


def test_readme_spellings() -> None:
    from satyr.proxies.messages import Cpus, Disk, Mem, Offer, TaskInfo

    resources = [Cpus(0.1), Mem(128), Disk(512)]
    futures_resources = [Cpus(0.1), Mem(128)]
    task = TaskInfo(name="satyr-task", resources=resources)
    offers = [
        Offer(id="small", agent_id="s0", resources=[Cpus(0.05), Mem(4096), Disk(4096)]),
        Offer(id="big", agent_id="s1", resources=[Cpus(2), Mem(4096), Disk(4096)]),
    ]
    launched = []
    for offer in offers:
        if task < offer:
            task.slave_id = offer.slave_id
            launched.append(offer.id.value)
    assert launched == ["big"]
    assert task.slave_id.value == "s1"
    assert TaskInfo(resources=futures_resources) < offers[1]


# --- natives added for the proxies -----------------------------------------------------------


def test_single_resource_natives() -> None:
    a, b = Cpus(1).to_plain(), Cpus(0.5, allocation_info={"role": "r"}).to_plain()
    assert _satyr.resource_add(a, b) == Cpus(1.5).to_plain()
    assert _satyr.resource_sub(b, b)["scalar"] == {"value": 0.0}
    assert _satyr.resource_sub(b, a | {"scalar": {"value": 0.25}})["allocation_info"] == {
        "role": "r"
    }
    assert _satyr.resource_compare(a, b) == (False, True)
    assert _satyr.resource_compare(a, a) == (True, True)
    with pytest.raises(satyr.ResourceKindError):
        _satyr.resource_compare(a, Mem(1).to_plain())
    with pytest.raises(satyr.ResourceError, match=r"^a: expected a Resource dict"):
        _satyr.resource_add([a], b)  # type: ignore[arg-type]
    emptied = _satyr.resource_sub(Ports(1).to_plain(), Ports(1).to_plain())
    assert emptied["ranges"] == {}
    assert (
        _satyr.resource_sub(SetResource("z", "a").to_plain(), SetResource("z", "a").to_plain())[
            "set"
        ]
        == {}
    )


def test_take_and_fit_natives() -> None:
    o = [Cpus(2).to_plain(), Mem(64).to_plain()]
    taken, rest = _satyr.resources_take([Cpus(0.5).to_plain()], o)
    assert taken == [Cpus(0.5).to_plain()] and rest == [Cpus(1.5).to_plain(), Mem(64).to_plain()]
    assert _satyr.resources_fit([Cpus(0.5).to_plain()], o) == 1
    assert _satyr.resources_fit(o, o) == 0
    assert _satyr.resources_fit([Cpus(3).to_plain()], o) == -1
    with pytest.raises(satyr.ResourceError, match="cannot subtract cpus 3 from 2: 1 short"):
        _satyr.resources_take([Cpus(3).to_plain()], o)
    with pytest.raises(satyr.ResourceKindError):
        _satyr.resources_fit([ScalarResource("ports", 1).to_plain()], [Ports(1).to_plain()])
