//! Unit tests of the scheduler core, by topic; fixtures here.

mod lifecycle;
mod offers;
mod placement;
mod workers;

use super::{Config, Op, OutcomeKind, Output, SchedulerCore};
use crate::proto::mesos::{self as m, value, TaskState};

pub fn scalar(name: &str, v: f64) -> m::Resource {
    m::Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: v }),
        ..Default::default()
    }
}

pub fn ports(begin: u64, end: u64) -> m::Resource {
    m::Resource {
        name: "ports".into(),
        r#type: value::Type::Ranges as i32,
        ranges: Some(value::Ranges {
            range: vec![value::Range { begin, end }],
        }),
        ..Default::default()
    }
}

/// A command task demanding `cpus` and `mem`.
pub fn task(id: &str, cpus: f64, mem: f64) -> m::TaskInfo {
    m::TaskInfo {
        name: id.into(),
        task_id: m::TaskId { value: id.into() },
        resources: vec![scalar("cpus", cpus), scalar("mem", mem)],
        command: Some(m::CommandInfo {
            value: Some("true".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn offer_with(id: &str, agent: &str, resources: Vec<m::Resource>) -> m::Offer {
    m::Offer {
        id: m::OfferId { value: id.into() },
        framework_id: m::FrameworkId { value: "fw".into() },
        agent_id: m::AgentId {
            value: agent.into(),
        },
        hostname: format!("{agent}.example"),
        resources,
        ..Default::default()
    }
}

pub fn offer(id: &str, agent: &str, cpus: f64, mem: f64) -> m::Offer {
    offer_with(id, agent, vec![scalar("cpus", cpus), scalar("mem", mem)])
}

pub fn status(id: &str, state: TaskState) -> m::TaskStatus {
    m::TaskStatus {
        task_id: m::TaskId { value: id.into() },
        state: state as i32,
        agent_id: Some(m::AgentId { value: "a1".into() }),
        ..Default::default()
    }
}

/// A subscribed core with `config`; the subscription's own output is dropped.
pub fn core_with(config: Config) -> SchedulerCore {
    let mut core = SchedulerCore::new(config).unwrap();
    core.subscribed(0);
    core
}

pub fn core() -> SchedulerCore {
    core_with(Config::default())
}

/// Op names, in order.
pub fn ops(out: &Output) -> Vec<&'static str> {
    out.ops.iter().map(Op::name).collect()
}

/// `(task id, outcome name)` pairs, in order.
pub fn outcomes(out: &Output) -> Vec<(String, &'static str)> {
    out.outcomes
        .iter()
        .map(|o| (o.task_id.clone(), o.kind.name()))
        .collect()
}

/// The tasks launched by the output's ACCEPTs: `(offer ids, task ids)`.
pub fn launches(out: &Output) -> Vec<(Vec<String>, Vec<String>)> {
    out.ops
        .iter()
        .filter_map(|op| match op {
            Op::Launch {
                offer_ids, tasks, ..
            } => Some((
                offer_ids.iter().map(|o| o.value.clone()).collect(),
                tasks.iter().map(|t| t.info().task_id.value).collect(),
            )),
            _ => None,
        })
        .collect()
}

pub fn terminal(out: &Output) -> Vec<(String, OutcomeKind)> {
    out.outcomes
        .iter()
        .filter(|o| o.kind.is_terminal())
        .map(|o| (o.task_id.clone(), o.kind.clone()))
        .collect()
}
