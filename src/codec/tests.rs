//! Unit tests of the codec against a test-only proto (src/codec/testdata/codec_test.proto), so
//! they do not depend on how complete the Mesos protos are.

use std::sync::OnceLock;

use bytes::Bytes;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use super::*;
use crate::Error;

fn test_pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/codec/testdata");
        let fds = protox::compile(["codec_test.proto"], [dir]).expect("test proto compiles");
        DescriptorPool::from_file_descriptor_set(fds).expect("test pool builds")
    })
}

fn desc(name: &str) -> MessageDescriptor {
    test_pool()
        .get_message_by_name(&format!("codec.test.{name}"))
        .expect("test message exists")
}

fn s(v: &str) -> Value {
    Value::from(v)
}

fn inner(name: &str) -> Value {
    Value::message([("name", s(name))])
}

/// A message with every field set, in field-number order (as decode returns it).
fn full_all() -> Value {
    Value::message([
        ("f_double", Value::Float(1.5)),
        ("f_float", Value::Float(0.25)),
        ("f_int32", Value::Int(-5)),
        ("f_int64", Value::Int(-(1 << 40))),
        ("f_uint32", Value::Int(u32::MAX.into())),
        ("f_uint64", Value::Int(u64::MAX.into())),
        ("f_sint32", Value::Int(-7)),
        ("f_sint64", Value::Int(i64::MIN.into())),
        ("f_fixed32", Value::Int(9)),
        ("f_fixed64", Value::Int(10)),
        ("f_sfixed32", Value::Int(-11)),
        ("f_sfixed64", Value::Int(-12)),
        ("f_bool", Value::Bool(true)),
        ("f_string", s("héllo")),
        ("f_bytes", Value::Bytes(Bytes::from_static(b"\x00\xff"))),
        ("color", s("BLUE")),
        (
            "inner",
            Value::message([("name", s("i")), ("amount", Value::Float(2.0))]),
        ),
        ("inners", Value::List(vec![inner("a"), inner("b")])),
        ("numbers", Value::List(vec![Value::Int(1), Value::Int(300)])),
        (
            "packed_numbers",
            Value::List(vec![Value::Int(-1), Value::Int(2)]),
        ),
        ("tags", Value::List(vec![s("x"), s("y")])),
        ("colors", Value::List(vec![s("GREEN"), s("RED")])),
        ("by_name", Value::Dict(vec![(s("k"), inner("v"))])),
        (
            "by_number",
            Value::Dict(vec![(Value::Int(1), s("one")), (Value::Int(2), s("two"))]),
        ),
        ("choice_text", s("t")),
        ("shell", Value::Bool(false)),
        ("nested", Value::message([("mode", s("RO"))])),
    ])
}

fn err_text(r: crate::Result<Vec<u8>>) -> String {
    match r {
        Err(Error::InvalidArgument(msg)) => msg,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn plain_round_trip_keeps_every_kind() {
    let all = desc("All");
    let bytes = encode_message(&all, &full_all()).unwrap();
    assert_eq!(decode_message(&all, &bytes).unwrap(), full_all());
}

#[test]
fn decode_then_encode_is_byte_identical() {
    let all = desc("All");
    let bytes = encode_message(&all, &full_all()).unwrap();
    let again = encode_message(&all, &decode_message(&all, &bytes).unwrap()).unwrap();
    assert_eq!(bytes, again);
}

#[test]
fn unset_fields_are_absent_and_explicit_defaults_are_kept() {
    let all = desc("All");
    assert_eq!(decode_message(&all, &[]).unwrap(), Value::Dict(vec![]));
    // proto2 presence: a field set to its default value is still set.
    let plain = Value::message([("f_int32", Value::Int(0)), ("shell", Value::Bool(true))]);
    let bytes = encode_message(&all, &plain).unwrap();
    assert_eq!(bytes, vec![0x18, 0x00, 0xd8, 0x01, 0x01]);
    assert_eq!(decode_message(&all, &bytes).unwrap(), plain);
}

#[test]
fn unknown_enum_numbers_survive_as_ints() {
    let all = desc("All");
    // field 16 (color), varint 42: not a Color value.
    let bytes = [0x80, 0x01, 42];
    let plain = decode_message(&all, &bytes).unwrap();
    assert_eq!(plain.get("color"), Some(&Value::Int(42)));
    assert_eq!(encode_message(&all, &plain).unwrap(), bytes);
}

#[test]
fn unknown_fields_are_kept_and_re_encoded() {
    let inner_bytes = encode_message(
        &desc("Inner"),
        &Value::message([("name", s("n")), ("amount", Value::Float(3.0))]),
    )
    .unwrap();
    let old = desc("OldInner");
    let plain = decode_message(&old, &inner_bytes).unwrap();
    assert_eq!(plain.get("name"), Some(&s("n")));
    assert!(matches!(
        plain.get(UNKNOWN_FIELDS_KEY),
        Some(Value::Bytes(_))
    ));
    assert_eq!(encode_message(&old, &plain).unwrap(), inner_bytes);
}

#[test]
fn map_keys_come_out_sorted() {
    let all = desc("All");
    let plain = Value::message([(
        "by_number",
        Value::Dict(vec![(Value::Int(3), s("c")), (Value::Int(1), s("a"))]),
    )]);
    let decoded = decode_message(&all, &encode_message(&all, &plain).unwrap()).unwrap();
    assert_eq!(
        decoded.get("by_number"),
        Some(&Value::Dict(vec![
            (Value::Int(1), s("a")),
            (Value::Int(3), s("c"))
        ]))
    );
}

#[test]
fn encode_accepts_ints_for_floats_and_enum_numbers() {
    let all = desc("All");
    let plain = Value::message([("f_double", Value::Int(2)), ("color", Value::Int(1))]);
    let decoded = decode_message(&all, &encode_message(&all, &plain).unwrap()).unwrap();
    assert_eq!(decoded.get("f_double"), Some(&Value::Float(2.0)));
    assert_eq!(decoded.get("color"), Some(&s("BLUE")));
}

#[test]
fn encode_errors_name_the_field_path() {
    let all = desc("All");
    let bad_amount = Value::message([(
        "inners",
        Value::List(vec![
            inner("a"),
            Value::message([("name", s("b")), ("amount", s("x"))]),
        ]),
    )]);
    assert_eq!(
        err_text(encode_message(&all, &bad_amount)),
        "All.inners[1].amount: expected a number, got str"
    );
    let unknown = Value::message([("inner", Value::message([("nme", s("x"))]))]);
    assert_eq!(
        err_text(encode_message(&all, &unknown)),
        "All.inner.nme: no such field in codec.test.Inner"
    );
    let bad_enum = Value::message([("colors", Value::List(vec![s("PINK")]))]);
    assert_eq!(
        err_text(encode_message(&all, &bad_enum)),
        "All.colors[0]: 'PINK' is not a codec.test.Color; expected one of GREEN, RED, BLUE"
    );
    let range = Value::message([("f_uint32", Value::Int(-1))]);
    assert_eq!(
        err_text(encode_message(&all, &range)),
        "All.f_uint32: -1 is out of range for uint32"
    );
    let map_value = Value::message([("by_name", Value::Dict(vec![(s("k"), s("v"))]))]);
    assert_eq!(
        err_text(encode_message(&all, &map_value)),
        "All.by_name[\"k\"]: expected a dict (codec.test.Inner), got str"
    );
    let not_list = Value::message([("tags", s("x"))]);
    assert_eq!(
        err_text(encode_message(&all, &not_list)),
        "All.tags: expected a list, got str"
    );
    let bool_for_int = Value::message([("f_int64", Value::Bool(true))]);
    assert_eq!(
        err_text(encode_message(&all, &bool_for_int)),
        "All.f_int64: expected an integer (int64), got bool"
    );
    assert_eq!(
        err_text(encode_message(&all, &Value::List(vec![]))),
        "All: expected a dict (codec.test.All), got list"
    );
}

#[test]
fn encode_rejects_two_members_of_a_oneof() {
    let all = desc("All");
    let plain = Value::message([("choice_text", s("t")), ("choice_inner", inner("i"))]);
    assert_eq!(
        err_text(encode_message(&all, &plain)),
        "All.choice_inner: 'choice_text' of oneof 'choice' is set too"
    );
}

#[test]
fn garbage_bytes_are_a_protocol_error() {
    let all = desc("All");
    // A length-delimited field claiming 100 bytes that are not there.
    match decode_message(&all, &[0x8a, 0x01, 100, 1, 2]) {
        Err(Error::Protocol(msg)) => assert!(msg.contains("codec.test.All"), "{msg}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    // Invalid UTF-8 in a string field.
    assert!(matches!(
        decode_message(&all, &[0x72, 1, 0xff]),
        Err(Error::Protocol(_))
    ));
}

#[test]
fn prost_encoded_bytes_round_trip_identically() {
    // Bytes written by another encoder (prost-reflect's own DynamicMessage here) decode and
    // re-encode to the same bytes.
    let all = desc("All");
    let mut msg = DynamicMessage::new(all.clone());
    msg.set_field_by_name("f_string", prost_reflect::Value::String("x".into()));
    msg.set_field_by_name(
        "numbers",
        prost_reflect::Value::List(vec![
            prost_reflect::Value::U32(5),
            prost_reflect::Value::U32(6),
        ]),
    );
    let bytes = msg.encode_to_vec();
    let plain = decode_message(&all, &bytes).unwrap();
    assert_eq!(encode_message(&all, &plain).unwrap(), bytes);
}

#[test]
fn schema_describes_fields_defaults_and_enums() {
    let schema = schema(test_pool());
    let all = schema
        .iter()
        .find(|m| m.full_name == "codec.test.All")
        .unwrap();
    let field = |name: &str| all.fields.iter().find(|f| f.name == name).unwrap();
    assert_eq!(field("f_string").default, Some(s("*")));
    assert_eq!(field("shell").default, Some(Value::Bool(true)));
    assert_eq!(field("f_int32").default, Some(Value::Int(0)));
    let color = field("color");
    assert_eq!((color.kind, color.label), ("enum", "optional"));
    assert_eq!(color.type_name.as_deref(), Some("codec.test.Color"));
    // proto2: an unset enum reads as the first declared value.
    assert_eq!(color.default, Some(s("GREEN")));
    assert_eq!(
        color.enum_values.as_deref(),
        Some(&[("GREEN".into(), 2), ("RED".into(), 0), ("BLUE".into(), 1)][..])
    );
    let by_name = field("by_name");
    assert_eq!(
        (by_name.label, by_name.kind, by_name.key_kind),
        ("map", "message", Some("string"))
    );
    assert_eq!(by_name.type_name.as_deref(), Some("codec.test.Inner"));
    assert_eq!(field("inners").label, "repeated");
    assert_eq!(field("choice_inner").oneof.as_deref(), Some("choice"));
    assert_eq!(field("inner").default, None);
    // Map entry types are not listed; nested types are.
    assert!(schema.iter().all(|m| !m.full_name.ends_with("Entry")));
    assert!(schema
        .iter()
        .any(|m| m.full_name == "codec.test.All.Nested"));
}

#[test]
fn mesos_pool_is_available() {
    let frame = message_descriptor("mesos.v1.FrameworkID").unwrap();
    let plain = Value::message([("value", s("abc"))]);
    let bytes = encode_message(&frame, &plain).unwrap();
    assert_eq!(bytes, b"\x0a\x03abc");
    assert_eq!(decode("mesos.v1.FrameworkID", &bytes).unwrap(), plain);
    assert!(matches!(
        message_descriptor("mesos.v1.Nope"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(codec_schema_has("mesos.v1.FrameworkID"));
}

fn codec_schema_has(name: &str) -> bool {
    schema(pool()).iter().any(|m| m.full_name == name)
}

#[test]
fn unknown_fields_go_back_between_known_ones() {
    let all = desc("All");
    let plain = Value::message([
        ("f_double", Value::Float(1.0)),
        ("f_float", Value::Float(2.0)),
        ("f_int32", Value::Int(3)),
    ]);
    let bytes = encode_message(&all, &plain).unwrap();
    let sparse = desc("Sparse");
    let decoded = decode_message(&sparse, &bytes).unwrap();
    assert_eq!(decoded.get("f_int32"), Some(&Value::Int(3)));
    assert_eq!(encode_message(&sparse, &decoded).unwrap(), bytes);
}

#[test]
fn encoder_agrees_with_prost_reflect_on_map_free_messages() {
    let all = desc("All");
    let Value::Dict(entries) = full_all() else {
        unreachable!()
    };
    let plain = Value::Dict(
        entries
            .into_iter()
            .filter(|(k, _)| !matches!(k, Value::Str(s) if s.starts_with("by_")))
            .collect(),
    );
    let ours = encode_message(&all, &plain).unwrap();
    let theirs = DynamicMessage::decode(all.clone(), ours.as_slice())
        .unwrap()
        .encode_to_vec();
    assert_eq!(ours, theirs);
    assert_eq!(decode_message(&all, &ours).unwrap(), plain);
}
