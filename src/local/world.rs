//! The state of the whole local cluster (master and agents) behind one lock, and the context
//! its parts use to act later: timers, the allocator's wake-up, the launcher thread.
//!
//! Everything that changes state runs under the lock and never waits: events go out through
//! unbounded channels, children are forked by the launcher thread, delays are timer tasks that
//! take the lock when they fire.

use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use super::agent::Agent;
use super::config::ClusterConfig;
use super::master::Master;
use super::process::Launcher;

/// What the running cluster was configured with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub allocation_interval: Duration,
    pub heartbeat_interval: Duration,
    pub status_update_retry: Duration,
    pub executor_registration_timeout: Duration,
    pub executor_shutdown_grace_period: Duration,
    pub kill_grace_period: Duration,
    pub inherit_env: bool,
}

impl Settings {
    pub(crate) fn from_config(c: &ClusterConfig) -> Settings {
        Settings {
            allocation_interval: c.allocation_interval,
            heartbeat_interval: c.heartbeat_interval,
            status_update_retry: c.status_update_retry,
            executor_registration_timeout: c.executor_registration_timeout,
            executor_shutdown_grace_period: c.executor_shutdown_grace_period,
            kill_grace_period: c.kill_grace_period,
            inherit_env: c.inherit_env,
        }
    }
}

/// The lock, and what is waited on next to it.
pub(crate) struct Shared {
    world: Mutex<World>,
    /// Wakes the allocator.
    pub alloc: Notify,
    /// Signalled whenever a child process exits (stop waits on it).
    pub exited: Condvar,
}

impl Shared {
    /// The shared state; `make` gets the weak handle the world's context keeps.
    pub(crate) fn new(make: impl FnOnce(Weak<Shared>) -> World) -> Arc<Shared> {
        Arc::new_cyclic(|weak| Shared {
            world: Mutex::new(make(weak.clone())),
            alloc: Notify::new(),
            exited: Condvar::new(),
        })
    }

    /// Takes the lock. Nothing panics while holding it; a poisoned lock still holds valid state.
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a child to exit, or the timeout.
    pub(crate) fn wait_exit<'a>(
        &self,
        guard: MutexGuard<'a, World>,
        timeout: Duration,
    ) -> MutexGuard<'a, World> {
        match self.exited.wait_timeout(guard, timeout) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        }
    }
}

/// How parts of the world act later or elsewhere.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub shared: Weak<Shared>,
    pub runtime: tokio::runtime::Handle,
    pub launcher: Arc<Launcher>,
    pub settings: Arc<Settings>,
}

impl Ctx {
    /// Runs `f` on the world after `delay` (not once the cluster is stopping).
    pub(crate) fn after(&self, delay: Duration, f: impl FnOnce(&mut World) + Send + 'static) {
        let weak = self.shared.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(shared) = weak.upgrade() {
                let mut world = shared.lock();
                if !world.stopping {
                    f(&mut world);
                }
            }
        });
    }

    /// Runs `f` on the world once `fut` completes.
    pub(crate) fn when<F>(&self, fut: F, f: impl FnOnce(&mut World, F::Output) + Send + 'static)
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        let weak = self.shared.clone();
        self.runtime.spawn(async move {
            let out = fut.await;
            if let Some(shared) = weak.upgrade() {
                let mut world = shared.lock();
                f(&mut world, out);
            }
        });
    }

    /// Wakes the allocator.
    pub(crate) fn allocate(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.alloc.notify_one();
        }
    }
}

/// The master and its agents.
pub(crate) struct World {
    pub ctx: Ctx,
    pub master: Master,
    pub agents: Vec<Agent>,
    /// Set by stop: no new processes, timers do nothing.
    pub stopping: bool,
    /// Process groups (leaders' pids) of children not yet reaped.
    pub live: std::collections::HashSet<u32>,
}
