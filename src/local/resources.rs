//! Between the wire's `Resource` messages and the resource algebra, and the ways Mesos prints
//! resources (validation messages, the state endpoints' summaries).

use crate::proto::mesos as m;
use crate::resources::{
    legacy_reservations, DiskKey, ItemSet, Label, Quantity, Range, Ranges, Reservation,
    ReservationType, Resource, ResourceKey, Resources, Value,
};

/// Reads `Resource` messages into the algebra (allocation info is not part of a resource's
/// identity). The error names the bad entry.
pub(crate) fn from_proto(list: &[m::Resource]) -> Result<Resources, String> {
    let mut entries = Vec::with_capacity(list.len());
    for r in list {
        entries.push(entry(r).map_err(|e| format!("Invalid resource {}: {e}", r.name))?);
    }
    Resources::from_entries(entries).map_err(|e| e.to_string())
}

fn labels(l: &Option<m::Labels>) -> Vec<Label> {
    l.iter()
        .flat_map(|l| l.labels.iter())
        .map(|l| Label {
            key: l.key.clone(),
            value: l.value.clone(),
        })
        .collect()
}

#[allow(deprecated)] // the legacy `role`/`reservation` fields are still on the wire
fn entry(r: &m::Resource) -> Result<Resource, String> {
    let value = match m::value::Type::try_from(r.r#type) {
        Ok(m::value::Type::Scalar) => {
            let v = r.scalar.as_ref().map_or(0.0, |s| s.value);
            Value::Scalar(Quantity::from_f64(v).map_err(|e| e.to_string())?)
        }
        Ok(m::value::Type::Ranges) => {
            let mut ranges = Vec::new();
            for x in r.ranges.iter().flat_map(|x| x.range.iter()) {
                ranges.push(Range::new(x.begin, x.end).map_err(|e| e.to_string())?);
            }
            Value::Ranges(Ranges::from_ranges(ranges))
        }
        Ok(m::value::Type::Set) => Value::Set(
            r.set
                .iter()
                .flat_map(|s| s.item.iter().cloned())
                .collect::<ItemSet>(),
        ),
        _ => return Err("only SCALAR, RANGES and SET resources are supported".into()),
    };
    let reservations = if !r.reservations.is_empty() {
        let mut out = Vec::new();
        for res in &r.reservations {
            let kind = res
                .r#type
                .and_then(|t| m::resource::reservation_info::Type::try_from(t).ok())
                .and_then(|t| match t {
                    m::resource::reservation_info::Type::Static => Some(ReservationType::Static),
                    m::resource::reservation_info::Type::Dynamic => Some(ReservationType::Dynamic),
                    m::resource::reservation_info::Type::Unknown => None,
                });
            out.push(
                Reservation::new(
                    kind,
                    res.role.clone().unwrap_or_default(),
                    res.principal.clone(),
                    labels(&res.labels),
                )
                .map_err(|e| e.to_string())?,
            );
        }
        out
    } else {
        let role = r.role.as_deref().unwrap_or("*");
        let dynamic = r
            .reservation
            .as_ref()
            .map(|d| (d.principal.clone(), labels(&d.labels)));
        legacy_reservations(role, dynamic).map_err(|e| e.to_string())?
    };
    let disk = r.disk.as_ref().map(|d| DiskKey {
        persistence_id: d.persistence.as_ref().map(|p| p.id.clone()),
        source: d.source.as_ref().map(|s| format!("{s:?}")),
    });
    let key = ResourceKey {
        name: r.name.clone(),
        reservations,
        disk,
        revocable: r.revocable.is_some(),
        shared: r.shared.is_some(),
        provider_id: r.provider_id.as_ref().map(|p| p.value.clone()),
    };
    Ok(Resource::new(key, value))
}

/// How offered resources are written for one framework.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style<'a> {
    /// The allocation role (`allocation_info.role`), when it is to be set.
    pub allocation_role: Option<&'a str>,
    /// RESERVATION_REFINEMENT format (`reservations`) instead of the legacy `role` field.
    pub refinement: bool,
}

/// Writes algebra entries as `Resource` messages.
#[allow(deprecated)]
pub(crate) fn to_proto(res: &Resources, style: Style<'_>) -> Vec<m::Resource> {
    res.iter()
        .map(|r| {
            let mut out = m::Resource {
                name: r.key.name.clone(),
                ..Default::default()
            };
            match &r.value {
                Value::Scalar(q) => {
                    out.r#type = m::value::Type::Scalar as i32;
                    out.scalar = Some(m::value::Scalar { value: q.to_f64() });
                }
                Value::Ranges(ranges) => {
                    out.r#type = m::value::Type::Ranges as i32;
                    out.ranges = Some(m::value::Ranges {
                        range: ranges
                            .ranges()
                            .iter()
                            .map(|x| m::value::Range {
                                begin: x.begin,
                                end: x.end,
                            })
                            .collect(),
                    });
                }
                Value::Set(items) => {
                    out.r#type = m::value::Type::Set as i32;
                    out.set = Some(m::value::Set {
                        item: items.items().map(String::from).collect(),
                    });
                }
            }
            if style.refinement {
                out.reservations = r
                    .key
                    .reservations
                    .iter()
                    .map(|x| m::resource::ReservationInfo {
                        r#type: Some(match x.kind {
                            ReservationType::Static => {
                                m::resource::reservation_info::Type::Static as i32
                            }
                            ReservationType::Dynamic => {
                                m::resource::reservation_info::Type::Dynamic as i32
                            }
                        }),
                        role: Some(x.role.clone()),
                        principal: x.principal.clone(),
                        ..Default::default()
                    })
                    .collect();
            } else {
                out.role = Some(r.key.role().to_string());
            }
            if let Some(role) = style.allocation_role {
                out.allocation_info = Some(m::resource::AllocationInfo {
                    role: Some(role.to_string()),
                });
            }
            out
        })
        .collect()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Scalar(q) => super::ids::trim_float(q.to_f64()),
        Value::Ranges(r) => ranges_text(r),
        Value::Set(s) => format!("{{{}}}", s.items().collect::<Vec<_>>().join(", ")),
    }
}

fn ranges_text(r: &Ranges) -> String {
    let parts: Vec<String> = r
        .ranges()
        .iter()
        .map(|x| format!("{}-{}", x.begin, x.end))
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Mesos's text form of resources in messages:
/// `cpus(allocated: *):0.1; mem(allocated: *):32`.
pub(crate) fn describe(res: &Resources, allocation_role: Option<&str>) -> String {
    res.iter()
        .map(|r| {
            let mut notes = Vec::new();
            if r.key.is_reserved() {
                let levels: Vec<String> = r
                    .key
                    .reservations
                    .iter()
                    .map(|x| format!("({},{})", x.kind.name(), x.role))
                    .collect();
                notes.push(format!("reservations: [{}]", levels.join(", ")));
            }
            if let Some(role) = allocation_role {
                notes.push(format!("allocated: {role}"));
            }
            let head = if notes.is_empty() {
                r.key.name.clone()
            } else {
                format!("{}({})", r.key.name, notes.join(", "))
            };
            format!("{head}:{}", value_text(&r.value))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The state endpoints' summary: scalar totals by name (cpus, mem, disk, gpus always present),
/// ranges and sets as text.
pub(crate) fn summary(res: &Resources) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for name in ["disk", "mem", "gpus", "cpus"] {
        map.insert(name.into(), serde_json::json!(0.0));
    }
    for r in res.iter() {
        let name = r.key.name.clone();
        match &r.value {
            Value::Scalar(q) => {
                let before = map.get(&name).and_then(|v| v.as_f64()).unwrap_or(0.0);
                let total = Quantity::from_f64(before)
                    .map(|b| (b + *q).to_f64())
                    .unwrap_or(before);
                map.insert(name, serde_json::json!(total));
            }
            Value::Ranges(ranges) => {
                map.insert(name, serde_json::json!(ranges_text(ranges)));
            }
            Value::Set(items) => {
                let list: Vec<&str> = items.items().collect();
                map.insert(name, serde_json::json!(format!("{{{}}}", list.join(","))));
            }
        }
    }
    serde_json::Value::Object(map)
}

/// `a - b`, or nothing when `b` does not fit (a bookkeeping slip must not take the cluster down).
pub(crate) fn minus(a: &Resources, b: &Resources) -> Resources {
    a.sub(b).unwrap_or_else(|_| {
        // Subtract what can be subtracted, entry by entry.
        let mut left = a.clone();
        for r in b.iter() {
            if let Ok(one) = Resources::from_entries([r.clone()]) {
                if let Ok(next) = left.sub(&one) {
                    left = next;
                }
            }
        }
        left
    })
}

/// `a + b` (both come from the same agent, so kinds agree; keeps `a` on a slip).
pub(crate) fn plus(a: &Resources, b: &Resources) -> Resources {
    a.add(b).unwrap_or_else(|_| a.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::config::parse_resources;

    #[test]
    fn round_trip_and_text() {
        let res = parse_resources("cpus:2;mem:2048;ports:[31000-32000]").unwrap();
        let style = Style {
            allocation_role: Some("*"),
            refinement: false,
        };
        let wire = to_proto(&res, style);
        assert_eq!(wire[0].name, "cpus");
        #[allow(deprecated)]
        let role = wire[0].role.clone();
        assert_eq!(role.as_deref(), Some("*"));
        let back = from_proto(&wire).unwrap();
        assert!(back.equals(&res));
        assert_eq!(
            describe(&res, Some("*")),
            "cpus(allocated: *):2; mem(allocated: *):2048; ports(allocated: *):[31000-32000]"
        );
        let s = summary(&res);
        assert_eq!(s["cpus"], 2.0);
        assert_eq!(s["gpus"], 0.0);
        assert_eq!(s["ports"], "[31000-32000]");
    }

    #[test]
    fn minus_never_fails() {
        let a = parse_resources("cpus:1").unwrap();
        let b = parse_resources("cpus:2;mem:5").unwrap();
        assert!(minus(&a, &b).scalar_total("cpus").millis() == 1000);
        assert!(minus(&b, &a).scalar_total("cpus").millis() == 1000);
    }
}
