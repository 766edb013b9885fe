//! The scheduler core's cost per pool call, without Python: copies of a task template queued,
//! placed into realistic offers (ports ranges, allocation info, a warm executor), then settled
//! by TASK_FINISHED statuses carrying an inline result, as satyr-executor sends them.
//!
//!     cargo bench --bench scheduler_core [-- ROUNDS]
//!
//! Prints µs per task for each step (median of the rounds).

use std::sync::Arc;
use std::time::Instant;

use _satyr::proto::mesos::{self as m, value, TaskState};
use _satyr::scheduler::{Config, Op, SchedulerCore, Template};

const TASKS: usize = 150;

#[allow(deprecated)] // Mesos 1.11 still sets the legacy role in offers
fn scalar(name: &str, v: f64) -> m::Resource {
    m::Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: v }),
        role: Some("*".into()),
        allocation_info: Some(m::resource::AllocationInfo {
            role: Some("*".into()),
        }),
        ..Default::default()
    }
}

fn template() -> Arc<Template> {
    let info = m::TaskInfo {
        name: "python-task".into(),
        task_id: m::TaskId {
            value: "template".into(),
        },
        resources: vec![scalar("cpus", 0.01), scalar("mem", 8.0)],
        executor: Some(m::ExecutorInfo {
            executor_id: m::ExecutorId {
                value: "satyr-bench".into(),
            },
            r#type: Some(m::executor_info::Type::Custom as i32),
            resources: vec![scalar("cpus", 0.1), scalar("mem", 64.0)],
            command: Some(m::CommandInfo {
                value: Some("python3".into()),
                arguments: vec!["python3".into(), "-m".into(), "satyr.executor".into()],
                shell: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        }),
        labels: Some(m::Labels {
            labels: vec![m::Label {
                key: "python".into(),
                value: None,
            }],
        }),
        ..Default::default()
    };
    Arc::new(Template::new(info).expect("a valid template"))
}

fn offer(n: usize) -> m::Offer {
    let mut ports = scalar("ports", 0.0);
    ports.r#type = value::Type::Ranges as i32;
    ports.scalar = None;
    ports.ranges = Some(value::Ranges {
        range: vec![value::Range {
            begin: 31000,
            end: 32000,
        }],
    });
    m::Offer {
        id: m::OfferId {
            value: format!("offer-{n}"),
        },
        framework_id: m::FrameworkId { value: "fw".into() },
        agent_id: m::AgentId { value: "a1".into() },
        hostname: "agent".into(),
        resources: vec![
            scalar("cpus", 2.0),
            scalar("mem", 2048.0),
            scalar("disk", 4096.0),
            ports,
        ],
        executor_ids: vec![m::ExecutorId {
            value: "satyr-bench".into(),
        }],
        ..Default::default()
    }
}

fn finished(task_id: &str) -> m::TaskStatus {
    m::TaskStatus {
        task_id: m::TaskId {
            value: task_id.into(),
        },
        state: TaskState::TaskFinished as i32,
        agent_id: Some(m::AgentId { value: "a1".into() }),
        executor_id: Some(m::ExecutorId {
            value: "satyr-bench".into(),
        }),
        source: Some(m::task_status::Source::Executor as i32),
        uuid: Some(vec![7; 16]),
        data: Some(vec![0x80, 5, 75, 1, 46]),
        timestamp: Some(1.7e9),
        labels: Some(m::Labels {
            labels: vec![m::Label {
                key: "python".into(),
                value: None,
            }],
        }),
        ..Default::default()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let template = template();
    let data = vec![0u8; 60];
    let (mut submit, mut place, mut settle) = (vec![], vec![], vec![]);
    let mut core = SchedulerCore::new(Config::default()).expect("the default config");
    core.subscribed(0);
    let mut now = 1;
    for round in 0..rounds {
        let started = Instant::now();
        for i in 0..TASKS {
            core.submit_copy(
                &template,
                format!("call-{round}-{i}"),
                "noop",
                &data,
                Some(3),
                Some(1.0),
            )
            .expect("a queued copy");
        }
        submit.push(started.elapsed().as_secs_f64());
        now += 1;
        let started = Instant::now();
        let out = core.offers(vec![offer(round)], now);
        place.push(started.elapsed().as_secs_f64());
        let launched: usize = out
            .ops
            .iter()
            .map(|op| match op {
                Op::Launch { tasks, .. } => tasks.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(launched, TASKS, "every copy fits the offer");
        // A first launch's Mesos id is the id it was submitted with.
        let ids: Vec<String> = (0..TASKS).map(|i| format!("call-{round}-{i}")).collect();
        let statuses: Vec<_> = ids.iter().map(|id| finished(id)).collect();
        now += 1;
        let started = Instant::now();
        for s in &statuses {
            core.update(s, now);
        }
        settle.push(started.elapsed().as_secs_f64());
    }
    let per = |v: Vec<f64>| median(v) / TASKS as f64 * 1e6;
    println!(
        "µs per task, median of {rounds} rounds of {TASKS}: submit_copy {:.2}, placement {:.2}, update {:.2}",
        per(submit),
        per(place),
        per(settle)
    );
}
