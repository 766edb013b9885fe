//! The queue scheduler core: a deterministic state machine with no I/O behind QueueScheduler,
//! MesosPoolExecutor and Pool.
//!
//! Inputs: tasks ([`SchedulerCore::submit`]), offers, rescinds, status updates, (re)subscription,
//! kills, worker reports, and the time (`now`, milliseconds of the caller's monotonic clock).
//! Outputs: an [`Output`] per input: operations for the master ([`Op`]: ACCEPT with LAUNCH,
//! DECLINE, KILL, REVIVE, SUPPRESS, RECONCILE) and outcomes for the caller ([`Outcome`]).
//!
//! Guarantees:
//! - every submitted task gets exactly one terminal outcome (finished, exception, failed,
//!   killed, error), whatever arrives: duplicates, reordered or unknown updates never panic
//!   and never end a task twice; a failing task never affects the others;
//! - infrastructure failures are retried up to `max_attempts` launches, each attempt under its
//!   own Mesos id (`<id>`, `<id>.retry1`, ...), so a late update of an abandoned attempt cannot
//!   be mistaken for the current one (a still-running abandoned attempt is killed); the user's
//!   exception is never retried (see [`retries`] for the executor's label contract);
//! - tasks of one agent's offers go out in one ACCEPT; unused offers are declined with a short
//!   filter while work waits and a long one when idle; SUPPRESS when idle, REVIVE on new work;
//! - a task larger than every known agent ends with an error once that has held for
//!   `too_big_after_ms`; before any agent is known it waits;
//! - a placement round only looks at as many queued tasks of each demand class as the offers
//!   could hold, so 100,000 queued tasks cost nothing per offer event.

mod config;
mod convert;
mod core;
mod cycle;
mod decisions;
mod graveyard;
mod offers;
mod placement;
mod queue;
mod reconcile;
pub mod retries;
mod state;
mod task;
mod template;
mod update;
mod workers;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub use self::core::SchedulerCore;
pub use config::{Config, Heuristic};
pub use decisions::{LaunchInfo, Op, Outcome, OutcomeKind, Output};
pub use placement::{MethodPlacer, Placer};
pub use retries::{EXCEPTION, OUTCOME_LABEL};
pub use task::attempt_id;
pub use template::Template;

/// A multiplicative hasher for the core's handles and task ids (the caller's own, so flooding
/// resistance is not needed).
#[derive(Default, Clone, Copy)]
pub struct SerialHasher(u64);

impl Hasher for SerialHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(23) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// A map keyed by the core's handles or task ids.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<SerialHasher>>;
