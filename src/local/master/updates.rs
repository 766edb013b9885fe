//! Status updates on their way from the agents to the schedulers (the master keeps each task's
//! latest state, and gives its resources back at a terminal state), acknowledgements on their
//! way back, executor exits (FAILURE), and scheduler MESSAGEs to executors.

use super::framework::is_terminal;
use crate::local::resources as res;
use crate::local::world::World;
use crate::proto::mesos as m;
use crate::proto::mesos::scheduler::{call, event, Event};

/// How many statuses a task keeps for the state endpoint.
const MAX_STATUSES: usize = 50;

impl World {
    /// An update forwarded by an agent's status update manager.
    pub(crate) fn master_update(&mut self, agent: usize, fid: &str, status: &m::TaskStatus) {
        let Some(fw) = self.master.frameworks.get_mut(fid) else {
            return;
        };
        let mut freed = false;
        if let Some(task) = fw.tasks.get_mut(&status.task_id.value) {
            if task.latest_uuid.is_none() || task.latest_uuid != status.uuid {
                let mut kept = status.clone();
                kept.data = None;
                task.statuses.push(kept);
                if task.statuses.len() > MAX_STATUSES {
                    task.statuses.remove(0);
                }
                task.state = status.state;
                task.latest_uuid = status.uuid.clone();
            }
            if is_terminal(task.state) && !task.released {
                task.released = true;
                let slot = &mut self.master.slots[agent];
                slot.used = res::minus(&slot.used, &task.resources);
                freed = true;
            }
        }
        fw.send_update(status.clone());
        if freed {
            self.ctx.allocate();
        }
    }

    /// ACKNOWLEDGE: a terminal, acknowledged task is done at the master; the agent moves on
    /// to the task's next update.
    pub(crate) fn acknowledge(&mut self, fid: &str, ack: &call::Acknowledge) {
        let Some(agent) = self.master.agent_index(&ack.agent_id.value) else {
            return;
        };
        if let Some(fw) = self.master.frameworks.get_mut(fid) {
            let done = fw.tasks.get(&ack.task_id.value).is_some_and(|t| {
                is_terminal(t.state) && t.latest_uuid.as_deref() == Some(ack.uuid.as_slice())
            });
            if done {
                fw.complete_task(&ack.task_id.value);
            }
        }
        self.agent_acknowledge(agent, fid, &ack.task_id.value, &ack.uuid);
    }

    /// An executor ended: its resources go back; a FAILURE event for custom executors.
    pub(crate) fn master_executor_exited(
        &mut self,
        agent: usize,
        fid: &str,
        executor_id: &str,
        status: Option<i32>,
    ) {
        let agent_id = self.master.agent_id(agent);
        let Some(fw) = self.master.frameworks.get_mut(fid) else {
            return;
        };
        if let Some((_, resources)) = fw.executors.remove(&(agent, executor_id.to_string())) {
            let slot = &mut self.master.slots[agent];
            slot.used = res::minus(&slot.used, &resources);
            self.ctx.allocate();
        }
        if let Some(status) = status {
            fw.send(&Event {
                r#type: Some(event::Type::Failure as i32),
                failure: Some(event::Failure {
                    agent_id: Some(m::AgentId { value: agent_id }),
                    executor_id: Some(m::ExecutorId {
                        value: executor_id.to_string(),
                    }),
                    status: Some(status),
                }),
                ..Default::default()
            });
        }
    }

    /// An executor's MESSAGE for its scheduler.
    pub(crate) fn executor_message(
        &mut self,
        agent: usize,
        fid: &str,
        executor_id: &str,
        data: Vec<u8>,
    ) {
        let agent_id = self.master.agent_id(agent);
        if let Some(fw) = self.master.frameworks.get(fid) {
            fw.send(&Event {
                r#type: Some(event::Type::Message as i32),
                message: Some(event::Message {
                    agent_id: m::AgentId { value: agent_id },
                    executor_id: m::ExecutorId {
                        value: executor_id.to_string(),
                    },
                    data,
                }),
                ..Default::default()
            });
        }
    }

    /// A scheduler's MESSAGE (unreliable): to the executor if it is subscribed.
    pub(crate) fn scheduler_message(&mut self, fid: &str, msg: call::Message) {
        if let Some(agent) = self.master.agent_index(&msg.agent_id.value) {
            self.agent_deliver_message(agent, fid, &msg.executor_id.value, msg.data);
        }
    }

    /// SHUTDOWN of one executor.
    pub(crate) fn shutdown_call(&mut self, fid: &str, s: &call::Shutdown) {
        if let Some(agent) = self.master.agent_index(&s.agent_id.value) {
            self.agent_shutdown_executor(agent, fid, &s.executor_id.value);
        }
    }
}
