//! The core's settings. Times are milliseconds of the caller's monotonic clock.

use crate::binpack::{Method, Weights};
use crate::{Error, Result};

/// How queued tasks are matched to offers.
#[derive(Clone, Debug, PartialEq)]
pub enum Heuristic {
    /// One `crate::binpack` method (default: satyr's `bfd`).
    Method(Method),
    /// The binpack portfolio over these methods (most tasks placed, then fewest offers used).
    Best(Vec<Method>),
}

/// Settings of a [`super::SchedulerCore`]; [`Config::default`] gives satyr's behaviour with
/// the fixes (bfd over cpus/mem with weights 1, 3 attempts, declines with filters).
#[derive(Clone, Debug)]
pub struct Config {
    /// Placement heuristic for the built-in placer.
    pub heuristic: Heuristic,
    /// Resource names packed as vector dimensions (scalar totals; ranges and sets count values).
    pub dimensions: Vec<String>,
    /// `(dimension name, k)` for the weighted heuristics, in summation order.
    pub weights: Vec<(String, f64)>,
    /// Launches per task before an infrastructure failure is final (1 = no retries).
    pub max_attempts: u32,
    /// `refuse_seconds` when declining while tasks wait that did not fit (short: they may fit a
    /// later offer).
    pub refuse_seconds: f64,
    /// `refuse_seconds` when declining with nothing waiting (long; REVIVE clears it).
    pub idle_refuse_seconds: f64,
    /// How long an unused offer may be held for work submitted shortly after (0: decline at once).
    pub hold_offers_ms: u64,
    /// A task that fits no known agent becomes an error after this long (agents that are busy
    /// offer less than they have; this lets larger offers show up first).
    pub too_big_after_ms: u64,
    /// Period of implicit reconciliation (all tasks the master knows).
    pub reconcile_interval_ms: u64,
    /// First retry delay of explicit reconciliation after (re)subscribing; doubles each time.
    pub reconcile_retry_ms: u64,
    /// Cap of that delay.
    pub reconcile_retry_max_ms: u64,
    /// A launched task without any status update for this long is reconciled explicitly (the
    /// master answers TASK_LOST/UNKNOWN for a launch it never saw, and the task is retried).
    pub launch_timeout_ms: u64,
    /// Roles named in REVIVE and SUPPRESS (empty: all of the framework's roles).
    pub roles: Vec<String>,
    /// Most queued tasks considered in one placement round (bounds the work per offer event).
    pub max_candidates: usize,
    /// Ended task ids remembered to recognise late updates of abandoned attempts.
    pub graveyard_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            heuristic: Heuristic::Method(Method::Bfd),
            dimensions: ["cpus", "mem", "disk", "gpus", "ports"]
                .map(String::from)
                .to_vec(),
            weights: vec![("cpus".into(), 1.0), ("mem".into(), 1.0)],
            max_attempts: 3,
            refuse_seconds: 5.0,
            idle_refuse_seconds: 300.0,
            hold_offers_ms: 0,
            too_big_after_ms: 10_000,
            reconcile_interval_ms: 15 * 60 * 1000,
            reconcile_retry_ms: 1_000,
            reconcile_retry_max_ms: 5 * 60 * 1000,
            launch_timeout_ms: 60_000,
            roles: Vec::new(),
            max_candidates: 100_000,
            graveyard_size: 50_000,
        }
    }
}

impl Config {
    /// Checks the settings; returns the packer's weights over [`Config::dimensions`].
    pub fn validate(&self) -> Result<Weights> {
        let bad = |msg: String| Err(Error::InvalidArgument(msg));
        if self.dimensions.is_empty() {
            return bad("the scheduler needs at least one resource dimension, e.g. cpus".into());
        }
        for (i, name) in self.dimensions.iter().enumerate() {
            if name.is_empty() || self.dimensions[..i].contains(name) {
                return bad(format!("dimensions: {name:?} is empty or repeated"));
            }
        }
        if self.max_attempts == 0 {
            return bad("max_attempts must be at least 1".into());
        }
        for (what, v) in [
            ("refuse_seconds", self.refuse_seconds),
            ("idle_refuse_seconds", self.idle_refuse_seconds),
        ] {
            if !v.is_finite() || v < 0.0 {
                return bad(format!("{what} must be a finite number >= 0, got {v}"));
            }
        }
        if self.max_candidates == 0 {
            return bad("max_candidates must be at least 1".into());
        }
        if let Heuristic::Best(methods) = &self.heuristic {
            if methods.is_empty() {
                return bad("the portfolio needs at least one method".into());
            }
        }
        let mut terms = Vec::with_capacity(self.weights.len());
        for (name, k) in &self.weights {
            let Some(dim) = self.dimensions.iter().position(|d| d == name) else {
                return bad(format!(
                    "weight for {name:?}, which is not one of the dimensions {:?}",
                    self.dimensions
                ));
            };
            terms.push((dim, *k));
        }
        if terms.is_empty() {
            return Ok(Weights::uniform(self.dimensions.len()));
        }
        Weights::new(terms, self.dimensions.len())
    }
}
