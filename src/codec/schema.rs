//! The schema of every message in a pool, for the Python proxies (field names, kinds, labels,
//! message/enum type names, defaults, oneofs, enum value names).

use prost_reflect::{Cardinality, DescriptorPool, FieldDescriptor, Kind};

use super::Value;

/// One field of a message. For a map field, `kind`/`type_name`/`enum_values` describe the value
/// and `key_kind` the key.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema {
    pub name: String,
    pub number: u32,
    /// `double`, `int32`, ..., `string`, `bytes`, `enum` or `message`.
    pub kind: &'static str,
    /// `optional`, `required`, `repeated` or `map`.
    pub label: &'static str,
    /// Full name of the message or enum type (message and enum kinds only).
    pub type_name: Option<String>,
    /// What an unset singular scalar or enum field reads as (explicit proto2 default or zero).
    pub default: Option<Value>,
    /// The oneof this field belongs to.
    pub oneof: Option<String>,
    /// Map fields: the key kind.
    pub key_kind: Option<&'static str>,
    /// Enum fields: `(name, number)` in declaration order (the first is the proto2 default).
    pub enum_values: Option<Vec<(String, i32)>>,
}

/// One message type (map entry types are left out: map fields describe them inline).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageSchema {
    pub full_name: String,
    /// In declaration order.
    pub fields: Vec<FieldSchema>,
}

/// Every message of `pool`, in pool order (a message comes before its nested messages).
pub fn schema(pool: &DescriptorPool) -> Vec<MessageSchema> {
    pool.all_messages()
        .filter(|m| !m.is_map_entry())
        .map(|m| MessageSchema {
            full_name: m.full_name().to_owned(),
            fields: m.fields().map(|f| field_schema(&f)).collect(),
        })
        .collect()
}

fn field_schema(field: &FieldDescriptor) -> FieldSchema {
    let (label, value_kind, key_kind) = if field.is_map() {
        match field.kind() {
            Kind::Message(entry) => (
                "map",
                entry.map_entry_value_field().kind(),
                Some(kind_name(&entry.map_entry_key_field().kind())),
            ),
            other => ("map", other, None),
        }
    } else {
        let label = match field.cardinality() {
            Cardinality::Optional => "optional",
            Cardinality::Required => "required",
            Cardinality::Repeated => "repeated",
        };
        (label, field.kind(), None)
    };
    let type_name = match &value_kind {
        Kind::Message(m) => Some(m.full_name().to_owned()),
        Kind::Enum(e) => Some(e.full_name().to_owned()),
        _ => None,
    };
    let enum_values = match &value_kind {
        // Declaration order (values() is sorted by number).
        Kind::Enum(e) => Some(
            e.enum_descriptor_proto()
                .value
                .iter()
                .map(|v| (v.name().to_owned(), v.number()))
                .collect(),
        ),
        _ => None,
    };
    let default = if label == "optional" || label == "required" {
        default_value(field)
    } else {
        None
    };
    FieldSchema {
        name: field.name().to_owned(),
        number: field.number(),
        kind: kind_name(&value_kind),
        label,
        type_name,
        default,
        oneof: field.containing_oneof().map(|o| o.name().to_owned()),
        key_kind,
        enum_values,
    }
}

fn default_value(field: &FieldDescriptor) -> Option<Value> {
    use prost_reflect::Value as V;
    Some(match field.default_value() {
        V::Bool(b) => Value::Bool(b),
        V::I32(i) => Value::Int(i.into()),
        V::I64(i) => Value::Int(i.into()),
        V::U32(i) => Value::Int(i.into()),
        V::U64(i) => Value::Int(i.into()),
        V::F32(f) => Value::Float(f.into()),
        V::F64(f) => Value::Float(f),
        V::String(s) => Value::Str(s),
        V::Bytes(b) => Value::Bytes(b),
        V::EnumNumber(n) => match field.kind() {
            Kind::Enum(e) => match e.get_value(n) {
                Some(v) => Value::Str(v.name().to_owned()),
                None => Value::Int(n.into()),
            },
            _ => Value::Int(n.into()),
        },
        V::Message(_) | V::List(_) | V::Map(_) => return None,
    })
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Double => "double",
        Kind::Float => "float",
        Kind::Int32 => "int32",
        Kind::Int64 => "int64",
        Kind::Uint32 => "uint32",
        Kind::Uint64 => "uint64",
        Kind::Sint32 => "sint32",
        Kind::Sint64 => "sint64",
        Kind::Fixed32 => "fixed32",
        Kind::Fixed64 => "fixed64",
        Kind::Sfixed32 => "sfixed32",
        Kind::Sfixed64 => "sfixed64",
        Kind::Bool => "bool",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Enum(_) => "enum",
        Kind::Message(_) => "message",
    }
}
