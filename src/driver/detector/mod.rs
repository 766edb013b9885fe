//! Master detection: which master to subscribe to next.
//!
//! - fixed addresses: tried in turn, the driver follows 307 redirects to the leader;
//! - `zk://`: a task watches the ZooKeeper group and publishes the current leader;
//! - `file://`: read once at start, then one of the above.

pub mod leader;
pub mod zk;
pub mod zk_client;

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::DriverError;
use super::master_url::{self, Endpoint, MasterSpec, Scheme};

/// Yields the master to try next.
pub(crate) enum Detector {
    Static {
        endpoints: Vec<Endpoint>,
        next: usize,
    },
    ZooKeeper {
        leader: watch::Receiver<Option<Endpoint>>,
        task: JoinHandle<()>,
    },
}

impl Drop for Detector {
    fn drop(&mut self) {
        if let Detector::ZooKeeper { task, .. } = self {
            task.abort();
        }
    }
}

/// Resolves `file://` (reading the file now) so that what is left is fixed or ZooKeeper.
pub(crate) fn resolve_spec(spec: MasterSpec) -> Result<MasterSpec, DriverError> {
    match spec {
        MasterSpec::File(path) => {
            let shown = path.display().to_string();
            let content = std::fs::read_to_string(&path).map_err(|e| {
                DriverError::master_url(&format!("file://{shown}"), format!("cannot read: {e}"))
            })?;
            master_url::parse_file_content(&shown, &content)
        }
        other => Ok(other),
    }
}

impl Detector {
    /// Starts detection (spawns the ZooKeeper watcher on the current runtime).
    pub fn start(
        spec: MasterSpec,
        zk_scheme: Scheme,
        zk_session_timeout: Duration,
    ) -> Result<Self, DriverError> {
        match resolve_spec(spec)? {
            MasterSpec::Endpoints(endpoints) => Ok(Detector::Static { endpoints, next: 0 }),
            MasterSpec::ZooKeeper(url) => {
                let (tx, rx) = watch::channel(None);
                let task = tokio::spawn(zk::watch_leader(url, zk_scheme, zk_session_timeout, tx));
                Ok(Detector::ZooKeeper { leader: rx, task })
            }
            MasterSpec::File(_) => Err(DriverError::NoLeader),
        }
    }

    /// The master to try now; waits while ZooKeeper knows no leader.
    pub async fn current(&mut self) -> Endpoint {
        match self {
            Detector::Static { endpoints, next } => endpoints[*next % endpoints.len()].clone(),
            Detector::ZooKeeper { leader, .. } => loop {
                if let Some(ep) = leader.borrow_and_update().clone() {
                    return ep;
                }
                if leader.changed().await.is_err() {
                    // The watcher ended (it never does on its own): wait forever rather than spin.
                    std::future::pending::<()>().await;
                }
            },
        }
    }

    /// The last attempt at `current()` failed: move on to the next fixed address.
    pub fn failed(&mut self) {
        if let Detector::Static { next, .. } = self {
            *next = next.wrapping_add(1);
        }
    }

    /// Resolves when the detected leader is no longer `current` (never for fixed addresses).
    pub async fn changed_from(&mut self, current: &Endpoint) -> Option<Endpoint> {
        match self {
            Detector::Static { .. } => std::future::pending().await,
            Detector::ZooKeeper { leader, .. } => loop {
                let now = leader.borrow_and_update().clone();
                if now.as_ref() != Some(current) {
                    return now;
                }
                if leader.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            },
        }
    }
}
