"""The resource algebra natives (satyr._satyr.resources_*) on plain-form Resource dicts."""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any

import pytest
import satyr
from satyr import _satyr as native

Res = dict[str, Any]


def scalar(name: str, value: float, **fields: Any) -> Res:
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}, **fields}


def cpus(value: float, **fields: Any) -> Res:
    return scalar("cpus", value, **fields)


def mem(value: float, **fields: Any) -> Res:
    return scalar("mem", value, **fields)


def ports(*pairs: tuple[int, int], **fields: Any) -> Res:
    ranges = [{"begin": b, "end": e} for b, e in pairs]
    return {"name": "ports", "type": "RANGES", "ranges": {"range": ranges}, **fields}


def items(name: str, *values: str, **fields: Any) -> Res:
    return {"name": name, "type": "SET", "set": {"item": list(values)}, **fields}


def reserved(role: str, principal: str | None = None, type_: str | None = None) -> Res:
    level: Res = {"role": role}
    if principal is not None:
        level["principal"] = principal
    if type_ is not None:
        level["type"] = type_
    return level


def values(resources: list[Res]) -> list[tuple[str, Any]]:
    """(name, value) pairs of a result, for compact assertions."""
    out: list[tuple[str, Any]] = []
    for r in resources:
        if r["type"] == "SCALAR":
            out.append((r["name"], r["scalar"]["value"]))
        elif r["type"] == "RANGES":
            out.append((r["name"], [(x["begin"], x["end"]) for x in r["ranges"]["range"]]))
        else:
            out.append((r["name"], r["set"]["item"]))
    return out


# Fixed-point scalars


def test_point_one_plus_point_two_fits_point_three() -> None:
    total = native.resources_add([cpus(0.1)], [cpus(0.2)])
    assert values(total) == [("cpus", 0.3)]
    assert native.resources_contains(total, [cpus(0.3)])
    assert native.resources_contains([cpus(0.1), cpus(0.2)], [cpus(0.3)])
    assert native.resources_equal([cpus(0.1), cpus(0.2)], [cpus(0.3)])
    assert native.resources_sub([cpus(0.3)], [cpus(0.1), cpus(0.2)]) == []


def test_scalars_round_to_the_nearest_thousandth() -> None:
    assert values(native.resources_normalize([cpus(1.2345)])) == [("cpus", 1.235)]
    assert values(native.resources_normalize([cpus(1.23449)])) == [("cpus", 1.234)]
    assert values(native.resources_normalize([cpus(0.0005)])) == [("cpus", 0.001)]
    assert native.resources_normalize([cpus(0.0004)]) == []
    assert native.resources_equal([mem(128)], [mem(128.0001)])
    assert native.resources_scalar_total([cpus(1 / 3), cpus(1 / 3), cpus(1 / 3)], "cpus") == 0.999


# Collections: normalize, add, sub, contains, equal


def test_normalize_merges_keeps_first_entry_fields_and_drops_zeros() -> None:
    first = cpus(1, allocation_info={"role": "r"}, extra_key="kept")
    a = [first, mem(0), cpus(0.5, allocation_info={"role": "other"}), ports((1, 2)), ports((3, 4))]
    before = copy.deepcopy(a)
    out = native.resources_normalize(a)
    assert values(out) == [("cpus", 1.5), ("ports", [(1, 4)])]
    assert out[0]["allocation_info"] == {"role": "r"}
    assert out[0]["extra_key"] == "kept"
    assert a == before  # inputs untouched
    assert out[0] is not first


def test_add_is_per_identity_in_first_appearance_order() -> None:
    out = native.resources_add([mem(64), cpus(1)], [cpus(2), ports((5, 6)), mem(64, role="a")])
    assert values(out) == [("mem", 64.0), ("cpus", 3.0), ("ports", [(5, 6)]), ("mem", 64.0)]
    assert out[3]["role"] == "a"
    assert native.resources_add([], []) == []


def test_offer_minus_task_keeps_the_offer_metadata() -> None:
    alloc = {"role": "web"}
    offer = [
        cpus(2, allocation_info=alloc, reservations=[reserved("web", "ops", "DYNAMIC")]),
        mem(1024, allocation_info=alloc),
        ports((31000, 31009), allocation_info=alloc),
    ]
    task = [
        cpus(0.5, reservations=[reserved("web", "ops", "DYNAMIC")]),
        mem(1024),
        ports((31000, 31000)),
    ]
    rest = native.resources_sub(offer, task)
    assert values(rest) == [("cpus", 1.5), ("ports", [(31001, 31009)])]
    assert all(r["allocation_info"] == alloc for r in rest)
    assert rest[0]["reservations"] == [{"role": "web", "principal": "ops", "type": "DYNAMIC"}]


def test_sub_below_zero_is_a_resource_error_naming_the_amounts() -> None:
    with pytest.raises(satyr.ResourceError) as info:
        native.resources_sub([cpus(1), mem(64)], [cpus(0.5), mem(128)])
    assert str(info.value) == "cannot subtract mem 128 from 64: 64 short"
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, satyr.SatyrError)
    with pytest.raises(ValueError, match=r"cannot subtract gpus 1 from 0: 1 short"):
        native.resources_sub([cpus(1)], [scalar("gpus", 1)])
    with pytest.raises(satyr.ResourceError, match=r'cpus\(reserved for "a"\) 1 from 0'):
        native.resources_sub([cpus(4)], [cpus(1, role="a")])


def test_contains_means_fits_in() -> None:
    offer = [cpus(2), mem(256), ports((31000, 31005)), items("gpus", "g0", "g1")]
    assert native.resources_contains([cpus(0.1), mem(128)], offer)
    assert native.resources_contains([], offer)
    assert native.resources_contains([scalar("disk", 0)], offer)
    assert not native.resources_contains(offer, [cpus(0.1), mem(128)])
    assert not native.resources_contains([cpus(2.001)], offer)
    assert not native.resources_contains([scalar("disk", 1)], offer)
    assert native.resources_contains([ports((31001, 31002), (31005, 31005))], offer)
    assert not native.resources_contains([ports((31005, 31006))], offer)
    assert native.resources_contains([items("gpus", "g1")], offer)
    assert not native.resources_contains([items("gpus", "g2")], offer)


def test_equal_is_order_free_and_treats_zero_as_absent() -> None:
    a = [cpus(1), mem(128), ports((1, 5))]
    b = [ports((4, 5), (1, 3)), mem(128), cpus(0.5), cpus(0.5), scalar("disk", 0)]
    assert native.resources_equal(a, b)
    assert not native.resources_equal(a, [cpus(1), mem(128)])
    assert not native.resources_equal([cpus(1)], [cpus(1, role="a")])
    assert native.resources_equal([], [scalar("disk", 0)])


# Ranges and sets


def test_ranges_union_merges_adjacent_and_difference_splits() -> None:
    out = native.resources_add([ports((1, 3), (10, 12))], [ports((4, 5), (11, 20))])
    assert values(out) == [("ports", [(1, 5), (10, 20)])]
    out = native.resources_sub([ports((1, 10))], [ports((3, 4), (7, 7))])
    assert values(out) == [("ports", [(1, 2), (5, 6), (8, 10)])]
    assert native.resources_sub([ports((1, 10))], [ports((1, 10))]) == []
    with pytest.raises(satyr.ResourceError, match=r"ports \[9-11\] from \[1-10\]: \[11-11\] short"):
        native.resources_sub([ports((1, 10))], [ports((9, 11))])
    big = 2**64 - 1
    out = native.resources_normalize([ports((0, big - 1), (big, big))])
    assert values(out) == [("ports", [(0, big)])]


def test_sets_add_union_sub_difference() -> None:
    out = native.resources_add([items("zones", "a", "b")], [items("zones", "b", "c")])
    assert values(out) == [("zones", ["a", "b", "c"])]
    out = native.resources_sub([items("zones", "a", "b")], [items("zones", "a")])
    assert values(out) == [("zones", ["b"])]
    with pytest.raises(satyr.ResourceError, match=r"\{c\} short"):
        native.resources_sub([items("zones", "a")], [items("zones", "c")])


# Identity: roles, reservations, allocation_info, disk, flags


def test_reserved_resources_never_count_for_another_role_or_unreserved() -> None:
    unreserved = [cpus(4)]
    for_a = [cpus(4, role="a")]
    for_b = [cpus(4, reservations=[reserved("b")])]
    assert native.resources_contains([cpus(1)], unreserved)
    assert not native.resources_contains([cpus(1)], for_a)
    assert not native.resources_contains([cpus(1, role="a")], for_b)
    assert not native.resources_contains([cpus(1, role="a")], unreserved)
    assert native.resources_contains([cpus(1, role="a")], for_a)
    both = native.resources_add(unreserved, for_a)
    assert len(both) == 2
    assert native.resources_scalar_total(both, "cpus") == 8.0
    assert native.resources_contains([cpus(4), cpus(4, role="a")], both)
    assert not native.resources_contains([cpus(5)], both)


def test_legacy_role_equals_a_static_reservation_stack() -> None:
    assert native.resources_equal([cpus(1, role="a")], [cpus(1, reservations=[reserved("a")])])
    static = [cpus(1, reservations=[reserved("a", type_="STATIC")])]
    assert native.resources_equal([cpus(1, role="a")], static)
    legacy_dynamic = cpus(1, role="a", reservation={"principal": "p"})
    refined_dynamic = cpus(1, reservations=[reserved("a", "p", "DYNAMIC")])
    assert native.resources_equal([legacy_dynamic], [refined_dynamic])
    assert not native.resources_equal([legacy_dynamic], [cpus(1, role="a")])
    # The endpoint format may carry both forms when they agree.
    assert native.resources_equal([cpus(1, role="a", reservations=[reserved("a")])], static)
    assert native.resources_equal([cpus(1, role="*")], [cpus(1)])


def test_the_last_reservation_is_the_current_role() -> None:
    stack = [reserved("a", type_="STATIC"), reserved("a/b", "p", "DYNAMIC")]
    nested = [cpus(2, reservations=stack)]
    assert not native.resources_contains([cpus(1, role="a")], nested)
    assert not native.resources_contains([cpus(1, role="a/b")], nested)
    assert native.resources_contains([cpus(1, reservations=stack)], nested)
    found = native.resources_find([cpus(1, role="a/b")], nested)
    assert found is not None
    assert values(found) == [("cpus", 1.0)]
    assert found[0]["reservations"] == stack


def test_allocation_info_is_ignored_for_identity_but_kept() -> None:
    offered = [cpus(1, allocation_info={"role": "r"}), cpus(1, allocation_info={"role": "r"})]
    assert values(native.resources_normalize(offered)) == [("cpus", 2.0)]
    assert native.resources_contains([cpus(2)], offered)
    rest = native.resources_sub(offered, [cpus(0.5)])
    assert rest[0]["allocation_info"] == {"role": "r"}
    assert native.resources_equal(offered, [cpus(2)])


def test_disk_flags_and_provider_are_part_of_identity() -> None:
    volume = {"persistence": {"id": "v1"}, "volume": {"container_path": "data", "mode": "RW"}}
    same_volume = {"persistence": {"id": "v1"}, "volume": {"container_path": "x", "mode": "RO"}}
    other_volume = {"persistence": {"id": "v2"}}
    mount = {"source": {"type": "MOUNT", "mount": {"root": "/mnt/a"}}}
    other_mount = {"source": {"mount": {"root": "/mnt/b"}, "type": "MOUNT"}}
    entries = [
        scalar("disk", 10),
        scalar("disk", 10, disk=volume),
        scalar("disk", 10, disk=same_volume),
        scalar("disk", 10, disk=other_volume),
        scalar("disk", 10, disk=mount),
        scalar("disk", 10, disk={"source": {"mount": {"root": "/mnt/a"}, "type": "MOUNT"}}),
        scalar("disk", 10, disk=other_mount),
        scalar("disk", 10, revocable={}),
        scalar("disk", 10, shared={}),
        scalar("disk", 10, provider_id={"value": "csi"}),
    ]
    out = native.resources_normalize(entries)
    assert [v for _, v in values(out)] == [10.0, 20.0, 10.0, 20.0, 10.0, 10.0, 10.0, 10.0]
    assert out[1]["disk"] == volume  # the first entry's disk (and volume) is kept
    assert not native.resources_contains([scalar("disk", 11)], entries)
    assert native.resources_scalar_total(entries, "disk") == 100.0


# Kind mismatch and bad input


def test_one_name_with_two_types_is_a_kind_error() -> None:
    as_scalar = scalar("ports", 2)
    with pytest.raises(satyr.ResourceKindError) as info:
        native.resources_normalize([as_scalar, ports((1, 2))])
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, satyr.SatyrError)
    assert not isinstance(info.value, ValueError)
    assert 'resource "ports" is given both as SCALAR and as RANGES' in str(info.value)
    for op in (native.resources_add, native.resources_sub, native.resources_contains):
        with pytest.raises(TypeError, match="given both as SCALAR and as RANGES"):
            op([as_scalar], [ports((1, 2), role="a")])
    assert not native.resources_equal([as_scalar], [ports((1, 2))])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"type": "SCALAR", "scalar": {"value": 1}}, r"a\[0\]: missing 'name'"),
        ({"name": 3, "type": "SCALAR"}, r"a\[0\]\.name: expected a str, got 3 \(int\)"),
        ({"name": "cpus", "scalar": {"value": 1}}, r"a\[0\] \(cpus\): missing 'type'"),
        (
            {"name": "cpus", "type": "TEXT", "text": {"value": "x"}},
            r"a\[0\] \(cpus\)\.type: unsupported resource type 'TEXT' \(str\)",
        ),
        ({"name": "cpus", "type": 7}, r"unsupported resource type 7 \(int\)"),
        (cpus(-1), r"a\[0\] \(cpus\)\.scalar\.value: scalar value -1 is negative"),
        (cpus(math.nan), r"scalar\.value: scalar value is NaN"),
        (cpus(math.inf), r"scalar value inf is too large"),
        (cpus("1"), r"scalar\.value: expected a number, got '1' \(str\)"),  # type: ignore[arg-type]
        (cpus(True), r"scalar\.value: expected a number, got True \(bool\)"),
        ({"name": "cpus", "type": "SCALAR"}, r"type SCALAR needs a \"scalar\" value"),
        ({"name": "cpus", "type": "SCALAR", "scalar": {}}, r"\.scalar: missing 'value'"),
        (
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "ranges": {"range": []}},
            r"a\[0\] \(cpus\): has a \"ranges\" value but its type is SCALAR",
        ),
        (ports((5, 4)), r"ranges\.range\[0\]: range begin 5 is greater than its end 4"),
        (ports((-1, 4)), r"range\[0\]\.begin: expected an int from 0 to 2\*\*64-1"),
        (
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 1}]}},
            r"range\[0\]: missing 'end'",
        ),
        (items("zones", 1), r"set\.item\[0\]: expected a str"),  # type: ignore[arg-type]
        (cpus(1, role="*", reservation={"principal": "p"}), r"needs a 'role' other than"),
        (cpus(1, reservations=[{"role": "*"}]), r"reservations\[0\]: a reservation needs a role"),
        (cpus(1, reservations=[{"principal": "p"}]), r"reservations\[0\]: missing 'role'"),
        (
            cpus(1, reservations=[{"role": "a", "type": "SOMETIMES"}]),
            r"reservations\[0\]\.type: unknown reservation type \"SOMETIMES\"",
        ),
        (
            cpus(1, role="b", reservations=[reserved("a")]),
            r"role \"b\" contradicts reservations \(reserved for \"a\"\)",
        ),
        (scalar("disk", 1, disk={"persistence": {}}), r"disk\.persistence: missing 'id'"),
        (cpus(1, provider_id="p"), r"provider_id: expected a dict"),
        ("cpus", r"a\[0\]: expected a Resource dict, got 'cpus' \(str\)"),
    ],
)
def test_bad_input_is_a_resource_error_naming_the_problem(entry: Any, message: str) -> None:
    with pytest.raises(satyr.ResourceError, match=message):
        native.resources_normalize([entry])


def test_operands_are_named_in_errors_and_must_be_lists() -> None:
    with pytest.raises(satyr.ResourceError, match=r"^b\[1\] \(mem\)\.scalar\.value: .*negative"):
        native.resources_add([cpus(1)], [cpus(1), mem(-5)])
    with pytest.raises(satyr.ResourceError, match=r"^a: expected a list, got \{"):
        native.resources_normalize(cpus(1))  # type: ignore[arg-type]
    assert native.resources_normalize((cpus(1),)) == [cpus(1)]


# Summaries and find


def test_summaries_for_the_bin_packer_and_scheduler() -> None:
    offer = [
        cpus(1.5),
        cpus(0.5, role="a"),
        mem(1024),
        ports((31000, 31009), (32000, 32000)),
        ports((33000, 33001), role="a"),
        items("gpus", "g0", "g1"),
    ]
    assert native.resources_scalar_total(offer, "cpus") == 2.0
    assert native.resources_scalar_total(offer, "disk") == 0.0
    assert native.resources_count(offer, "ports") == 13
    assert native.resources_count(offer, "gpus") == 2
    assert native.resources_count(offer, "cpus") == 0
    vector = native.resources_to_vector(offer, ["cpus", "mem", "disk", "ports", "gpus"])
    assert vector == [2000, 1_024_000, 0, 13_000, 2000]


def test_find_turns_a_demand_into_offered_entries() -> None:
    alloc = {"role": "a"}
    offer = [
        cpus(1, allocation_info=alloc),
        cpus(2, role="a", allocation_info=alloc),
        cpus(2, reservations=[reserved("a", "ops", "DYNAMIC")], allocation_info=alloc),
        mem(512, allocation_info=alloc),
    ]
    found = native.resources_find([cpus(3, role="a"), mem(128)], offer)
    assert found is not None
    assert values(found) == [("cpus", 2.0), ("cpus", 1.0), ("mem", 128.0)]
    assert found[0]["role"] == "a"
    assert found[1]["reservations"] == [{"role": "a", "principal": "ops", "type": "DYNAMIC"}]
    assert all(r["allocation_info"] == alloc for r in found)
    # What was found is exactly in the offer: it can be echoed in a TaskInfo and subtracted.
    assert native.resources_contains(found, offer)
    assert native.resources_scalar_total(native.resources_sub(offer, found), "cpus") == 2.0
    assert native.resources_find([cpus(1.5)], offer) is None
    assert native.resources_find([cpus(4.5, role="a")], offer) is None
    assert native.resources_find([cpus(1, role="b")], offer) is None
    assert native.resources_find([], offer) == []


def test_error_classes_are_exported_and_picklable() -> None:
    assert satyr.ResourceError is native.ResourceError
    assert satyr.ResourceKindError is native.ResourceKindError
    assert issubclass(satyr.ResourceError, satyr.SatyrError)
    assert issubclass(satyr.ResourceKindError, satyr.SatyrError)
    with pytest.raises(satyr.ResourceError) as info:
        native.resources_sub([], [cpus(1)])
    # Errors cross process boundaries (futures, multiprocessing) by pickling.
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is satyr.ResourceError
    assert str(again) == str(info.value)
