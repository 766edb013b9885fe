//! Reconciliation timing: explicit reconciliation of launched tasks after every (re)subscription,
//! retried with doubling delays until each has been heard of since; periodic implicit
//! reconciliation; explicit reconciliation of launches that stay silent too long.

use std::collections::VecDeque;

use super::task::Serial;

/// An ACCEPT sent: when, for which offers, with which tasks (and their launch numbers).
pub type Accept = (u64, Vec<String>, Vec<(Serial, u32)>);

#[derive(Debug, Default)]
pub struct Reconciler {
    /// Start of the explicit round after the last subscription (None: done).
    pub round_started: Option<u64>,
    pub next_retry: u64,
    pub backoff: u64,
    /// Next implicit reconciliation (None: not subscribed yet).
    pub next_implicit: Option<u64>,
    /// Launches in time order: `(launched at, task, launch number)`.
    pub launches: VecDeque<(u64, Serial, u32)>,
    /// ACCEPTs in time order: `(sent at, offer ids, tasks with their launch number)`, for
    /// `launch_failed`.
    pub accepts: VecDeque<Accept>,
}

impl Reconciler {
    /// A new subscription: start an explicit round.
    pub fn subscribed(&mut self, now: u64, retry: u64, interval: u64) {
        self.round_started = Some(now);
        self.backoff = retry.max(1);
        self.next_retry = now.saturating_add(self.backoff);
        self.next_implicit = Some(now.saturating_add(interval));
    }

    /// The explicit round's next retry is due: returns its start time and schedules the one
    /// after.
    pub fn retry_due(&mut self, now: u64, max: u64) -> Option<u64> {
        let started = self.round_started?;
        if now < self.next_retry {
            return None;
        }
        self.backoff = self.backoff.saturating_mul(2).min(max.max(1));
        self.next_retry = now.saturating_add(self.backoff);
        Some(started)
    }

    /// Implicit reconciliation is due.
    pub fn implicit_due(&mut self, now: u64, interval: u64) -> bool {
        match self.next_implicit {
            Some(t) if now >= t => {
                self.next_implicit = Some(now.saturating_add(interval));
                true
            }
            _ => false,
        }
    }

    /// Drops ACCEPT records older than `age`.
    pub fn prune_accepts(&mut self, now: u64, age: u64) {
        while self
            .accepts
            .front()
            .is_some_and(|(t, _, _)| now.saturating_sub(*t) > age)
        {
            self.accepts.pop_front();
        }
    }
}
