//! Statistics kept as things happen, so reports cost nothing: live tasks by state, ended tasks
//! by outcome, and running totals.

use super::decisions::OutcomeKind;
use super::task::Kind;
use crate::proto::mesos::TaskState;

/// Every task state, in enum value order (0..=13).
const STATES: usize = 14;

fn slot(state: TaskState) -> usize {
    usize::try_from(state as i32).unwrap_or(0).min(STATES - 1)
}

/// Counters.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    calls: [usize; STATES],
    workers: [usize; STATES],
    /// Ended tasks (calls and workers) by terminal outcome.
    pub finished: u64,
    pub exceptions: u64,
    pub failed: u64,
    pub killed: u64,
    pub errors: u64,
    /// Tasks launched (attempts), retries made, tasks submitted.
    pub launches: u64,
    pub retries: u64,
    pub submitted: u64,
}

impl Stats {
    fn table(&mut self, kind: Kind) -> &mut [usize; STATES] {
        match kind {
            Kind::Call => &mut self.calls,
            Kind::Worker => &mut self.workers,
        }
    }

    pub fn enter(&mut self, kind: Kind, state: TaskState) {
        self.table(kind)[slot(state)] += 1;
    }

    pub fn leave(&mut self, kind: Kind, state: TaskState) {
        let n = &mut self.table(kind)[slot(state)];
        *n = n.saturating_sub(1);
    }

    pub fn change(&mut self, kind: Kind, from: TaskState, to: TaskState) {
        if from != to {
            self.leave(kind, from);
            self.enter(kind, to);
        }
    }

    pub fn ended(&mut self, outcome: &OutcomeKind) {
        match outcome {
            OutcomeKind::Finished => self.finished += 1,
            OutcomeKind::Exception => self.exceptions += 1,
            OutcomeKind::Failed => self.failed += 1,
            OutcomeKind::Killed => self.killed += 1,
            OutcomeKind::Error => self.errors += 1,
            _ => {}
        }
    }

    /// Live tasks of `kind` by state (states with none left out), in enum value order.
    pub fn by_state(&self, kind: Kind) -> Vec<(TaskState, usize)> {
        let table = match kind {
            Kind::Call => &self.calls,
            Kind::Worker => &self.workers,
        };
        table
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .filter_map(|(i, n)| {
                let state = TaskState::try_from(i32::try_from(i).ok()?).ok()?;
                Some((state, *n))
            })
            .collect()
    }

    /// Live tasks of `kind`.
    pub fn live(&self, kind: Kind) -> usize {
        match kind {
            Kind::Call => self.calls.iter().sum(),
            Kind::Worker => self.workers.iter().sum(),
        }
    }

    /// Ended tasks by outcome name.
    pub fn ended_by_outcome(&self) -> [(&'static str, u64); 5] {
        [
            ("finished", self.finished),
            ("exception", self.exceptions),
            ("failed", self.failed),
            ("killed", self.killed),
            ("error", self.errors),
        ]
    }
}
