//! The neutral value tree: what a plain-form message is made of, independent of Python.

use bytes::Bytes;

/// One node of the plain form.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    /// Every integer kind (int32 ... uint64) fits in an `i128`.
    Int(i128),
    Float(f64),
    /// A string, or an enum value's name.
    Str(String),
    Bytes(Bytes),
    List(Vec<Value>),
    /// A message (keys are `Str` field names) or a proto map (keys are its key values), in order.
    Dict(Vec<(Value, Value)>),
}

impl Value {
    /// The Python name of this value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
        }
    }

    /// The value under `key` when this is a dict with string keys (a message).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries.iter().find_map(|(k, v)| match k {
                Value::Str(s) if s == key => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// A message-shaped dict from `(field name, value)` pairs.
    pub fn message<'a>(fields: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Dict(
            fields
                .into_iter()
                .map(|(k, v)| (Value::Str(k.to_owned()), v))
                .collect(),
        )
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
