//! Subscription, stream ids, leader following and fatal errors: §5 cases 8-11, 13, 14, 16, 17,
//! 19, plus authentication, refused connections and bad addresses, against a fake master.

mod fake_master;

use _satyr::driver::{self, calls, Credentials, DriverError, DriverEvent, DriverState};
use _satyr::proto::mesos::scheduler::call;
use fake_master::*;

#[tokio::test]
async fn case_08_10_stream_id_on_every_call_never_on_subscribe_and_fresh_subscribe() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    assert_eq!(s.request.header("mesos-stream-id"), None);
    assert_eq!(s.request.call.framework_id, None);
    let sub = s.request.call.subscribe.as_ref().unwrap();
    assert_eq!(sub.framework_info.id, None);
    s.send(&subscribed("fw-new", 15.0));
    match next_event(&rx).await {
        DriverEvent::Subscribed(sub) => {
            assert_eq!(sub.framework_id.value, "fw-new");
            assert!(!sub.reregistered);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.framework_id().unwrap().value, "fw-new");
    assert_eq!(h.state(), DriverState::Subscribed);
    h.call(calls::revive(vec![])).await.unwrap();
    h.call(calls::suppress(vec!["r".into()])).await.unwrap();
    let got = fm.calls();
    assert_eq!(got.len(), 2);
    for c in &got {
        assert_eq!(
            c.header("mesos-stream-id").as_deref(),
            Some(s.stream_id.as_str())
        );
        assert_eq!(c.call.framework_id.as_ref().unwrap().value, "fw-new");
    }
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_09_11_resubscribe_after_eof_with_same_id_and_new_stream_id() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s1 = fm.next_stream().await;
    s1.send(&subscribed("fw-11", 15.0));
    next_event(&rx).await;
    h.call(calls::revive(vec![])).await.unwrap();
    s1.close();
    assert!(matches!(
        next_event(&rx).await,
        DriverEvent::Disconnected(DriverError::StreamClosed)
    ));
    let s2 = fm.next_stream().await;
    // The fake master numbers its streams: the first was S1.
    assert_eq!(s2.stream_id, "S2");
    let c = &s2.request.call;
    assert_eq!(c.framework_id.as_ref().unwrap().value, "fw-11");
    assert_eq!(
        c.subscribe
            .as_ref()
            .unwrap()
            .framework_info
            .id
            .as_ref()
            .unwrap()
            .value,
        "fw-11"
    );
    assert_eq!(s2.request.header("mesos-stream-id"), None);
    // Calls while re-subscribing are refused locally.
    assert_eq!(
        h.call(calls::revive(vec![])).await,
        Err(DriverError::NotSubscribed)
    );
    s2.send(&subscribed("fw-11", 15.0));
    match next_event(&rx).await {
        DriverEvent::Subscribed(sub) => {
            assert!(sub.reregistered);
            assert_eq!(sub.framework_id.value, "fw-11");
        }
        other => panic!("{other:?}"),
    }
    h.call(calls::revive(vec![])).await.unwrap();
    let revives = fm.wait_calls(call::Type::Revive, 2).await;
    assert_eq!(revives[0].header("mesos-stream-id").as_deref(), Some("S1"));
    assert_eq!(
        revives[1].header("mesos-stream-id").as_deref(),
        Some(s2.stream_id.as_str())
    );
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_13_error_as_first_event_is_fatal_and_nothing_else_is_sent() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&error(
        "Roles { b } are not present in the master's --roles",
    ));
    s.close();
    let e = next_event(&rx).await;
    assert_eq!(e.name(), "ERROR");
    match next_event(&rx).await {
        DriverEvent::Stopped(Some(DriverError::Master(m))) => assert!(m.contains("--roles")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(h.join().await, Some(DriverError::Master(_))));
    assert_eq!(h.state(), DriverState::Stopped);
    assert_eq!(fm.requests().len(), 1);
    assert_eq!(
        h.call(calls::revive(vec![])).await,
        Err(DriverError::Stopped)
    );
}

#[tokio::test]
async fn case_14_framework_removed_or_failed_over_is_surfaced_not_resubscribed() {
    for message in ["Framework has been removed", "Framework failed over"] {
        let fm = FakeMaster::start().await;
        let (h, rx) = driver::start(config(&fm.url())).unwrap();
        let s = fm.next_stream().await;
        s.send(&subscribed("fw-14", 15.0));
        assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
        s.send(&error(message));
        s.close();
        assert_eq!(next_event(&rx).await.name(), "ERROR");
        match next_event(&rx).await {
            DriverEvent::Stopped(Some(DriverError::Master(m))) => assert_eq!(m, message),
            other => panic!("{other:?}"),
        }
        assert!(h.join().await.is_some());
        // The actor has ended: no SUBSCRIBE can follow.
        assert_eq!(fm.subscribes().len(), 1);
    }
}

#[tokio::test]
async fn case_16_calls_before_subscribed_are_rejected_locally() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    // Stream open, SUBSCRIBED not yet sent.
    assert_eq!(h.state(), DriverState::Subscribing);
    let accept = calls::accept(vec![], vec![], None);
    assert_eq!(
        h.call(accept.clone()).await,
        Err(DriverError::NotSubscribed)
    );
    assert_eq!(
        h.call_blocking_in_thread(accept).await,
        Err(DriverError::NotSubscribed)
    );
    s.send(&subscribed("fw-16", 15.0));
    next_event(&rx).await;
    // After a disconnect, too.
    s.close();
    assert_eq!(next_event(&rx).await.name(), "DISCONNECTED");
    assert_eq!(
        h.call(calls::kill(Default::default(), None, None)).await,
        Err(DriverError::NotSubscribed)
    );
    assert!(fm.calls().is_empty());
    h.stop(true).await.unwrap();
}

/// Blocking calls from a plain thread, as a Python caller would make them.
trait BlockingFromThread {
    async fn call_blocking_in_thread(
        &self,
        call: _satyr::proto::mesos::scheduler::Call,
    ) -> Result<(), DriverError>;
}

impl BlockingFromThread for driver::DriverHandle {
    async fn call_blocking_in_thread(
        &self,
        call: _satyr::proto::mesos::scheduler::Call,
    ) -> Result<(), DriverError> {
        let h = self.clone();
        tokio::task::spawn_blocking(move || h.call_blocking(call))
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn case_17_redirect_on_subscribe_is_followed_with_the_host_updated() {
    let f1 = FakeMaster::start().await;
    let f2 = FakeMaster::start().await;
    f1.script_subscribe(Reply::redirect(&format!("//{}/api/v1/scheduler", f2.addr)));
    let (h, rx) = driver::start(config(&f1.url())).unwrap();
    let s = f2.next_stream().await;
    assert_eq!(s.request.header("host"), Some(f2.addr.to_string()));
    assert_eq!(s.request.body, f1.subscribes()[0].body);
    s.send(&subscribed("fw-17", 15.0));
    match next_event(&rx).await {
        DriverEvent::Subscribed(sub) => assert_eq!(sub.master.port, f2.addr.port()),
        other => panic!("{other:?}"),
    }
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_18_redirect_on_a_call_moves_the_subscription() {
    let f1 = FakeMaster::start().await;
    let f2 = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&f1.url())).unwrap();
    let s1 = f1.next_stream().await;
    s1.send(&subscribed("fw-18", 15.0));
    s1.send(&offers(vec![offer("o1", "a1")]));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    assert_eq!(next_event(&rx).await.name(), "OFFERS");
    f1.script_call(Reply::redirect(&format!("//{}/api/v1/scheduler", f2.addr)));
    let accept = calls::launch(
        vec![_satyr::proto::mesos::OfferId { value: "o1".into() }],
        vec![],
        None,
    );
    assert!(matches!(
        h.call(accept).await,
        Err(DriverError::SubscriptionLost(_))
    ));
    s1.closed().await;
    let s2 = f2.next_stream().await;
    assert_eq!(
        s2.request.call.framework_id.as_ref().unwrap().value,
        "fw-18"
    );
    assert!(matches!(
        next_event(&rx).await,
        DriverEvent::Disconnected(DriverError::SubscriptionLost(_))
    ));
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn case_19_503_is_retried_quietly_until_subscribed() {
    let fm = FakeMaster::start().await;
    for _ in 0..3 {
        fm.script_subscribe(Reply::Status {
            code: 503,
            headers: vec![],
            body: "Master has not finished recovery".into(),
        });
    }
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-19", 15.0));
    // No error reaches the user: the first event is SUBSCRIBED.
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    assert_eq!(fm.subscribes().len(), 4);
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn unauthorized_is_fatal_and_not_retried() {
    let fm = FakeMaster::start().await;
    fm.script_subscribe(Reply::Status {
        code: 401,
        headers: vec![("WWW-Authenticate".into(), "Basic realm=\"mesos\"".into())],
        body: String::new(),
    });
    let mut cfg = config(&fm.url());
    cfg.credentials = Some(Credentials {
        principal: "principal".into(),
        secret: "wrong".into(),
    });
    let (h, rx) = driver::start(cfg).unwrap();
    match next_event(&rx).await {
        DriverEvent::Stopped(Some(DriverError::Unauthorized(_))) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(h.join().await, Some(DriverError::Unauthorized(_))));
    assert_eq!(fm.requests().len(), 1);
}

#[tokio::test]
async fn basic_auth_header_on_subscribe_and_calls() {
    let fm = FakeMaster::start().await;
    let mut cfg = config(&fm.url());
    cfg.credentials = Some(Credentials {
        principal: "principal".into(),
        secret: "secret".into(),
    });
    let (h, rx) = driver::start(cfg).unwrap();
    let s = fm.next_stream().await;
    // base64("principal:secret")
    let expected = "Basic cHJpbmNpcGFsOnNlY3JldA==";
    assert_eq!(s.request.header("authorization").as_deref(), Some(expected));
    let info = &s.request.call.subscribe.as_ref().unwrap().framework_info;
    assert_eq!(info.principal.as_deref(), Some("principal"));
    s.send(&subscribed("fw-auth", 15.0));
    next_event(&rx).await;
    h.call(calls::revive(vec![])).await.unwrap();
    assert_eq!(
        fm.calls()[0].header("authorization").as_deref(),
        Some(expected)
    );
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn refused_connection_is_retried_with_backoff_and_reported() {
    // A port with nothing listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (h, rx) = driver::start(config(&format!("127.0.0.1:{port}"))).unwrap();
    for _ in 0..3 {
        match next_event(&rx).await {
            DriverEvent::Disconnected(DriverError::Connect { endpoint, .. }) => {
                assert_eq!(endpoint, format!("127.0.0.1:{port}"));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(h.state(), DriverState::Disconnected);
    h.stop(true).await.unwrap();
    assert_eq!(h.join().await, None);
    assert!(matches!(
        event_named(&rx, "STOPPED").await,
        DriverEvent::Stopped(None)
    ));
}

#[tokio::test]
async fn a_list_of_masters_is_tried_in_turn() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&format!("127.0.0.1:{port},{}", fm.url()))).unwrap();
    assert!(matches!(
        next_event(&rx).await,
        DriverEvent::Disconnected(DriverError::Connect { .. })
    ));
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-list", 15.0));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    h.stop(true).await.unwrap();
}

#[test]
fn bad_addresses_and_framework_infos_fail_at_start() {
    for bad in [
        "zk://h1:2181/",
        "ftp://m:1",
        "m:0",
        "",
        "file:///nonexistent/master",
    ] {
        match driver::start(config(bad)) {
            Err(DriverError::MasterUrl { .. }) => {}
            Err(other) => panic!("{bad:?}: {other:?}"),
            Ok(_) => panic!("{bad:?} accepted"),
        }
    }
    let mut cfg = config("127.0.0.1:5050");
    cfg.framework_info.user.clear();
    assert!(matches!(
        driver::start(cfg),
        Err(DriverError::InvalidCall(_))
    ));
}

#[tokio::test]
async fn file_address_is_read_at_start() {
    let fm = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master");
    std::fs::write(&path, format!("  {}\n", fm.url())).unwrap();
    let (h, rx) = driver::start(config(&format!("file://{}", path.display()))).unwrap();
    fm.next_stream().await.send(&subscribed("fw-file", 15.0));
    assert_eq!(next_event(&rx).await.name(), "SUBSCRIBED");
    h.stop(true).await.unwrap();
}

#[tokio::test]
async fn stop_without_failover_sends_teardown_and_with_failover_does_not() {
    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-stop", 15.0));
    next_event(&rx).await;
    h.stop(false).await.unwrap();
    let td = fm.wait_calls(call::Type::Teardown, 1).await;
    assert_eq!(td[0].call.framework_id.as_ref().unwrap().value, "fw-stop");
    assert_eq!(
        td[0].header("mesos-stream-id").as_deref(),
        Some(s.stream_id.as_str())
    );
    assert_eq!(h.join().await, None);
    s.closed().await;
    assert!(matches!(
        event_named(&rx, "STOPPED").await,
        DriverEvent::Stopped(None)
    ));

    let fm = FakeMaster::start().await;
    let (h, rx) = driver::start(config(&fm.url())).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-stop", 15.0));
    next_event(&rx).await;
    let h2 = h.clone();
    tokio::task::spawn_blocking(move || h2.stop_blocking(true))
        .await
        .unwrap()
        .unwrap();
    s.closed().await;
    assert_eq!(h.join().await, None);
    assert!(fm.calls().is_empty());
    // A second stop is harmless.
    h.stop(false).await.unwrap();
}
