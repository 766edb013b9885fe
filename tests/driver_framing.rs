//! Framing and encoding: §5 cases 1-6 of the Mesos v1 HTTP API reference, against a fake master.

mod fake_master;

use _satyr::driver::{self, DriverError, DriverEvent, Encoding};
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::scheduler::call;
use fake_master::*;
use prost::Message;

#[tokio::test]
async fn case_01_recordio_split_across_chunks() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    for b in recordio_bytes(&subscribed("fw-1", 15.0)) {
        s.send_raw(vec![b]);
    }
    let mut three = recordio_bytes(&offers(vec![offer("o1", "a1")]));
    three.extend(recordio_bytes(&rescind("o1")));
    three.extend(recordio_bytes(&update(
        "t1",
        "a1",
        m::TaskState::TaskLost,
        None,
    )));
    s.send_raw(three);
    let names: Vec<&str> = [
        next_event(&rx).await,
        next_event(&rx).await,
        next_event(&rx).await,
        next_event(&rx).await,
    ]
    .iter()
    .map(|e| e.name())
    .collect();
    assert_eq!(names, ["SUBSCRIBED", "OFFERS", "RESCIND", "UPDATE"]);
    h.stop(true).await.unwrap();
}

fn recordio_bytes(ev: &_satyr::proto::mesos::scheduler::Event) -> Vec<u8> {
    driver::recordio::encode(&ev.encode_to_vec())
}

#[tokio::test]
async fn case_02_length_line_at_chunk_boundary() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    // SUBSCRIBED(framework_id "abc", heartbeat 15.0): the reference's 20-byte record.
    let record: &[u8] = &[
        0x08, 0x01, 0x12, 0x10, 0x0a, 0x05, 0x0a, 0x03, 0x61, 0x62, 0x63, 0x11, 0, 0, 0, 0, 0, 0,
        0x2e, 0x40,
    ];
    s.send_raw(&b"2"[..]);
    let mut rest = b"0\n".to_vec();
    rest.extend_from_slice(record);
    s.send_raw(rest);
    match next_event(&rx).await {
        DriverEvent::Subscribed(sub) => {
            assert_eq!(sub.framework_id.value, "abc");
            assert_eq!(&sub.event.raw[..], record);
        }
        other => panic!("{other:?}"),
    }
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_03_invalid_length_reports_and_resubscribes() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s1 = fm.next_stream().await;
    s1.send(&subscribed("fw-3", 15.0));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    s1.send_raw(&b"abc\n"[..]);
    match next_event(&rx).await {
        DriverEvent::Disconnected(DriverError::Stream(msg)) => {
            assert!(msg.contains("non-digit"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    s1.closed().await;
    let s2 = fm.next_stream().await;
    assert_eq!(s2.request.call.framework_id.as_ref().unwrap().value, "fw-3");
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn garbage_from_the_master_is_a_typed_error_then_resubscribe() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s1 = fm.next_stream().await;
    s1.send(&subscribed("fw-g", 15.0));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    // A valid length followed by bytes that are no protobuf Event.
    s1.send_raw(&b"5\n\xff\xff\xff\xff\xff"[..]);
    match next_event(&rx).await {
        DriverEvent::Disconnected(DriverError::Stream(msg)) => {
            assert!(msg.contains("protobuf"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    let s2 = fm.next_stream().await;
    // HTML where RecordIO should be.
    s2.send_raw(&b"<html>proxy error</html>"[..]);
    assert!(matches!(
        next_event(&rx).await,
        DriverEvent::Disconnected(DriverError::Stream(_))
    ));
    // A stream cut inside a record.
    let s3 = fm.next_stream().await;
    s3.send(&subscribed("fw-g", 15.0));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    s3.send_raw(&b"100\nshort"[..]);
    s3.close();
    assert!(matches!(
        next_event(&rx).await,
        DriverEvent::Disconnected(DriverError::Stream(_))
    ));
    fm.next_stream().await;
    h.stop(true).await.unwrap();
}

fn big_offers(bytes: usize) -> _satyr::proto::mesos::scheduler::Event {
    let mut o = offer("big", "a1");
    o.hostname = "h".repeat(bytes);
    offers(vec![o])
}

#[tokio::test]
async fn case_04_large_frame_decodes_and_a_smaller_limit_is_a_typed_error() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-4", 15.0));
    let big = big_offers(8 << 20);
    let wire = recordio_bytes(&big);
    // Proxies re-chunk: send it in 64 KiB pieces.
    for piece in wire.chunks(64 << 10) {
        s.send_raw(piece.to_vec());
    }
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    match next_event(&rx).await {
        DriverEvent::Mesos(e) => {
            assert_eq!(e.event.offers.unwrap().offers[0].hostname.len(), 8 << 20);
        }
        other => panic!("{other:?}"),
    }
    h.stop(true).await.unwrap();

    let fm = FakeMaster::start().await;
    let mut cfg = config(&fm.url());
    cfg.max_frame_bytes = 1 << 20;
    let (h, rx) = driver::start(cfg).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-4", 15.0));
    s.send_raw(recordio_bytes(&big_offers(2 << 20)));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    match next_event(&rx).await {
        DriverEvent::Disconnected(DriverError::FrameTooLarge { limit, size }) => {
            assert_eq!(limit, 1 << 20);
            assert!(size > 2 << 20);
        }
        other => panic!("{other:?}"),
    }
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_05_06_exact_content_type_and_accept() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    assert_eq!(
        s.request.headers["content-type"].as_bytes(),
        b"application/x-protobuf"
    );
    assert_eq!(
        s.request.headers["accept"].as_bytes(),
        b"application/x-protobuf"
    );
    assert_eq!(s.request.path, "/api/v1/scheduler");
    s.send(&subscribed("fw-5", 15.0));
    next_event(&rx).await;
    h.call(driver::calls::revive(vec![])).await.unwrap();
    let c = fm.wait_calls(call::Type::Revive, 1).await;
    assert_eq!(
        c[0].headers["content-type"].as_bytes(),
        b"application/x-protobuf"
    );
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn json_mode_uses_snake_case_and_exact_media_types() {
    let fm = FakeMaster::start().await;
    let mut cfg = config(&fm.url());
    cfg.encoding = Encoding::Json;
    let (h, rx) = driver::start(cfg).unwrap();
    let s = fm.next_stream().await;
    assert_eq!(
        s.request.headers["content-type"].as_bytes(),
        b"application/json"
    );
    assert_eq!(s.request.headers["accept"].as_bytes(), b"application/json");
    let body: serde_json::Value = serde_json::from_slice(&s.request.body).unwrap();
    assert_eq!(body["type"], "SUBSCRIBE");
    assert_eq!(
        body["subscribe"]["framework_info"]["failover_timeout"],
        3600.0
    );
    assert_eq!(body["subscribe"]["framework_info"]["user"], "tester");
    let rec = br#"{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"fw-json"},"heartbeat_interval_seconds":15.0}}"#;
    s.send_raw(driver::recordio::encode(rec));
    match next_event(&rx).await {
        DriverEvent::Subscribed(sub) => assert_eq!(sub.framework_id.value, "fw-json"),
        other => panic!("{other:?}"),
    }
    let upd = br#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t1"},"state":"TASK_RUNNING","agent_id":{"value":"a1"},"uuid":"D4+tW9nLRp+hZXCGdyiVDg=="}}}"#;
    s.send_raw(driver::recordio::encode(upd));
    assert_eq!(next_event(&rx).await.name(), "UPDATE");
    let acks = fm.wait_calls(call::Type::Acknowledge, 1).await;
    let ack: serde_json::Value = serde_json::from_slice(&acks[0].body).unwrap();
    assert_eq!(ack["framework_id"]["value"], "fw-json");
    assert_eq!(ack["acknowledge"]["uuid"], "D4+tW9nLRp+hZXCGdyiVDg==");
    assert_eq!(ack["acknowledge"]["task_id"]["value"], "t1");
    h.stop(true).await.unwrap();
}
