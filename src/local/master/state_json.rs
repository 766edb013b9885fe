//! `GET /master/state`: the JSON a Mesos 1.11 master gives, with the keys clients and tests use.

use serde_json::{json, Value};

use super::framework::{Framework, Task};
use crate::local::http::codec::to_json;
use crate::local::resources::{self as res, summary};
use crate::local::world::World;
use crate::proto::mesos as m;
use prost::Message;

fn proto_json<M: Message>(msg: &M, name: &str) -> Value {
    serde_json::from_str(&to_json(&msg.encode_to_vec(), name)).unwrap_or(Value::Null)
}

fn state_name(state: i32) -> &'static str {
    m::TaskState::try_from(state)
        .map(|s| s.as_str_name())
        .unwrap_or("TASK_UNKNOWN")
}

pub(crate) fn task_json(t: &Task, fid: &str, agent_id: &str) -> Value {
    let statuses: Vec<Value> = t
        .statuses
        .iter()
        .map(|s| {
            let mut v = json!({
                "state": state_name(s.state),
                "timestamp": s.timestamp.unwrap_or(0.0),
            });
            if let Some(c) = &s.container_status {
                v["container_status"] = proto_json(c, "mesos.v1.ContainerStatus");
            }
            v
        })
        .collect();
    let mut v = json!({
        "id": t.info.task_id.value,
        "name": t.info.name,
        "framework_id": fid,
        "executor_id": t.executor_id.clone().unwrap_or_default(),
        "slave_id": agent_id,
        "state": state_name(t.state),
        "resources": summary(&t.resources),
        "role": t.role,
        "statuses": statuses,
    });
    if let Some(labels) = &t.info.labels {
        v["labels"] = proto_json(labels, "mesos.v1.Labels")["labels"].clone();
    }
    v
}

#[allow(deprecated)]
fn framework_json(w: &World, fw: &Framework) -> Value {
    let used = fw
        .tasks
        .values()
        .filter(|t| !t.released)
        .map(|t| &t.resources)
        .chain(fw.executors.values().map(|(_, r)| r))
        .fold(crate::resources::Resources::new(), |a, r| res::plus(&a, r));
    let offered = fw
        .offers
        .iter()
        .filter_map(|id| w.master.offers.get(id))
        .fold(crate::resources::Resources::new(), |a, o| {
            res::plus(&a, &o.resources)
        });
    let caps: Vec<&str> = fw
        .info
        .capabilities
        .iter()
        .filter_map(|c| c.r#type)
        .filter_map(|t| m::framework_info::capability::Type::try_from(t).ok())
        .map(|t| t.as_str_name())
        .collect();
    let tasks: Vec<Value> = fw
        .task_order
        .iter()
        .filter_map(|id| fw.tasks.get(id))
        .map(|t| task_json(t, &fw.id, &w.master.agent_id(t.agent)))
        .collect();
    let completed: Vec<Value> = fw
        .completed_tasks
        .iter()
        .map(|t| task_json(t, &fw.id, &w.master.agent_id(t.agent)))
        .collect();
    let offers: Vec<Value> = fw
        .offers
        .iter()
        .filter_map(|id| w.master.offers.get(id).map(|o| (id, o)))
        .map(|(id, o)| {
            json!({
                "id": id,
                "framework_id": fw.id,
                "slave_id": w.master.agent_id(o.agent),
                "resources": summary(&o.resources),
                "allocation_info": {"role": o.role},
            })
        })
        .collect();
    let executors: Vec<Value> = fw
        .executors
        .iter()
        .map(|((agent, _), (info, _))| {
            let mut v = proto_json(info, "mesos.v1.ExecutorInfo");
            v["slave_id"] = json!(w.master.agent_id(*agent));
            v
        })
        .collect();
    let mut v = json!({
        "id": fw.id,
        "name": fw.info.name,
        "used_resources": summary(&used),
        "offered_resources": summary(&offered),
        "capabilities": caps,
        "hostname": fw.info.hostname.clone().unwrap_or_default(),
        "webui_url": fw.info.webui_url.clone().unwrap_or_default(),
        "active": fw.connected(),
        "connected": fw.connected(),
        "recovered": false,
        "user": fw.info.user,
        "failover_timeout": fw.info.failover_timeout.unwrap_or(0.0),
        "checkpoint": fw.info.checkpoint.unwrap_or(false),
        "registered_time": fw.registered_time,
        "unregistered_time": fw.unregistered_time,
        "resources": summary(&res::plus(&used, &offered)),
        "tasks": tasks,
        "unreachable_tasks": [],
        "completed_tasks": completed,
        "offers": offers,
        "executors": executors,
        "offer_constraints": {},
    });
    if fw.has(m::framework_info::capability::Type::MultiRole) {
        v["roles"] = json!(fw.info.roles);
    } else {
        v["role"] = json!(fw.info.role.clone().unwrap_or_else(|| "*".into()));
    }
    if let Some(p) = &fw.info.principal {
        v["principal"] = json!(p);
    }
    v
}

pub(crate) fn state(w: &World) -> Value {
    let mut v = crate::local::version_json();
    let port = w.master.port;
    let pid = format!("master@127.0.0.1:{port}");
    let slaves: Vec<Value> = w
        .agents
        .iter()
        .map(|a| {
            let slot = &w.master.slots[a.index];
            json!({
                "id": a.id,
                "hostname": "127.0.0.1",
                "port": a.port,
                "attributes": {},
                "pid": a.pid(),
                "registered_time": a.start_time,
                "resources": summary(&slot.total),
                "used_resources": summary(&slot.used),
                "offered_resources": summary(&slot.offered),
                "reserved_resources": {},
                "unreserved_resources": summary(&slot.total),
                "active": true,
                "deactivated": false,
                "version": crate::local::VERSION,
                "capabilities": ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"],
            })
        })
        .collect();
    let mut frameworks: Vec<&Framework> = w.master.frameworks.values().collect();
    frameworks.sort_by(|a, b| a.id.cmp(&b.id));
    v["start_time"] = json!(w.master.start_time);
    v["elected_time"] = json!(w.master.start_time);
    v["id"] = json!(w.master.id);
    v["pid"] = json!(pid);
    v["hostname"] = json!("127.0.0.1");
    v["capabilities"] = json!(["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"]);
    v["activated_slaves"] = json!(w.agents.len() as f64);
    v["deactivated_slaves"] = json!(0.0);
    v["unreachable_slaves"] = json!(0.0);
    v["leader"] = json!(pid);
    v["leader_info"] = json!({
        "id": w.master.id, "pid": pid, "port": port, "hostname": "127.0.0.1",
    });
    v["flags"] = json!({
        "allocation_interval": crate::local::ids::mesos_duration(w.ctx.settings.allocation_interval),
        "hostname": "127.0.0.1",
        "port": port.to_string(),
        "min_allocatable_resources": "cpus:0.01|mem:32",
    });
    v["slaves"] = json!(slaves);
    v["recovered_slaves"] = json!([]);
    v["frameworks"] = json!(frameworks
        .iter()
        .map(|f| framework_json(w, f))
        .collect::<Vec<_>>());
    v["completed_frameworks"] = json!(w
        .master
        .completed
        .iter()
        .map(|f| framework_json(w, f))
        .collect::<Vec<_>>());
    v["orphan_tasks"] = json!([]);
    v["unregistered_frameworks"] = json!([]);
    v
}
