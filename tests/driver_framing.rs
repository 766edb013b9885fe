//! Framing and encoding: §5 cases 1-6 of the Mesos v1 HTTP API reference, and the driver's
//! on-demand full decoding of events, against a fake master.

mod fake_master;

use _satyr::driver::{self, calls, DriverError, DriverEvent, Encoding};
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
            let ev = e.into_event().unwrap();
            assert_eq!(ev.offers.unwrap().offers[0].hostname.len(), 8 << 20);
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
    match next_event(&rx).await {
        DriverEvent::Mesos(e) => {
            let status = e.into_event().unwrap().update.unwrap().status;
            assert_eq!(status.task_id.value, "t1");
            assert_eq!(status.state, m::TaskState::TaskRunning as i32);
            assert_eq!(status.uuid.unwrap().len(), 16);
        }
        other => panic!("{other:?}"),
    }
    let acks = fm.wait_calls(call::Type::Acknowledge, 1).await;
    let ack: serde_json::Value = serde_json::from_slice(&acks[0].body).unwrap();
    assert_eq!(ack["framework_id"]["value"], "fw-json");
    assert_eq!(ack["acknowledge"]["uuid"], "D4+tW9nLRp+hZXCGdyiVDg==");
    assert_eq!(ack["acknowledge"]["task_id"]["value"], "t1");
    // The offers of a JSON OFFERS event are held: they can be accepted.
    let offers = br#"{"type":"OFFERS","offers":{"offers":[{"id":{"value":"oj"},"framework_id":{"value":"fw-json"},"agent_id":{"value":"a1"},"hostname":"h1"}]}}"#;
    s.send_raw(driver::recordio::encode(offers));
    match next_event(&rx).await {
        DriverEvent::Mesos(e) => {
            assert_eq!(
                e.offer_ids().map(|o| &o.value[..]).collect::<Vec<_>>(),
                ["oj"]
            );
            let got = e.event().unwrap().offers.as_ref().unwrap();
            assert_eq!(got.offers[0].hostname, "h1");
        }
        other => panic!("{other:?}"),
    }
    // An ACCEPT kept encoded (the scheduler core's) goes out as JSON too, framework id added.
    let task = m::TaskInfo {
        name: "tj".into(),
        task_id: m::TaskId { value: "tj".into() },
        agent_id: m::AgentId { value: "a1".into() },
        command: Some(m::CommandInfo {
            value: Some("true".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let encoded = calls::launch(vec![m::OfferId { value: "oj".into() }], vec![task], None);
    let accept = driver::EncodedAccept::read(encoded.encode_to_vec()).unwrap();
    h.accept_encoded(accept).await.unwrap();
    let sent = fm.wait_calls(call::Type::Accept, 1).await;
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body["framework_id"]["value"], "fw-json");
    let infos = &body["accept"]["operations"][0]["launch"]["task_infos"];
    assert_eq!(infos[0]["task_id"]["value"], "tj");
    assert_eq!(infos[0]["command"]["value"], "true");
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn an_encoded_accept_goes_out_as_it_was_with_the_framework_id() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-enc", 15.0));
    s.send(&offers(vec![offer("o1", "a1"), offer("o2", "a1")]));
    next_event(&rx).await; // SUBSCRIBED
    next_event(&rx).await; // OFFERS
    let task = |id: &str| m::TaskInfo {
        name: id.into(),
        task_id: m::TaskId { value: id.into() },
        agent_id: m::AgentId { value: "a1".into() },
        data: Some(vec![0, 1, 2, 255]),
        command: Some(m::CommandInfo {
            value: Some("true".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut launch = calls::launch(
        vec![m::OfferId { value: "o1".into() }],
        vec![task("t1"), task("t2")],
        Some(calls::refuse_for(5.0)),
    );
    // A framework id the call carries is replaced by the subscription's.
    launch.framework_id = Some(m::FrameworkId {
        value: "someone-else".into(),
    });
    let accept = driver::EncodedAccept::read(launch.encode_to_vec()).unwrap();
    h.accept_encoded(accept).await.unwrap();
    let sent = fm.wait_calls(call::Type::Accept, 1).await;
    let got = m::scheduler::Call::decode(&sent[0].body[..]).unwrap();
    launch.framework_id = Some(m::FrameworkId {
        value: "fw-enc".into(),
    });
    assert_eq!(got, launch);
    // Its offer is used up: a second ACCEPT of it is refused locally, as for a decoded call.
    let again = calls::launch(vec![m::OfferId { value: "o1".into() }], vec![], None);
    let again = driver::EncodedAccept::read(again.encode_to_vec()).unwrap();
    assert!(matches!(
        h.accept_encoded(again).await,
        Err(DriverError::OfferNotHeld(id)) if id == "o1"
    ));
    // Other calls, and bytes that are not a call with an accept body, are not read as one.
    let decline = calls::decline(vec![m::OfferId { value: "o2".into() }], None);
    assert!(driver::EncodedAccept::read(decline.encode_to_vec()).is_err());
    let bare = m::scheduler::Call {
        r#type: Some(call::Type::Accept as i32),
        ..Default::default()
    };
    assert!(driver::EncodedAccept::read(bare.encode_to_vec()).is_err());
    assert!(driver::EncodedAccept::read(vec![0xff, 0xff, 0xff]).is_err());
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn offers_rescinds_and_updates_are_decoded_in_full_only_on_demand() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-lazy", 15.0));
    let sent = offers(vec![offer("o1", "a1"), offer("o2", "a2")]);
    s.send(&sent);
    s.send(&rescind("o1"));
    let upd = update("t1", "a1", m::TaskState::TaskRunning, Some([7; 16]));
    s.send(&upd);
    match next_event(&rx).await {
        // SUBSCRIBED's body is read by the driver, so it is decoded on receipt.
        DriverEvent::Subscribed(sub) => assert!(sub.event.is_decoded()),
        other => panic!("{other:?}"),
    }
    let DriverEvent::Mesos(e) = next_event(&rx).await else {
        panic!("expected OFFERS");
    };
    assert!(!e.is_decoded());
    let ids: Vec<&str> = e.offer_ids().map(|o| o.value.as_str()).collect();
    assert_eq!(ids, ["o1", "o2"]);
    assert_eq!(e.event().unwrap(), &sent);
    assert!(e.is_decoded());
    let DriverEvent::Mesos(e) = next_event(&rx).await else {
        panic!("expected RESCIND");
    };
    assert_eq!(e.event_type.as_str_name(), "RESCIND");
    assert!(!e.is_decoded());
    let DriverEvent::Mesos(e) = next_event(&rx).await else {
        panic!("expected UPDATE");
    };
    assert!(!e.is_decoded());
    assert_eq!(e.into_event().unwrap(), upd);
    // The driver's bookkeeping worked from its slim view: o1 was rescinded, o2 is held, and
    // the update was acknowledged.
    assert_eq!(
        h.call(calls::accept(
            vec![m::OfferId { value: "o1".into() }],
            vec![],
            None
        ))
        .await,
        Err(DriverError::OfferNotHeld("o1".into()))
    );
    h.call(calls::launch(
        vec![m::OfferId { value: "o2".into() }],
        vec![],
        None,
    ))
    .await
    .unwrap();
    let acks = fm.wait_calls(call::Type::Acknowledge, 1).await;
    let ack = acks[0].call.acknowledge.as_ref().unwrap();
    assert_eq!(
        (
            ack.task_id.value.as_str(),
            ack.agent_id.value.as_str(),
            &ack.uuid[..]
        ),
        ("t1", "a1", &[7; 16][..])
    );
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn a_malformed_field_the_driver_skips_errs_on_demand_and_the_stream_goes_on() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-bad", 15.0));
    // OFFERS plus a `subscribed` field (2) whose body is no protobuf message.
    let mut record = offers(vec![offer("o1", "a1")]).encode_to_vec();
    record.extend_from_slice(&[0x12, 0x02, 0xff, 0xff]);
    s.send_raw(driver::recordio::encode(&record));
    s.send(&offers(vec![offer("o2", "a1")]));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    match next_event(&rx).await {
        DriverEvent::Mesos(e) => {
            assert_eq!(&e.raw[..], &record[..]);
            match e.event() {
                Err(DriverError::Stream(msg)) => assert!(msg.contains("protobuf"), "{msg}"),
                other => panic!("{other:?}"),
            }
            // The same answer again, without decoding twice.
            assert!(e.is_decoded() && e.event().is_err());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(next_event(&rx).await.name(), "OFFERS");
    // Both offers are held: the subscription was not dropped.
    h.call(calls::launch(
        vec![
            m::OfferId { value: "o1".into() },
            m::OfferId { value: "o2".into() },
        ],
        vec![],
        None,
    ))
    .await
    .unwrap();
    h.stop(true).await.unwrap();
}
