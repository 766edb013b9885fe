//! Calls out and events in, as protobuf or as Mesos's JSON (snake_case proto field names, enum
//! names as strings, base64 bytes): camelCase keys would be silently ignored by the master.

use std::sync::OnceLock;

use bytes::Bytes;
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, MessageDescriptor, SerializeOptions,
};

use super::error::DriverError;
use super::http::Encoding;
use crate::proto::mesos::scheduler::{Call, Event};

fn descriptor(name: &str) -> Result<MessageDescriptor, DriverError> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    let pool = POOL
        .get_or_init(|| {
            DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| DriverError::Stream(format!("bad built-in descriptor set: {e}")))?;
    pool.get_message_by_name(name)
        .ok_or_else(|| DriverError::Stream(format!("message {name} missing from the descriptors")))
}

/// Encodes a call for the wire.
pub fn encode_call(call: &Call, encoding: Encoding) -> Result<Bytes, DriverError> {
    let pb = call.encode_to_vec();
    match encoding {
        Encoding::Protobuf => Ok(Bytes::from(pb)),
        Encoding::Json => {
            let desc = descriptor("mesos.v1.scheduler.Call")?;
            let dynamic = DynamicMessage::decode(desc, pb.as_slice())
                .map_err(|e| DriverError::InvalidCall(format!("cannot re-read the call: {e}")))?;
            let options = SerializeOptions::new()
                .use_proto_field_name(true)
                .use_enum_numbers(false)
                .stringify_64_bit_integers(false);
            let mut out = Vec::with_capacity(pb.len() * 2);
            let mut ser = serde_json::Serializer::new(&mut out);
            dynamic
                .serialize_with_options(&mut ser, &options)
                .map_err(|e| {
                    DriverError::InvalidCall(format!("cannot write the call as JSON: {e}"))
                })?;
            Ok(Bytes::from(out))
        }
    }
}

/// The protobuf bytes of the event in one RecordIO record: the record itself in protobuf mode
/// (so nothing the master sent is lost in re-encoding), the JSON event parsed in full and
/// re-encoded in JSON mode. Protobuf records are not looked into here.
pub fn event_protobuf(record: Bytes, encoding: Encoding) -> Result<Bytes, DriverError> {
    match encoding {
        Encoding::Protobuf => Ok(record),
        Encoding::Json => {
            let desc = descriptor("mesos.v1.scheduler.Event")?;
            let mut de = serde_json::Deserializer::from_slice(&record);
            let options = DeserializeOptions::new().deny_unknown_fields(false);
            let dynamic = DynamicMessage::deserialize_with_options(desc, &mut de, &options)
                .map_err(|e| DriverError::Stream(format!("undecodable JSON event: {e}")))?;
            de.end()
                .map_err(|e| DriverError::Stream(format!("junk after the JSON event: {e}")))?;
            Ok(Bytes::from(dynamic.encode_to_vec()))
        }
    }
}

/// Decodes one RecordIO record into a full event, and returns the event's protobuf bytes (see
/// [`event_protobuf`]). The driver itself decodes less ([`super::MesosEvent::from_protobuf`]).
pub fn decode_event(record: Bytes, encoding: Encoding) -> Result<(Event, Bytes), DriverError> {
    let pb = event_protobuf(record, encoding)?;
    let event = Event::decode(pb.clone())
        .map_err(|e| DriverError::Stream(format!("undecodable protobuf event: {e}")))?;
    Ok((event, pb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::calls;
    use crate::proto::mesos as m;
    use crate::proto::mesos::scheduler::event;

    #[test]
    fn json_calls_use_snake_case_names() {
        let info = m::FrameworkInfo {
            user: "u".into(),
            name: "n".into(),
            failover_timeout: Some(3600.0),
            ..Default::default()
        };
        let id = m::FrameworkId {
            value: "abc".into(),
        };
        let call = calls::subscribe(info, Some(&id), vec![]).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&encode_call(&call, Encoding::Json).unwrap()).unwrap();
        assert_eq!(json["type"], "SUBSCRIBE");
        assert_eq!(json["framework_id"]["value"], "abc");
        assert_eq!(
            json["subscribe"]["framework_info"]["failover_timeout"],
            3600.0
        );
        let status = m::TaskStatus {
            task_id: m::TaskId { value: "t1".into() },
            agent_id: Some(m::AgentId { value: "S1".into() }),
            uuid: Some(vec![
                0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f, 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28,
                0x95, 0x0e,
            ]),
            ..Default::default()
        };
        let ack = calls::acknowledge(&status).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&encode_call(&ack, Encoding::Json).unwrap()).unwrap();
        assert_eq!(json["acknowledge"]["uuid"], "D4+tW9nLRp+hZXCGdyiVDg==");
        assert_eq!(json["acknowledge"]["task_id"]["value"], "t1");
    }

    #[test]
    fn json_events_decode() {
        let rec = br#"{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"f1"},"heartbeat_interval_seconds":15.0}}"#;
        let (ev, pb) = decode_event(Bytes::from_static(rec), Encoding::Json).unwrap();
        assert_eq!(ev.r#type, Some(event::Type::Subscribed as i32));
        assert_eq!(ev.subscribed.as_ref().unwrap().framework_id.value, "f1");
        assert_eq!(Event::decode(pb).unwrap(), ev);
        let err = br#"{"type":"ERROR","error":{"message":"Framework has been removed"}}"#;
        let (ev, _) = decode_event(Bytes::from_static(err), Encoding::Json).unwrap();
        assert_eq!(ev.error.unwrap().message, "Framework has been removed");
        assert!(decode_event(Bytes::from_static(b"{nope"), Encoding::Json).is_err());
        assert!(decode_event(Bytes::from_static(b"\xff\xff\xff"), Encoding::Protobuf).is_err());
    }

    #[test]
    fn protobuf_events_keep_their_bytes() {
        // SUBSCRIBED(framework_id "abc", heartbeat 15.0), from the reference.
        let rec: &[u8] = &[
            0x08, 0x01, 0x12, 0x10, 0x0a, 0x05, 0x0a, 0x03, 0x61, 0x62, 0x63, 0x11, 0, 0, 0, 0, 0,
            0, 0x2e, 0x40,
        ];
        let (ev, pb) = decode_event(Bytes::copy_from_slice(rec), Encoding::Protobuf).unwrap();
        assert_eq!(&pb[..], rec);
        let sub = ev.subscribed.unwrap();
        assert_eq!(sub.framework_id.value, "abc");
        assert_eq!(sub.heartbeat_interval_seconds, Some(15.0));
    }
}
