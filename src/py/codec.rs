//! The plain-form codec for Python: `decode`, `encode` and `message_schema` (see PLAIN_FORM.md).
//! Converts the codec's neutral [`Value`] tree to and from Python objects; the protobuf work itself
//! runs without the GIL when the input is large.

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};

use crate::codec::{self, Value, UNKNOWN_FIELDS_KEY};

/// Inputs at least this large (bytes to decode, plain-form nodes to encode) are processed with the
/// GIL released; below that the release costs more than it frees.
const DETACH_BYTES: usize = 16 * 1024;
const DETACH_NODES: usize = 1024;

/// Decodes protobuf `data` as the message `type_name` (e.g. `mesos.v1.TaskInfo`) to its plain form.
#[pyfunction]
fn decode<'py>(py: Python<'py>, type_name: &str, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let desc = codec::message_descriptor(type_name)?;
    if data.len() < DETACH_BYTES {
        return to_py(py, &codec::decode_message(&desc, data)?);
    }
    let value = py.detach(|| codec::decode_message(&desc, data))?;
    let out = to_py(py, &value);
    // Freeing a large tree takes a while too: let other threads have the GIL meanwhile.
    py.detach(move || drop(value));
    out
}

/// Encodes the plain form `plain` of the message `type_name` to protobuf bytes.
#[pyfunction]
fn encode<'py>(
    py: Python<'py>,
    type_name: &str,
    plain: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let desc = codec::message_descriptor(type_name)?;
    let mut path = desc.name().to_owned();
    let mut nodes = 0;
    let value = from_py(plain, &mut path, &mut nodes)?;
    let bytes = if nodes >= DETACH_NODES {
        py.detach(|| codec::encode_message(&desc, &value))?
    } else {
        codec::encode_message(&desc, &value)?
    };
    Ok(PyBytes::new(py, &bytes))
}

/// `{type_name: {field_name: {number, kind, label, type_name, default, oneof, key_kind,
/// enum_values}}}` for every message of our Mesos protos, fields in declaration order.
#[pyfunction]
fn message_schema(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    for message in codec::schema(codec::pool()) {
        let fields = PyDict::new(py);
        for f in &message.fields {
            let info = PyDict::new(py);
            info.set_item("number", f.number)?;
            info.set_item("kind", f.kind)?;
            info.set_item("label", f.label)?;
            info.set_item("type_name", f.type_name.as_deref())?;
            let default = match &f.default {
                Some(v) => to_py(py, v)?,
                None => py.None().into_bound(py),
            };
            info.set_item("default", default)?;
            info.set_item("oneof", f.oneof.as_deref())?;
            info.set_item("key_kind", f.key_kind)?;
            let enum_values = match &f.enum_values {
                Some(values) => {
                    let d = PyDict::new(py);
                    for (name, number) in values {
                        d.set_item(name, number)?;
                    }
                    d.into_any()
                }
                None => py.None().into_bound(py),
            };
            info.set_item("enum_values", enum_values)?;
            fields.set_item(PyString::intern(py, &f.name), info)?;
        }
        out.set_item(&message.full_name, fields)?;
    }
    Ok(out)
}

fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    ToPy {
        py,
        keys: HashMap::new(),
    }
    .convert(value)
}

/// Tree -> Python objects. Field names repeat across thousands of messages: each is made (and
/// interned, so attribute lookups compare by identity) once per call.
struct ToPy<'a, 'py> {
    py: Python<'py>,
    keys: HashMap<&'a str, Bound<'py, PyString>>,
}

impl<'a, 'py> ToPy<'a, 'py> {
    fn convert(&mut self, value: &'a Value) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match value {
            Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
            Value::Int(i) => match i64::try_from(*i) {
                Ok(small) => small.into_pyobject(py)?.into_any(),
                Err(_) => i.into_pyobject(py)?.into_any(),
            },
            Value::Float(f) => PyFloat::new(py, *f).into_any(),
            Value::Str(s) => PyString::new(py, s).into_any(),
            Value::Bytes(b) => PyBytes::new(py, b).into_any(),
            Value::List(items) => {
                let converted = items
                    .iter()
                    .map(|item| self.convert(item))
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, converted)?.into_any()
            }
            Value::Dict(entries) => {
                let dict = PyDict::new(py);
                for (k, v) in entries {
                    let key = match k {
                        Value::Str(s) => self
                            .keys
                            .entry(s.as_str())
                            .or_insert_with(|| PyString::intern(py, s))
                            .clone()
                            .into_any(),
                        other => self.convert(other)?,
                    };
                    dict.set_item(key, self.convert(v)?)?;
                }
                dict.into_any()
            }
        })
    }
}

/// Python plain form -> value tree; `path` names where a bad object sits (`TaskInfo.resources[0]`).
/// `nodes` counts the values converted, as a measure of the encoding work to come.
fn from_py(obj: &Bound<'_, PyAny>, path: &mut String, nodes: &mut usize) -> PyResult<Value> {
    *nodes += 1;
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(s.to_str()?.to_owned()));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return match obj.extract::<i128>() {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => Err(PyValueError::new_err(format!(
                "{path}: integer out of range"
            ))),
        };
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec().into()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec().into()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut entries = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = from_py(&k, path, nodes)?;
            let len = path.len();
            match &key {
                Value::Str(s) => {
                    path.push('.');
                    path.push_str(s);
                }
                _ => path.push_str(&format!("[{}]", k.repr()?)),
            }
            let value = from_py(&v, path, nodes);
            path.truncate(len);
            entries.push((key, value?));
        }
        return Ok(Value::Dict(entries));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::with_capacity(obj.len()?);
        for (i, item) in obj.try_iter()?.enumerate() {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let value = from_py(&item?, path, nodes);
            path.truncate(len);
            items.push(value?);
        }
        return Ok(Value::List(items));
    }
    let type_name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    Err(PyValueError::new_err(format!(
        "{path}: {type_name} is not part of a plain form (dict, list, str, bytes, int, float, bool)"
    )))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(encode, m)?)?;
    m.add_function(wrap_pyfunction!(message_schema, m)?)?;
    m.add("UNKNOWN_FIELDS_KEY", UNKNOWN_FIELDS_KEY)?;
    Ok(())
}
