//! Liveness, acknowledgements and offer bookkeeping: §5 cases 22-25 and 28, against a fake
//! master.

mod fake_master;

use std::time::Duration;

use _satyr::driver::{self, calls, DriverError, DriverEvent};
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::scheduler::call;
use fake_master::*;
use prost::Message;

const U1: [u8; 16] = [
    0x0f, 0x8f, 0xad, 0x5b, 0xd9, 0xcb, 0x46, 0x9f, 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e,
];
const U2: [u8; 16] = [
    0x1b, 0x4e, 0x28, 0xba, 0x2f, 0xa1, 0x41, 0xd2, 0x88, 0x3f, 0x0e, 0x7f, 0x3a, 0x0b, 0x6c, 0x1d,
];

fn oid(s: &str) -> m::OfferId {
    m::OfferId { value: s.into() }
}

#[tokio::test]
async fn case_22_heartbeat_timeout_resubscribes() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s1 = fm.next_stream().await;
    // 0.1 s interval: the driver gives up after 5 x 0.1 s of silence.
    s1.send(&subscribed("fw-22", 0.1));
    s1.send(&heartbeat());
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    match next_event(&rx).await {
        DriverEvent::Disconnected(DriverError::HeartbeatTimeout(window)) => {
            assert_eq!(window, Duration::from_millis(500));
        }
        other => panic!("{other:?}"),
    }
    // The silent connection is closed (TCP stayed open on our side) and a new SUBSCRIBE comes.
    s1.closed().await;
    let s2 = fm.next_stream().await;
    assert_eq!(
        s2.request.call.framework_id.as_ref().unwrap().value,
        "fw-22"
    );
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_23_heartbeats_are_silent_and_keep_the_stream_alive() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-23", 0.1));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    // Ten heartbeats 0.1 s apart span 1 s, twice the 0.5 s window: each must reset it.
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for _ in 0..10 {
        tick.tick().await;
        s.send(&heartbeat());
    }
    s.send(&offers(vec![offer("marker", "a1")]));
    assert_eq!(next_event(&rx).await.name(), "OFFERS");
    assert_eq!(fm.subscribes().len(), 1);
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn heartbeats_can_be_delivered_when_asked_for() {
    let fm = FakeMaster::start().await;
    let mut cfg = config(&fm.url());
    cfg.deliver_heartbeats = true;
    let (h, rx) = driver::start(cfg).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-hb", 15.0));
    s.send(&heartbeat());
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    assert_eq!(next_event(&rx).await.name(), "HEARTBEAT");
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_24_implicit_ack_iff_uuid_in_order() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-24", 15.0));
    s.send(&update("t1", "a1", m::TaskState::TaskRunning, Some(U1)));
    s.send(&update("t2", "a2", m::TaskState::TaskLost, None));
    s.send(&update("t1", "a1", m::TaskState::TaskFinished, Some(U2)));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    for _ in 0..3 {
        assert_eq!(next_event(&rx).await.name(), "UPDATE");
    }
    // A marker call: calls go out in order, so every ACK is in before its 202.
    h.call(calls::revive(vec![])).await.unwrap();
    let acks: Vec<_> = fm
        .calls()
        .into_iter()
        .filter(|c| c.call_type() == call::Type::Acknowledge)
        .map(|c| c.call.acknowledge.unwrap())
        .collect();
    assert_eq!(acks.len(), 2, "{acks:?}");
    assert_eq!(
        (
            acks[0].agent_id.value.as_str(),
            acks[0].task_id.value.as_str(),
            &acks[0].uuid[..]
        ),
        ("a1", "t1", &U1[..])
    );
    assert_eq!(
        (
            acks[1].agent_id.value.as_str(),
            acks[1].task_id.value.as_str(),
            &acks[1].uuid[..]
        ),
        ("a1", "t1", &U2[..])
    );
    let first = &fm.calls()[0];
    assert_eq!(first.call.framework_id.as_ref().unwrap().value, "fw-24");
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_25_explicit_ack_mode() {
    let fm = FakeMaster::start().await;
    let mut cfg = config(&fm.url());
    cfg.implicit_acknowledgements = false;
    let (h, rx) = driver::start(cfg).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-25", 15.0));
    s.send(&update("t1", "a1", m::TaskState::TaskRunning, Some(U1)));
    s.send(&update("t2", "a2", m::TaskState::TaskLost, None));
    next_event(&rx).await;
    let with_uuid = match next_event(&rx).await {
        DriverEvent::Mesos(e) => e.into_event().unwrap().update.unwrap().status,
        other => panic!("{other:?}"),
    };
    let without_uuid = match next_event(&rx).await {
        DriverEvent::Mesos(e) => e.into_event().unwrap().update.unwrap().status,
        other => panic!("{other:?}"),
    };
    h.call(calls::revive(vec![])).await.unwrap();
    assert!(fm
        .calls()
        .iter()
        .all(|c| c.call_type() != call::Type::Acknowledge));
    // No uuid: refused locally, nothing on the wire.
    assert_eq!(
        h.acknowledge(&without_uuid).await,
        Err(DriverError::NoUuid("t2".into()))
    );
    h.acknowledge(&with_uuid).await.unwrap();
    h.call(calls::revive(vec![])).await.unwrap();
    let acks: Vec<_> = fm
        .calls()
        .into_iter()
        .filter(|c| c.call_type() == call::Type::Acknowledge)
        .collect();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].call.acknowledge.as_ref().unwrap().uuid, U1.to_vec());
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_28_offers_are_forgotten_on_resubscribe() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s1 = fm.next_stream().await;
    s1.send(&subscribed("fw-28", 15.0));
    s1.send(&offers(vec![
        offer("o1", "a1"),
        offer("o2", "a1"),
        offer("o3", "a1"),
    ]));
    s1.send(&rescind("o2"));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    assert_eq!(next_event(&rx).await.name(), "OFFERS");
    assert_eq!(next_event(&rx).await.name(), "RESCIND");
    // A rescinded offer is not held.
    assert_eq!(
        h.call(calls::accept(vec![oid("o2")], vec![], None)).await,
        Err(DriverError::OfferNotHeld("o2".into()))
    );
    // A used offer is not held any more.
    h.call(calls::launch(vec![oid("o3")], vec![], None))
        .await
        .unwrap();
    assert_eq!(
        h.call(calls::launch(vec![oid("o3")], vec![], None)).await,
        Err(DriverError::OfferNotHeld("o3".into()))
    );
    s1.close();
    assert_eq!(next_event(&rx).await.name(), "DISCONNECTED");
    let s2 = fm.next_stream().await;
    s2.send(&subscribed("fw-28", 15.0));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    assert_eq!(
        h.call(calls::launch(vec![oid("o1")], vec![], None)).await,
        Err(DriverError::OfferNotHeld("o1".into()))
    );
    // Declining a forgotten offer is a no-op, not an error and not a call.
    h.call(calls::decline(vec![oid("o1")], None)).await.unwrap();
    let accepts: Vec<_> = fm
        .calls()
        .into_iter()
        .filter(|c| matches!(c.call_type(), call::Type::Accept | call::Type::Decline))
        .collect();
    assert_eq!(accepts.len(), 1);
    assert_eq!(
        accepts[0].call.accept.as_ref().unwrap().offer_ids,
        vec![oid("o3")]
    );
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn every_call_reaches_the_master_intact() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-all", 15.0));
    s.send(&offers(vec![offer("o1", "a1"), offer("o2", "a1")]));
    next_event(&rx).await;
    next_event(&rx).await;
    let task = m::TaskInfo {
        name: "t".into(),
        task_id: m::TaskId { value: "t".into() },
        agent_id: m::AgentId { value: "a1".into() },
        ..Default::default()
    };
    let sent = vec![
        calls::launch_group(
            vec![oid("o1")],
            m::ExecutorInfo::default(),
            vec![task],
            None,
        ),
        calls::decline(vec![oid("o2")], Some(calls::refuse_for(3600.0))),
        calls::kill(m::TaskId { value: "t".into() }, None, None),
        calls::reconcile(vec![(m::TaskId { value: "t".into() }, None)]),
        calls::reconcile(vec![]),
        calls::revive(vec!["a".into()]),
        calls::suppress(vec!["b".into()]),
        calls::message(
            m::AgentId::default(),
            m::ExecutorId::default(),
            b"hi".to_vec(),
        ),
        calls::request(vec![]),
        calls::shutdown(m::ExecutorId::default(), m::AgentId::default()),
        calls::accept_inverse_offers(vec![oid("i1")], None),
        calls::decline_inverse_offers(vec![oid("i1")], None),
    ];
    for c in &sent {
        h.call(c.clone()).await.unwrap();
    }
    let got = fm.calls();
    assert_eq!(got.len(), sent.len());
    for (mut want, got) in sent.into_iter().zip(got) {
        want.framework_id = Some(m::FrameworkId {
            value: "fw-all".into(),
        });
        assert_eq!(got.call, want);
    }
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn http_errors_on_calls_are_typed_and_do_not_drop_the_subscription() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-err", 15.0));
    next_event(&rx).await;
    fm.script_call(Reply::Status {
        code: 400,
        headers: vec![],
        body: "Failed to validate scheduler::Call: bad".into(),
    });
    match h.call(calls::revive(vec![])).await {
        Err(DriverError::Http { status: 400, body }) => assert!(body.contains("validate")),
        other => panic!("{other:?}"),
    }
    // A 403 means the subscription is gone: the driver resubscribes.
    fm.script_call(Reply::Status {
        code: 403,
        headers: vec![],
        body: "Framework is not subscribed".into(),
    });
    assert!(matches!(
        h.call(calls::revive(vec![])).await,
        Err(DriverError::SubscriptionLost(_))
    ));
    s.closed().await;
    fm.next_stream().await;
    h.stop(true).await.unwrap();
}

#[test]
fn blocking_receive_in_batches() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fm = rt.block_on(FakeMaster::start());
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = rt.block_on(fm.next_stream());
    s.send(&subscribed("fw-batch", 15.0));
    for i in 0..5 {
        s.send(&offers(vec![offer(&format!("o{i}"), "a1")]));
    }
    let mut names = vec![];
    while names.len() < 6 {
        let batch = rx.recv_batch(100, WAIT).unwrap();
        names.extend(batch.iter().map(|e| e.name()));
        for e in &batch {
            // Every Mesos event carries its protobuf bytes for the Python side.
            assert!(e.raw().is_some_and(|b| !b.is_empty()));
        }
    }
    assert_eq!(names[0], "SUBSCRIBED");
    assert!(names[1..].iter().all(|n| *n == "OFFERS"));
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(20)).unwrap_err(),
        driver::RecvError::Timeout
    );
    h.stop_blocking(true).unwrap();
    assert_eq!(h.join_blocking(Some(WAIT)).unwrap(), None);
    assert_eq!(rx.recv_timeout(WAIT).unwrap().name(), "STOPPED");
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap_err(),
        driver::RecvError::Closed
    );
}

#[test]
fn the_events_of_one_read_are_received_in_one_batch() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fm = rt.block_on(FakeMaster::start());
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = rt.block_on(fm.next_stream());
    s.send(&subscribed("fw-one-read", 15.0));
    assert_eq!(rx.recv_timeout(WAIT).unwrap().name(), "SUBSCRIBED");
    // Twelve updates in one chunk: one read of the stream.
    let mut chunk = Vec::new();
    for i in 0..12 {
        let upd = update(&format!("t{i}"), "a1", m::TaskState::TaskFinished, None);
        chunk.extend_from_slice(&driver::recordio::encode(&upd.encode_to_vec()));
    }
    s.send_raw(chunk);
    // Waiting for the first, the receiver wakes once they are all queued, not before.
    let batch = rx.recv_batch(100, WAIT).unwrap();
    assert_eq!(
        batch.len(),
        12,
        "{:?}",
        batch.iter().map(|e| e.name()).collect::<Vec<_>>()
    );
    assert!(batch.iter().all(|e| e.name() == "UPDATE"));
    h.stop_blocking(true).unwrap();
}

#[test]
fn paced_the_events_of_every_chunk_at_hand_are_received_in_one_batch() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fm = rt.block_on(FakeMaster::start());
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = rt.block_on(fm.next_stream());
    s.send(&subscribed("fw-paced", 15.0));
    assert_eq!(rx.recv_timeout(WAIT).unwrap().name(), "SUBSCRIBED");
    h.set_pace(Duration::from_millis(300)).unwrap();
    // After this one is read, the reader waits out the pace...
    s.send(&update("t0", "a1", m::TaskState::TaskRunning, None));
    assert_eq!(rx.recv_batch(100, WAIT).unwrap().len(), 1);
    // ...while these come, each in a chunk of its own (as the master sends them).
    for i in 1..=8 {
        s.send(&update(
            &format!("t{i}"),
            "a1",
            m::TaskState::TaskFinished,
            None,
        ));
    }
    let batch = rx.recv_batch(100, WAIT).unwrap();
    let ids: Vec<String> = batch
        .iter()
        .map(|e| {
            let DriverEvent::Mesos(e) = e else {
                panic!("expected UPDATEs, got {}", e.name())
            };
            e.event()
                .unwrap()
                .update
                .as_ref()
                .unwrap()
                .status
                .task_id
                .value
                .clone()
        })
        .collect();
    assert_eq!(ids, (1..=8).map(|i| format!("t{i}")).collect::<Vec<_>>());
    h.stop_blocking(true).unwrap();
}
