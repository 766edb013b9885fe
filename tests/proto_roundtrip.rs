//! Lossless round trip of our Mesos v1 protos against traffic captured from a real Mesos 1.11
//! cluster (tests/fixtures, see its README), plus the wire test vectors of the protocol reference.
//!
//! For every record of every fixture stream: decode with prost as the right Event type, re-encode,
//! and require identical bytes; decode it reflectively and require that no message anywhere in
//! the tree has a field our protos do not know.

use std::collections::BTreeSet;

use _satyr::proto::mesos::{self as v1, executor, scheduler};
use _satyr::proto::FILE_DESCRIPTOR_SET;
use prost::Message;
use prost_reflect::{
    DescriptorPool, DynamicMessage, Kind, MessageDescriptor, ReflectMessage, Value,
};

const SCHEDULER_STREAM: &[u8] = include_bytes!("fixtures/scheduler_stream.recordio");
const EXECUTOR_STREAM: &[u8] = include_bytes!("fixtures/executor_stream.recordio");
const SCHEDULER_ERROR_STREAM: &[u8] = include_bytes!("fixtures/scheduler_error_stream.recordio");

// ---------------------------------------------------------------------------------------------
// RecordIO framing: `<decimal length>\n<length bytes>`, repeated, no trailing newline.
// ---------------------------------------------------------------------------------------------

fn split_records(mut data: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut records = Vec::new();
    while !data.is_empty() {
        let newline = data
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| format!("record header without newline: {:?}", lossy(data)))?;
        let header = &data[..newline];
        if header.is_empty() || header.len() > 20 || !header.iter().all(u8::is_ascii_digit) {
            return Err(format!("bad record length {:?}", lossy(header)));
        }
        let size: usize = lossy(header)
            .parse()
            .map_err(|e| format!("bad record length {:?}: {e}", lossy(header)))?;
        let body = &data[newline + 1..];
        if body.len() < size {
            return Err(format!(
                "record of {size} bytes truncated at {}",
                body.len()
            ));
        }
        // The master never sends empty records, but the framing allows them: skip.
        if size > 0 {
            records.push(&body[..size]);
        }
        data = &body[size..];
    }
    Ok(records)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn frame(record: &[u8]) -> Vec<u8> {
    let mut out = format!("{}\n", record.len()).into_bytes();
    out.extend_from_slice(record);
    out
}

#[test]
fn framing_splits_records_and_rejects_garbage() {
    assert_eq!(split_records(b"").unwrap(), Vec::<&[u8]>::new());
    assert_eq!(
        split_records(b"3\nabc0\n1\nx").unwrap(),
        vec![&b"abc"[..], &b"x"[..]]
    );
    let json = br#"20
{"type":"HEARTBEAT"}"#;
    assert_eq!(
        split_records(json).unwrap(),
        vec![&br#"{"type":"HEARTBEAT"}"#[..]]
    );
    assert!(split_records(b"abc\nxyz").is_err());
    assert!(split_records(b"5\nabc").is_err());
    assert!(split_records(b"12").is_err());
    assert!(split_records(b"123456789012345678901\n").is_err());
}

// ---------------------------------------------------------------------------------------------
// Reflection: the descriptor pool and the unknown-field walk.
// ---------------------------------------------------------------------------------------------

fn pool() -> DescriptorPool {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("our own descriptor set decodes")
}

/// Every unknown field in the tree (as a path), and the full names of all message types seen.
#[derive(Default)]
struct Walk {
    unknown: Vec<String>,
    types: BTreeSet<String>,
}

impl Walk {
    fn message(&mut self, msg: &DynamicMessage, path: &str) {
        self.types.insert(msg.descriptor().full_name().to_owned());
        for field in msg.unknown_fields() {
            self.unknown.push(format!(
                "{path} ({}): unknown field {}",
                msg.descriptor().full_name(),
                field.number()
            ));
        }
        for (field, value) in msg.fields() {
            self.value(value, &format!("{path}.{}", field.name()));
        }
    }

    fn value(&mut self, value: &Value, path: &str) {
        match value {
            Value::Message(msg) => self.message(msg, path),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.value(item, &format!("{path}[{i}]"));
                }
            }
            Value::Map(entries) => {
                for (key, item) in entries {
                    self.value(item, &format!("{path}[{key:?}]"));
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Field order. prost encodes fields in field-number order, and so does Mesos, with one exception:
// C++ protobuf writes fields it does not know (but carries) after all known ones. So the bytes are
// compared after sorting every message's fields by number, and each message where Mesos's order
// differed is reported, for the tests to list explicitly.
// ---------------------------------------------------------------------------------------------

fn read_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = buf[*pos];
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
    }
    panic!("varint longer than 10 bytes");
}

/// `bytes` (a `desc` message) with the fields of every message, recursively, stably sorted by
/// number; adds to `moved` each (message, field) that Mesos had sent after a higher field.
fn canonical(
    bytes: &[u8],
    desc: &MessageDescriptor,
    moved: &mut BTreeSet<(String, u32)>,
) -> Vec<u8> {
    let mut parts: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let start = pos;
        let key = read_varint(bytes, &mut pos);
        let number = u32::try_from(key >> 3).expect("field number fits u32");
        let mut part = match key & 7 {
            0 => {
                read_varint(bytes, &mut pos);
                bytes[start..pos].to_vec()
            }
            1 => {
                pos += 8;
                bytes[start..pos].to_vec()
            }
            5 => {
                pos += 4;
                bytes[start..pos].to_vec()
            }
            2 => {
                let len = usize::try_from(read_varint(bytes, &mut pos)).expect("length fits");
                let payload = &bytes[pos..pos + len];
                let header = bytes[start..pos].to_vec();
                pos += len;
                let nested = desc.get_field(number).and_then(|f| match f.kind() {
                    Kind::Message(m) => Some(m),
                    _ => None,
                });
                let mut part = header;
                match nested {
                    Some(m) => part.extend(canonical(payload, &m, moved)),
                    None => part.extend_from_slice(payload),
                }
                part
            }
            wire => panic!("unexpected wire type {wire} in {}", desc.full_name()),
        };
        if let Some((last, _)) = parts.last() {
            if *last > number {
                moved.insert((desc.full_name().to_owned(), number));
            }
        }
        parts.push((number, std::mem::take(&mut part)));
    }
    parts.sort_by_key(|(number, _)| *number);
    parts.into_iter().flat_map(|(_, part)| part).collect()
}

/// Round-trips every record of `stream` through prost type `T` and through reflection as
/// `full_name`. Returns the decoded events, the walk over all of them, and the fields Mesos sent
/// out of number order (the only difference allowed between its bytes and ours).
fn check_stream<T: Message + Default>(
    stream: &[u8],
    full_name: &str,
) -> (Vec<T>, Walk, BTreeSet<(String, u32)>) {
    let descriptor = pool()
        .get_message_by_name(full_name)
        .unwrap_or_else(|| panic!("{full_name} is in the descriptor pool"));
    let records = split_records(stream).expect("fixture is well-framed RecordIO");
    assert!(!records.is_empty(), "fixture has no records");
    let mut events = Vec::new();
    let mut walk = Walk::default();
    let mut moved = BTreeSet::new();
    for (i, record) in records.iter().enumerate() {
        // First the reflective walk, so that a missing field is named in the failure.
        let dynamic = DynamicMessage::decode(descriptor.clone(), *record)
            .unwrap_or_else(|e| panic!("record {i}: reflective decode: {e}"));
        walk.message(&dynamic, &format!("record[{i}]"));
        assert!(
            walk.unknown.is_empty(),
            "fields the master/agent sent that our protos lack:\n{}",
            walk.unknown.join("\n")
        );

        let mut record_moved = BTreeSet::new();
        let expected = canonical(record, &descriptor, &mut record_moved);
        assert_eq!(expected.len(), record.len());
        if record_moved.is_empty() {
            assert_eq!(expected, *record);
        }
        let event = T::decode(*record).unwrap_or_else(|e| panic!("record {i}: {e}"));
        assert_eq!(
            event.encode_to_vec(),
            expected,
            "record {i}: prost re-encoding differs from what Mesos sent"
        );
        assert_eq!(
            dynamic.encode_to_vec(),
            expected,
            "record {i}: reflective re-encoding differs"
        );
        moved.extend(record_moved);
        events.push(event);
    }
    (events, walk, moved)
}

fn assert_types_seen(walk: &Walk, expected: &[&str]) {
    let missing: Vec<_> = expected
        .iter()
        .filter(|name| !walk.types.contains(**name))
        .collect();
    assert!(
        missing.is_empty(),
        "fixture never shows {missing:?}; saw {:?}",
        walk.types
    );
}

// ---------------------------------------------------------------------------------------------
// The captured streams.
// ---------------------------------------------------------------------------------------------

#[test]
fn scheduler_stream_round_trips_losslessly() {
    use scheduler::event::Type;
    let (events, walk, moved) =
        check_stream::<scheduler::Event>(SCHEDULER_STREAM, "mesos.v1.scheduler.Event");
    assert!(
        moved.is_empty(),
        "master sent fields out of order: {moved:?}"
    );
    let kinds: Vec<Type> = events.iter().map(|e| e.r#type()).collect();
    assert_eq!(
        kinds[0],
        Type::Subscribed,
        "the stream starts with SUBSCRIBED"
    );
    assert_eq!(
        kinds[1],
        Type::Heartbeat,
        "a HEARTBEAT follows SUBSCRIBED at once"
    );
    for kind in [
        Type::Offers,
        Type::Update,
        Type::Message,
        Type::Failure,
        Type::UpdateOperationStatus,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?} event in {kinds:?}");
    }

    let subscribed = events[0].subscribed.as_ref().expect("SUBSCRIBED body");
    assert!(!subscribed.framework_id.value.is_empty());
    assert_eq!(subscribed.heartbeat_interval_seconds, Some(15.0));
    let master = subscribed.master_info.as_ref().expect("master_info");
    assert_eq!(master.version(), "1.11.0");

    let offers: Vec<&v1::Offer> = events
        .iter()
        .filter_map(|e| e.offers.as_ref())
        .flat_map(|o| &o.offers)
        .collect();
    assert!(!offers.is_empty());
    for offer in &offers {
        assert_eq!(
            offer
                .allocation_info
                .as_ref()
                .and_then(|a| a.role.as_deref()),
            Some("satyr"),
            "MULTI_ROLE offers name their role"
        );
        let ports = offer
            .resources
            .iter()
            .find(|r| r.name == "ports")
            .expect("offer has ports");
        assert_eq!(ports.r#type(), v1::value::Type::Ranges);
        assert!(!ports.ranges.as_ref().expect("ranges").range.is_empty());
        assert!(offer.resources.iter().all(|r| r.allocation_info.is_some()));
        assert!(!offer.attributes.is_empty(), "agent attributes are offered");
        assert!(offer.domain.is_some(), "agent domain is offered");
    }
    let reservation_types: BTreeSet<_> = offers
        .iter()
        .flat_map(|o| &o.resources)
        .flat_map(|r| &r.reservations)
        .map(|r| r.r#type())
        .collect();
    assert!(reservation_types.contains(&v1::resource::reservation_info::Type::Static));
    assert!(reservation_types.contains(&v1::resource::reservation_info::Type::Dynamic));

    let statuses: Vec<&v1::TaskStatus> = events
        .iter()
        .filter_map(|e| e.update.as_ref())
        .map(|u| &u.status)
        .collect();
    let running = statuses
        .iter()
        .find(|s| s.state() == v1::TaskState::TaskRunning)
        .expect("a TASK_RUNNING update");
    assert_eq!(
        running.uuid.as_ref().map(Vec::len),
        Some(16),
        "reliable update has a uuid"
    );
    assert_eq!(running.source(), v1::task_status::Source::Executor);
    assert!(statuses
        .iter()
        .any(|s| s.state() == v1::TaskState::TaskFinished));
    let invalid = statuses
        .iter()
        .find(|s| s.reason() == v1::task_status::Reason::InvalidOffers)
        .expect("an UPDATE for a reused offer");
    assert!(invalid.uuid.is_none(), "master-made updates carry no uuid");
    assert_eq!(invalid.source(), v1::task_status::Source::Master);

    assert_types_seen(
        &walk,
        &[
            "mesos.v1.MasterInfo",
            "mesos.v1.MasterInfo.Capability",
            "mesos.v1.Address",
            "mesos.v1.DomainInfo",
            "mesos.v1.Offer",
            "mesos.v1.URL",
            "mesos.v1.Attribute",
            "mesos.v1.Value.Ranges",
            "mesos.v1.Value.Text",
            "mesos.v1.Resource.AllocationInfo",
            "mesos.v1.Resource.ReservationInfo",
            "mesos.v1.Labels",
            "mesos.v1.TaskStatus",
            "mesos.v1.ContainerStatus",
            "mesos.v1.NetworkInfo",
            "mesos.v1.OperationStatus",
            "mesos.v1.UUID",
        ],
    );
}

#[test]
fn executor_stream_round_trips_losslessly() {
    use executor::event::Type;
    let (events, walk, moved) =
        check_stream::<executor::Event>(EXECUTOR_STREAM, "mesos.v1.executor.Event");
    // The agent's legacy `checkpoint` comes last (see AgentInfo in mesos.proto): the one place
    // where our bytes differ from the agent's, in order only.
    assert_eq!(
        moved,
        BTreeSet::from([("mesos.v1.AgentInfo".to_owned(), 7)]),
        "unexpected out-of-order fields"
    );
    let kinds: Vec<Type> = events.iter().map(|e| e.r#type()).collect();
    assert_eq!(kinds[0], Type::Subscribed);
    for kind in [Type::Launch, Type::Acknowledged, Type::Message] {
        assert!(kinds.contains(&kind), "no {kind:?} event in {kinds:?}");
    }

    let subscribed = events[0].subscribed.as_ref().expect("SUBSCRIBED body");
    assert_eq!(
        subscribed.executor_info.executor_id.value,
        "fixture-executor"
    );
    assert!(subscribed.framework_info.id.is_some());
    assert!(
        subscribed
            .framework_info
            .offer_filters
            .contains_key("satyr"),
        "the map field survives"
    );
    assert!(!subscribed.agent_info.resources.is_empty());
    assert!(subscribed.container_id.is_some());

    let task = &events
        .iter()
        .find_map(|e| e.launch.as_ref())
        .expect("LAUNCH body")
        .task;
    assert_eq!(task.task_id.value, "fixture-task");
    assert!(task.executor.is_some() && task.health_check.is_some() && task.check.is_some());
    assert!(task.resources.iter().any(|r| r.name == "ports"));

    assert_types_seen(
        &walk,
        &[
            "mesos.v1.ExecutorInfo",
            "mesos.v1.CommandInfo",
            "mesos.v1.Environment.Variable",
            "mesos.v1.FrameworkInfo",
            "mesos.v1.FrameworkInfo.Capability",
            "mesos.v1.OfferFilters",
            "mesos.v1.AgentInfo",
            "mesos.v1.ContainerID",
            "mesos.v1.TaskInfo",
            "mesos.v1.HealthCheck",
            "mesos.v1.CheckInfo",
            "mesos.v1.KillPolicy",
            "mesos.v1.DiscoveryInfo",
            "mesos.v1.Port",
            "mesos.v1.DurationInfo",
        ],
    );
}

#[test]
fn scheduler_error_stream_round_trips_losslessly() {
    let (events, _, moved) =
        check_stream::<scheduler::Event>(SCHEDULER_ERROR_STREAM, "mesos.v1.scheduler.Event");
    assert!(moved.is_empty());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].r#type(), scheduler::event::Type::Error);
    let message = &events[0].error.as_ref().expect("ERROR body").message;
    assert!(message.contains("must not be set"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Wire test vectors (reference §1.3 and §1.17).
// ---------------------------------------------------------------------------------------------

fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("test vector is hex"))
        .collect()
}

fn id(value: &str) -> v1::FrameworkId {
    v1::FrameworkId {
        value: value.into(),
    }
}

fn foo_bar() -> v1::FrameworkInfo {
    v1::FrameworkInfo {
        user: "foo".into(),
        name: "bar".into(),
        ..Default::default()
    }
}

fn assert_vector<T: Message + Default + PartialEq + std::fmt::Debug>(message: &T, expected: &str) {
    let bytes = hex(expected);
    assert_eq!(message.encode_to_vec(), bytes, "encoding of {message:?}");
    assert_eq!(&T::decode(&bytes[..]).expect("vector decodes"), message);
}

#[test]
fn subscribe_vector() {
    let mut call = scheduler::Call {
        subscribe: Some(scheduler::call::Subscribe {
            framework_info: foo_bar(),
            ..Default::default()
        }),
        ..Default::default()
    };
    call.set_type(scheduler::call::Type::Subscribe);
    assert_vector(&call, "10 01 1a 0c 0a 0a 0a 03 66 6f 6f 12 03 62 61 72");
}

#[test]
fn resubscribe_vector() {
    let mut call = scheduler::Call {
        framework_id: Some(id("abc")),
        subscribe: Some(scheduler::call::Subscribe {
            framework_info: v1::FrameworkInfo {
                id: Some(id("abc")),
                failover_timeout: Some(604800.0),
                ..foo_bar()
            },
            ..Default::default()
        }),
        ..Default::default()
    };
    call.set_type(scheduler::call::Type::Subscribe);
    assert_vector(
        &call,
        "0a 05 0a 03 61 62 63 10 01 1a 1c 0a 1a 0a 03 66 6f 6f 12 03 62 61 72 1a 05 0a 03 61 62 \
         63 21 00 00 00 00 00 75 22 41",
    );
}

#[test]
fn acknowledge_vector() {
    let mut call = scheduler::Call {
        framework_id: Some(id("abc")),
        acknowledge: Some(scheduler::call::Acknowledge {
            agent_id: v1::AgentId { value: "S1".into() },
            task_id: v1::TaskId { value: "t1".into() },
            uuid: hex("0f 8f ad 5b d9 cb 46 9f a1 65 70 86 77 28 95 0e"),
        }),
        ..Default::default()
    };
    call.set_type(scheduler::call::Type::Acknowledge);
    assert_vector(
        &call,
        "0a 05 0a 03 61 62 63 10 08 42 1e 0a 04 0a 02 53 31 12 04 0a 02 74 31 1a 10 0f 8f ad 5b \
         d9 cb 46 9f a1 65 70 86 77 28 95 0e",
    );
}

#[test]
fn executor_message_vector_puts_data_in_field_2() {
    let mut call = executor::Call {
        executor_id: v1::ExecutorId { value: "e1".into() },
        framework_id: id("abc"),
        message: Some(executor::call::Message {
            data: b"hi".to_vec(),
        }),
        ..Default::default()
    };
    call.set_type(executor::call::Type::Message);
    assert_vector(
        &call,
        "0a 04 0a 02 65 31 12 05 0a 03 61 62 63 18 03 32 04 12 02 68 69",
    );
}

#[test]
fn recordio_vector_subscribed_then_heartbeat() {
    let mut subscribed = scheduler::Event {
        subscribed: Some(scheduler::event::Subscribed {
            framework_id: id("abc"),
            heartbeat_interval_seconds: Some(15.0),
            master_info: None,
        }),
        ..Default::default()
    };
    subscribed.set_type(scheduler::event::Type::Subscribed);
    let mut heartbeat = scheduler::Event::default();
    heartbeat.set_type(scheduler::event::Type::Heartbeat);

    let mut stream = frame(&subscribed.encode_to_vec());
    stream.extend(frame(&heartbeat.encode_to_vec()));
    let expected =
        hex("32 30 0a 08 01 12 10 0a 05 0a 03 61 62 63 11 00 00 00 00 00 00 2e 40 32 0a 08 08");
    assert_eq!(stream, expected);

    let records = split_records(&expected).expect("vector is well-framed");
    assert_eq!(records.len(), 2);
    assert_eq!(
        scheduler::Event::decode(records[0]).expect("decodes"),
        subscribed
    );
    assert_eq!(
        scheduler::Event::decode(records[1]).expect("decodes"),
        heartbeat
    );
}

// ---------------------------------------------------------------------------------------------
// Properties of the .proto files themselves.
// ---------------------------------------------------------------------------------------------

#[test]
fn proto2_defaults_are_kept() {
    assert!(v1::CommandInfo::default().shell());
    assert!(v1::command_info::Uri::default().extract());
    assert_eq!(v1::Filters::default().refuse_seconds(), 5.0);
    assert_eq!(v1::Resource::default().role(), "*");
    assert_eq!(v1::FrameworkInfo::default().failover_timeout(), 0.0);
    assert_eq!(v1::FrameworkInfo::default().role(), "*");
    assert_eq!(v1::MasterInfo::default().port, 5050);
    assert_eq!(v1::AgentInfo::default().port(), 5051);
    let docker = v1::container_info::DockerInfo::default();
    assert_eq!(
        docker.network(),
        v1::container_info::docker_info::Network::Host
    );
    assert!(!docker.privileged());
    assert!(v1::Image::default().cached());
    let health = v1::HealthCheck::default();
    assert_eq!(
        (
            health.delay_seconds(),
            health.interval_seconds(),
            health.timeout_seconds(),
            health.consecutive_failures(),
            health.grace_period_seconds()
        ),
        (15.0, 10.0, 20.0, 3, 10.0)
    );
    let check = v1::CheckInfo::default();
    assert_eq!(
        (
            check.delay_seconds(),
            check.interval_seconds(),
            check.timeout_seconds()
        ),
        (15.0, 10.0, 20.0)
    );
    assert_eq!(
        v1::environment::Variable::default().r#type(),
        v1::environment::variable::Type::Value
    );
    assert!(v1::LinuxInfo::default().share_cgroups());
    assert_eq!(v1::CsiPluginInfo::default().name(), "default");
    // Closed proto2 enums without a 0 value default to their first listed value.
    assert_eq!(
        v1::ContainerInfo::default().r#type(),
        v1::container_info::Type::Docker
    );
    assert_eq!(
        v1::TaskStatus::default().state(),
        v1::TaskState::TaskStaging
    );
    assert_eq!(v1::Volume::default().mode(), v1::volume::Mode::Rw);
    assert_eq!(
        v1::network_info::IpAddress::default().protocol(),
        v1::network_info::Protocol::IPv4
    );
}

#[test]
fn fields_are_declared_in_field_number_order() {
    let pool = pool();
    let mut checked = 0;
    for message in pool.all_messages() {
        if message.is_map_entry() {
            continue;
        }
        let numbers: Vec<u32> = message.fields().map(|f| f.number()).collect();
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(
            numbers,
            sorted,
            "{} declares fields out of order",
            message.full_name()
        );
        checked += 1;
    }
    assert!(checked > 150, "only {checked} messages in the pool");
}

#[test]
fn maps_encode_in_key_order() {
    let mut limits = std::collections::BTreeMap::new();
    for name in ["mem", "cpus", "disk"] {
        limits.insert(name.to_owned(), v1::value::Scalar { value: 1.0 });
    }
    let task = v1::TaskInfo {
        limits,
        ..Default::default()
    };
    let bytes = task.encode_to_vec();
    let position = |key: &[u8]| {
        bytes
            .windows(key.len())
            .position(|w| w == key)
            .expect("key encoded")
    };
    assert!(position(b"cpus") < position(b"disk") && position(b"disk") < position(b"mem"));
}
