//! Benchmarks of the local cluster (`cargo bench --bench local`):
//! - cold start: create a cluster, subscribe a framework (the satyr driver), get the first
//!   offer — target <= 100 ms;
//! - status update throughput: updates sent by a custom executor (this binary, in executor
//!   mode) through the agent and the master to the scheduler, each acknowledged by the driver
//!   (implicit acks) before the agent sends the task's next one — target >= 5,000 updates/s.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it does one small round of each,
//! to prove it works.

mod executor;

use std::time::{Duration, Instant};

use _satyr::driver::{self, calls, DriverConfig, DriverEvent};
use _satyr::local::{ClusterConfig, LocalCluster};
use _satyr::proto::mesos as m;

const WAIT: Duration = Duration::from_secs(60);

fn config() -> ClusterConfig {
    ClusterConfig {
        resources: Some("cpus:64;mem:65536;ports:[31000-32000]".into()),
        ..Default::default()
    }
}

fn framework() -> m::FrameworkInfo {
    m::FrameworkInfo {
        user: std::env::var("USER").unwrap_or_else(|_| "root".into()),
        name: "satyr-bench-local".into(),
        ..Default::default()
    }
}

fn first_offer(rx: &driver::EventReceiver) -> m::Offer {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left).expect("no offer in time") {
            DriverEvent::Mesos(e) if e.event().is_ok_and(|ev| ev.offers.is_some()) => {
                return e.into_event().unwrap().offers.unwrap().offers.remove(0)
            }
            DriverEvent::Subscribed(_) | DriverEvent::Mesos(_) => {}
            other => panic!("{other:?}"),
        }
    }
}

/// One cold start: cluster, subscription, first offer.
fn cold_start() -> Duration {
    let t0 = Instant::now();
    let cluster = LocalCluster::start(config()).expect("cluster");
    let (h, rx) = driver::start(DriverConfig::new(cluster.url(), framework())).expect("driver");
    first_offer(&rx);
    let took = t0.elapsed();
    h.stop_blocking(false).unwrap();
    h.join_blocking(Some(WAIT)).unwrap();
    cluster.stop();
    took
}

/// `tasks` tasks on one executor, `per_task` updates each (plus TASK_FINISHED): updates per
/// second from the ACCEPT to the last TASK_FINISHED, all acknowledged on the way.
fn throughput(tasks: u32, per_task: u32) -> (u64, Duration) {
    let cluster = LocalCluster::start(config()).expect("cluster");
    let (h, rx) = driver::start(DriverConfig::new(cluster.url(), framework())).expect("driver");
    let offer = first_offer(&rx);
    let exe = std::env::current_exe().unwrap();
    let executor = m::ExecutorInfo {
        executor_id: m::ExecutorId {
            value: "bench".into(),
        },
        command: Some(m::CommandInfo {
            value: Some(exe.display().to_string()),
            shell: Some(false),
            arguments: vec!["bench-executor".into()],
            environment: Some(m::Environment {
                variables: vec![m::environment::Variable {
                    name: executor::FLAG.into(),
                    value: Some("1".into()),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let cpus = |v: f64| m::Resource {
        name: "cpus".into(),
        r#type: m::value::Type::Scalar as i32,
        scalar: Some(m::value::Scalar { value: v }),
        ..Default::default()
    };
    let task_infos = (0..tasks)
        .map(|i| m::TaskInfo {
            name: format!("t{i}"),
            task_id: m::TaskId {
                value: format!("t{i}"),
            },
            agent_id: offer.agent_id.clone(),
            resources: vec![cpus(0.01)],
            executor: Some(executor.clone()),
            data: Some(per_task.to_le_bytes().to_vec()),
            ..Default::default()
        })
        .collect();
    let t0 = Instant::now();
    h.call_blocking(calls::launch(vec![offer.id.clone()], task_infos, None))
        .unwrap();
    let (mut updates, mut finished) = (0u64, 0u32);
    while finished < tasks {
        let batch = rx.recv_batch(1024, WAIT).expect("updates stopped coming");
        for e in batch {
            if let DriverEvent::Mesos(e) = e {
                if let Some(u) = e.into_event().ok().and_then(|ev| ev.update) {
                    assert!(u.status.uuid.is_some(), "{:?}", u.status);
                    updates += 1;
                    match m::TaskState::try_from(u.status.state) {
                        Ok(m::TaskState::TaskFinished) => finished += 1,
                        Ok(m::TaskState::TaskRunning) => {}
                        other => panic!("unexpected {other:?}: {:?}", u.status.message),
                    }
                }
            }
        }
    }
    let took = t0.elapsed();
    h.stop_blocking(false).unwrap();
    h.join_blocking(Some(WAIT)).unwrap();
    cluster.stop();
    (updates, took)
}

fn main() {
    if std::env::var(executor::FLAG).as_deref() == Ok("1") {
        executor::run();
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let (starts, tasks, per_task) = if full { (21, 64, 400) } else { (2, 4, 20) };
    let mut times: Vec<Duration> = (0..starts).map(|_| cold_start()).collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "cold start (cluster + subscribe + first offer): median {:.1} ms, min {:.1} ms, max {:.1} ms over {starts} runs (target <= 100 ms)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
    );
    let (updates, took) = throughput(tasks, per_task);
    assert_eq!(updates, u64::from(tasks) * u64::from(per_task + 1));
    println!(
        "status updates: {updates} in {:.1} ms = {:.0} updates/s, each acknowledged ({tasks} tasks x {} updates; target >= 5000/s)",
        ms(took),
        updates as f64 / took.as_secs_f64(),
        per_task + 1,
    );
}
