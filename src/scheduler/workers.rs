//! Worker mode: long-running worker tasks that hold resources in Mesos and take calls over a
//! direct connection (the Python layer's business). The core keeps as many alive as the caller
//! wants, replaces lost ones, releases idle ones after a timeout, and stops relaunching when
//! workers keep failing.

use std::collections::BTreeMap;

use super::task::Serial;
use crate::proto::mesos::TaskInfo;

/// Per-worker bookkeeping (the task itself lives with the other tasks).
#[derive(Clone, Debug, Default)]
pub struct Worker {
    /// Idle since this time (None: busy, or not running yet).
    pub idle_since: Option<u64>,
}

/// The pool.
#[derive(Debug)]
pub struct WorkerPool {
    /// The worker TaskInfo (its `task_id` is the prefix of worker ids); None: no workers.
    pub template: Option<TaskInfo>,
    pub idle_timeout_ms: u64,
    /// Unrequested worker ends in a row (without one serving in between) before giving up.
    pub max_failures: u32,
    /// Workers the caller wants now.
    pub demand: usize,
    /// Next worker number.
    pub seq: u64,
    pub failures_in_a_row: u32,
    /// Why the pool gave up (no more workers are launched until reconfigured).
    pub gave_up: Option<String>,
    /// Live workers that were not asked to stop, in creation order.
    pub alive: BTreeMap<Serial, Worker>,
}

impl Default for WorkerPool {
    fn default() -> Self {
        WorkerPool {
            template: None,
            idle_timeout_ms: 60_000,
            max_failures: 5,
            demand: 0,
            seq: 0,
            failures_in_a_row: 0,
            gave_up: None,
            alive: BTreeMap::new(),
        }
    }
}

impl WorkerPool {
    /// Workers to add now.
    pub fn missing(&self) -> usize {
        if self.template.is_none() || self.gave_up.is_some() {
            return 0;
        }
        self.demand.saturating_sub(self.alive.len())
    }

    /// Workers beyond demand.
    pub fn surplus(&self) -> usize {
        self.alive.len().saturating_sub(self.demand)
    }

    /// The next worker's TaskInfo (id `<prefix>-<n>`).
    pub fn next_task(&mut self) -> Option<TaskInfo> {
        let mut info = self.template.clone()?;
        self.seq += 1;
        let prefix = if info.task_id.value.is_empty() {
            "satyr-worker"
        } else {
            info.task_id.value.as_str()
        };
        info.task_id.value = format!("{prefix}-{}", self.seq);
        if info.name.is_empty() {
            info.name = info.task_id.value.clone();
        }
        Some(info)
    }

    /// Records an unrequested end; returns the reason to give up when this was one too many.
    pub fn failed(&mut self, why: &str) -> Option<String> {
        self.failures_in_a_row += 1;
        if self.failures_in_a_row >= self.max_failures && self.gave_up.is_none() {
            let msg = format!(
                "{} worker tasks in a row ended without serving; not launching more. Last: {why}",
                self.failures_in_a_row
            );
            self.gave_up = Some(msg.clone());
            return Some(msg);
        }
        None
    }

    /// Gives up at once (a worker that can never run).
    pub fn give_up(&mut self, why: &str) -> Option<String> {
        if self.gave_up.is_some() {
            return None;
        }
        let msg = format!("worker tasks cannot run: {why}");
        self.gave_up = Some(msg.clone());
        Some(msg)
    }

    /// Idle workers past the timeout, longest idle first, at most `surplus` of them.
    pub fn expired(&self, now: u64) -> Vec<Serial> {
        let mut idle: Vec<(u64, Serial)> = self
            .alive
            .iter()
            .filter_map(|(s, w)| w.idle_since.map(|t| (t, *s)))
            .filter(|(t, _)| now.saturating_sub(*t) >= self.idle_timeout_ms)
            .collect();
        idle.sort_unstable();
        idle.truncate(self.surplus());
        idle.into_iter().map(|(_, s)| s).collect()
    }
}
