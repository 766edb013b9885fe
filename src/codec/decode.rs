//! Protobuf bytes -> plain form.

use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor};

use super::{message_descriptor, Value, UNKNOWN_FIELDS_KEY};
use crate::{Error, Result};

/// Decodes `data` as the message `type_name` of the Mesos pool into its plain form.
pub fn decode(type_name: &str, data: &[u8]) -> Result<Value> {
    decode_message(&message_descriptor(type_name)?, data)
}

/// Decodes `data` as a `desc` message into its plain form; bad bytes are [`Error::Protocol`].
pub fn decode_message(desc: &MessageDescriptor, data: &[u8]) -> Result<Value> {
    let msg = DynamicMessage::decode(desc.clone(), data)
        .map_err(|e| Error::Protocol(format!("cannot decode {}: {e}", desc.full_name())))?;
    Ok(message_to_value(&msg))
}

/// The set fields of `msg` in field-number order, then its unknown fields (if any) as raw bytes.
pub(crate) fn message_to_value(msg: &DynamicMessage) -> Value {
    let mut entries: Vec<(Value, Value)> = msg
        .fields()
        .filter_map(|(field, value)| {
            let value = field_to_value(&field, value)?;
            Some((Value::Str(field.name().to_owned()), value))
        })
        .collect();
    let mut unknown = Vec::new();
    for field in msg.unknown_fields() {
        field.encode(&mut unknown);
    }
    if !unknown.is_empty() {
        entries.push((
            Value::from(UNKNOWN_FIELDS_KEY),
            Value::Bytes(unknown.into()),
        ));
    }
    Value::Dict(entries)
}

/// `None` for an empty repeated field or map: the plain form only holds what is set.
fn field_to_value(field: &FieldDescriptor, value: &prost_reflect::Value) -> Option<Value> {
    match value {
        prost_reflect::Value::List(items) if items.is_empty() => None,
        prost_reflect::Value::List(items) => {
            let kind = field.kind();
            Some(Value::List(
                items.iter().map(|v| scalar_to_value(&kind, v)).collect(),
            ))
        }
        prost_reflect::Value::Map(map) if map.is_empty() => None,
        prost_reflect::Value::Map(map) => {
            let value_kind = match field.kind() {
                Kind::Message(entry) => entry.map_entry_value_field().kind(),
                // A map field's kind is always its entry message.
                other => other,
            };
            let mut entries: Vec<(&MapKey, &prost_reflect::Value)> = map.iter().collect();
            // Keys in order, so one message always has one plain form.
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Some(Value::Dict(
                entries
                    .into_iter()
                    .map(|(k, v)| (map_key_to_value(k), scalar_to_value(&value_kind, v)))
                    .collect(),
            ))
        }
        other => Some(scalar_to_value(&field.kind(), other)),
    }
}

fn scalar_to_value(kind: &Kind, value: &prost_reflect::Value) -> Value {
    use prost_reflect::Value as V;
    match value {
        V::Bool(b) => Value::Bool(*b),
        V::I32(i) => Value::Int((*i).into()),
        V::I64(i) => Value::Int((*i).into()),
        V::U32(i) => Value::Int((*i).into()),
        V::U64(i) => Value::Int((*i).into()),
        V::F32(f) => Value::Float((*f).into()),
        V::F64(f) => Value::Float(*f),
        V::String(s) => Value::Str(s.clone()),
        V::Bytes(b) => Value::Bytes(b.clone()),
        V::EnumNumber(n) => match kind {
            Kind::Enum(e) => match e.get_value(*n) {
                Some(v) => Value::Str(v.name().to_owned()),
                None => Value::Int((*n).into()),
            },
            _ => Value::Int((*n).into()),
        },
        V::Message(m) => message_to_value(m),
        V::List(items) => Value::List(items.iter().map(|v| scalar_to_value(kind, v)).collect()),
        V::Map(map) => Value::Dict(
            map.iter()
                .map(|(k, v)| (map_key_to_value(k), scalar_to_value(kind, v)))
                .collect(),
        ),
    }
}

fn map_key_to_value(key: &MapKey) -> Value {
    match key {
        MapKey::Bool(b) => Value::Bool(*b),
        MapKey::I32(i) => Value::Int((*i).into()),
        MapKey::I64(i) => Value::Int((*i).into()),
        MapKey::U32(i) => Value::Int((*i).into()),
        MapKey::U64(i) => Value::Int((*i).into()),
        MapKey::String(s) => Value::Str(s.clone()),
    }
}
