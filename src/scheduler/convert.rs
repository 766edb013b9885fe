//! `mesos.v1.Resource` messages to the resource algebra and back.
//!
//! Offered entries are parsed once; what a task takes from them is echoed back as the offered
//! message with only the value replaced, so reservations, `allocation_info`, disk and provider
//! fields go back to the master exactly as they came.

use prost::Message;

use crate::proto::mesos::{self as m, resource::reservation_info, value};
use crate::resources::{
    legacy_reservations, DiskKey, ItemSet, Label, Quantity, Range, Ranges, Reservation,
    ReservationType, Resource, ResourceKey, Resources, Value, UNRESERVED_ROLE,
};
use crate::{Error, Result};

fn labels(l: Option<&m::Labels>) -> Vec<Label> {
    l.map(|l| {
        l.labels
            .iter()
            .map(|x| Label {
                key: x.key.clone(),
                value: x.value.clone(),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn reservation_type(t: Option<i32>) -> Option<ReservationType> {
    match t.and_then(|t| reservation_info::Type::try_from(t).ok()) {
        Some(reservation_info::Type::Static) => Some(ReservationType::Static),
        Some(reservation_info::Type::Dynamic) => Some(ReservationType::Dynamic),
        _ => None,
    }
}

#[allow(deprecated)] // `role` and `reservation` are the legacy (pre-refinement) format.
fn reservations(r: &m::Resource) -> Result<Vec<Reservation>> {
    if r.reservations.is_empty() {
        let role = r.role.as_deref().unwrap_or(UNRESERVED_ROLE);
        let dynamic = r
            .reservation
            .as_ref()
            .map(|x| (x.principal.clone(), labels(x.labels.as_ref())));
        return legacy_reservations(role, dynamic);
    }
    r.reservations
        .iter()
        .map(|x| {
            let role = x.role.clone().unwrap_or_default();
            Reservation::new(
                reservation_type(x.r#type),
                role,
                x.principal.clone(),
                labels(x.labels.as_ref()),
            )
        })
        .collect()
}

fn disk_key(d: &m::resource::DiskInfo) -> DiskKey {
    DiskKey {
        persistence_id: d.persistence.as_ref().map(|p| p.id.clone()),
        // The source is compared whole: its encoding is a faithful fingerprint.
        source: d.source.as_ref().map(|s| {
            s.encode_to_vec()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }),
    }
}

fn value_of(r: &m::Resource) -> Result<Value> {
    let kind = value::Type::try_from(r.r#type).ok();
    match kind {
        Some(value::Type::Scalar) => {
            let v = r.scalar.as_ref().map_or(0.0, |s| s.value);
            Ok(Value::Scalar(Quantity::from_f64(v)?))
        }
        Some(value::Type::Ranges) => {
            let mut out = Vec::new();
            for x in r.ranges.iter().flat_map(|x| x.range.iter()) {
                out.push(Range::new(x.begin, x.end)?);
            }
            Ok(Value::Ranges(Ranges::from_ranges(out)))
        }
        Some(value::Type::Set) => Ok(Value::Set(
            r.set
                .iter()
                .flat_map(|s| s.item.iter().cloned())
                .collect::<ItemSet>(),
        )),
        _ => Err(Error::Resource(format!(
            "resource {:?} has type {}, which is not SCALAR, RANGES or SET",
            r.name, r.r#type
        ))),
    }
}

/// One `Resource` message as an algebra entry (no `extra`).
pub fn parse(r: &m::Resource) -> Result<Resource> {
    if r.name.is_empty() {
        return Err(Error::Resource("a resource without a name".into()));
    }
    let key = ResourceKey {
        name: r.name.clone(),
        reservations: reservations(r)?,
        disk: r.disk.as_ref().map(disk_key),
        revocable: r.revocable.is_some(),
        shared: r.shared.is_some(),
        provider_id: r.provider_id.as_ref().map(|p| p.value.clone()),
    };
    Ok(Resource::new(key, value_of(r)?))
}

/// A task's demand: its `Resource` messages, normalized. Errors name the entry.
pub fn demand(list: &[m::Resource]) -> Result<Resources> {
    let mut entries = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        entries.push(parse(r).map_err(|e| at(i, r, e))?);
    }
    Resources::from_entries(entries)
}

/// Offered entries with `extra` = index of the source message in `list`; entries that cannot
/// be parsed (a TEXT resource, a bad value) are left out: nothing can be taken from them.
pub fn offered(list: &[m::Resource], first_index: usize) -> Vec<Resource<usize>> {
    list.iter()
        .enumerate()
        .filter_map(|(i, r)| parse(r).ok().map(|x| x.with_extra(first_index + i)))
        .collect()
}

fn at(i: usize, r: &m::Resource, e: Error) -> Error {
    match e {
        Error::Resource(msg) => Error::Resource(format!("resources[{i}] ({}): {msg}", r.name)),
        Error::ResourceKind(msg) => {
            Error::ResourceKind(format!("resources[{i}] ({}): {msg}", r.name))
        }
        other => other,
    }
}

/// The source message with its value replaced by `value`.
pub fn echo(source: &m::Resource, value: &Value) -> m::Resource {
    let mut out = source.clone();
    out.scalar = None;
    out.ranges = None;
    out.set = None;
    match value {
        Value::Scalar(q) => {
            out.r#type = value::Type::Scalar as i32;
            out.scalar = Some(value::Scalar { value: q.to_f64() });
        }
        Value::Ranges(r) => {
            out.r#type = value::Type::Ranges as i32;
            out.ranges = Some(value::Ranges {
                range: r
                    .ranges()
                    .iter()
                    .map(|x| value::Range {
                        begin: x.begin,
                        end: x.end,
                    })
                    .collect(),
            });
        }
        Value::Set(s) => {
            out.r#type = value::Type::Set as i32;
            out.set = Some(value::Set {
                item: s.items().map(String::from).collect(),
            });
        }
    }
    out
}

/// Echoes taken pieces (whose `extra` indexes `sources`) as `Resource` messages.
pub fn echo_all(taken: &Resources<usize>, sources: &[m::Resource]) -> Vec<m::Resource> {
    taken
        .iter()
        // `extra` always indexes `sources`: every entry came from `offered(sources, 0)`.
        .filter_map(|piece| sources.get(piece.extra).map(|s| echo(s, &piece.value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn scalar(name: &str, v: f64) -> m::Resource {
        m::Resource {
            name: name.into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: v }),
            ..Default::default()
        }
    }

    #[test]
    #[allow(deprecated)]
    fn legacy_and_refined_reservations_parse_alike() {
        let mut legacy = scalar("cpus", 1.0);
        legacy.role = Some("a".into());
        let mut refined = scalar("cpus", 1.0);
        refined.reservations = vec![m::resource::ReservationInfo {
            r#type: Some(reservation_info::Type::Static as i32),
            role: Some("a".into()),
            ..Default::default()
        }];
        assert_eq!(parse(&legacy).unwrap().key, parse(&refined).unwrap().key);
        assert_eq!(parse(&legacy).unwrap().key.role(), "a");
        assert_eq!(parse(&scalar("cpus", 1.0)).unwrap().key.role(), "*");
    }

    #[test]
    fn echo_keeps_every_other_field() {
        let mut r = scalar("cpus", 4.0);
        r.allocation_info = Some(m::resource::AllocationInfo {
            role: Some("r".into()),
        });
        let out = echo(&r, &Value::Scalar(Quantity::from_f64(1.5).unwrap()));
        assert_eq!(out.scalar.unwrap().value, 1.5);
        assert_eq!(out.allocation_info, r.allocation_info);
        let ports = m::Resource {
            name: "ports".into(),
            r#type: value::Type::Ranges as i32,
            ranges: Some(value::Ranges {
                range: vec![value::Range {
                    begin: 31000,
                    end: 31009,
                }],
            }),
            ..Default::default()
        };
        let v = Value::Ranges(Ranges::from_pairs([(31002, 31003)]).unwrap());
        let out = echo(&ports, &v);
        assert_eq!(parse(&out).unwrap().value, v);
    }

    #[test]
    fn bad_entries_are_named_or_skipped() {
        let mut text = scalar("note", 0.0);
        text.r#type = value::Type::Text as i32;
        let err = demand(&[scalar("cpus", 1.0), text.clone()]).unwrap_err();
        assert!(
            err.to_string().starts_with("resources[1] (note): "),
            "{err}"
        );
        assert!(demand(&[scalar("cpus", -1.0)]).is_err());
        let got = offered(&[text, scalar("mem", 64.0)], 10);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].extra, 11);
    }
}
