//! What the agent has not acknowledged yet: tasks launched here that have no acknowledged update,
//! and updates sent without an ACKNOWLEDGED event. Both go into every (re)SUBSCRIBE, in order.

use crate::proto::mesos as m;
use crate::proto::mesos::executor::call;

/// The executor's unacknowledged tasks and updates.
#[derive(Debug, Default, Clone)]
pub struct Book {
    tasks: Vec<m::TaskInfo>,
    updates: Vec<call::Update>,
}

impl Book {
    /// A task arrived in LAUNCH / LAUNCH_GROUP.
    pub fn launched(&mut self, task: m::TaskInfo) {
        if !self.tasks.iter().any(|t| t.task_id == task.task_id) {
            self.tasks.push(task);
        }
    }

    /// An update is being sent (or will ride the next SUBSCRIBE).
    pub fn sent(&mut self, status: m::TaskStatus) {
        self.updates.push(call::Update { status });
    }

    /// ACKNOWLEDGED: forget that update and the task's launch. Returns whether the uuid was
    /// known.
    pub fn acknowledged(&mut self, task_id: &m::TaskId, uuid: &[u8]) -> bool {
        let before = self.updates.len();
        self.updates
            .retain(|u| u.status.uuid.as_deref() != Some(uuid));
        self.tasks.retain(|t| &t.task_id != task_id);
        self.updates.len() != before
    }

    /// The SUBSCRIBE lists: (unacknowledged tasks, unacknowledged updates).
    pub fn lists(&self) -> (Vec<m::TaskInfo>, Vec<call::Update>) {
        (self.tasks.clone(), self.updates.clone())
    }

    /// Updates still waiting for ACKNOWLEDGED.
    pub fn pending_updates(&self) -> usize {
        self.updates.len()
    }

    /// True if `uuid` is an update still waiting for ACKNOWLEDGED.
    pub fn is_pending(&self, uuid: &[u8]) -> bool {
        self.updates
            .iter()
            .any(|u| u.status.uuid.as_deref() == Some(uuid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str) -> m::TaskInfo {
        m::TaskInfo {
            name: id.into(),
            task_id: m::TaskId { value: id.into() },
            ..Default::default()
        }
    }

    fn status(id: &str, uuid: u8) -> m::TaskStatus {
        m::TaskStatus {
            task_id: m::TaskId { value: id.into() },
            uuid: Some(vec![uuid; 16]),
            ..Default::default()
        }
    }

    #[test]
    fn case_39_acks_remove_updates_and_tasks() {
        let mut b = Book::default();
        b.launched(task("a"));
        b.launched(task("b"));
        b.launched(task("c"));
        b.launched(task("a"));
        b.sent(status("a", 1));
        b.sent(status("b", 2));
        b.sent(status("a", 3));
        assert!(b.acknowledged(&task("a").task_id, &[1; 16]));
        assert!(b.acknowledged(&task("b").task_id, &[2; 16]));
        assert!(!b.acknowledged(&task("b").task_id, &[9; 16]));
        let (tasks, updates) = b.lists();
        assert_eq!(
            tasks
                .iter()
                .map(|t| t.task_id.value.as_str())
                .collect::<Vec<_>>(),
            ["c"]
        );
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].status, status("a", 3));
        assert!(b.is_pending(&[3; 16]));
        assert_eq!(b.pending_updates(), 1);
    }
}
