//! Tests of the collection algebra ([`Resources`]) across kinds, roles and flags.

use super::*;
use crate::Error;

/// An entry tagged with where it came from (`extra`), to check which source a result keeps.
fn tagged(r: Resource, tag: &'static str) -> Resource<&'static str> {
    r.with_extra(tag)
}

fn scalar(name: &str, v: f64) -> Resource {
    Resource::scalar(name, v).unwrap()
}

fn role(mut r: Resource, role: &str) -> Resource {
    r.key.reservations = legacy_reservations(role, None).unwrap();
    r
}

fn res(entries: Vec<Resource>) -> Resources {
    Resources::from_entries(entries).unwrap()
}

fn task() -> Resources {
    res(vec![scalar("cpus", 0.1), scalar("mem", 128.0)])
}

#[test]
fn fixed_point_point_one_plus_point_two_fits_point_three() {
    let a = res(vec![scalar("cpus", 0.1)]);
    let b = res(vec![scalar("cpus", 0.2)]);
    let offer = res(vec![scalar("cpus", 0.3)]);
    let sum = a.add(&b).unwrap();
    assert!(sum.contains_in(&offer).unwrap());
    assert!(sum.equals(&offer));
    assert!(offer.sub(&sum).unwrap().is_empty());
    // Three decimals: 0.0004 is nothing, 0.0005 is a thousandth.
    assert!(res(vec![scalar("cpus", 0.0004)]).is_empty());
    assert_eq!(
        res(vec![scalar("cpus", 0.0005)]).scalar_total("cpus"),
        Quantity::from_millis(1)
    );
}

#[test]
fn normalize_merges_same_key_keeping_the_first_extra_and_drops_zeros() {
    let r = Resources::from_entries([
        tagged(scalar("cpus", 1.0), "first"),
        tagged(scalar("mem", 0.0), "zero"),
        tagged(scalar("cpus", 0.5), "second"),
        tagged(Resource::ranges("ports", [(1, 2)]).unwrap(), "p1"),
        tagged(Resource::ranges("ports", [(3, 4)]).unwrap(), "p2"),
        tagged(Resource::set("zones", ["x"]), "s"),
    ])
    .unwrap();
    assert_eq!(r.to_string(), "cpus:1.5; ports:[1-4]; zones:{x}");
    let extras: Vec<_> = r.iter().map(|e| e.extra).collect();
    assert_eq!(extras, vec!["first", "p1", "s"]);
    // A leading zero entry still names the source of the merged one.
    let r = Resources::from_entries([
        tagged(scalar("disk", 0.0), "zero"),
        tagged(scalar("disk", 10.0), "ten"),
    ])
    .unwrap();
    assert_eq!(r.entries()[0].extra, "zero");
}

#[test]
fn add_is_per_key_and_keeps_roles_apart() {
    let a = res(vec![scalar("cpus", 1.0), role(scalar("cpus", 2.0), "a")]);
    let b = res(vec![
        role(scalar("cpus", 0.5), "a"),
        role(scalar("cpus", 4.0), "b"),
        scalar("mem", 64.0),
    ]);
    let sum = a.add(&b).unwrap();
    assert_eq!(
        sum.to_string(),
        "cpus:1; cpus(reserved for \"a\"):2.5; cpus(reserved for \"b\"):4; mem:64"
    );
    assert_eq!(sum.scalar_total("cpus"), Quantity::from_f64(7.5).unwrap());
}

/// An offer and a task's demand, each entry tagged with where it came from.
fn tagged_offer_and_task() -> (Resources<&'static str>, Resources<&'static str>) {
    let offer = Resources::from_entries([
        tagged(scalar("cpus", 1.0), "offer-cpus"),
        tagged(scalar("mem", 128.0), "offer-mem"),
        tagged(
            Resource::ranges("ports", [(31000, 31009)]).unwrap(),
            "offer-ports",
        ),
    ])
    .unwrap();
    let want = Resources::from_entries([
        tagged(scalar("cpus", 0.1), "task"),
        tagged(scalar("mem", 128.0), "task"),
        tagged(Resource::ranges("ports", [(31000, 31000)]).unwrap(), "task"),
    ])
    .unwrap();
    (offer, want)
}

#[test]
fn sub_keeps_the_left_metadata_and_drops_what_reaches_zero() {
    let (offer, want) = tagged_offer_and_task();
    let rest = offer.sub(&want).unwrap();
    assert_eq!(rest.to_string(), "cpus:0.9; ports:[31001-31009]");
    let extras: Vec<_> = rest.iter().map(|e| e.extra).collect();
    assert_eq!(extras, vec!["offer-cpus", "offer-ports"]);
}

#[test]
fn sub_assign_is_sub_in_place_and_an_error_changes_nothing() {
    let (offer, want) = tagged_offer_and_task();
    let mut rest = offer.clone();
    rest.sub_assign(&want).unwrap();
    assert_eq!(rest, offer.sub(&want).unwrap());
    // The first entry fits, the second does not: nothing is subtracted.
    let too_much = res(vec![scalar("cpus", 0.5), scalar("mem", 64.0)]);
    let before = rest.clone();
    let err = rest.sub_assign(&too_much).unwrap_err();
    assert_eq!(err.to_string(), "cannot subtract mem 64 from 0: 64 short");
    assert_eq!(rest, before);
}

#[test]
fn sub_below_zero_names_the_resource_and_amounts() {
    let offer = res(vec![scalar("cpus", 1.0), scalar("mem", 64.0)]);
    let err = offer.sub(&task()).unwrap_err();
    assert!(matches!(err, Error::Resource(_)));
    assert_eq!(err.to_string(), "cannot subtract mem 128 from 64: 64 short");
    let err = offer.sub(&res(vec![scalar("gpus", 1.0)])).unwrap_err();
    assert_eq!(err.to_string(), "cannot subtract gpus 1 from 0: 1 short");
    let err = res(vec![Resource::set("zones", ["x"])])
        .sub(&res(vec![Resource::set("zones", ["y"])]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot subtract zones {y} from {x}: {y} short"
    );
}

#[test]
fn reserved_and_unreserved_never_count_for_each_other() {
    let unreserved = res(vec![scalar("cpus", 4.0)]);
    let for_a = res(vec![role(scalar("cpus", 4.0), "a")]);
    let for_b = res(vec![role(scalar("cpus", 4.0), "b")]);
    let want_any = res(vec![scalar("cpus", 1.0)]);
    let want_a = res(vec![role(scalar("cpus", 1.0), "a")]);
    assert!(want_any.contains_in(&unreserved).unwrap());
    assert!(!want_any.contains_in(&for_a).unwrap());
    assert!(want_a.contains_in(&for_a).unwrap());
    assert!(!want_a.contains_in(&for_b).unwrap());
    assert!(!want_a.contains_in(&unreserved).unwrap());
    assert!(for_a.sub(&want_any).is_err());
    assert!(unreserved.sub(&want_a).is_err());
    let both = unreserved.add(&for_a).unwrap();
    assert!(want_any.add(&want_a).unwrap().contains_in(&both).unwrap());
    assert_eq!(
        both.sub(&want_a).unwrap().scalar_total("cpus").to_f64(),
        7.0
    );
}

#[test]
fn reservations_stack_and_legacy_role_are_the_same_reservation() {
    let mut refined = scalar("mem", 256.0);
    refined.key.reservations = vec![Reservation::new(None, "a", None, vec![]).unwrap()];
    let legacy = role(scalar("mem", 256.0), "a");
    assert!(res(vec![refined.clone()]).equals(&res(vec![legacy.clone()])));
    assert_eq!(res(vec![refined, legacy]).len(), 1);
    // A refined reservation for a/b is reserved for a/b, not for a.
    let mut nested = scalar("mem", 1.0);
    nested.key.reservations = vec![
        Reservation::new(None, "a", None, vec![]).unwrap(),
        Reservation::new(None, "a/b", None, vec![]).unwrap(),
    ];
    assert_eq!(nested.role(), "a/b");
    assert!(!res(vec![nested])
        .contains_in(&res(vec![role(scalar("mem", 5.0), "a")]))
        .unwrap());
}

#[test]
fn flags_disk_and_provider_are_part_of_identity() {
    let plain = scalar("disk", 100.0);
    let mut volume = scalar("disk", 100.0);
    volume.key.disk = Some(DiskKey {
        persistence_id: Some("v1".into()),
        source: None,
    });
    let mut revocable = scalar("disk", 100.0);
    revocable.key.revocable = true;
    let mut provided = scalar("disk", 100.0);
    provided.key.provider_id = Some("p".into());
    let all = res(vec![plain, volume, revocable, provided]);
    assert_eq!(all.len(), 4);
    assert_eq!(all.scalar_total("disk").to_f64(), 400.0);
    let want = res(vec![scalar("disk", 150.0)]);
    assert!(!want.contains_in(&all).unwrap());
}

#[test]
fn kind_mismatch_is_a_kind_error() {
    let as_scalar = scalar("ports", 2.0);
    let as_ranges = Resource::ranges("ports", [(1, 2)]).unwrap();
    let err = Resources::from_entries([as_scalar.clone(), as_ranges.clone()]).unwrap_err();
    assert!(matches!(err, Error::ResourceKind(_)));
    assert_eq!(
        err.to_string(),
        "resource \"ports\" is given both as SCALAR and as RANGES"
    );
    let a = res(vec![as_scalar]);
    let b = res(vec![role(as_ranges, "r")]);
    assert!(matches!(a.add(&b), Err(Error::ResourceKind(_))));
    assert!(matches!(a.sub(&b), Err(Error::ResourceKind(_))));
    assert!(matches!(a.contains_in(&b), Err(Error::ResourceKind(_))));
    assert!(!a.equals(&b));
}

#[test]
fn contains_and_equals() {
    let offer = res(vec![
        scalar("cpus", 2.0),
        scalar("mem", 256.0),
        Resource::ranges("ports", [(31000, 31005)]).unwrap(),
        Resource::set("gpus", ["g0", "g1"]),
    ]);
    assert!(task().contains_in(&offer).unwrap());
    assert!(offer.contains(&task()).unwrap());
    assert!(!offer.contains_in(&task()).unwrap());
    assert!(Resources::<()>::new().contains_in(&offer).unwrap());
    assert!(res(vec![scalar("disk", 0.0)]).contains_in(&offer).unwrap());
    let ports = res(vec![Resource::ranges("ports", [(31004, 31006)]).unwrap()]);
    assert!(!ports.contains_in(&offer).unwrap());
    let gpus = res(vec![Resource::set("gpus", ["g1"])]);
    assert!(gpus.contains_in(&offer).unwrap());
    // Equality: order-free, zero equals absent, ranges by value.
    let same = res(vec![
        Resource::set("gpus", ["g1", "g0"]),
        Resource::ranges("ports", [(31003, 31005), (31000, 31002)]).unwrap(),
        scalar("mem", 256.0),
        scalar("cpus", 1.0),
        scalar("cpus", 1.0),
        scalar("disk", 0.0),
    ]);
    assert!(offer.equals(&same));
    assert!(!offer.equals(&task()));
}

#[test]
fn summaries_for_the_bin_packer() {
    let r = res(vec![
        scalar("cpus", 1.5),
        role(scalar("cpus", 0.5), "a"),
        scalar("mem", 1024.0),
        Resource::ranges("ports", [(31000, 31009), (32000, 32000)]).unwrap(),
        role(Resource::ranges("ports", [(33000, 33001)]).unwrap(), "a"),
        Resource::set("gpus", ["g0", "g1"]),
    ]);
    assert_eq!(r.scalar_total("cpus").to_f64(), 2.0);
    assert_eq!(r.scalar_total("ports"), Quantity::ZERO);
    assert_eq!(r.ports_count(), 13);
    assert_eq!(r.count("gpus"), 2);
    assert_eq!(
        r.to_vector(&["cpus", "mem", "disk", "ports", "gpus"]),
        vec![2000, 1_024_000, 0, 13_000, 2000]
    );
    let only_a = r.filter(|e| e.role() == "a");
    assert_eq!(
        only_a.to_string(),
        "cpus(reserved for \"a\"):0.5; ports(reserved for \"a\"):[33000-33001]"
    );
}
