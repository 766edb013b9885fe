//! One conformance suite, two masters: every scenario runs against a REAL Mesos 1.11 (the
//! tests/realmesos harness) and against the local cluster, with the same assertions. The
//! scenarios are those of the driver's real-Mesos test and the checklist's cases: subscribe and
//! offers, `echo hi` finished with implicit acks, exit 3, KILL, an invalid offer, a bad task id,
//! too few resources, reconciliation, DECLINE filters, SUPPRESS/REVIVE by role, TEARDOWN, the
//! failover timeout, ERRORs at subscription, a second instance taking over, a custom executor
//! (environment, validation texts, MESSAGE both ways, executor reuse, KILL, SHUTDOWN,
//! /files/download), and malformed calls' HTTP answers.

mod local_common;

use std::time::{Duration, Instant};

use _satyr::driver::{self, calls, DriverConfig, DriverError, DriverEvent};
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::framework_info::capability::Type as Cap;
use _satyr::proto::mesos::scheduler::{call, Call};
use local_common::*;

#[test]
fn executor_main() {
    executor::run_if_requested();
}

/// The scheduler side of a scenario: the satyr driver, implicit acknowledgements.
struct Sched {
    handle: driver::DriverHandle,
    events: driver::EventReceiver,
    framework_id: String,
}

impl Sched {
    fn start(url: &str, info: m::FrameworkInfo) -> Sched {
        let mut cfg = DriverConfig::new(url.to_string(), info);
        cfg.backoff_min = Duration::from_millis(100);
        cfg.backoff_max = Duration::from_secs(1);
        let (handle, events) = driver::start(cfg).unwrap();
        let framework_id = match events.recv_timeout(WAIT) {
            Ok(DriverEvent::Subscribed(s)) => {
                assert!(!s.reregistered);
                let sub = s.event.event().unwrap().subscribed.clone().unwrap();
                assert_eq!(sub.heartbeat_interval_seconds, Some(15.0));
                s.framework_id.value
            }
            other => panic!("expected SUBSCRIBED, got {other:?}"),
        };
        Sched {
            handle,
            events,
            framework_id,
        }
    }

    /// The next Mesos event matching `want` within `within`.
    fn next_within(
        &self,
        within: Duration,
        want: impl Fn(&_satyr::proto::mesos::scheduler::Event) -> bool,
    ) -> Option<_satyr::proto::mesos::scheduler::Event> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(DriverEvent::Mesos(e)) if e.event().is_ok_and(&want) => {
                    return e.into_event().ok()
                }
                Ok(DriverEvent::Mesos(_)) => continue,
                Ok(other) => panic!("unexpected driver event {other:?}"),
                Err(_) => return None,
            }
        }
    }

    fn offer(&self) -> m::Offer {
        self.next_within(WAIT, |e| e.offers.is_some())
            .expect("no offer")
            .offers
            .unwrap()
            .offers
            .remove(0)
    }

    fn update(&self) -> m::TaskStatus {
        self.next_within(WAIT, |e| e.update.is_some())
            .expect("no update")
            .update
            .unwrap()
            .status
    }

    /// Updates of `task` until a terminal one; returns them all.
    fn until_terminal(&self, task: &str) -> Vec<m::TaskStatus> {
        let mut out = vec![];
        loop {
            let s = self.update();
            if s.task_id.value != task {
                continue;
            }
            let done = !matches!(
                state_name(&s),
                "TASK_STAGING" | "TASK_STARTING" | "TASK_RUNNING" | "TASK_KILLING"
            );
            out.push(s);
            if done {
                return out;
            }
        }
    }

    fn call(&self, c: Call) {
        self.handle.call_blocking(c).unwrap();
    }

    fn stop(self, failover: bool) {
        self.handle.stop_blocking(failover).unwrap();
        assert_eq!(self.handle.join_blocking(Some(WAIT)).unwrap(), None);
    }
}

impl Drop for Sched {
    fn drop(&mut self) {
        // A failed scenario must not leave its framework holding the agent's offers.
        let _ = self.handle.stop_blocking(false);
    }
}

fn with_resources(mut task: m::TaskInfo, offer: &m::Offer) -> m::TaskInfo {
    // The offered cpus and mem Resource messages, echoed unmodified (allocation info and all).
    let mut picked: Vec<m::Resource> = offer
        .resources
        .iter()
        .filter(|r| r.name == "cpus" || r.name == "mem")
        .cloned()
        .collect();
    for r in &mut picked {
        let v = if r.name == "cpus" { 0.1 } else { 32.0 };
        r.scalar = Some(m::value::Scalar { value: v });
    }
    task.resources = picked;
    task
}

fn scenario_echo_finished_and_teardown(url: &str) {
    let s = Sched::start(url, framework("conformance-echo"));
    let offer = s.offer();
    assert_eq!(offer.framework_id.value, s.framework_id);
    let cpus = offer.resources.iter().find(|r| r.name == "cpus").unwrap();
    assert_eq!(cpus.scalar.unwrap().value, 2.0);
    let task = with_resources(command_task("echo-hi", &offer, "echo hi"), &offer);
    s.call(calls::launch(vec![offer.id.clone()], vec![task], None));
    let states = s.until_terminal("echo-hi");
    let last = states.last().unwrap();
    assert_eq!(state_name(last), "TASK_FINISHED", "{states:?}");
    assert_eq!(
        last.message.as_deref(),
        Some("Command exited with status 0")
    );
    assert_eq!(source_name(last), "SOURCE_EXECUTOR");
    assert!(last.uuid.is_some());
    // TASK_FINISHED is only forwarded once TASK_RUNNING was acknowledged (implicit acks).
    assert!(
        states.iter().any(|s| state_name(s) == "TASK_RUNNING"),
        "{states:?}"
    );
    let state = get_json(url, "/master/state");
    let fw = state["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == s.framework_id.as_str())
        .expect("framework missing from /master/state")
        .clone();
    assert_eq!(fw["active"], true);
    let id = s.framework_id.clone();
    s.stop(false);
    let state = get_json(url, "/master/state");
    let done = state["completed_frameworks"].as_array().unwrap();
    assert!(done.iter().any(|f| f["id"] == id.as_str()), "not torn down");
    // A torn-down framework can never come back.
    let mut info = framework("conformance-echo");
    info.id = Some(m::FrameworkId { value: id });
    let again = RawScheduler::open(
        url,
        &Call {
            r#type: Some(call::Type::Subscribe as i32),
            framework_id: info.id.clone(),
            subscribe: Some(call::Subscribe {
                framework_info: info,
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    assert_eq!(again.status, 200);
    let ev = again.next(|_| true).expect("an ERROR event");
    assert_eq!(ev.error.unwrap().message, "Framework has been removed");
}

fn scenario_exit_3_and_kill(url: &str) {
    let s = Sched::start(url, framework("conformance-exit-kill"));
    let offer = s.offer();
    let t1 = command_task("exit-3", &offer, "exit 3");
    let t2 = command_task("sleeper", &offer, "sleep 60");
    s.call(calls::launch(vec![offer.id.clone()], vec![t1, t2], None));
    let mut failed = None;
    let mut killed = None;
    while failed.is_none() || killed.is_none() {
        let st = s.update();
        match (st.task_id.value.as_str(), state_name(&st)) {
            ("exit-3", "TASK_FAILED") => failed = Some(st),
            ("sleeper", "TASK_RUNNING") => {
                s.call(calls::kill(st.task_id.clone(), st.agent_id.clone(), None))
            }
            ("sleeper", "TASK_KILLED") => killed = Some(st),
            (_, "TASK_STARTING" | "TASK_RUNNING" | "TASK_KILLING") => {}
            other => panic!("unexpected update {other:?}: {st:?}"),
        }
    }
    let failed = failed.unwrap();
    assert_eq!(
        failed.message.as_deref(),
        Some("Command exited with status 3")
    );
    assert_eq!(source_name(&failed), "SOURCE_EXECUTOR");
    assert_eq!(source_name(&killed.unwrap()), "SOURCE_EXECUTOR");
    s.stop(false);
}

fn scenario_invalid_offers_and_tasks(url: &str) {
    let s = RawScheduler::subscribe(url, framework("conformance-invalid"));
    let offer = s.offer();
    let bogus = m::Offer {
        id: m::OfferId {
            value: "bogus".into(),
        },
        ..offer.clone()
    };
    assert_eq!(
        s.launch(&bogus, vec![command_task("t-bogus", &offer, "true")])
            .status,
        202
    );
    let st = s.update(true);
    assert_eq!(st.task_id.value, "t-bogus");
    assert_eq!(state_name(&st), "TASK_LOST");
    assert_eq!(reason_name(&st), "REASON_INVALID_OFFERS");
    assert_eq!(source_name(&st), "SOURCE_MASTER");
    assert!(st.uuid.is_none());
    assert_eq!(
        st.message.as_deref(),
        Some("Task launched with invalid offers: Offer bogus is no longer valid")
    );
    // Too few resources: TASK_ERROR with the master's text; the offer is used up.
    let mut big = command_task("t-big", &offer, "true");
    big.resources = resources(100.0, 32.0);
    s.launch(&offer, vec![big]);
    let st = s.update(true);
    assert_eq!(
        (state_name(&st), reason_name(&st)),
        ("TASK_ERROR", "REASON_TASK_INVALID")
    );
    assert!(
        st.message.as_deref().unwrap_or("").starts_with(
            "Total resources cpus(allocated: *):100; mem(allocated: *):32 required by task and \
             its executor is more than available "
        ),
        "{:?}",
        st.message
    );
    // The same offer again: lost.
    s.launch(&offer, vec![command_task("t-used", &offer, "true")]);
    let st = s.update(true);
    assert_eq!(
        (state_name(&st), reason_name(&st)),
        ("TASK_LOST", "REASON_INVALID_OFFERS")
    );
    // A bad task id and a task with both command and executor: TASK_ERROR, no uuid.
    let offer = s.offer();
    let mut both = command_task("t-both", &offer, "true");
    both.executor = Some(m::ExecutorInfo {
        executor_id: m::ExecutorId { value: "e".into() },
        command: Some(m::CommandInfo {
            value: Some("true".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    s.launch(&offer, vec![command_task("a/b", &offer, "true"), both]);
    let st = s.update(true);
    assert_eq!(st.task_id.value, "a/b");
    assert_eq!(
        (state_name(&st), reason_name(&st)),
        ("TASK_ERROR", "REASON_TASK_INVALID")
    );
    assert_eq!(source_name(&st), "SOURCE_MASTER");
    assert!(st.uuid.is_none());
    assert_eq!(
        st.message.as_deref(),
        Some("'a/b' contains invalid characters")
    );
    let st = s.update(true);
    assert_eq!(st.task_id.value, "t-both");
    assert_eq!(
        st.message.as_deref(),
        Some("Task should have at least one (but not both) of CommandInfo or ExecutorInfo present")
    );
    s.teardown();
}

fn scenario_reconcile(url: &str) {
    let s = Sched::start(url, framework("conformance-reconcile"));
    let offer = s.offer();
    let agent = offer.agent_id.clone();
    s.call(calls::launch(
        vec![offer.id.clone()],
        vec![command_task("long", &offer, "sleep 60")],
        None,
    ));
    while state_name(&s.update()) != "TASK_RUNNING" {}
    s.call(calls::reconcile(vec![(
        m::TaskId {
            value: "nope".into(),
        },
        Some(agent.clone()),
    )]));
    let st = s.update();
    assert_eq!(st.task_id.value, "nope");
    assert_eq!(
        (state_name(&st), reason_name(&st)),
        ("TASK_LOST", "REASON_RECONCILIATION")
    );
    assert_eq!(
        st.message.as_deref(),
        Some("Reconciliation: Task is unknown to the agent")
    );
    assert!(st.uuid.is_none());
    s.call(calls::reconcile(vec![]));
    let st = s.update();
    assert_eq!(st.task_id.value, "long");
    assert_eq!(
        (state_name(&st), reason_name(&st)),
        ("TASK_RUNNING", "REASON_RECONCILIATION")
    );
    assert_eq!(source_name(&st), "SOURCE_MASTER");
    assert_eq!(
        st.message.as_deref(),
        Some("Reconciliation: Latest task state")
    );
    assert!(st.uuid.is_none() && st.data.is_none());
    // KILL of an unknown task is answered by reconciliation.
    s.call(calls::kill(
        m::TaskId {
            value: "ghost".into(),
        },
        None,
        None,
    ));
    let st = s.update();
    assert_eq!(st.task_id.value, "ghost");
    assert_eq!(
        st.message.as_deref(),
        Some("Reconciliation: Task is unknown")
    );
    s.stop(false);
}

fn scenario_decline_filters(url: &str) {
    let s = Sched::start(url, framework("conformance-decline"));
    let offer = s.offer();
    s.call(calls::decline(
        vec![offer.id],
        Some(calls::refuse_for(3600.0)),
    ));
    assert!(
        s.next_within(Duration::from_secs(3), |e| e.offers.is_some())
            .is_none(),
        "offered again despite a 1 hour filter"
    );
    s.call(calls::revive(vec![]));
    let offer = s.next_within(Duration::from_secs(3), |e| e.offers.is_some());
    let offer = offer
        .expect("REVIVE brought no offer")
        .offers
        .unwrap()
        .offers
        .remove(0);
    s.call(calls::decline(vec![offer.id], Some(calls::refuse_for(0.0))));
    // Refused for 0 s: offered again at the next allocation cycle (1 s on both masters).
    assert!(s
        .next_within(Duration::from_secs(3), |e| e.offers.is_some())
        .is_some());
    s.stop(false);
}

fn scenario_suppress_revive_roles(url: &str) {
    let mut info = framework("conformance-roles");
    info.roles = vec!["a".into(), "b".into()];
    info.capabilities = vec![m::framework_info::Capability {
        r#type: Some(Cap::MultiRole as i32),
    }];
    let s = Sched::start(url, info);
    let role = |o: &m::Offer| {
        o.allocation_info
            .as_ref()
            .and_then(|a| a.role.clone())
            .unwrap()
    };
    let first = s.offer();
    assert!(["a", "b"].contains(&role(&first).as_str()));
    s.call(calls::suppress(vec!["a".into()]));
    s.call(calls::decline(vec![first.id], Some(calls::refuse_for(0.0))));
    for _ in 0..2 {
        let o = s.offer();
        assert_eq!(role(&o), "b", "a suppressed role was offered");
        for r in &o.resources {
            assert_eq!(
                r.allocation_info.as_ref().and_then(|a| a.role.as_deref()),
                Some("b")
            );
        }
        s.call(calls::decline(vec![o.id], Some(calls::refuse_for(0.0))));
    }
    s.call(calls::revive(vec!["a".into()]));
    let mut seen_a = false;
    for _ in 0..4 {
        let o = s.offer();
        seen_a |= role(&o) == "a";
        s.call(calls::decline(vec![o.id], Some(calls::refuse_for(0.0))));
        if seen_a {
            break;
        }
    }
    assert!(seen_a, "REVIVE did not bring role a back");
    s.stop(false);
}

fn scenario_failover_timeout(url: &str) {
    let mut info = framework("conformance-failover");
    info.failover_timeout = Some(1.0);
    let s = Sched::start(url, info.clone());
    let id = s.framework_id.clone();
    s.stop(true);
    // The master removes the framework once its failover timeout passed.
    wait_until(
        "the framework to be removed after its failover timeout",
        || {
            get_json(url, "/master/state")["completed_frameworks"]
                .as_array()
                .is_some_and(|done| done.iter().any(|f| f["id"] == id.as_str()))
        },
    );
    info.id = Some(m::FrameworkId { value: id });
    let mut cfg = DriverConfig::new(url.to_string(), info);
    cfg.backoff_min = Duration::from_millis(100);
    let (h, rx) = driver::start(cfg).unwrap();
    match rx.recv_timeout(WAIT) {
        Ok(DriverEvent::Mesos(e)) => {
            assert_eq!(
                e.into_event().unwrap().error.unwrap().message,
                "Framework has been removed"
            )
        }
        other => panic!("expected the master's ERROR event, got {other:?}"),
    }
    match rx.recv_timeout(WAIT) {
        Ok(DriverEvent::Stopped(Some(DriverError::Master(msg)))) => {
            assert_eq!(msg, "Framework has been removed")
        }
        other => panic!("expected the driver to stop, got {other:?}"),
    }
    assert!(h.join_blocking(Some(WAIT)).unwrap().is_some());
}

fn scenario_custom_executor(url: &str) {
    let s = RawScheduler::subscribe(url, framework("conformance-executor"));
    let offer = s.offer();
    let exec = m::ExecutorInfo {
        executor_id: m::ExecutorId {
            value: "conf-exec".into(),
        },
        command: Some(executor::command()),
        resources: resources(0.1, 32.0),
        ..Default::default()
    };
    let mut t1 = command_task("x1", &offer, "");
    t1.command = None;
    t1.executor = Some(exec.clone());
    s.launch(&offer, vec![t1]);
    let st = s.update(true);
    assert_eq!(
        (st.task_id.value.as_str(), state_name(&st)),
        ("x1", "TASK_RUNNING")
    );
    assert_eq!(source_name(&st), "SOURCE_EXECUTOR");
    let report: serde_json::Value = serde_json::from_slice(st.data.as_deref().unwrap()).unwrap();
    let env = &report["env"];
    assert_eq!(env["MESOS_FRAMEWORK_ID"], s.framework_id.as_str());
    assert_eq!(env["MESOS_EXECUTOR_ID"], "conf-exec");
    assert_eq!(env["MESOS_SLAVE_ID"], offer.agent_id.value.as_str());
    assert_eq!(env["MESOS_CHECKPOINT"], "0");
    assert_eq!(env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"], "5secs");
    assert_eq!(env["MESOS_HTTP_COMMAND_EXECUTOR"], "0");
    assert_eq!(env["MESOS_DIRECTORY"], env["MESOS_SANDBOX"]);
    assert_eq!(env["LIBPROCESS_IP"], "127.0.0.1");
    let endpoint = env["MESOS_AGENT_ENDPOINT"].as_str().unwrap().to_string();
    assert_eq!(
        env["MESOS_SLAVE_PID"],
        format!("slave(1)@{endpoint}").as_str()
    );
    assert_eq!(report["subscribed"]["executor_id"], "conf-exec");
    assert_eq!(
        report["subscribed"]["agent_id"],
        offer.agent_id.value.as_str()
    );
    let answer = |case: &str| {
        (
            report[case][0].as_u64().unwrap(),
            report[case][1].as_str().unwrap().to_string(),
        )
    };
    let fid = &s.framework_id;
    assert_eq!(
        answer("update_before_subscribe"),
        (403, "Executor is not subscribed".into())
    );
    assert_eq!(
        answer("subscribe_unknown_executor"),
        (400, "Executor cannot be found".into())
    );
    assert_eq!(
        answer("text_uuid"),
        (
            400,
            "Failed to validate Executor::Call: Not a valid UUID".into()
        )
    );
    assert_eq!(
        answer("staging"),
        (400, format!("Failed to validate Executor::Call: Received TASK_STAGING from executor conf-exec of framework {fid} which is not allowed"))
    );
    assert_eq!(
        answer("source_master"),
        (400, format!("Failed to validate Executor::Call: Received Call from executor conf-exec of framework {fid} with invalid source, expecting 'SOURCE_EXECUTOR'"))
    );
    assert_eq!(
        answer("executor_mismatch"),
        (400, "Failed to validate Executor::Call: ExecutorID in Call: conf-exec does not match ExecutorID in TaskStatus: other".into())
    );
    // MESSAGE both ways.
    assert_eq!(
        s.call(Call {
            r#type: Some(call::Type::Message as i32),
            message: Some(call::Message {
                agent_id: offer.agent_id.clone(),
                executor_id: exec.executor_id.clone(),
                data: b"hi".to_vec(),
            }),
            ..Default::default()
        })
        .status,
        202
    );
    let msg = s.next(|e| e.message.is_some()).unwrap().message.unwrap();
    assert_eq!(msg.data, b"echo:hi");
    assert_eq!(msg.executor_id.value, "conf-exec");
    // A second task goes to the running executor (the offer names it).
    let offer2 = s.offer();
    assert!(offer2.executor_ids.iter().any(|e| e.value == "conf-exec"));
    let mut t2 = command_task("x2", &offer2, "");
    t2.command = None;
    t2.executor = Some(exec.clone());
    t2.data = Some(b"finish".to_vec());
    s.launch(&offer2, vec![t2]);
    let st = s.update(true);
    assert_eq!(
        (st.task_id.value.as_str(), state_name(&st)),
        ("x2", "TASK_RUNNING")
    );
    let again: serde_json::Value = serde_json::from_slice(st.data.as_deref().unwrap()).unwrap();
    assert_eq!(
        again["subscribed"]["container_id"],
        report["subscribed"]["container_id"]
    );
    let st = s.update(true);
    assert_eq!(
        (st.task_id.value.as_str(), state_name(&st)),
        ("x2", "TASK_FINISHED")
    );
    // KILL goes to the executor, which answers TASK_KILLED.
    s.call(Call {
        r#type: Some(call::Type::Kill as i32),
        kill: Some(call::Kill {
            task_id: m::TaskId { value: "x1".into() },
            agent_id: Some(offer.agent_id.clone()),
            kill_policy: None,
        }),
        ..Default::default()
    });
    let st = s.update(true);
    assert_eq!(
        (st.task_id.value.as_str(), state_name(&st)),
        ("x1", "TASK_KILLED")
    );
    // The sandbox's stdout is served by the agent.
    let agent_url = format!("http://{endpoint}");
    let path = format!("{}/stdout", env["MESOS_SANDBOX"].as_str().unwrap());
    let r = request(
        &agent_url,
        "GET",
        &format!("/files/download?path={path}"),
        &[],
        b"",
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains("executor-stdout-marker"), "{}", r.text());
    assert_eq!(r.header("Content-Type"), Some("application/octet-stream"));
    let r = request(
        &agent_url,
        "GET",
        "/files/download?path=/etc/passwd",
        &[],
        b"",
    );
    assert_eq!(r.status, 404);
    // SHUTDOWN: the executor exits; FAILURE reports it.
    s.call(Call {
        r#type: Some(call::Type::Shutdown as i32),
        shutdown: Some(call::Shutdown {
            executor_id: exec.executor_id.clone(),
            agent_id: offer.agent_id.clone(),
        }),
        ..Default::default()
    });
    let failure = s.next(|e| e.failure.is_some()).unwrap().failure.unwrap();
    assert_eq!(failure.executor_id.unwrap().value, "conf-exec");
    assert_eq!(failure.status, Some(0));
    s.teardown();
}

fn subscribe_call(info: m::FrameworkInfo, suppressed: &[&str]) -> Call {
    Call {
        r#type: Some(call::Type::Subscribe as i32),
        framework_id: info.id.clone(),
        subscribe: Some(call::Subscribe {
            framework_info: info,
            suppressed_roles: suppressed.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[allow(deprecated)] // `role` is what the master must refuse here
fn scenario_subscribe_errors(url: &str) {
    let multi = m::framework_info::Capability {
        r#type: Some(Cap::MultiRole as i32),
    };
    let mut both = framework("conformance-errors");
    both.role = Some("b".into());
    both.roles = vec!["a".into()];
    both.capabilities = vec![multi];
    let mut roles_only = framework("conformance-errors");
    roles_only.roles = vec!["a".into()];
    let mut suppressed = framework("conformance-errors");
    suppressed.roles = vec!["a".into()];
    suppressed.capabilities = vec![multi];
    for (call, message) in [
        (
            subscribe_call(both, &[]),
            "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable",
        ),
        (
            subscribe_call(roles_only, &[]),
            "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable",
        ),
        (
            subscribe_call(suppressed, &["b"]),
            "Suppressed role 'b' is not contained in the list of roles",
        ),
    ] {
        let s = RawScheduler::open(url, &call);
        assert_eq!(s.status, 200);
        let first = s.next(|_| true).expect("an event");
        assert_eq!(first.error.expect("an ERROR event").message, message);
        assert!(
            s.next_within(WAIT, |_| true).unwrap().is_none(),
            "stream not closed"
        );
    }
}

fn scenario_two_instances(url: &str) {
    let mut info = framework("conformance-failover-twice");
    info.failover_timeout = Some(60.0);
    let a = RawScheduler::subscribe(url, info.clone());
    info.id = Some(m::FrameworkId {
        value: a.framework_id.clone(),
    });
    let b = RawScheduler::subscribe(url, info);
    assert_eq!(b.framework_id, a.framework_id);
    assert_ne!(b.stream_id, a.stream_id);
    let err = a
        .next(|e| e.error.is_some())
        .expect("ERROR on the old stream");
    assert_eq!(err.error.unwrap().message, "Framework failed over");
    assert!(
        a.next_within(WAIT, |_| true).unwrap().is_none(),
        "old stream still open"
    );
    // The old stream id is refused; the new subscription gets offers.
    let revive = Call {
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    };
    assert_eq!(a.call(revive).status, 400);
    b.offer();
    b.teardown();
}

/// Method, path, headers, body, expected status and body.
type HttpCase<'a> = (
    &'a str,
    &'a str,
    Vec<(&'a str, &'a str)>,
    &'a [u8],
    u16,
    &'a str,
);

/// A scenario, given the master's URL.
type Scenario = fn(&str);

fn scenario_http_errors(url: &str) {
    let sub = br#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"}}}"#;
    let json = ("Content-Type", "application/json");
    let cases: Vec<HttpCase> = vec![
        ("GET", "/api/v1/scheduler", vec![], b"", 405,
         "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'."),
        ("POST", "/api/v1/scheduler", vec![], sub, 400, "Expecting 'Content-Type' to be present"),
        ("POST", "/api/v1/scheduler", vec![("Content-Type", "application/json; charset=utf-8")], sub,
         415, "Expecting 'Content-Type' of application/json or application/x-protobuf"),
        ("POST", "/api/v1/scheduler", vec![json, ("Accept", "text/plain")], sub, 406,
         "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"),
        ("POST", "/api/v1/scheduler", vec![("Content-Type", "application/x-protobuf")], b"\xff\xff",
         400, "Failed to parse body into Call protobuf"),
        ("POST", "/api/v1/scheduler", vec![json],
         br#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"x"}}}"#, 400,
         "Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info.user"),
        ("POST", "/api/v1/scheduler", vec![json], b"{}", 400,
         "Failed to validate scheduler::Call: Expecting 'type' to be present"),
        ("POST", "/api/v1/scheduler", vec![json, ("Mesos-Stream-Id", "x")], sub, 400,
         "Subscribe calls should not include the 'Mesos-Stream-Id' header"),
        ("POST", "/api/v1/scheduler", vec![json],
         br#"{"type":"SUBSCRIBE","framework_id":{"value":"x"},"subscribe":{"framework_info":{"user":"u","name":"n"}}}"#,
         400, "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'"),
        ("POST", "/api/v1/scheduler", vec![json, ("Mesos-Stream-Id", "x")],
         br#"{"type":"TEARDOWN","framework_id":{"value":"nope"}}"#, 400, "Framework cannot be found"),
        ("POST", "/api/v1/scheduler", vec![json], br#"{"type":"TEARDOWN"}"#, 400,
         "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"),
        ("GET", "/nope", vec![], b"", 404, "404 Not Found."),
    ];
    for (method, path, headers, body, status, text) in cases {
        let r = request(url, method, path, &headers, body);
        assert_eq!(
            (r.status, r.text().as_str()),
            (status, text),
            "{method} {path} {headers:?}"
        );
    }
    // With a subscription: stream id rules and the ACK uuid check.
    let s = RawScheduler::subscribe(url, framework("conformance-http"));
    assert!(!s.stream_id.is_empty());
    assert_eq!(s.header("Content-Type"), Some("application/x-protobuf"));
    let revive = Call {
        r#type: Some(call::Type::Revive as i32),
        framework_id: Some(m::FrameworkId {
            value: s.framework_id.clone(),
        }),
        ..Default::default()
    };
    let body = prost::Message::encode_to_vec(&revive);
    let pb = ("Content-Type", "application/x-protobuf");
    let r = request(url, "POST", "/api/v1/scheduler", &[pb], &body);
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            400,
            "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
        )
    );
    let r = request(
        url,
        "POST",
        "/api/v1/scheduler",
        &[pb, ("Mesos-Stream-Id", "bogus")],
        &body,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        format!(
            "The stream ID 'bogus' included in this request didn't match the stream ID currently \
             associated with framework ID {}",
            s.framework_id
        )
    );
    let ack = s.call(Call {
        r#type: Some(call::Type::Acknowledge as i32),
        acknowledge: Some(call::Acknowledge {
            agent_id: m::AgentId { value: "a".into() },
            task_id: m::TaskId { value: "t".into() },
            uuid: b"abc".to_vec(),
        }),
        ..Default::default()
    });
    assert_eq!(
        (ack.status, ack.text().as_str()),
        (400, "Failed to validate scheduler::Call: Not a valid UUID")
    );
    assert_eq!(s.call(revive.clone()).status, 202);
    s.teardown();
}

impl RawScheduler {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Runs every scenario against one master; reports all failures at the end.
fn run_all(target: &Target) {
    let url = target.url();
    let scenarios: Vec<(&str, Scenario)> = vec![
        ("http_errors", scenario_http_errors),
        ("subscribe_errors", scenario_subscribe_errors),
        ("two_instances", scenario_two_instances),
        (
            "echo_finished_and_teardown",
            scenario_echo_finished_and_teardown,
        ),
        ("exit_3_and_kill", scenario_exit_3_and_kill),
        (
            "invalid_offers_and_tasks",
            scenario_invalid_offers_and_tasks,
        ),
        ("reconcile", scenario_reconcile),
        ("decline_filters", scenario_decline_filters),
        ("suppress_revive_roles", scenario_suppress_revive_roles),
        ("failover_timeout", scenario_failover_timeout),
        ("custom_executor", scenario_custom_executor),
    ];
    let mut failures = vec![];
    for (name, scenario) in scenarios {
        let url = url.clone();
        let result = std::thread::spawn(move || scenario(&url)).join();
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{} / {name}: {msg}", target.name()));
        }
    }
    assert!(
        failures.is_empty(),
        "failed scenarios:\n{}",
        failures.join("\n")
    );
}

#[test]
fn conformance_local_cluster() {
    run_all(&Target::local());
}

#[test]
fn conformance_real_mesos() {
    run_all(&Target::real());
}
