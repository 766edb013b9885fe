//! Driver settings.

use std::time::Duration;

use super::http::{Encoding, TlsRoots};
use super::master_url::Scheme;
use super::recordio::DEFAULT_MAX_FRAME;
use crate::proto::mesos::FrameworkInfo;

/// HTTP basic authentication credentials (`--authenticate_http_frameworks` masters).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The principal (also set it as `FrameworkInfo.principal`).
    pub principal: String,
    /// The secret.
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("principal", &self.principal)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// Everything the driver needs; [`DriverConfig::new`] fills in the defaults.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// Master address: `http(s)://host:port`, `host:port`, lists, `zk://...`, `file:///...`.
    pub master: String,
    /// The framework to subscribe. Set `id` to resubscribe a framework that already exists.
    pub framework_info: FrameworkInfo,
    /// Roles whose offers are suppressed from the start.
    pub suppressed_roles: Vec<String>,
    /// Acknowledge every task status update that has a uuid as soon as the driver receives it
    /// (default), before the user has seen it; updates without a uuid are never acknowledged.
    /// When false, the user calls `acknowledge(status)` after processing. Operation status
    /// updates are always acknowledged explicitly (`calls::acknowledge_operation_status`).
    pub implicit_acknowledgements: bool,
    /// Protobuf (default) or JSON on the wire.
    pub encoding: Encoding,
    /// HTTP basic authentication.
    pub credentials: Option<Credentials>,
    /// Trust roots for https masters.
    pub tls_roots: TlsRoots,
    /// Scheme used for masters found through ZooKeeper (MasterInfo does not say).
    pub zk_scheme: Scheme,
    /// ZooKeeper session timeout.
    pub zk_session_timeout: Duration,
    /// Largest accepted event record (default 64 MiB).
    pub max_frame_bytes: usize,
    /// First reconnection delay (full jitter, doubling).
    pub backoff_min: Duration,
    /// Longest reconnection delay.
    pub backoff_max: Duration,
    /// The connection is presumed dead after this many heartbeat intervals without an event.
    pub heartbeat_misses: u32,
    /// Time allowed for the SUBSCRIBE response and its first event.
    pub subscribe_timeout: Duration,
    /// Time allowed for a non-subscribe call's response.
    pub request_timeout: Duration,
    /// Time allowed for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Deliver HEARTBEAT events too (they are otherwise handled silently).
    pub deliver_heartbeats: bool,
}

impl DriverConfig {
    /// Defaults: protobuf, implicit acks, 64 MiB frames, backoff 0.5 s to 15 s, 5 heartbeats.
    pub fn new(master: impl Into<String>, framework_info: FrameworkInfo) -> Self {
        DriverConfig {
            master: master.into(),
            framework_info,
            suppressed_roles: Vec::new(),
            implicit_acknowledgements: true,
            encoding: Encoding::Protobuf,
            credentials: None,
            tls_roots: TlsRoots::System,
            zk_scheme: Scheme::Http,
            zk_session_timeout: Duration::from_secs(10),
            max_frame_bytes: DEFAULT_MAX_FRAME,
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(15),
            heartbeat_misses: 5,
            subscribe_timeout: Duration::from_secs(75),
            request_timeout: Duration::from_secs(75),
            connect_timeout: Duration::from_secs(10),
            deliver_heartbeats: false,
        }
    }
}
