//! Plain form -> protobuf bytes. Every error names the field path, e.g.
//! `TaskInfo.resources[0].scalar.value: expected a number, got str`.
//!
//! The bytes are written straight from the value tree (not through a `DynamicMessage`, whose maps
//! are hash maps in random order): fields in number order, unknown fields back at their numbers,
//! map entries in the plain form's order. So one plain form always gives the same bytes, and
//! decode -> encode reproduces canonical input byte for byte.

use prost::encoding::{decode_key, encode_key, encode_varint, skip_field, DecodeContext, WireType};
use prost_reflect::{EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor};

use super::{message_descriptor, Value, UNKNOWN_FIELDS_KEY};
use crate::{Error, Result};

/// Encodes the plain form `value` of the message `type_name` of the Mesos pool.
pub fn encode(type_name: &str, value: &Value) -> Result<Vec<u8>> {
    encode_message(&message_descriptor(type_name)?, value)
}

/// Encodes the plain form `value` of a `desc` message; a wrong key, type or enum name is an
/// [`Error::InvalidArgument`] naming the field path.
pub fn encode_message(desc: &MessageDescriptor, value: &Value) -> Result<Vec<u8>> {
    let mut path = desc.name().to_owned();
    let mut buf = Vec::new();
    write_message(desc, value, &mut path, &mut buf)?;
    Ok(buf)
}

fn fail<T>(path: &str, problem: impl std::fmt::Display) -> Result<T> {
    Err(Error::InvalidArgument(format!("{path}: {problem}")))
}

/// Runs `f` with `suffix` appended to `path`, restoring it afterwards.
fn at<T>(path: &mut String, suffix: &str, f: impl FnOnce(&mut String) -> Result<T>) -> Result<T> {
    let len = path.len();
    path.push_str(suffix);
    let out = f(path);
    path.truncate(len);
    out
}

/// One encoded field value, before its key is written.
enum Wire {
    Varint(u64),
    Fixed32(u32),
    Fixed64(u64),
    Len(Vec<u8>),
}

impl Wire {
    fn write(&self, number: u32, buf: &mut Vec<u8>) {
        match self {
            Wire::Varint(v) => {
                encode_key(number, WireType::Varint, buf);
                encode_varint(*v, buf);
            }
            Wire::Fixed32(v) => {
                encode_key(number, WireType::ThirtyTwoBit, buf);
                buf.extend_from_slice(&v.to_le_bytes());
            }
            Wire::Fixed64(v) => {
                encode_key(number, WireType::SixtyFourBit, buf);
                buf.extend_from_slice(&v.to_le_bytes());
            }
            Wire::Len(bytes) => {
                encode_key(number, WireType::LengthDelimited, buf);
                encode_varint(bytes.len() as u64, buf);
                buf.extend_from_slice(bytes);
            }
        }
    }

    /// The payload alone, as it goes into a packed repeated field.
    fn write_packed(&self, buf: &mut Vec<u8>) {
        match self {
            Wire::Varint(v) => encode_varint(*v, buf),
            Wire::Fixed32(v) => buf.extend_from_slice(&v.to_le_bytes()),
            Wire::Fixed64(v) => buf.extend_from_slice(&v.to_le_bytes()),
            // Only scalar numeric kinds are packable.
            Wire::Len(bytes) => buf.extend_from_slice(bytes),
        }
    }
}

fn write_message(
    desc: &MessageDescriptor,
    value: &Value,
    path: &mut String,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let Value::Dict(entries) = value else {
        return fail(
            path,
            format_args!(
                "expected a dict ({}), got {}",
                desc.full_name(),
                value.type_name()
            ),
        );
    };
    let mut fields: Vec<(FieldDescriptor, &Value)> = Vec::with_capacity(entries.len());
    let mut unknown: Vec<(u32, &[u8])> = Vec::new();
    for (key, field_value) in entries {
        let Value::Str(name) = key else {
            return fail(
                path,
                format_args!("field names must be str, got {}", key.type_name()),
            );
        };
        if name == UNKNOWN_FIELDS_KEY {
            let Value::Bytes(raw) = field_value else {
                return at(path, &format!(".{name}"), |p| {
                    fail(
                        p,
                        format_args!("expected bytes, got {}", field_value.type_name()),
                    )
                });
            };
            unknown = at(path, &format!(".{name}"), |p| split_fields(raw, p))?;
            continue;
        }
        let Some(field) = desc.get_field_by_name(name) else {
            return at(path, &format!(".{name}"), |p| {
                fail(p, format_args!("no such field in {}", desc.full_name()))
            });
        };
        if let Some(oneof) = field.containing_oneof() {
            if let Some((other, _)) = fields.iter().find(|(f, _)| {
                f.containing_oneof()
                    .is_some_and(|o| o.name() == oneof.name())
            }) {
                return at(path, &format!(".{name}"), |p| {
                    fail(
                        p,
                        format_args!("'{}' of oneof '{}' is set too", other.name(), oneof.name()),
                    )
                });
            }
        }
        fields.push((field, field_value));
    }
    fields.sort_by_key(|(f, _)| f.number());
    let mut unknown = unknown.into_iter().peekable();
    for (field, field_value) in fields {
        while let Some((_, raw)) = unknown.next_if(|(n, _)| *n < field.number()) {
            buf.extend_from_slice(raw);
        }
        at(path, &format!(".{}", field.name()), |p| {
            write_field(&field, field_value, p, buf)
        })?;
    }
    for (_, raw) in unknown {
        buf.extend_from_slice(raw);
    }
    Ok(())
}

/// Splits encoded fields into `(number, raw bytes of the whole field)`.
fn split_fields<'a>(raw: &'a [u8], path: &str) -> Result<Vec<(u32, &'a [u8])>> {
    let mut out = Vec::new();
    let mut rest = raw;
    while !rest.is_empty() {
        let before = rest;
        let (number, wire_type) = decode_key(&mut rest)
            .or_else(|e| fail(path, format_args!("not valid protobuf ({e})")))?;
        skip_field(wire_type, number, &mut rest, DecodeContext::default())
            .or_else(|e| fail(path, format_args!("not valid protobuf ({e})")))?;
        out.push((number, &before[..before.len() - rest.len()]));
    }
    Ok(out)
}

fn write_field(
    field: &FieldDescriptor,
    value: &Value,
    path: &mut String,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let number = field.number();
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            return fail(path, "map field without an entry message");
        };
        let (key_kind, value_kind) = (
            entry.map_entry_key_field().kind(),
            entry.map_entry_value_field().kind(),
        );
        let Value::Dict(entries) = value else {
            return fail(
                path,
                format_args!("expected a dict, got {}", value.type_name()),
            );
        };
        for (k, v) in entries {
            at(path, &format!("[{}]", key_repr(k)), |p| {
                let mut entry_buf = Vec::new();
                to_wire(&key_kind, k, p)?.write(1, &mut entry_buf);
                to_wire(&value_kind, v, p)?.write(2, &mut entry_buf);
                Wire::Len(entry_buf).write(number, buf);
                Ok(())
            })?;
        }
    } else if field.is_list() {
        let Value::List(items) = value else {
            return fail(
                path,
                format_args!("expected a list, got {}", value.type_name()),
            );
        };
        let kind = field.kind();
        let wires = items
            .iter()
            .enumerate()
            .map(|(i, v)| at(path, &format!("[{i}]"), |p| to_wire(&kind, v, p)))
            .collect::<Result<Vec<_>>>()?;
        if field.is_packed() {
            if !wires.is_empty() {
                let mut packed = Vec::new();
                for w in &wires {
                    w.write_packed(&mut packed);
                }
                Wire::Len(packed).write(number, buf);
            }
        } else {
            for w in &wires {
                w.write(number, buf);
            }
        }
    } else {
        to_wire(&field.kind(), value, path)?.write(number, buf);
    }
    Ok(())
}

fn key_repr(key: &Value) -> String {
    match key {
        Value::Str(s) => format!("{s:?}"),
        Value::Int(i) => i.to_string(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.type_name().to_owned(),
    }
}

fn int_in<T: TryFrom<i128>>(value: &Value, kind: &str, path: &str) -> Result<T> {
    match value {
        Value::Int(i) => {
            T::try_from(*i).or_else(|_| fail(path, format_args!("{i} is out of range for {kind}")))
        }
        other => fail(
            path,
            format_args!("expected an integer ({kind}), got {}", other.type_name()),
        ),
    }
}

fn to_wire(kind: &Kind, value: &Value, path: &mut String) -> Result<Wire> {
    Ok(match kind {
        Kind::Double | Kind::Float => {
            let f = match value {
                Value::Float(f) => *f,
                Value::Int(i) => *i as f64,
                other => {
                    return fail(
                        path,
                        format_args!("expected a number, got {}", other.type_name()),
                    )
                }
            };
            if matches!(kind, Kind::Float) {
                Wire::Fixed32((f as f32).to_bits())
            } else {
                Wire::Fixed64(f.to_bits())
            }
        }
        // Negative int32s are sign-extended to ten-byte varints, as the protobuf spec says.
        Kind::Int32 => Wire::Varint(i64::from(int_in::<i32>(value, "int32", path)?) as u64),
        Kind::Int64 => Wire::Varint(int_in::<i64>(value, "int64", path)? as u64),
        Kind::Uint32 => Wire::Varint(int_in::<u32>(value, "uint32", path)?.into()),
        Kind::Uint64 => Wire::Varint(int_in::<u64>(value, "uint64", path)?),
        Kind::Sint32 => {
            let n = int_in::<i32>(value, "sint32", path)?;
            Wire::Varint(u64::from(((n << 1) ^ (n >> 31)) as u32))
        }
        Kind::Sint64 => {
            let n = int_in::<i64>(value, "sint64", path)?;
            Wire::Varint(((n << 1) ^ (n >> 63)) as u64)
        }
        Kind::Fixed32 => Wire::Fixed32(int_in(value, "fixed32", path)?),
        Kind::Fixed64 => Wire::Fixed64(int_in(value, "fixed64", path)?),
        Kind::Sfixed32 => Wire::Fixed32(int_in::<i32>(value, "sfixed32", path)? as u32),
        Kind::Sfixed64 => Wire::Fixed64(int_in::<i64>(value, "sfixed64", path)? as u64),
        Kind::Bool => match value {
            Value::Bool(b) => Wire::Varint(u64::from(*b)),
            other => {
                return fail(
                    path,
                    format_args!("expected a bool, got {}", other.type_name()),
                )
            }
        },
        Kind::String => match value {
            Value::Str(s) => Wire::Len(s.as_bytes().to_vec()),
            other => {
                return fail(
                    path,
                    format_args!("expected a str, got {}", other.type_name()),
                )
            }
        },
        Kind::Bytes => match value {
            Value::Bytes(b) => Wire::Len(b.to_vec()),
            other => {
                return fail(
                    path,
                    format_args!("expected bytes, got {}", other.type_name()),
                )
            }
        },
        Kind::Enum(e) => Wire::Varint(i64::from(to_enum(e, value, path)?) as u64),
        Kind::Message(m) => {
            let mut nested = Vec::new();
            write_message(m, value, path, &mut nested)?;
            Wire::Len(nested)
        }
    })
}

/// An enum value by name, or by number (any number, so unknown values decoded earlier survive).
fn to_enum(e: &EnumDescriptor, value: &Value, path: &str) -> Result<i32> {
    match value {
        Value::Str(name) => match e.get_value_by_name(name) {
            Some(v) => Ok(v.number()),
            None => {
                let names: Vec<&str> = e
                    .enum_descriptor_proto()
                    .value
                    .iter()
                    .map(|v| v.name())
                    .collect();
                fail(
                    path,
                    format_args!(
                        "'{name}' is not a {}; expected one of {}",
                        e.full_name(),
                        names.join(", ")
                    ),
                )
            }
        },
        Value::Int(_) => int_in(value, "enum number", path),
        other => fail(
            path,
            format_args!(
                "expected an enum name ({}), got {}",
                e.full_name(),
                other.type_name()
            ),
        ),
    }
}
