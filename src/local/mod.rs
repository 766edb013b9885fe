//! The embedded local cluster: a Mesos-compatible master and agents on 127.0.0.1, speaking the
//! v1 scheduler and executor HTTP APIs (protobuf and JSON) the way Mesos 1.11 does, so the same
//! client code runs against it and against a real cluster.
//!
//! ```no_run
//! use _satyr::local::{ClusterConfig, LocalCluster};
//!
//! let cluster = LocalCluster::start(ClusterConfig {
//!     agents: 2,
//!     resources: Some("cpus:2;mem:2048;ports:[31000-32000]".into()),
//!     ..Default::default()
//! })?;
//! println!("master at {}", cluster.url());
//! cluster.stop();
//! # Ok::<(), _satyr::local::LocalError>(())
//! ```
//!
//! - **Master**: SUBSCRIBE (stream ids, HEARTBEAT at once and then every interval), offers of
//!   each agent's free resources (at once when resources are freed or a framework subscribes or
//!   revives, else every allocation interval), DECLINE filters, REVIVE, SUPPRESS, ACCEPT with
//!   LAUNCH and LAUNCH_GROUP validated with Mesos's states, reasons and texts, KILL, SHUTDOWN,
//!   RECONCILE, ACKNOWLEDGE, MESSAGE, TEARDOWN, UPDATE_FRAMEWORK, the failover timeout;
//!   `/master/state`, `/version`, `/master/redirect`.
//! - **Agents**: custom executors as child processes in sandboxes with the environment a Mesos
//!   agent gives, command tasks and task groups run by built-in executors, status updates resent
//!   until acknowledged, `/files/download`, `/state`.
//! - **Nothing leaks**: every child is in its own process group with a parent-death signal, and
//!   a watchdog process kills every group left when this process dies, however it dies.
//! - **Not supported**: reservations and volumes (operations get OPERATION_ERROR), containers
//!   and images, URIs other than local files, agent failures, inverse offers, authentication.

mod agent;
mod cluster;
pub mod config;
pub mod error;
mod http;
mod ids;
mod master;
mod process;
mod resources;
mod world;

pub use cluster::{AgentSummary, LocalCluster};
pub use config::ClusterConfig;
pub use error::LocalError;

/// The Mesos version the local cluster speaks as (what `/version` and `MasterInfo` report).
pub const VERSION: &str = "1.11.0";

/// The body of `/version`.
pub(crate) fn version_json() -> serde_json::Value {
    serde_json::json!({
        "version": VERSION,
        "git_tag": VERSION,
        "build_user": "satyr",
        "build_date": "",
        "build_time": 0.0,
        "satyr_version": env!("CARGO_PKG_VERSION"),
    })
}
