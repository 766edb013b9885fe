//! RECONCILE (explicit and implicit) and KILL of unknown tasks: updates from the master with
//! REASON_RECONCILIATION, no uuid and no data, with the texts of Mesos 1.11.

use super::framework::{master_status, Framework, Task};
use crate::local::ids;
use crate::local::world::World;
use crate::proto::mesos as m;
use crate::proto::mesos::framework_info::capability::Type as Cap;
use crate::proto::mesos::scheduler::call;
use crate::proto::mesos::task_status::{Reason, Source};

/// The latest state of a known task, as reconciliation reports it.
fn latest(task: &Task, agent_id: &str) -> m::TaskStatus {
    let mut status = task.statuses.last().cloned().unwrap_or_default();
    status.task_id = task.info.task_id.clone();
    status.state = task.state;
    status.message = Some("Reconciliation: Latest task state".into());
    status.source = Some(Source::Master as i32);
    status.reason = Some(Reason::Reconciliation as i32);
    status.agent_id = Some(m::AgentId {
        value: agent_id.to_string(),
    });
    if status.executor_id.is_none() {
        status.executor_id = task
            .executor_id
            .clone()
            .map(|value| m::ExecutorId { value });
    }
    status.timestamp = Some(ids::now());
    status.uuid = None;
    status.data = None;
    status.labels = None;
    status
}

impl World {
    /// RECONCILE: an empty list reports every task the master knows for the framework.
    pub(crate) fn reconcile(&mut self, fid: &str, tasks: &[call::reconcile::Task]) {
        let Some(fw) = self.master.frameworks.get(fid) else {
            return;
        };
        if tasks.is_empty() {
            for id in &fw.task_order {
                if let Some(task) = fw.tasks.get(id) {
                    fw.send_update(latest(task, &self.master.agent_id(task.agent)));
                }
            }
            return;
        }
        for t in tasks {
            let status = match fw.tasks.get(&t.task_id.value) {
                Some(task) => latest(task, &self.master.agent_id(task.agent)),
                None => self.unknown_task(fw, &t.task_id, t.agent_id.as_ref()),
            };
            fw.send_update(status);
        }
    }

    /// What reconciliation says of a task the master does not know.
    fn unknown_task(
        &self,
        fw: &Framework,
        task_id: &m::TaskId,
        agent_id: Option<&m::AgentId>,
    ) -> m::TaskStatus {
        let aware = fw.has(Cap::PartitionAware);
        let registered = agent_id.is_some_and(|a| self.master.agent_index(&a.value).is_some());
        let (state, message) = if registered {
            let s = if aware {
                m::TaskState::TaskGone
            } else {
                m::TaskState::TaskLost
            };
            (s, "Reconciliation: Task is unknown to the agent")
        } else {
            let s = if aware {
                m::TaskState::TaskUnknown
            } else {
                m::TaskState::TaskLost
            };
            (s, "Reconciliation: Task is unknown")
        };
        master_status(
            task_id,
            state,
            Reason::Reconciliation,
            message,
            agent_id.cloned(),
        )
    }

    /// KILL: sent on to the task's agent; an unknown task is reconciled instead.
    pub(crate) fn kill(&mut self, fid: &str, kill: call::Kill) {
        let Some(fw) = self.master.frameworks.get(fid) else {
            return;
        };
        match fw.tasks.get(&kill.task_id.value) {
            Some(task) => {
                let agent = task.agent;
                let policy = kill.kill_policy.or(task.info.kill_policy);
                self.agent_kill_task(agent, fid, &kill.task_id.value, policy);
            }
            None => {
                let status = self.unknown_task(fw, &kill.task_id, kill.agent_id.as_ref());
                fw.send_update(status);
            }
        }
    }
}
