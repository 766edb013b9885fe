//! A task the core looks after: the submitted TaskInfo, its demand class, its attempts.

use std::sync::Arc;

use prost::Message;

use super::template::Template;

use crate::proto::mesos::{TaskInfo, TaskState};

/// An executor slot a launched task holds: the executor id and the task's milli-cpus.
pub type Slot = (String, i64);

/// Internal handle of a task (never reused, so stale queue entries are recognisable).
pub type Serial = u64;

/// Per-call task or long-running worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Call,
    Worker,
}

/// Where a task is in its life.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Waiting in its class queue for an offer.
    Queued,
    /// Sent to Mesos in an ACCEPT (current attempt id in [`Task::mesos_id`]).
    Launched {
        agent_id: String,
        launched_ms: u64,
        /// Time of the last status of this attempt (None: none yet).
        updated_ms: Option<u64>,
    },
}

/// One submitted task.
#[derive(Clone, Debug)]
pub struct Task {
    /// The submitted id (attempt 1's Mesos id; later attempts get a suffix).
    pub id: String,
    pub kind: Kind,
    /// The TaskInfo as submitted, encoded (`resources` is the demand; `task_id`, `agent_id` and
    /// resources are replaced at launch). Kept encoded: a decoded TaskInfo is several KB, which
    /// 100,000 queued tasks should not cost.
    pub encoded: Vec<u8>,
    /// Its executor declares resources (paid by the first task that starts the executor).
    pub executor_resources: bool,
    /// Shares an executor of its settings only with tasks of at most this many milli-cpus in
    /// all (with it): each attempt goes to the first executor of the agent (`<id>`, `<id>-1`,
    /// ...) with room, so tasks holding several cpus of one agent run in as many Python
    /// processes, not behind one GIL. 0: an executor of its own. None: the submitted one.
    pub executor_slots: Option<i64>,
    /// The executor the current attempt was launched into and the milli-cpus it holds there
    /// (with `executor_slots`).
    pub executor_slot: Option<Slot>,
    /// Demand class (see `queue`).
    pub class: usize,
    pub phase: Phase,
    /// Live state for statistics: TASK_STAGING while queued, TASK_STARTING once launched, then
    /// what Mesos reported last.
    pub state: TaskState,
    /// The current attempt's Mesos task id (meaningful while launched).
    pub mesos_id: String,
    /// Every Mesos id used so far (attempt ids), to recognise late updates.
    pub mesos_ids: Vec<String>,
    /// Launches so far (names the attempt ids).
    pub launches: u32,
    /// Infrastructure failures so far (limited by `max_attempts`).
    pub failures: u32,
    pub max_attempts: u32,
    /// A kill was asked for; whatever ends the task now ends it as killed (unless it finished).
    pub kill_requested: bool,
    /// The template this task is a copy of (`SchedulerCore::submit_copy`).
    pub template: Option<Arc<Template>>,
}

impl Task {
    /// The submitted TaskInfo (it decoded when submitted, so it decodes now), decoded straight
    /// into its box (the message is large: no moves).
    pub fn info(&self) -> Option<Box<TaskInfo>> {
        let mut info = Box::<TaskInfo>::default();
        info.merge(self.encoded.as_slice()).ok()?;
        Some(info)
    }

    pub fn agent_id(&self) -> Option<&str> {
        match &self.phase {
            Phase::Launched { agent_id, .. } => Some(agent_id),
            Phase::Queued => None,
        }
    }

    pub fn is_launched(&self) -> bool {
        matches!(self.phase, Phase::Launched { .. })
    }
}

/// Mesos ids are at most 255 bytes.
const MAX_ID: usize = 255;

/// The Mesos id of launch number `launch` (1-based) of task `id`: the id itself first, then
/// `<id>.retry<n>`, shortened at a character boundary to fit Mesos' limit.
pub fn attempt_id(id: &str, launch: u32) -> String {
    if launch <= 1 {
        return id.to_owned();
    }
    let suffix = format!(".retry{}", launch - 1);
    let mut cut = id.len().min(MAX_ID.saturating_sub(suffix.len()));
    while !id.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}", &id[..cut])
}

/// Mesos' id rules (as the master checks them): non-empty, at most 255 bytes, not `.`/`..`,
/// no `/`, `\` or control characters.
pub fn check_id(id: &str) -> Result<(), String> {
    crate::driver::calls::validate_id("task id", id).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_ids_stay_valid() {
        assert_eq!(attempt_id("t1", 1), "t1");
        assert_eq!(attempt_id("t1", 3), "t1.retry2");
        let long = "é".repeat(127); // 254 bytes
        let id = attempt_id(&long, 2);
        assert!(id.len() <= 255);
        assert!(id.ends_with(".retry1"));
        assert!(check_id(&id).is_ok());
        assert!(check_id("a/b").is_err());
        assert!(check_id("").is_err());
    }
}
