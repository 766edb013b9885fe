//! Child processes of the local cluster: one launcher thread forks them (so their parent-death
//! signal is tied to a thread that lives as long as the cluster), each in its own process group,
//! and a watchdog process kills every group still alive when this process dies, however it dies.

pub(crate) mod launcher;
pub(crate) mod signals;
mod watchdog;

pub(crate) use launcher::{Launcher, SpawnSpec};
