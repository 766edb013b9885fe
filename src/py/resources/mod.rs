//! The resource algebra natives on plain-form `mesos.v1.Resource` dicts (see PLAIN_FORM.md).
//!
//! Each input dict becomes a [`Resource`] whose `extra` is its index in a table of the call's
//! source dicts; each output entry is a shallow copy of its source dict with only the value
//! (`scalar`, `ranges` or `set`) replaced, so every other field (`allocation_info`,
//! `reservations`, `disk`, unknown keys, ...) comes back untouched.

mod parse;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::resources::{Resource, Resources, Value};
use parse::{as_items, at, bad, describe, parse_resource, Loc};

/// A parsed call operand: the normalized resources, `extra` indexing `Table::dicts`.
type Parsed = Resources<usize>;

/// The source dicts of one call, shared by all its operands.
#[derive(Default)]
struct Table<'py> {
    dicts: Vec<Bound<'py, PyDict>>,
}

impl<'py> Table<'py> {
    /// Parses one Resource dict named `path` in errors, keeping it as the entry's source.
    fn parse_entry(
        &mut self,
        path: &Loc<'_>,
        item: Bound<'py, PyAny>,
    ) -> PyResult<Resource<usize>> {
        let dict = item.cast_into::<PyDict>().map_err(|e| {
            bad(
                path,
                format!(
                    "expected a Resource dict, got {}",
                    describe(e.into_inner().as_any())
                ),
            )
        })?;
        let (key, value) = parse_resource(&dict, path)?;
        let entry = Resource {
            key,
            value,
            extra: self.dicts.len(),
        };
        self.dicts.push(dict);
        Ok(entry)
    }

    /// Parses and normalizes one operand (a list of Resource dicts) named `arg` in errors.
    fn parse(&mut self, arg: &str, list: &Bound<'py, PyAny>) -> PyResult<Parsed> {
        let arg_loc = Loc::Arg(arg);
        let items = as_items(list, &arg_loc)?;
        let mut entries = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            entries.push(self.parse_entry(&arg_loc.index(i), item)?);
        }
        Resources::from_entries(entries).map_err(|e| at(&arg_loc, e))
    }

    /// Parses a single Resource dict named `arg` in errors.
    fn parse_one(&mut self, arg: &str, dict: &Bound<'py, PyAny>) -> PyResult<Resource<usize>> {
        self.parse_entry(&Loc::Arg(arg), dict.clone())
    }

    /// The plain form of one entry: a copy of its source dict with the value replaced (an empty
    /// range or item list is left out, as the plain form leaves out empty repeated fields).
    fn emit_one(&self, py: Python<'py>, r: &Resource<usize>) -> PyResult<Bound<'py, PyDict>> {
        let dict = self.dicts[r.extra].copy()?;
        match &r.value {
            Value::Scalar(q) => {
                let scalar = PyDict::new(py);
                scalar.set_item(intern!(py, "value"), q.to_f64())?;
                dict.set_item(intern!(py, "scalar"), scalar)?;
            }
            Value::Ranges(ranges) => {
                let part = PyDict::new(py);
                if !ranges.is_empty() {
                    let list = PyList::empty(py);
                    for range in ranges.ranges() {
                        let item = PyDict::new(py);
                        item.set_item(intern!(py, "begin"), range.begin)?;
                        item.set_item(intern!(py, "end"), range.end)?;
                        list.append(item)?;
                    }
                    part.set_item(intern!(py, "range"), list)?;
                }
                dict.set_item(intern!(py, "ranges"), part)?;
            }
            Value::Set(items) => {
                let part = PyDict::new(py);
                if !items.is_empty() {
                    part.set_item(intern!(py, "item"), PyList::new(py, items.items())?)?;
                }
                dict.set_item(intern!(py, "set"), part)?;
            }
        }
        Ok(dict)
    }

    /// The plain-form list of `resources`: copies of their source dicts with the value replaced.
    fn emit(&self, py: Python<'py>, resources: &Parsed) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for r in resources.iter() {
            out.append(self.emit_one(py, r)?)?;
        }
        Ok(out)
    }
}

/// `a + b` per resource identity (scalars summed, ranges and sets united), normalized.
#[pyfunction]
fn resources_add<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse("a", a)?, table.parse("b", b)?);
    table.emit(py, &ra.add(&rb)?)
}

/// `a - b` per resource identity; `ResourceError` if `b` is not contained in `a`.
#[pyfunction]
fn resources_sub<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse("a", a)?, table.parse("b", b)?);
    table.emit(py, &ra.sub(&rb)?)
}

/// True when `a` fits in `b`.
#[pyfunction]
fn resources_contains(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse("a", a)?, table.parse("b", b)?);
    Ok(ra.contains_in(&rb)?)
}

/// True when `a` and `b` hold the same quantity of every resource (zero counts as absent).
#[pyfunction]
fn resources_equal(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse("a", a)?, table.parse("b", b)?);
    Ok(ra.equals(&rb))
}

/// `a` with same-identity entries merged (the first one's fields kept) and zero entries dropped.
#[pyfunction]
fn resources_normalize<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let mut table = Table::default();
    let ra = table.parse("a", a)?;
    table.emit(py, &ra)
}

/// Total scalar amount of resource `name` over all roles, reservations and flags.
#[pyfunction]
fn resources_scalar_total(a: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    let ra = Table::default().parse("a", a)?;
    Ok(ra.scalar_total(name).to_f64())
}

/// Number of range values plus set items of resource `name` (e.g. the number of ports).
#[pyfunction]
fn resources_count(a: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
    let ra = Table::default().parse("a", a)?;
    Ok(ra.count(name))
}

/// One int per name, in thousandths: scalar totals, 1000 per range value or set item.
#[pyfunction]
fn resources_to_vector(a: &Bound<'_, PyAny>, names: Vec<String>) -> PyResult<Vec<i64>> {
    let ra = Table::default().parse("a", a)?;
    Ok(ra.to_vector(&names))
}

/// The entries of `b` that serve demand `a` (with `b`'s fields), or None if `a` does not fit.
#[pyfunction]
fn resources_find<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyList>>> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse("a", a)?, table.parse("b", b)?);
    match crate::resources::find(&rb, &ra)? {
        Some(found) => Ok(Some(table.emit(py, &found)?)),
        None => Ok(None),
    }
}

/// Draws demand `a` from `b`: `(taken, rest)`, the pieces of `b`'s entries serving `a` (with
/// `b`'s fields) and what remains of `b`; `ResourceError` naming the shortfall if `a` does not fit.
#[pyfunction]
fn resources_take<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse("a", a)?, table.parse("b", b)?);
    let (taken, rest) = crate::resources::take(&rb, &ra)?;
    Ok((table.emit(py, &taken)?, table.emit(py, &rest)?))
}

/// How demand `a` fits in `b` (as `resources_take` draws it): -1 it does not, 0 it takes all of
/// `b`, 1 it fits with something of `b` left over.
#[pyfunction]
fn resources_fit(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<i8> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse("a", a)?, table.parse("b", b)?);
    match crate::resources::take(&rb, &ra) {
        Ok((_, rest)) => Ok(if rest.is_empty() { 0 } else { 1 }),
        Err(crate::Error::Resource(_)) => Ok(-1),
        Err(other) => Err(other.into()),
    }
}

/// `a + b` for one resource of the same kind (name, value type, reservations, flags); a
/// `ResourceKindError` otherwise. The result keeps `a`'s other fields.
#[pyfunction]
fn resource_add<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse_one("a", a)?, table.parse_one("b", b)?);
    table.emit_one(py, &ra.checked_add(&rb)?)
}

/// `a - b` for one resource of the same kind; `ResourceError` if `b` does not fit in `a`. The
/// result (possibly zero) keeps `a`'s other fields.
#[pyfunction]
fn resource_sub<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse_one("a", a)?, table.parse_one("b", b)?);
    table.emit_one(py, &ra.checked_sub(&rb)?)
}

/// `(a fits in b, b fits in a)` for one resource of the same kind; `ResourceKindError` otherwise.
#[pyfunction]
fn resource_compare(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<(bool, bool)> {
    let mut table = Table::default();
    let (ra, rb) = (table.parse_one("a", a)?, table.parse_one("b", b)?);
    ra.check_same_kind(&rb, "compare")?;
    Ok((ra.value.fits_in(&rb.value), rb.value.fits_in(&ra.value)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(resources_add, m)?)?;
    m.add_function(wrap_pyfunction!(resources_sub, m)?)?;
    m.add_function(wrap_pyfunction!(resources_contains, m)?)?;
    m.add_function(wrap_pyfunction!(resources_equal, m)?)?;
    m.add_function(wrap_pyfunction!(resources_normalize, m)?)?;
    m.add_function(wrap_pyfunction!(resources_scalar_total, m)?)?;
    m.add_function(wrap_pyfunction!(resources_count, m)?)?;
    m.add_function(wrap_pyfunction!(resources_to_vector, m)?)?;
    m.add_function(wrap_pyfunction!(resources_find, m)?)?;
    m.add_function(wrap_pyfunction!(resources_take, m)?)?;
    m.add_function(wrap_pyfunction!(resources_fit, m)?)?;
    m.add_function(wrap_pyfunction!(resource_add, m)?)?;
    m.add_function(wrap_pyfunction!(resource_sub, m)?)?;
    m.add_function(wrap_pyfunction!(resource_compare, m)?)?;
    Ok(())
}
