//! Smoke test against a REAL Mesos 1.11 master and agent (tests/realmesos, set up by
//! scripts/install-test-deps.sh): subscribe, take an offer, launch `echo hi` with the offered
//! cpus/mem Resource messages echoed back unmodified, see TASK_FINISHED (which the agent only
//! forwards once TASK_RUNNING was acknowledged: implicit ACKs at work), decline, tear down.
//! Uses the blocking API, as a Python caller would.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use _satyr::driver::{self, calls, DriverConfig, DriverEvent, DriverState};
use _satyr::proto::mesos as m;

const WAIT: Duration = Duration::from_secs(60);

struct Cluster {
    url: String,
    env: Vec<(String, String)>,
    _state: tempfile::TempDir,
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/realmesos")
        .join(name)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    fn start() -> Cluster {
        Self::start_with(vec![])
    }

    fn start_with(extra: Vec<(String, String)>) -> Cluster {
        let state = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("MESOS_MASTER_PORT".to_string(), free_port().to_string()),
            ("MESOS_AGENT_PORT".to_string(), free_port().to_string()),
            (
                "MESOS_SHIM_STATE".to_string(),
                state.path().display().to_string(),
            ),
        ];
        env.extend(extra);
        let out = Command::new("bash")
            .arg(script("start-master.sh"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("cannot run start-master.sh");
        assert!(
            out.status.success(),
            "start-master.sh failed (run tests/realmesos/setup.sh once): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Cluster {
            url,
            env,
            _state: state,
        }
    }

    fn state(&self) -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-sf", &format!("{}/master/state", self.url)])
            .output()
            .expect("cannot run curl");
        serde_json::from_slice(&out.stdout).expect("master/state is not JSON")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script("stop-master.sh"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .status();
    }
}

fn next(rx: &driver::EventReceiver, deadline: Instant) -> DriverEvent {
    let left = deadline.saturating_duration_since(Instant::now());
    rx.recv_timeout(left)
        .expect("no event from the real master in time")
}

#[test]
fn real_mesos_launch_echo_hi_with_implicit_acks() {
    let cluster = Cluster::start();
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let info = m::FrameworkInfo {
        user,
        name: "satyr-driver-smoke".into(),
        failover_timeout: Some(60.0),
        ..Default::default()
    };
    let mut cfg = DriverConfig::new(cluster.url.clone(), info);
    cfg.backoff_min = Duration::from_millis(100);
    cfg.backoff_max = Duration::from_secs(2);
    let (h, rx) = driver::start(cfg).unwrap();
    let deadline = Instant::now() + WAIT;

    let framework_id = match next(&rx, deadline) {
        DriverEvent::Subscribed(s) => {
            assert!(!s.reregistered);
            let sub = s.event.event().unwrap().subscribed.clone().unwrap();
            assert_eq!(sub.heartbeat_interval_seconds, Some(15.0));
            s.framework_id
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(h.state(), DriverState::Subscribed);

    let offer = loop {
        match next(&rx, deadline) {
            DriverEvent::Mesos(e) if e.event_type.as_str_name() == "OFFERS" => {
                break e.into_event().unwrap().offers.unwrap().offers.remove(0);
            }
            DriverEvent::Mesos(_) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(offer.framework_id, framework_id);
    // Echo the offered Resource messages unmodified (allocation_info, role, ... included).
    let resources: Vec<m::Resource> = offer
        .resources
        .iter()
        .filter(|r| r.name == "cpus" || r.name == "mem")
        .cloned()
        .collect();
    assert_eq!(resources.len(), 2, "{:?}", offer.resources);
    let task_id = m::TaskId {
        value: "echo-hi".into(),
    };
    let task = m::TaskInfo {
        name: "echo-hi".into(),
        task_id: task_id.clone(),
        agent_id: offer.agent_id.clone(),
        resources,
        command: Some(m::CommandInfo {
            value: Some("echo hi".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    h.call_blocking(calls::launch(vec![offer.id.clone()], vec![task], None))
        .unwrap();

    let mut states = vec![];
    loop {
        match next(&rx, deadline) {
            DriverEvent::Mesos(e) => match e.into_event().map(|ev| (ev.update, ev.offers)).unwrap()
            {
                (Some(u), _) => {
                    assert_eq!(u.status.task_id, task_id);
                    let state = m::TaskState::try_from(u.status.state).unwrap();
                    states.push(state);
                    if state == m::TaskState::TaskFinished {
                        break;
                    }
                    assert!(
                        matches!(
                            state,
                            m::TaskState::TaskStarting | m::TaskState::TaskRunning
                        ),
                        "{state:?}: {:?}",
                        u.status.message
                    );
                }
                (None, Some(o)) => {
                    let ids = o.offers.into_iter().map(|o| o.id).collect();
                    h.call_blocking(calls::decline(ids, Some(calls::refuse_for(3600.0))))
                        .unwrap();
                }
                _ => {}
            },
            other => panic!("{other:?}"),
        }
    }
    assert!(states.contains(&m::TaskState::TaskRunning), "{states:?}");

    // The master saw the task finish and the framework still connected.
    let state = cluster.state();
    let fw = state["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == framework_id.value.as_str())
        .expect("framework missing from /master/state")
        .clone();
    assert_eq!(fw["active"], true);

    h.stop_blocking(false).unwrap();
    assert_eq!(h.join_blocking(Some(WAIT)).unwrap(), None);
    // TEARDOWN removed the framework.
    let state = cluster.state();
    let done = state["completed_frameworks"].as_array().unwrap();
    assert!(
        done.iter().any(|f| f["id"] == framework_id.value.as_str()),
        "framework not torn down: {state}"
    );
}

/// HTTP basic authentication against a master run with `--authenticate_http_frameworks`: the
/// right secret subscribes, a wrong one gets 401, reported as a typed error and not retried.
#[test]
fn real_mesos_basic_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials.json");
    std::fs::write(
        &creds,
        r#"{"credentials":[{"principal":"satyr","secret":"s3cret"}]}"#,
    )
    .unwrap();
    let cluster = Cluster::start_with(vec![
        ("MESOS_AUTHENTICATE_HTTP_FRAMEWORKS".into(), "true".into()),
        ("MESOS_HTTP_FRAMEWORK_AUTHENTICATORS".into(), "basic".into()),
        ("MESOS_CREDENTIALS".into(), creds.display().to_string()),
    ]);
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let info = m::FrameworkInfo {
        user,
        name: "satyr-driver-auth".into(),
        ..Default::default()
    };
    for (secret, ok) in [("s3cret", true), ("wrong", false)] {
        let mut cfg = DriverConfig::new(cluster.url.clone(), info.clone());
        cfg.backoff_min = Duration::from_millis(100);
        cfg.credentials = Some(driver::Credentials {
            principal: "satyr".into(),
            secret: secret.into(),
        });
        let (h, rx) = driver::start(cfg).unwrap();
        let deadline = Instant::now() + WAIT;
        match next(&rx, deadline) {
            DriverEvent::Subscribed(_) if ok => h.stop_blocking(false).unwrap(),
            DriverEvent::Stopped(Some(driver::DriverError::Unauthorized(_))) if !ok => {}
            other => panic!("secret {secret:?}: {other:?}"),
        }
        let outcome = h.join_blocking(Some(WAIT)).unwrap();
        assert_eq!(outcome.is_none(), ok, "{outcome:?}");
    }
}
