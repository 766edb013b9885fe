//! An agent's `GET /state`: frameworks, executors and tasks with the keys of a Mesos 1.11 agent.

use serde_json::{json, Value};

use super::{Agent, AgentFramework, AgentTask, Executor, Kind};
use crate::local::http::codec::to_json;
use crate::local::resources::{self as res, summary};
use crate::local::world::World;
use crate::proto::mesos as m;
use prost::Message;

fn task_json(t: &AgentTask, fid: &str, eid: &str, kind: Kind, agent_id: &str) -> Value {
    let resources = res::from_proto(&t.info.resources).unwrap_or_default();
    let statuses: Vec<Value> = t
        .statuses
        .iter()
        .map(|s| {
            let mut v = json!({
                "state": m::TaskState::try_from(s.state).map(|s| s.as_str_name()).unwrap_or(""),
                "timestamp": s.timestamp.unwrap_or(0.0),
            });
            if let Some(c) = &s.container_status {
                v["container_status"] =
                    serde_json::from_str(&to_json(&c.encode_to_vec(), "mesos.v1.ContainerStatus"))
                        .unwrap_or(Value::Null);
            }
            v
        })
        .collect();
    json!({
        "id": t.info.task_id.value,
        "name": t.info.name,
        "framework_id": fid,
        // Mesos leaves it empty for command tasks.
        "executor_id": if kind == Kind::Command { "" } else { eid },
        "slave_id": agent_id,
        "state": m::TaskState::try_from(t.state).map(|s| s.as_str_name()).unwrap_or(""),
        "resources": summary(&resources),
        "statuses": statuses,
    })
}

fn executor_json(e: &Executor, fid: &str, agent_id: &str) -> Value {
    let id = &e.info.executor_id.value;
    let resources = res::from_proto(&e.info.resources).unwrap_or_default();
    let tasks: Vec<Value> = e
        .tasks
        .values()
        .filter(|t| !e.queued_has(&t.info.task_id.value))
        .map(|t| task_json(t, fid, id, e.kind, agent_id))
        .collect();
    let queued: Vec<Value> = e
        .tasks
        .values()
        .filter(|t| e.queued_has(&t.info.task_id.value))
        .map(|t| task_json(t, fid, id, e.kind, agent_id))
        .collect();
    #[allow(deprecated)]
    let source = e.info.source.clone().unwrap_or_default();
    json!({
        "id": id,
        "name": e.info.name.clone().unwrap_or_default(),
        "source": source,
        "container": e.container_id,
        "directory": e.directory.display().to_string(),
        "resources": summary(&resources),
        "role": "*",
        "tasks": tasks,
        "queued_tasks": queued,
        "completed_tasks": e.completed_tasks.iter().map(|t| task_json(t, fid, id, e.kind, agent_id)).collect::<Vec<_>>(),
    })
}

#[allow(deprecated)]
fn framework_json(f: &AgentFramework, agent_id: &str) -> Value {
    let fid = f
        .info
        .id
        .as_ref()
        .map(|i| i.value.clone())
        .unwrap_or_default();
    let mut live: Vec<&Executor> = f.executors.values().filter(|e| e.is_live()).collect();
    live.sort_by(|a, b| a.info.executor_id.value.cmp(&b.info.executor_id.value));
    json!({
        "id": fid,
        "name": f.info.name,
        "user": f.info.user,
        "failover_timeout": f.info.failover_timeout.unwrap_or(0.0),
        "checkpoint": f.info.checkpoint.unwrap_or(false),
        "hostname": f.info.hostname.clone().unwrap_or_default(),
        "role": f.info.role.clone().unwrap_or_else(|| "*".into()),
        "executors": live.iter().map(|e| executor_json(e, &fid, agent_id)).collect::<Vec<_>>(),
        "completed_executors": f.completed_executors.iter().map(|e| executor_json(e, &fid, agent_id)).collect::<Vec<_>>(),
    })
}

impl Executor {
    fn queued_has(&self, task_id: &str) -> bool {
        self.queued.iter().any(|q| match q {
            super::Queued::Task(t) => t.task_id.value == task_id,
            super::Queued::Group(g) => g.tasks.iter().any(|t| t.task_id.value == task_id),
        })
    }
}

pub(crate) fn state(w: &World, index: usize) -> Value {
    let a: &Agent = &w.agents[index];
    let mut v = crate::local::version_json();
    let mut frameworks: Vec<&AgentFramework> = a.frameworks.values().collect();
    frameworks.sort_by_key(|f| f.info.id.as_ref().map(|i| i.value.clone()));
    let full = res::to_proto(
        &a.resources,
        res::Style {
            allocation_role: None,
            refinement: false,
        },
    );
    v["start_time"] = json!(a.start_time);
    v["id"] = json!(a.id);
    v["pid"] = json!(a.pid());
    v["hostname"] = json!("127.0.0.1");
    v["port"] = json!(a.port);
    v["capabilities"] = json!(["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"]);
    v["resources"] = summary(&a.resources);
    v["reserved_resources"] = json!({});
    v["unreserved_resources"] = summary(&a.resources);
    v["unreserved_resources_full"] = json!(full
        .iter()
        .map(
            |r| serde_json::from_str::<Value>(&to_json(&r.encode_to_vec(), "mesos.v1.Resource"))
                .unwrap_or(Value::Null)
        )
        .collect::<Vec<_>>());
    v["attributes"] = json!({});
    v["master_hostname"] = json!("127.0.0.1");
    v["flags"] = json!({
        "work_dir": a.root.parent().and_then(|p| p.parent()).map(|p| p.display().to_string()).unwrap_or_default(),
        "executor_registration_timeout": crate::local::ids::mesos_duration(w.ctx.settings.executor_registration_timeout),
        "executor_shutdown_grace_period": crate::local::ids::mesos_duration(w.ctx.settings.executor_shutdown_grace_period),
        "port": a.port.to_string(),
    });
    v["frameworks"] = json!(frameworks
        .iter()
        .map(|f| framework_json(f, &a.id))
        .collect::<Vec<_>>());
    v["completed_frameworks"] = json!(a
        .completed_frameworks
        .iter()
        .map(|f| framework_json(f, &a.id))
        .collect::<Vec<_>>());
    v["pending_status_updates"] = json!(a.updates.pending());
    v
}
