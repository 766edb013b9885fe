//! The local cluster's own behaviour: bad settings at start, reliable status updates (only the
//! head in flight, resent with the same uuid until acknowledged, resent at once on
//! resubscription), failover, resource accounting, several agents, task groups on the built-in
//! default executor, command tasks' argv/environment/URIs/sandbox, large status data, executor
//! registration timeout, KILL before delivery, a missing executor binary, the agent's /state.

mod local_common;

use std::time::Duration;

use _satyr::local::{ClusterConfig, LocalCluster, LocalError};
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::scheduler::{call, Call};
use local_common::*;

#[test]
fn executor_main() {
    executor::run_if_requested();
}

fn fast() -> ClusterConfig {
    ClusterConfig {
        allocation_interval: Duration::from_millis(100),
        status_update_retry: Duration::from_millis(300),
        ..Default::default()
    }
}

fn custom_task(id: &str, offer: &m::Offer, executor_id: &str, data: &[u8]) -> m::TaskInfo {
    let mut t = command_task(id, offer, "");
    t.command = None;
    t.data = Some(data.to_vec());
    t.executor = Some(m::ExecutorInfo {
        executor_id: m::ExecutorId {
            value: executor_id.into(),
        },
        command: Some(executor::command()),
        resources: resources(0.1, 32.0),
        ..Default::default()
    });
    t
}

fn scalar(offer: &m::Offer, name: &str) -> f64 {
    offer
        .resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar.map(|s| s.value))
        .sum()
}

#[test]
fn bad_settings_fail_at_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = LocalCluster::start(ClusterConfig {
        port,
        ..Default::default()
    })
    .err()
    .expect("a taken port must fail");
    assert!(matches!(err, LocalError::Bind { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );

    let file = tempfile::NamedTempFile::new().unwrap();
    let err = LocalCluster::start(ClusterConfig {
        work_dir: Some(file.path().join("sandboxes")),
        ..Default::default()
    })
    .err()
    .expect("a work folder under a file must fail");
    assert!(matches!(err, LocalError::WorkDir { .. }), "{err}");

    for (resources, needle) in [("cpus:x", "not a number"), ("", "no resources")] {
        let err = LocalCluster::start(ClusterConfig {
            resources: Some(resources.into()),
            ..Default::default()
        })
        .err()
        .expect("bad resources must fail");
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn only_the_head_update_is_in_flight_and_it_is_resent_until_acknowledged() {
    let cluster = local_cluster(fast());
    let s = RawScheduler::subscribe(&cluster.url(), framework("reliability"));
    let offer = s.offer();
    s.launch(&offer, vec![command_task("t", &offer, "true")]);
    let starting = s.update(false);
    assert_eq!(state_name(&starting), "TASK_STARTING");
    // Not acknowledged: the same update again after the retry interval, nothing after it.
    let again = s.update(false);
    assert_eq!(state_name(&again), "TASK_STARTING");
    assert_eq!(again.uuid, starting.uuid);
    assert_eq!(s.acknowledge(&again).status, 202);
    let running = s.update(true);
    assert_eq!(state_name(&running), "TASK_RUNNING");
    let finished = s.update(false);
    assert_eq!(state_name(&finished), "TASK_FINISHED");
    // A resubscribing framework gets its unacknowledged head at once.
    let mut info = framework("reliability");
    info.id = Some(m::FrameworkId {
        value: s.framework_id.clone(),
    });
    info.failover_timeout = Some(60.0);
    let resub = RawScheduler::subscribe(&cluster.url(), info);
    let head = resub.update(true);
    assert_eq!(
        (state_name(&head), &head.uuid),
        ("TASK_FINISHED", &finished.uuid)
    );
    // The old stream was told it failed over, then ended.
    let err = s
        .next(|e| e.error.is_some())
        .expect("ERROR on the old stream");
    assert_eq!(err.error.unwrap().message, "Framework failed over");
    assert!(
        s.next_within(WAIT, |_| true).unwrap().is_none(),
        "old stream still open"
    );
    resub.teardown();
}

#[test]
fn resources_are_accounted_and_come_back() {
    let cluster = local_cluster(fast());
    let s = RawScheduler::subscribe(&cluster.url(), framework("accounting"));
    let offer = s.offer();
    assert_eq!(scalar(&offer, "cpus"), 2.0);
    let mut big = command_task("big", &offer, "sleep 60");
    big.resources = resources(1.5, 1024.0);
    s.launch(&offer, vec![big]);
    // What is left is offered; kept (not declined) while the task runs.
    let rest = s.offer();
    assert_eq!((scalar(&rest, "cpus"), scalar(&rest, "mem")), (0.5, 1024.0));
    while state_name(&s.update(true)) != "TASK_RUNNING" {}
    s.call(Call {
        r#type: Some(call::Type::Kill as i32),
        kill: Some(call::Kill {
            task_id: m::TaskId {
                value: "big".into(),
            },
            ..Default::default()
        }),
        ..Default::default()
    });
    let mut killed = false;
    let mut freed = None;
    while !killed || freed.is_none() {
        let e = s
            .next(|e| e.offers.is_some() || e.update.is_some())
            .unwrap();
        if let Some(u) = e.update {
            s.acknowledge(&u.status);
            killed |= state_name(&u.status) == "TASK_KILLED";
        } else {
            freed = e.offers.unwrap().offers.pop();
        }
    }
    // The task's resources came back, offered beside what was still held.
    let freed = freed.unwrap();
    assert_eq!(
        (scalar(&freed, "cpus"), scalar(&freed, "mem")),
        (1.5, 1024.0)
    );
    let state = get_json(&cluster.url(), "/master/state");
    assert_eq!(state["slaves"][0]["used_resources"]["cpus"], 0.0);
    assert_eq!(state["slaves"][0]["offered_resources"]["cpus"], 2.0);
    s.teardown();
}

#[test]
fn several_agents_each_offer_their_resources() {
    let cluster = local_cluster(ClusterConfig {
        agents: 3,
        ..fast()
    });
    assert_eq!(cluster.agents().len(), 3);
    let s = RawScheduler::subscribe(&cluster.url(), framework("agents"));
    let mut agents = std::collections::BTreeSet::new();
    while agents.len() < 3 {
        let e = s.next(|e| e.offers.is_some()).unwrap();
        for o in e.offers.unwrap().offers {
            agents.insert(o.agent_id.value);
        }
    }
    let expected: std::collections::BTreeSet<String> =
        cluster.agents().iter().map(|a| a.id.clone()).collect();
    assert_eq!(agents, expected);
    let state = get_json(&cluster.url(), "/master/state");
    assert_eq!(state["activated_slaves"], 3.0);
    s.teardown();
}

#[test]
fn task_groups_run_on_the_default_executor() {
    let cluster = local_cluster(fast());
    let s = RawScheduler::subscribe(&cluster.url(), framework("groups"));
    let offer = s.offer();
    let group = |tasks: Vec<m::TaskInfo>, ty: Option<m::executor_info::Type>| m::offer::Operation {
        r#type: Some(m::offer::operation::Type::LaunchGroup as i32),
        launch_group: Some(m::offer::operation::LaunchGroup {
            executor: m::ExecutorInfo {
                r#type: ty.map(|t| t as i32),
                executor_id: m::ExecutorId {
                    value: "grp".into(),
                },
                resources: resources(0.1, 32.0),
                ..Default::default()
            },
            task_group: m::TaskGroupInfo { tasks },
        }),
        ..Default::default()
    };
    // Without an executor type: every task of the group is refused.
    let bad = group(vec![command_task("g0", &offer, "true")], None);
    s.accept(vec![offer.id.clone()], vec![bad], 0.0);
    let st = s.update(true);
    assert_eq!(
        (state_name(&st), reason_name(&st)),
        ("TASK_ERROR", "REASON_TASK_GROUP_INVALID")
    );
    assert_eq!(
        st.message.as_deref(),
        Some("'ExecutorInfo.type' must be set")
    );
    // A failing task takes its group down.
    let offer = s.offer();
    let ok = group(
        vec![
            command_task("g-fail", &offer, "sleep 0.2; exit 2"),
            command_task("g-long", &offer, "sleep 60"),
        ],
        Some(m::executor_info::Type::Default),
    );
    s.accept(vec![offer.id.clone()], vec![ok], 0.0);
    let mut ends = std::collections::BTreeMap::new();
    while ends.len() < 2 {
        let st = s.update(true);
        let name = state_name(&st);
        if !matches!(name, "TASK_STARTING" | "TASK_RUNNING") {
            ends.insert(st.task_id.value.clone(), (name, st.message.clone()));
        }
    }
    assert_eq!(
        ends["g-fail"],
        ("TASK_FAILED", Some("Command exited with status 2".into()))
    );
    assert_eq!(ends["g-long"].0, "TASK_KILLED");
    // The default executor ended with its tasks.
    let failure = s.next(|e| e.failure.is_some()).unwrap().failure.unwrap();
    assert_eq!(failure.executor_id.unwrap().value, "grp");
    s.teardown();
}

#[test]
fn command_tasks_argv_environment_uris_and_sandbox() {
    let cluster = local_cluster(fast());
    let s = RawScheduler::subscribe(&cluster.url(), framework("commands"));
    let offer = s.offer();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.sh");
    std::fs::write(&script, "#!/bin/sh\necho from-script \"$GREETING\"\n").unwrap();
    let mut task = command_task("argv", &offer, "");
    task.command = Some(m::CommandInfo {
        value: Some("/bin/sh".into()),
        shell: Some(false),
        arguments: vec![
            "sh".into(),
            "-c".into(),
            "./script.sh; pwd; echo $MESOS_SANDBOX".into(),
        ],
        environment: Some(m::Environment {
            variables: vec![m::environment::Variable {
                name: "GREETING".into(),
                value: Some("hello".into()),
                ..Default::default()
            }],
        }),
        uris: vec![m::command_info::Uri {
            value: format!("file://{}", script.display()),
            executable: Some(true),
            ..Default::default()
        }],
        ..Default::default()
    });
    s.launch(&offer, vec![task]);
    let mut last;
    loop {
        last = s.update(true);
        if state_name(&last) != "TASK_STARTING" && state_name(&last) != "TASK_RUNNING" {
            break;
        }
    }
    assert_eq!(state_name(&last), "TASK_FINISHED", "{:?}", last.message);
    let agent = &cluster.agents()[0];
    let state = get_json(&agent.url, "/state");
    let fw = &state["frameworks"][0];
    let ex = &fw["completed_executors"][0];
    assert_eq!(ex["id"], "argv");
    assert_eq!(ex["completed_tasks"][0]["state"], "TASK_FINISHED");
    let dir = ex["directory"].as_str().unwrap().to_string();
    assert!(
        dir.starts_with(&agent.work_dir.display().to_string()),
        "{dir}"
    );
    let out = request(
        &agent.url,
        "GET",
        &format!("/files/download?path={dir}/stdout"),
        &[],
        b"",
    );
    assert_eq!(out.status, 200);
    assert_eq!(out.text(), format!("from-script hello\n{dir}\n{dir}\n"));
    // The virtual path a Mesos agent also serves.
    let virt = format!(
        "/files/download?path=/frameworks/{}/executors/argv/runs/latest/stdout",
        s.framework_id
    );
    assert_eq!(
        request(&agent.url, "GET", &virt, &[], b"").text(),
        out.text()
    );
    let r = request(
        &agent.url,
        "GET",
        &format!("/files/download?path={dir}"),
        &[],
        b"",
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "Cannot download a directory.\n")
    );
    let r = request(&agent.url, "GET", "/files/download", &[], b"");
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "Expecting 'path=value' in query.\n")
    );
    s.teardown();
}

#[test]
fn large_status_data_arrives_whole_and_reconciliation_drops_it() {
    let cluster = local_cluster(fast());
    let s = RawScheduler::subscribe(&cluster.url(), framework("big-data"));
    let offer = s.offer();
    s.launch(&offer, vec![custom_task("big", &offer, "e-big", b"big")]);
    let st = s.update(true);
    assert_eq!(state_name(&st), "TASK_RUNNING");
    let data = st.data.expect("data");
    assert_eq!(data.len(), 8 * 1024 * 1024);
    assert!(data.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
    s.call(Call {
        r#type: Some(call::Type::Reconcile as i32),
        reconcile: Some(call::Reconcile { tasks: vec![] }),
        ..Default::default()
    });
    let st = s.update(false);
    assert_eq!(reason_name(&st), "REASON_RECONCILIATION");
    assert!(st.data.is_none() && st.uuid.is_none());
    s.teardown();
}

#[test]
fn executors_that_fail_to_start_or_subscribe() {
    let cluster = local_cluster(ClusterConfig {
        executor_registration_timeout: Duration::from_millis(500),
        ..fast()
    });
    let s = RawScheduler::subscribe(&cluster.url(), framework("bad-executors"));
    let offer = s.offer();
    let mut missing = custom_task("missing", &offer, "e-missing", b"");
    let cmd = missing.executor.as_mut().unwrap().command.as_mut().unwrap();
    cmd.value = Some("/nonexistent/satyr-executor".into());
    cmd.shell = Some(false);
    let mut silent = custom_task("silent", &offer, "e-silent", b"");
    silent
        .executor
        .as_mut()
        .unwrap()
        .command
        .as_mut()
        .unwrap()
        .value = Some("sleep 30".into());
    s.launch(&offer, vec![missing, silent]);
    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < 2 {
        let st = s.update(true);
        seen.insert(st.task_id.value.clone(), st);
    }
    let st = &seen["missing"];
    assert_eq!(
        (state_name(st), reason_name(st)),
        ("TASK_FAILED", "REASON_EXECUTOR_TERMINATED")
    );
    assert_eq!(source_name(st), "SOURCE_AGENT");
    let msg = st.message.clone().unwrap();
    assert!(
        msg.starts_with("Executor terminated: cannot run '/nonexistent/satyr-executor'"),
        "{msg}"
    );
    let st = &seen["silent"];
    assert_eq!(reason_name(st), "REASON_EXECUTOR_REGISTRATION_TIMEOUT");
    assert_eq!(
        st.message.as_deref(),
        Some("Executor did not register within 500ms")
    );
    s.teardown();
}

#[test]
fn kill_before_delivery_and_executor_exit() {
    let cluster = local_cluster(fast());
    let s = RawScheduler::subscribe(&cluster.url(), framework("kill-queued"));
    let offer = s.offer();
    let mut queued = custom_task("queued", &offer, "e-queued", b"");
    queued
        .executor
        .as_mut()
        .unwrap()
        .command
        .as_mut()
        .unwrap()
        .value = Some("sleep 30".into());
    s.launch(
        &offer,
        vec![queued, custom_task("dies", &offer, "e-dies", b"exit")],
    );
    s.call(Call {
        r#type: Some(call::Type::Kill as i32),
        kill: Some(call::Kill {
            task_id: m::TaskId {
                value: "queued".into(),
            },
            ..Default::default()
        }),
        ..Default::default()
    });
    let mut seen = std::collections::BTreeMap::new();
    let mut failures = std::collections::BTreeSet::new();
    while seen.len() < 2 || failures.len() < 2 {
        let e = s
            .next(|e| e.update.is_some() || e.failure.is_some())
            .unwrap();
        if let Some(f) = e.failure {
            failures.insert(f.executor_id.unwrap().value);
            continue;
        }
        let st = e.update.unwrap().status;
        s.acknowledge(&st);
        seen.insert(st.task_id.value.clone(), st);
    }
    let st = &seen["queued"];
    assert_eq!(
        (state_name(st), reason_name(st)),
        ("TASK_KILLED", "REASON_TASK_KILLED_DURING_LAUNCH")
    );
    let st = &seen["dies"];
    assert_eq!(
        (state_name(st), reason_name(st)),
        ("TASK_FAILED", "REASON_EXECUTOR_TERMINATED")
    );
    assert_eq!(
        failures.into_iter().collect::<Vec<_>>(),
        ["e-dies", "e-queued"]
    );
    s.teardown();
}

#[test]
fn heartbeats_follow_subscribed_then_come_every_interval() {
    let cluster = local_cluster(ClusterConfig {
        heartbeat_interval: Duration::from_millis(200),
        ..fast()
    });
    let sub = Call {
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(call::Subscribe {
            framework_info: framework("heartbeats"),
            ..Default::default()
        }),
        ..Default::default()
    };
    let s = RawScheduler::open(&cluster.url(), &sub);
    assert_eq!(s.status, 200);
    assert_eq!(s.headers["content-type"], "application/x-protobuf");
    let kind = |e: &_satyr::proto::mesos::scheduler::Event| e.r#type.unwrap_or(0);
    use _satyr::proto::mesos::scheduler::event::Type;
    let first = s.next_raw().unwrap();
    assert!(first.subscribed.is_some());
    assert_eq!(
        first.subscribed.unwrap().heartbeat_interval_seconds,
        Some(0.2)
    );
    assert_eq!(kind(&s.next_raw().unwrap()), Type::Heartbeat as i32);
    assert_eq!(kind(&s.next_raw().unwrap()), Type::Offers as i32);
    assert_eq!(kind(&s.next_raw().unwrap()), Type::Heartbeat as i32);
}

#[test]
fn stop_ends_every_child_even_those_ignoring_sigterm() {
    let cluster = local_cluster(ClusterConfig {
        stop_grace_period: Duration::from_millis(300),
        ..fast()
    });
    let s = RawScheduler::subscribe(&cluster.url(), framework("stop"));
    let offer = s.offer();
    let stubborn = command_task("stubborn", &offer, "trap '' TERM; exec sleep 300");
    s.launch(
        &offer,
        vec![stubborn, custom_task("exec", &offer, "e-stop", b"finish")],
    );
    let mut running = std::collections::BTreeSet::new();
    while running.len() < 2 {
        let st = s.update(true);
        if state_name(&st) == "TASK_RUNNING" {
            running.insert(st.task_id.value);
        }
    }
    assert_eq!(cluster.live_processes(), 2);
    let t0 = std::time::Instant::now();
    cluster.stop();
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(cluster.live_processes(), 0);
    // The stream ended (after whatever was already on its way).
    loop {
        match s.next_within(WAIT, |_| true) {
            Some(Some(_)) => continue,
            Some(None) => break,
            None => panic!("the subscription outlived the cluster"),
        }
    }
}

#[test]
fn update_framework_and_operator_teardown() {
    let cluster = local_cluster(fast());
    let s = RawScheduler::subscribe(&cluster.url(), framework("before"));
    let offer = s.offer();
    let mut info = framework("after");
    info.id = Some(m::FrameworkId {
        value: s.framework_id.clone(),
    });
    let update = |info: m::FrameworkInfo, suppressed: Vec<String>| Call {
        r#type: Some(call::Type::UpdateFramework as i32),
        update_framework: Some(call::UpdateFramework {
            framework_info: info,
            suppressed_roles: suppressed,
            ..Default::default()
        }),
        ..Default::default()
    };
    let r = s.call(update(info.clone(), vec!["*".into()]));
    assert_eq!((r.status, r.text().as_str()), (200, ""));
    let state = get_json(&cluster.url(), "/master/state");
    assert_eq!(state["frameworks"][0]["name"], "after");
    // Suppressed: a declined offer does not come back.
    s.decline(&offer, 0.0);
    assert!(s
        .next_within(Duration::from_millis(500), |e| e.offers.is_some())
        .is_none());
    let r = s.call(update(info, vec!["nope".into()]));
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            400,
            "Suppressed role 'nope' is not contained in the list of roles"
        )
    );
    let form = format!("frameworkId={}", s.framework_id);
    let r = request(
        &cluster.url(),
        "POST",
        "/master/teardown",
        &[],
        form.as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert!(
        s.next_within(WAIT, |_| true).unwrap().is_none(),
        "stream not ended"
    );
    let state = get_json(&cluster.url(), "/master/state");
    assert_eq!(
        state["completed_frameworks"][0]["id"],
        s.framework_id.as_str()
    );
}
