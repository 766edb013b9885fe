//! State the actor publishes for its handles: connection state, framework id, master, outcome.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::error::DriverError;
use super::master_url::Endpoint;
use crate::proto::mesos::FrameworkId;

/// Where the driver is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverState {
    /// Waiting to (re)connect: detecting the leader or backing off.
    Disconnected,
    /// SUBSCRIBE sent, waiting for SUBSCRIBED.
    Subscribing,
    /// SUBSCRIBED received: calls are accepted.
    Subscribed,
    /// Ended (stop() or a fatal error).
    Stopped,
}

pub(crate) struct Snapshot {
    pub state: DriverState,
    pub framework_id: Option<FrameworkId>,
    pub master: Option<Endpoint>,
    /// Set once when the driver ends: `None` inside for a clean stop.
    pub outcome: Option<Option<DriverError>>,
}

pub(crate) struct Shared {
    inner: Mutex<Snapshot>,
    cond: Condvar,
    notify: tokio::sync::Notify,
    /// The event stream's pace in microseconds (see [`DriverHandle::set_pace`]).
    ///
    /// [`DriverHandle::set_pace`]: super::handle::DriverHandle::set_pace
    pace_micros: AtomicU64,
}

impl Shared {
    pub fn new(framework_id: Option<FrameworkId>) -> Self {
        Shared {
            inner: Mutex::new(Snapshot {
                state: DriverState::Disconnected,
                framework_id,
                master: None,
                outcome: None,
            }),
            cond: Condvar::new(),
            notify: tokio::sync::Notify::new(),
            pace_micros: AtomicU64::new(0),
        }
    }

    pub fn pace(&self) -> Duration {
        Duration::from_micros(self.pace_micros.load(Ordering::Relaxed))
    }

    pub fn set_pace(&self, pace: Duration) {
        let micros = u64::try_from(pace.as_micros()).unwrap_or(u64::MAX);
        self.pace_micros.store(micros, Ordering::Relaxed);
    }

    pub fn lock(&self) -> MutexGuard<'_, Snapshot> {
        // Nothing panics while holding this lock; recover the data if something ever did.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_state(&self, state: DriverState, master: Option<Endpoint>) {
        let mut s = self.lock();
        s.state = state;
        s.master = master;
    }

    pub fn set_framework_id(&self, id: FrameworkId) {
        self.lock().framework_id = Some(id);
    }

    pub fn finish(&self, outcome: Option<DriverError>) {
        {
            let mut s = self.lock();
            s.state = DriverState::Stopped;
            s.outcome = Some(outcome);
        }
        self.cond.notify_all();
        self.notify.notify_waiters();
    }

    pub async fn wait_finished(&self) -> Option<DriverError> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(o) = &self.lock().outcome {
                return o.clone();
            }
            notified.await;
        }
    }

    /// `Err(())` on timeout.
    pub fn wait_finished_blocking(
        &self,
        timeout: Option<Duration>,
    ) -> Result<Option<DriverError>, ()> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut s = self.lock();
        loop {
            if let Some(o) = &s.outcome {
                return Ok(o.clone());
            }
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if wait.is_zero() {
                return Err(());
            }
            s = self
                .cond
                .wait_timeout(s, wait)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}
