//! The executor driver against a scripted fake agent: conformance cases 37-44 of the reference
//! (§5) that need an agent, plus LAUNCH/KILL/ERROR handling and the shutdown guard.

mod executor_fake_agent;

use std::time::{Duration, Instant};

use _satyr::executor::{
    self, calls, EventReceiver, ExecutorConfig, ExecutorEvent, ExecutorHandle, GuardMode,
    ShutdownReason,
};
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::executor::{call, event, Event};
use executor_fake_agent::{FakeAgent, WAIT};
use prost::Message;

fn start(agent: &FakeAgent, extra: &[(&str, &str)]) -> (ExecutorHandle, EventReceiver) {
    let mut cfg = ExecutorConfig::new(agent.env(extra));
    cfg.guard = GuardMode::Disabled;
    cfg.handle_sigterm = false;
    executor::start(cfg).unwrap()
}

/// The next event other than ACKNOWLEDGED (which tests check through the agent's side).
fn next(rx: &EventReceiver) -> ExecutorEvent {
    loop {
        let ev = tokio::task::block_in_place(|| rx.recv_timeout(WAIT))
            .expect("no executor event in time");
        if !matches!(ev, ExecutorEvent::Acknowledged { .. }) {
            return ev;
        }
    }
}

fn next_any(rx: &EventReceiver) -> ExecutorEvent {
    tokio::task::block_in_place(|| rx.recv_timeout(WAIT)).expect("no executor event in time")
}

fn status(task: &str, state: m::TaskState) -> m::TaskStatus {
    m::TaskStatus {
        task_id: m::TaskId { value: task.into() },
        state: state as i32,
        ..Default::default()
    }
}

fn stop(h: &ExecutorHandle) {
    tokio::task::block_in_place(|| h.stop_blocking(Duration::from_secs(5)));
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribes_with_protobuf_and_delivers_events_in_order() {
    let agent = FakeAgent::start().await;
    let (h, rx) = start(&agent, &[]);
    let s = agent.next_stream().await;
    assert_eq!(
        s.request.content_type.as_deref(),
        Some("application/x-protobuf")
    );
    assert_eq!(s.request.accept.as_deref(), Some("application/x-protobuf"));
    assert_eq!(s.request.call.executor_id.value, "e1");
    assert_eq!(s.request.call.framework_id.value, "fw");
    let sub = s.request.call.subscribe.as_ref().unwrap();
    assert!(sub.unacknowledged_tasks.is_empty() && sub.unacknowledged_updates.is_empty());
    s.subscribed();
    match next(&rx) {
        ExecutorEvent::Subscribed { reregistered, info } => {
            assert!(!reregistered);
            assert_eq!(info.executor_info.executor_id.value, "e1");
        }
        other => panic!("{other:?}"),
    }
    assert!(h.is_subscribed());
    s.launch("t1");
    s.send(&Event {
        r#type: Some(event::Type::LaunchGroup as i32),
        launch_group: Some(event::LaunchGroup {
            task_group: m::TaskGroupInfo {
                tasks: vec![
                    executor_fake_agent::task("g1"),
                    executor_fake_agent::task("g2"),
                ],
            },
        }),
        ..Default::default()
    });
    s.send(&Event {
        r#type: Some(event::Type::Kill as i32),
        kill: Some(event::Kill {
            task_id: m::TaskId { value: "t1".into() },
            kill_policy: Some(m::KillPolicy {
                grace_period: Some(m::DurationInfo {
                    nanoseconds: 2_000_000_000,
                }),
            }),
        }),
        ..Default::default()
    });
    s.send(&Event {
        r#type: Some(event::Type::Heartbeat as i32),
        ..Default::default()
    });
    s.send(&Event {
        r#type: Some(event::Type::Message as i32),
        message: Some(event::Message {
            data: b"hi".to_vec(),
        }),
        ..Default::default()
    });
    match next(&rx) {
        ExecutorEvent::Launch(t) => {
            assert_eq!(t.task_id.value, "t1");
            assert_eq!(t.data.as_deref(), Some(&b"payload of t1"[..]));
        }
        other => panic!("{other:?}"),
    }
    match next(&rx) {
        ExecutorEvent::LaunchGroup(g) => assert_eq!(g.tasks.len(), 2),
        other => panic!("{other:?}"),
    }
    match next(&rx) {
        ExecutorEvent::Kill {
            task_id,
            kill_policy,
        } => {
            assert_eq!(task_id.value, "t1");
            assert_eq!(
                kill_policy.unwrap().grace_period.unwrap().nanoseconds,
                2_000_000_000
            );
        }
        other => panic!("{other:?}"),
    }
    // HEARTBEAT is not surfaced; the scheduler's MESSAGE arrives with exactly its bytes.
    match next(&rx) {
        ExecutorEvent::Message(data) => assert_eq!(data, b"hi"),
        other => panic!("{other:?}"),
    }
    stop(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn case_44_updates_are_buffered_until_subscribed() {
    let agent = FakeAgent::start().await;
    let (h, rx) = start(&agent, &[]);
    let s = agent.next_stream().await;
    // SUBSCRIBE is out, SUBSCRIBED has not arrived: the update must wait (the agent says 403).
    let uuid = h.update(status("t1", m::TaskState::TaskRunning)).unwrap();
    assert_eq!(h.pending_updates_eventually(1), 1);
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    let updates = agent.wait_calls(call::Type::Update, 1).await;
    assert_eq!(updates[0].answered, 202);
    assert_eq!(
        updates[0]
            .call
            .update
            .as_ref()
            .unwrap()
            .status
            .uuid
            .as_deref(),
        Some(&uuid[..])
    );
    assert!(
        agent.requests().iter().all(|r| r.answered != 403),
        "{:?}",
        executor_fake_agent::kinds(&agent.requests())
    );
    stop(&h);
}

/// Waits (bounded) until the driver has taken the command.
trait Pending {
    fn pending_updates_eventually(&self, n: usize) -> usize;
}

impl Pending for ExecutorHandle {
    fn pending_updates_eventually(&self, n: usize) -> usize {
        let deadline = Instant::now() + WAIT;
        while self.pending_updates() != n && Instant::now() < deadline {
            std::thread::yield_now();
        }
        self.pending_updates()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn case_38_updates_carry_v4_uuid_source_and_executor_id() {
    let agent = FakeAgent::start().await;
    agent.auto_ack(true);
    let (h, rx) = start(&agent, &[]);
    let s = agent.next_stream().await;
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    s.launch("t1");
    assert!(matches!(next(&rx), ExecutorEvent::Launch(_)));
    for state in [
        m::TaskState::TaskStarting,
        m::TaskState::TaskRunning,
        m::TaskState::TaskFinished,
    ] {
        h.update(status("t1", state)).unwrap();
    }
    // STAGING and a text uuid are refused locally (the agent would answer 400).
    assert!(h.update(status("t1", m::TaskState::TaskStaging)).is_err());
    let mut text = status("t1", m::TaskState::TaskRunning);
    text.uuid = Some(b"0f8fad5b-d9cb-469f-a165-70867728950e".to_vec());
    assert!(h.update(text).is_err());
    let updates = agent.wait_calls(call::Type::Update, 3).await;
    let mut seen = std::collections::HashSet::new();
    for u in &updates {
        let st = &u.call.update.as_ref().unwrap().status;
        let uuid = st.uuid.as_deref().unwrap();
        assert!(calls::is_valid_uuid(uuid) && uuid[6] >> 4 == 4);
        assert!(seen.insert(uuid.to_vec()), "uuids must be unique");
        assert_eq!(st.source, Some(m::task_status::Source::Executor as i32));
        assert_eq!(
            st.executor_id.as_ref().unwrap().value,
            u.call.executor_id.value
        );
        assert_ne!(st.state, m::TaskState::TaskStaging as i32);
        assert_eq!(u.answered, 202);
    }
    let states: Vec<i32> = updates
        .iter()
        .map(|u| u.call.update.as_ref().unwrap().status.state)
        .collect();
    assert_eq!(
        states,
        [
            m::TaskState::TaskStarting as i32,
            m::TaskState::TaskRunning as i32,
            m::TaskState::TaskFinished as i32
        ]
    );
    assert_eq!(agent.of_kind(call::Type::Update).len(), 3);
    stop(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn case_39_resubscribe_carries_exactly_the_unacknowledged() {
    let agent = FakeAgent::start().await;
    let (h, rx) = start(
        &agent,
        &[
            ("MESOS_CHECKPOINT", "1"),
            ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "100ms"),
        ],
    );
    let s = agent.next_stream().await;
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    for t in ["t1", "t2", "t3"] {
        s.launch(t);
        assert!(matches!(next(&rx), ExecutorEvent::Launch(_)));
    }
    for t in ["t1", "t2", "t3"] {
        h.update(status(t, m::TaskState::TaskRunning)).unwrap();
    }
    let sent = agent.wait_calls(call::Type::Update, 3).await;
    let statuses: Vec<m::TaskStatus> = sent
        .iter()
        .map(|r| r.call.update.clone().unwrap().status)
        .collect();
    s.acknowledge(&statuses[0]);
    s.acknowledge(&statuses[1]);
    for _ in 0..2 {
        assert!(matches!(next_any(&rx), ExecutorEvent::Acknowledged { .. }));
    }
    assert_eq!(h.pending_updates(), 1);
    s.close();
    assert!(matches!(next(&rx), ExecutorEvent::Disconnected(_)));
    let again = agent.next_stream().await;
    let sub = again.request.call.subscribe.clone().unwrap();
    assert_eq!(sub.unacknowledged_updates.len(), 1);
    let unacked = &sub.unacknowledged_updates[0].status;
    assert_eq!(
        unacked.encode_to_vec(),
        statuses[2].encode_to_vec(),
        "byte-identical status"
    );
    let tasks: Vec<&str> = sub
        .unacknowledged_tasks
        .iter()
        .map(|t| t.task_id.value.as_str())
        .collect();
    assert_eq!(tasks, ["t3"]);
    assert_eq!(sub.unacknowledged_tasks[0], executor_fake_agent::task("t3"));
    again.subscribed();
    match next(&rx) {
        ExecutorEvent::Subscribed { reregistered, .. } => assert!(reregistered),
        other => panic!("{other:?}"),
    }
    // The re-sent update rode the SUBSCRIBE: it is not POSTed again.
    again.acknowledge(unacked);
    assert!(matches!(next_any(&rx), ExecutorEvent::Acknowledged { .. }));
    assert_eq!(agent.of_kind(call::Type::Update).len(), 3);
    stop(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn case_40_reconnects_within_backoff_max_then_gives_up_at_recovery_timeout() {
    let agent = FakeAgent::start().await;
    let (h, rx) = start(
        &agent,
        &[
            ("MESOS_CHECKPOINT", "1"),
            ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "200ms"),
            ("MESOS_RECOVERY_TIMEOUT", "1500ms"),
        ],
    );
    let s = agent.next_stream().await;
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    // The agent is recovering: every SUBSCRIBE gets 503 from now on.
    agent.script_subscribe(&[503; 1000]);
    let closed_at = Instant::now();
    s.close();
    assert!(matches!(next(&rx), ExecutorEvent::Disconnected(_)));
    match next(&rx) {
        ExecutorEvent::Shutdown(ShutdownReason::RecoveryTimeout) => {}
        other => panic!("{other:?}"),
    }
    let waited = closed_at.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "gave up after {waited:?}"
    );
    let attempts: Vec<Instant> = agent
        .of_kind(call::Type::Subscribe)
        .iter()
        .skip(1)
        .map(|r| r.at)
        .collect();
    assert!(
        attempts.len() >= 5,
        "only {} reconnection attempts",
        attempts.len()
    );
    let first_gap = attempts[0] - closed_at;
    assert!(
        first_gap <= Duration::from_millis(200 + 400),
        "{first_gap:?}"
    );
    for pair in attempts.windows(2) {
        let gap = pair[1] - pair[0];
        // Backoff at most 200 ms, plus the request's own time on a busy machine.
        assert!(gap <= Duration::from_millis(200 + 400), "gap {gap:?}");
    }
    stop(&h);
    let count = agent.of_kind(call::Type::Subscribe).len();
    assert_eq!(count, attempts.len() + 1, "no attempt after giving up");
}

#[tokio::test(flavor = "multi_thread")]
async fn case_40_checkpoint_off_one_close_means_shutdown_without_retry() {
    let agent = FakeAgent::start().await;
    let (h, rx) = start(&agent, &[("MESOS_CHECKPOINT", "0")]);
    let s = agent.next_stream().await;
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    s.close();
    match next(&rx) {
        ExecutorEvent::Shutdown(ShutdownReason::Disconnected(_)) => {}
        other => panic!("{other:?}"),
    }
    assert!(h.is_shutting_down());
    stop(&h);
    assert_eq!(agent.of_kind(call::Type::Subscribe).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn agent_error_event_leads_to_resubscription_with_checkpointing() {
    let agent = FakeAgent::start().await;
    let (h, rx) = start(
        &agent,
        &[
            ("MESOS_CHECKPOINT", "1"),
            ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "50ms"),
        ],
    );
    let s = agent.next_stream().await;
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    s.send(&Event {
        r#type: Some(event::Type::Error as i32),
        error: Some(event::Error {
            message: "boom".into(),
        }),
        ..Default::default()
    });
    match next(&rx) {
        ExecutorEvent::Error(msg) => assert_eq!(msg, "boom"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(&rx), ExecutorEvent::Disconnected(_)));
    let again = agent.next_stream().await;
    again.subscribed();
    assert!(matches!(
        next(&rx),
        ExecutorEvent::Subscribed {
            reregistered: true,
            ..
        }
    ));
    stop(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn first_subscribe_retries_503_and_a_refusal_shuts_down() {
    let agent = FakeAgent::start().await;
    agent.script_subscribe(&[503, 503]);
    let (h, rx) = start(&agent, &[("MESOS_SUBSCRIPTION_BACKOFF_MAX", "50ms")]);
    let s = agent.next_stream().await;
    let subscribes = agent.wait_calls(call::Type::Subscribe, 3).await;
    assert_eq!(
        subscribes.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [503, 503, 200]
    );
    s.subscribed();
    assert!(matches!(
        next(&rx),
        ExecutorEvent::Subscribed {
            reregistered: false,
            ..
        }
    ));
    stop(&h);

    let agent = FakeAgent::start().await;
    agent.script_subscribe(&[400]);
    let (h, rx) = start(&agent, &[]);
    assert!(matches!(next(&rx), ExecutorEvent::Error(_)));
    match next(&rx) {
        ExecutorEvent::Shutdown(ShutdownReason::Refused(e)) => {
            assert!(e.to_string().contains("400"))
        }
        other => panic!("{other:?}"),
    }
    stop(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn case_41_shutdown_then_stop_waits_for_the_killed_updates() {
    let agent = FakeAgent::start().await;
    agent.auto_ack(true);
    let (h, rx) = start(&agent, &[("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "3secs")]);
    let s = agent.next_stream().await;
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    for t in ["t1", "t2"] {
        s.launch(t);
        assert!(matches!(next(&rx), ExecutorEvent::Launch(_)));
    }
    s.shutdown();
    match next(&rx) {
        ExecutorEvent::Shutdown(ShutdownReason::Agent) => {}
        other => panic!("{other:?}"),
    }
    for t in ["t1", "t2"] {
        h.update(status(t, m::TaskState::TaskKilled)).unwrap();
    }
    let began = Instant::now();
    stop(&h);
    assert!(began.elapsed() < Duration::from_secs(3));
    let killed: Vec<String> = agent
        .of_kind(call::Type::Update)
        .iter()
        .map(|u| u.call.update.as_ref().unwrap().status.clone())
        .filter(|st| st.state == m::TaskState::TaskKilled as i32)
        .map(|st| st.task_id.value)
        .collect();
    assert_eq!(killed, ["t1", "t2"]);
    assert_eq!(h.pending_updates(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn case_42_message_goes_out_as_field_2() {
    let agent = FakeAgent::start().await;
    let (h, rx) = start(&agent, &[]);
    let s = agent.next_stream().await;
    h.message(b"hi".to_vec()).unwrap(); // before SUBSCRIBED: held, then sent
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    let msgs = agent.wait_calls(call::Type::Message, 1).await;
    assert_eq!(msgs[0].answered, 202);
    assert!(
        msgs[0]
            .body
            .ends_with(&[0x32, 0x04, 0x12, 0x02, 0x68, 0x69]),
        "{:02x?}",
        &msgs[0].body[..]
    );
    assert_eq!(msgs[0].call.message.as_ref().unwrap().data, b"hi");
    stop(&h);
}

#[tokio::test(flavor = "multi_thread")]
async fn case_43_large_status_data_is_sent_byte_identical() {
    let agent = FakeAgent::start().await;
    let (h, rx) = start(&agent, &[]);
    let s = agent.next_stream().await;
    s.subscribed();
    assert!(matches!(next(&rx), ExecutorEvent::Subscribed { .. }));
    let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let mut st = status("t1", m::TaskState::TaskRunning);
    st.data = Some(data.clone());
    h.update(st).unwrap();
    let got = agent.wait_calls(call::Type::Update, 1).await;
    assert_eq!(
        got[0].call.update.as_ref().unwrap().status.data.as_deref(),
        Some(&data[..])
    );
    stop(&h);
}

/// The executor half of `case_41_guard_kills_a_hanging_executor`: does nothing unless that test
/// started this binary as its child. It runs the driver with the real guard and then "hangs"
/// (ignores SHUTDOWN), as stuck user code would.
#[test]
fn guard_child_process() {
    let Ok(addr) = std::env::var("SATYR_GUARD_TEST_AGENT") else {
        return;
    };
    let env = executor::ExecutorEnv::from_vars([
        ("MESOS_FRAMEWORK_ID", "fw"),
        ("MESOS_EXECUTOR_ID", "e1"),
        ("MESOS_AGENT_ENDPOINT", addr.as_str()),
        ("MESOS_CHECKPOINT", "0"),
        ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "700ms"),
    ])
    .unwrap();
    let mut cfg = ExecutorConfig::new(env);
    cfg.handle_sigterm = false;
    let (_h, rx) = executor::start(cfg).unwrap();
    let until = Instant::now() + WAIT;
    while Instant::now() < until {
        let _ = rx.recv_timeout(Duration::from_millis(100));
    }
    // Still alive: the guard failed. Exit with a code the parent test reports.
    std::process::exit(3);
}

#[tokio::test(flavor = "multi_thread")]
async fn case_41_guard_kills_a_hanging_executor_after_the_grace_period() {
    use std::os::unix::process::ExitStatusExt;
    let agent = FakeAgent::start().await;
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "guard_child_process", "--test-threads=1"])
        .env("SATYR_GUARD_TEST_AGENT", agent.addr.to_string())
        .stdout(std::process::Stdio::null())
        .process_group(0) // the guard kills the group it leads: not this test's group
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let s = agent.next_stream().await;
    s.subscribed();
    s.launch("t1");
    let sent = Instant::now();
    s.shutdown();
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("the hanging executor was not killed")
        .unwrap();
    let took = sent.elapsed();
    assert_eq!(status.signal(), Some(9), "{status:?}");
    assert!(
        took >= Duration::from_millis(700),
        "killed after {took:?}, before the grace period"
    );
}
