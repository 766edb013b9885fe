//! Plain-form `mesos.v1.Resource` dicts to [`ResourceKey`] + [`Value`], with errors that name
//! the offending field (`b[1] (mem).scalar.value: scalar value -5 is negative`).

use std::fmt::{Display, Write as _};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyString};

use crate::resources::{
    legacy_reservations, DiskKey, ItemSet, Label, Quantity, Range, Ranges, Reservation,
    ReservationType, ResourceKey, Value, ValueKind,
};
use crate::Error;

/// Where a value sits in the input (`a[0] (cpus).scalar.value`), formatted only for errors so
/// that the happy path allocates no strings.
#[derive(Clone, Copy)]
pub(super) enum Loc<'a> {
    /// An argument (`a`, `b`).
    Arg(&'a str),
    /// `parent[i]`.
    Index(&'a Loc<'a>, usize),
    /// `parent.field`.
    Field(&'a Loc<'a>, &'a str),
    /// `parent (name)`: a resource entry, with its name once known.
    Named(&'a Loc<'a>, &'a str),
}

impl<'a> Loc<'a> {
    pub(super) fn index(&'a self, i: usize) -> Loc<'a> {
        Loc::Index(self, i)
    }

    fn field(&'a self, name: &'a str) -> Loc<'a> {
        Loc::Field(self, name)
    }
}

impl Display for Loc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loc::Arg(name) => f.write_str(name),
            Loc::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Loc::Field(parent, name) => write!(f, "{parent}.{name}"),
            Loc::Named(parent, name) => write!(f, "{parent} ({name})"),
        }
    }
}

/// A `ResourceError` for the input at `path`.
pub(super) fn bad(path: &Loc<'_>, msg: impl Display) -> PyErr {
    Error::Resource(format!("{path}: {msg}")).into()
}

/// Prefixes a core error with the input path, keeping its variant.
pub(super) fn at(path: &Loc<'_>, err: Error) -> PyErr {
    match err {
        Error::ResourceKind(msg) => Error::ResourceKind(format!("{path}: {msg}")),
        Error::Resource(msg) => Error::Resource(format!("{path}: {msg}")),
        other => other,
    }
    .into()
}

/// A short description of a Python value for error messages.
pub(super) fn describe(obj: &Bound<'_, PyAny>) -> String {
    let repr = obj
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into());
    let shown: String = repr.chars().take(60).collect();
    match obj.get_type().name() {
        Ok(ty) => format!("{shown} ({ty})"),
        Err(_) => shown,
    }
}

/// `dict[key]`, with an absent key and `None` both meaning "not set".
fn field<'py>(
    dict: &Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(dict.get_item(key)?.filter(|v| !v.is_none()))
}

fn as_dict<'a, 'py>(
    obj: &'a Bound<'py, PyAny>,
    path: &Loc<'_>,
) -> PyResult<&'a Bound<'py, PyDict>> {
    obj.cast::<PyDict>()
        .map_err(|_| bad(path, format!("expected a dict, got {}", describe(obj))))
}

fn as_string(obj: &Bound<'_, PyAny>, path: &Loc<'_>) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => Ok(s.to_str()?.to_owned()),
        Err(_) => Err(bad(path, format!("expected a str, got {}", describe(obj)))),
    }
}

fn as_u64(obj: &Bound<'_, PyAny>, path: &Loc<'_>) -> PyResult<u64> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(bad(path, format!("expected an int, got {}", describe(obj))));
    }
    obj.extract::<u64>().map_err(|_| {
        bad(
            path,
            format!("expected an int from 0 to 2**64-1, got {}", describe(obj)),
        )
    })
}

fn as_f64(obj: &Bound<'_, PyAny>, path: &Loc<'_>) -> PyResult<f64> {
    if obj.is_instance_of::<PyBool>()
        || !(obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>())
    {
        return Err(bad(
            path,
            format!("expected a number, got {}", describe(obj)),
        ));
    }
    obj.extract::<f64>()
        .map_err(|_| bad(path, format!("expected a number, got {}", describe(obj))))
}

/// The items of a list or tuple.
pub(super) fn as_items<'py>(
    obj: &Bound<'py, PyAny>,
    path: &Loc<'_>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if obj.is_instance_of::<PyDict>() || obj.is_instance_of::<PyString>() {
        return Err(bad(path, format!("expected a list, got {}", describe(obj))));
    }
    let iter = obj
        .try_iter()
        .map_err(|_| bad(path, format!("expected a list, got {}", describe(obj))))?;
    iter.collect()
}

/// A canonical text for an arbitrary plain-form value (sorted dict keys), to compare nested
/// messages such as `DiskInfo.source` by content.
fn canonical(obj: &Bound<'_, PyAny>, out: &mut String) -> PyResult<()> {
    if obj.is_none() {
        out.push_str("None");
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let mut items: Vec<(String, Bound<'_, PyAny>)> = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            if !v.is_none() {
                items.push((k.str()?.to_str()?.to_owned(), v));
            }
        }
        items.sort_by(|x, y| x.0.cmp(&y.0));
        out.push('{');
        for (i, (k, v)) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(k);
            out.push_str(": ");
            canonical(v, out)?;
        }
        out.push('}');
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        out.push_str("0x");
        for byte in b.as_bytes() {
            let _ = write!(out, "{byte:02x}");
        }
    } else if obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyInt>()
        || obj.is_instance_of::<PyFloat>()
    {
        out.push_str(obj.repr()?.to_str()?);
    } else {
        out.push('[');
        for (i, item) in obj.try_iter()?.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            canonical(&item?, out)?;
        }
        out.push(']');
    }
    Ok(())
}

/// A `Labels` message (`{"labels": [{"key": ..., "value": ...}]}`).
fn parse_labels(obj: &Bound<'_, PyAny>, path: &Loc<'_>) -> PyResult<Vec<Label>> {
    let py = obj.py();
    let dict = as_dict(obj, path)?;
    let Some(list) = field(dict, intern!(py, "labels"))? else {
        return Ok(Vec::new());
    };
    let path = path.field("labels");
    let mut labels = Vec::new();
    for (i, item) in as_items(&list, &path)?.iter().enumerate() {
        let p = path.index(i);
        let label = as_dict(item, &p)?;
        let key = field(label, intern!(py, "key"))?.ok_or_else(|| bad(&p, "missing 'key'"))?;
        let value = field(label, intern!(py, "value"))?
            .map(|v| as_string(&v, &p.field("value")))
            .transpose()?;
        labels.push(Label {
            key: as_string(&key, &p.field("key"))?,
            value,
        });
    }
    Ok(labels)
}

/// Principal and labels of a `ReservationInfo` dict.
fn parse_reservation_details(
    dict: &Bound<'_, PyDict>,
    path: &Loc<'_>,
) -> PyResult<(Option<String>, Vec<Label>)> {
    let py = dict.py();
    let principal = field(dict, intern!(py, "principal"))?
        .map(|v| as_string(&v, &path.field("principal")))
        .transpose()?;
    let labels = match field(dict, intern!(py, "labels"))? {
        Some(l) => parse_labels(&l, &path.field("labels"))?,
        None => Vec::new(),
    };
    Ok((principal, labels))
}

/// The top-level fields of a Resource dict that the algebra reads, gathered in one pass over
/// the dict (cheaper than a lookup per field, most of which would miss).
#[derive(Default)]
struct Fields<'py> {
    name: Option<Bound<'py, PyAny>>,
    kind: Option<Bound<'py, PyAny>>,
    scalar: Option<Bound<'py, PyAny>>,
    ranges: Option<Bound<'py, PyAny>>,
    set: Option<Bound<'py, PyAny>>,
    role: Option<Bound<'py, PyAny>>,
    reservation: Option<Bound<'py, PyAny>>,
    reservations: Option<Bound<'py, PyAny>>,
    disk: Option<Bound<'py, PyAny>>,
    revocable: bool,
    shared: bool,
    provider_id: Option<Bound<'py, PyAny>>,
}

impl<'py> Fields<'py> {
    fn gather(dict: &Bound<'py, PyDict>) -> PyResult<Fields<'py>> {
        let mut f = Fields::default();
        for (key, value) in dict.iter() {
            if value.is_none() {
                continue;
            }
            // Keys that are not str are not Resource fields; they are carried along untouched.
            let Ok(key) = key.cast::<PyString>() else {
                continue;
            };
            match key.to_str()? {
                "name" => f.name = Some(value),
                "type" => f.kind = Some(value),
                "scalar" => f.scalar = Some(value),
                "ranges" => f.ranges = Some(value),
                "set" => f.set = Some(value),
                "role" => f.role = Some(value),
                "reservation" => f.reservation = Some(value),
                "reservations" => f.reservations = Some(value),
                "disk" => f.disk = Some(value),
                "revocable" => f.revocable = true,
                "shared" => f.shared = true,
                "provider_id" => f.provider_id = Some(value),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// The reservation stack from `reservations`, or from legacy `role` + `reservation`.
fn parse_reservations(fields: &Fields<'_>, path: &Loc<'_>) -> PyResult<Vec<Reservation>> {
    let role = fields
        .role
        .as_ref()
        .map(|v| as_string(v, &path.field("role")))
        .transpose()?;
    let stack_path = path.field("reservations");
    let stack = fields
        .reservations
        .as_ref()
        .map(|v| as_items(v, &stack_path))
        .transpose()?
        .unwrap_or_default();
    if stack.is_empty() {
        let dynamic = fields
            .reservation
            .as_ref()
            .map(|r| {
                let p = path.field("reservation");
                parse_reservation_details(as_dict(r, &p)?, &p)
            })
            .transpose()?;
        let role = role.as_deref().unwrap_or(crate::resources::UNRESERVED_ROLE);
        return legacy_reservations(role, dynamic).map_err(|e| at(path, e));
    }
    let py = stack[0].py();
    let mut out = Vec::with_capacity(stack.len());
    for (i, item) in stack.iter().enumerate() {
        let p = stack_path.index(i);
        let r = as_dict(item, &p)?;
        let kind = match field(r, intern!(py, "type"))? {
            Some(t) => ReservationType::from_name(&as_string(&t, &p.field("type"))?)
                .map_err(|e| at(&p.field("type"), e))?,
            None => None,
        };
        let level_role = field(r, intern!(py, "role"))?.ok_or_else(|| bad(&p, "missing 'role'"))?;
        let level_role = as_string(&level_role, &p.field("role"))?;
        let (principal, labels) = parse_reservation_details(r, &p)?;
        out.push(Reservation::new(kind, level_role, principal, labels).map_err(|e| at(&p, e))?);
    }
    if let (Some(role), Some(last)) = (&role, out.last()) {
        // The endpoint format may carry both forms; they must agree.
        if role != crate::resources::UNRESERVED_ROLE && *role != last.role {
            return Err(bad(
                path,
                format!(
                    "role {role:?} contradicts reservations (reserved for {:?})",
                    last.role
                ),
            ));
        }
    }
    Ok(out)
}

/// The identity part of a `DiskInfo` (persistence id and source, not the volume).
fn parse_disk(obj: &Bound<'_, PyAny>, path: &Loc<'_>) -> PyResult<DiskKey> {
    let py = obj.py();
    let disk = as_dict(obj, path)?;
    let persistence_id = match field(disk, intern!(py, "persistence"))? {
        Some(p) => {
            let pp = path.field("persistence");
            let id = field(as_dict(&p, &pp)?, intern!(py, "id"))?
                .ok_or_else(|| bad(&pp, "missing 'id'"))?;
            Some(as_string(&id, &pp.field("id"))?)
        }
        None => None,
    };
    let source = match field(disk, intern!(py, "source"))? {
        Some(s) => {
            as_dict(&s, &path.field("source"))?;
            let mut text = String::new();
            canonical(&s, &mut text)?;
            Some(text)
        }
        None => None,
    };
    Ok(DiskKey {
        persistence_id,
        source,
    })
}

fn parse_value(fields: &Fields<'_>, kind: ValueKind, path: &Loc<'_>) -> PyResult<Value> {
    let parts = [
        (ValueKind::Scalar, "scalar", &fields.scalar),
        (ValueKind::Ranges, "ranges", &fields.ranges),
        (ValueKind::Set, "set", &fields.set),
    ];
    let mut own = None;
    for (part_kind, part_name, part) in parts {
        if let Some(part) = part {
            if part_kind != kind {
                return Err(bad(
                    path,
                    format!("has a {part_name:?} value but its type is {kind}"),
                ));
            }
            own = Some((part_name, part));
        }
    }
    let Some((key_name, part)) = own else {
        let key_name = match kind {
            ValueKind::Scalar => "scalar",
            ValueKind::Ranges => "ranges",
            ValueKind::Set => "set",
        };
        return Err(bad(path, format!("type {kind} needs a {key_name:?} value")));
    };
    let py = part.py();
    let path = path.field(key_name);
    let part = as_dict(part, &path)?;
    Ok(match kind {
        ValueKind::Scalar => {
            let p = path.field("value");
            let v =
                field(part, intern!(py, "value"))?.ok_or_else(|| bad(&path, "missing 'value'"))?;
            Value::Scalar(Quantity::from_f64(as_f64(&v, &p)?).map_err(|e| at(&p, e))?)
        }
        ValueKind::Ranges => {
            let mut ranges = Vec::new();
            if let Some(list) = field(part, intern!(py, "range"))? {
                let lp = path.field("range");
                for (i, item) in as_items(&list, &lp)?.iter().enumerate() {
                    let p = lp.index(i);
                    let r = as_dict(item, &p)?;
                    let begin = field(r, intern!(py, "begin"))?
                        .ok_or_else(|| bad(&p, "missing 'begin'"))?;
                    let end =
                        field(r, intern!(py, "end"))?.ok_or_else(|| bad(&p, "missing 'end'"))?;
                    let begin = as_u64(&begin, &p.field("begin"))?;
                    let end = as_u64(&end, &p.field("end"))?;
                    ranges.push(Range::new(begin, end).map_err(|e| at(&p, e))?);
                }
            }
            Value::Ranges(Ranges::from_ranges(ranges))
        }
        ValueKind::Set => {
            let mut items = Vec::new();
            if let Some(list) = field(part, intern!(py, "item"))? {
                let lp = path.field("item");
                for (i, item) in as_items(&list, &lp)?.iter().enumerate() {
                    items.push(as_string(item, &lp.index(i))?);
                }
            }
            Value::Set(items.into_iter().collect::<ItemSet>())
        }
    })
}

/// One plain-form `Resource` dict.
pub(super) fn parse_resource(
    dict: &Bound<'_, PyDict>,
    path: &Loc<'_>,
) -> PyResult<(ResourceKey, Value)> {
    let fields = Fields::gather(dict)?;
    let name = fields
        .name
        .as_ref()
        .ok_or_else(|| bad(path, "missing 'name'"))?;
    let name = as_string(name, &path.field("name"))?;
    if name.is_empty() {
        return Err(bad(path, "empty 'name'"));
    }
    let path = Loc::Named(path, &name);
    let kind = match &fields.kind {
        None => return Err(bad(&path, "missing 'type' (SCALAR, RANGES or SET)")),
        Some(t) => {
            let known = match t.cast::<PyString>() {
                Ok(s) => ValueKind::from_name(s.to_str()?),
                Err(_) => None,
            };
            known.ok_or_else(|| {
                bad(
                    &path.field("type"),
                    format!(
                        "unsupported resource type {} (expected SCALAR, RANGES or SET)",
                        describe(t)
                    ),
                )
            })?
        }
    };
    let value = parse_value(&fields, kind, &path)?;
    let reservations = parse_reservations(&fields, &path)?;
    let disk = fields
        .disk
        .as_ref()
        .map(|d| parse_disk(d, &path.field("disk")))
        .transpose()?;
    let provider_id = match &fields.provider_id {
        Some(p) => {
            let pp = path.field("provider_id");
            let v = field(as_dict(p, &pp)?, intern!(p.py(), "value"))?
                .ok_or_else(|| bad(&pp, "missing 'value'"))?;
            Some(as_string(&v, &pp.field("value"))?)
        }
        None => None,
    };
    let key = ResourceKey {
        name,
        reservations,
        disk,
        revocable: fields.revocable,
        shared: fields.shared,
        provider_id,
    };
    Ok((key, value))
}
