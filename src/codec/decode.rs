//! Protobuf bytes -> plain form.

use prost_reflect::{DynamicMessage, Kind, MapKey, MessageDescriptor};

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
    Ok(message_to_value(msg))
}

/// The set fields of `msg` in field-number order, then its unknown fields (if any) as raw bytes.
/// Consumes the message, so strings and bytes are moved, not copied.
fn message_to_value(mut msg: DynamicMessage) -> Value {
    let mut entries: Vec<(Value, Value)> = msg
        .take_fields()
        .filter_map(|(field, value)| {
            let kind = field.kind();
            let value = match value {
                // The plain form only holds what is set: no empty lists or maps.
                prost_reflect::Value::List(items) if items.is_empty() => return None,
                prost_reflect::Value::Map(map) if map.is_empty() => return None,
                prost_reflect::Value::Map(map) => {
                    let value_kind = match &kind {
                        Kind::Message(entry) => entry.map_entry_value_field().kind(),
                        // A map field's kind is always its entry message.
                        other => other.clone(),
                    };
                    let mut entries: Vec<(MapKey, prost_reflect::Value)> =
                        map.into_iter().collect();
                    // Keys in order, so one message always has one plain form.
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                    Value::Dict(
                        entries
                            .into_iter()
                            .map(|(k, v)| (map_key_to_value(k), to_value(&value_kind, v)))
                            .collect(),
                    )
                }
                other => to_value(&kind, other),
            };
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

fn to_value(kind: &Kind, value: prost_reflect::Value) -> Value {
    use prost_reflect::Value as V;
    match value {
        V::Bool(b) => Value::Bool(b),
        V::I32(i) => Value::Int(i.into()),
        V::I64(i) => Value::Int(i.into()),
        V::U32(i) => Value::Int(i.into()),
        V::U64(i) => Value::Int(i.into()),
        V::F32(f) => Value::Float(f.into()),
        V::F64(f) => Value::Float(f),
        V::String(s) => Value::Str(s),
        V::Bytes(b) => Value::Bytes(b),
        V::EnumNumber(n) => match kind {
            Kind::Enum(e) => match e.get_value(n) {
                Some(v) => Value::Str(v.name().to_owned()),
                None => Value::Int(n.into()),
            },
            _ => Value::Int(n.into()),
        },
        V::Message(m) => message_to_value(m),
        V::List(items) => Value::List(items.into_iter().map(|v| to_value(kind, v)).collect()),
        V::Map(map) => Value::Dict(
            map.into_iter()
                .map(|(k, v)| (map_key_to_value(k), to_value(kind, v)))
                .collect(),
        ),
    }
}

fn map_key_to_value(key: MapKey) -> Value {
    match key {
        MapKey::Bool(b) => Value::Bool(b),
        MapKey::I32(i) => Value::Int(i.into()),
        MapKey::I64(i) => Value::Int(i.into()),
        MapKey::U32(i) => Value::Int(i.into()),
        MapKey::U64(i) => Value::Int(i.into()),
        MapKey::String(s) => Value::Str(s),
    }
}
