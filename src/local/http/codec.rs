//! Calls in and events out, as protobuf or Mesos JSON (snake_case proto field names, enum names,
//! base64 bytes, 64-bit integers as numbers), with the error texts of a real master or agent.
//! Like protobuf's own parser, decoding refuses messages with required fields missing.

use std::sync::OnceLock;

use bytes::Bytes;
use prost::Message;
use prost_reflect::{
    Cardinality, DescriptorPool, DynamicMessage, MessageDescriptor, ReflectMessage, Value,
};
use tokio::sync::mpsc;

use super::media::Media;
use crate::driver::recordio;

fn pool() -> Option<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).ok())
        .as_ref()
}

fn descriptor(full_name: &str) -> Result<MessageDescriptor, String> {
    pool()
        .and_then(|p| p.get_message_by_name(full_name))
        .ok_or_else(|| format!("message {full_name} is missing from the built-in descriptors"))
}

/// Decodes a call body. `label` is the protobuf type as Mesos names it in errors
/// (`Call`). The error is the 400 body a real master or agent gives.
pub(crate) fn decode<M: Message + Default>(
    media: Media,
    body: &[u8],
    full_name: &str,
    label: &str,
) -> Result<M, String> {
    let desc = descriptor(full_name)?;
    match media {
        Media::Protobuf => {
            let parse_error = || format!("Failed to parse body into {label} protobuf");
            if !required_present(&desc, body, 0) {
                return Err(parse_error());
            }
            M::decode(body).map_err(|_| parse_error())
        }
        Media::Json => {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| format!("Failed to parse body into JSON: {e}"))?;
            let convert = |e: String| format!("Failed to convert JSON into {label} protobuf: {e}");
            let options = prost_reflect::DeserializeOptions::new().deny_unknown_fields(false);
            let dynamic = DynamicMessage::deserialize_with_options(desc, value, &options)
                .map_err(|e| convert(e.to_string()))?;
            let missing = missing_required(&dynamic);
            if !missing.is_empty() {
                return Err(convert(format!(
                    "Missing required fields: {}",
                    missing.join(", ")
                )));
            }
            M::decode(dynamic.encode_to_vec().as_slice()).map_err(|e| convert(e.to_string()))
        }
    }
}

fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = buf.split_first()?;
        *buf = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// True when every required field of the message in `buf`, and of every message nested in it,
/// is present (what protobuf's parser insists on), read straight off the wire: the hot calls
/// (UPDATE, ACKNOWLEDGE) need no reflection objects. Malformed input is false.
fn required_present(desc: &MessageDescriptor, mut buf: &[u8], depth: u32) -> bool {
    if depth > 100 {
        return false;
    }
    let mut missing: Vec<u32> = desc
        .fields()
        .filter(|f| f.cardinality() == Cardinality::Required)
        .map(|f| f.number())
        .collect();
    while !buf.is_empty() {
        let Some(key) = varint(&mut buf) else {
            return false;
        };
        let number = u32::try_from(key >> 3).unwrap_or(0);
        let skip = match key & 7 {
            0 => {
                if varint(&mut buf).is_none() {
                    return false;
                }
                0
            }
            1 => 8,
            5 => 4,
            2 => {
                let Some(len) = varint(&mut buf).and_then(|l| usize::try_from(l).ok()) else {
                    return false;
                };
                if len > buf.len() {
                    return false;
                }
                let (field, rest) = buf.split_at(len);
                if let Some(prost_reflect::Kind::Message(inner)) =
                    desc.get_field(number).map(|f| f.kind())
                {
                    if !required_present(&inner, field, depth + 1) {
                        return false;
                    }
                }
                buf = rest;
                0
            }
            _ => return false,
        };
        if skip > buf.len() {
            return false;
        }
        buf = &buf[skip..];
        missing.retain(|n| *n != number);
    }
    missing.is_empty()
}

/// Paths of unset required fields (`subscribe.framework_info.user`), as protobuf lists them.
fn missing_required(msg: &DynamicMessage) -> Vec<String> {
    let mut out = Vec::new();
    walk(msg, "", &mut out);
    out
}

fn walk(msg: &DynamicMessage, prefix: &str, out: &mut Vec<String>) {
    for field in msg.descriptor().fields() {
        let path = format!("{prefix}{}", field.name());
        if field.cardinality() == Cardinality::Required && !msg.has_field(&field) {
            out.push(path);
            continue;
        }
        if !msg.has_field(&field) {
            continue;
        }
        match msg.get_field(&field).as_ref() {
            Value::Message(m) => walk(m, &format!("{path}."), out),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Message(m) = item {
                        walk(m, &format!("{path}[{i}]."), out);
                    }
                }
            }
            Value::Map(entries) => {
                for (key, item) in entries {
                    if let Value::Message(m) = item {
                        walk(m, &format!("{path}[{key:?}]."), out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Encodes one event as a RecordIO record in the subscriber's encoding.
pub(crate) fn record<M: Message>(msg: &M, full_name: &str, media: Media) -> Bytes {
    let pb = msg.encode_to_vec();
    let payload = match media {
        Media::Protobuf => pb,
        Media::Json => to_json(&pb, full_name).into_bytes(),
    };
    Bytes::from(recordio::encode(&payload))
}

/// Mesos JSON of a protobuf message (`{}` if it cannot be re-read, which would be a bug).
pub(crate) fn to_json(pb: &[u8], full_name: &str) -> String {
    let Ok(desc) = descriptor(full_name) else {
        return "{}".into();
    };
    let Ok(dynamic) = DynamicMessage::decode(desc, pb) else {
        return "{}".into();
    };
    let options = prost_reflect::SerializeOptions::new()
        .use_proto_field_name(true)
        .use_enum_numbers(false)
        .stringify_64_bit_integers(false);
    let mut out = Vec::with_capacity(pb.len() * 2);
    let mut ser = serde_json::Serializer::new(&mut out);
    if dynamic.serialize_with_options(&mut ser, &options).is_err() {
        return "{}".into();
    }
    String::from_utf8(out).unwrap_or_else(|_| "{}".into())
}

/// The sending end of one event stream (a scheduler's or an executor's subscription).
#[derive(Clone, Debug)]
pub(crate) struct EventSink {
    tx: mpsc::UnboundedSender<Bytes>,
    media: Media,
}

impl EventSink {
    /// A sink and the receiver that feeds the response body.
    pub(crate) fn new(media: Media) -> (EventSink, mpsc::UnboundedReceiver<Bytes>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (EventSink { tx, media }, rx)
    }

    /// Sends one event; false if the subscriber is gone.
    pub(crate) fn send<M: Message>(&self, msg: &M, full_name: &str) -> bool {
        self.tx.send(record(msg, full_name, self.media)).is_ok()
    }

    /// Ends the stream (the response body finishes cleanly); later sends go nowhere.
    pub(crate) fn close(&self) {
        let _ = self.tx.send(Bytes::new());
    }

    /// Resolves when the subscriber has gone (connection closed, or the stream was ended).
    pub(crate) async fn closed(&self) {
        self.tx.closed().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mesos::scheduler::Call;

    const CALL: &str = "mesos.v1.scheduler.Call";

    #[test]
    fn json_missing_required_fields_are_named() {
        let body = br#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"x"}}}"#;
        let err = decode::<Call>(Media::Json, body, CALL, "Call").unwrap_err();
        assert_eq!(
            err,
            "Failed to convert JSON into Call protobuf: Missing required fields: \
             subscribe.framework_info.user"
        );
        let err = decode::<Call>(Media::Json, b"{nope", CALL, "Call").unwrap_err();
        assert!(err.starts_with("Failed to parse body into JSON: "), "{err}");
    }

    #[test]
    fn protobuf_missing_required_fields_fail_to_parse() {
        // SUBSCRIBE with framework_info{name:"x"} and no user.
        let body = [0x10, 0x01, 0x1a, 0x05, 0x0a, 0x03, 0x12, 0x01, 0x78];
        let err = decode::<Call>(Media::Protobuf, &body, CALL, "Call").unwrap_err();
        assert_eq!(err, "Failed to parse body into Call protobuf");
        let ok = decode::<Call>(Media::Protobuf, &[0x10, 0x02], CALL, "Call").unwrap();
        assert_eq!(ok.r#type, Some(2));
        assert!(decode::<Call>(Media::Protobuf, &[0xff, 0xff], CALL, "Call").is_err());
    }

    #[test]
    fn events_are_json_with_proto_names() {
        use crate::proto::mesos::scheduler::{event, Event};
        let ev = Event {
            r#type: Some(event::Type::Heartbeat as i32),
            ..Default::default()
        };
        let rec = record(&ev, "mesos.v1.scheduler.Event", Media::Json);
        assert_eq!(&rec[..], b"20\n{\"type\":\"HEARTBEAT\"}");
        let rec = record(&ev, "mesos.v1.scheduler.Event", Media::Protobuf);
        assert_eq!(&rec[..], b"2\n\x08\x08");
    }
}
