//! The driver's typed errors. They reach users inside [`crate::Error::Driver`].

use std::time::Duration;

/// Everything that can go wrong between the driver and a Mesos master.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriverError {
    /// The master address could not be parsed (names the problem).
    #[error("bad master address {input:?}: {reason}")]
    MasterUrl {
        /// What the user gave.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting or a call argument is not acceptable; nothing was sent.
    #[error("invalid call: {0}")]
    InvalidCall(String),
    /// TCP or TLS connection to the master failed (refused, unreachable, handshake, ...).
    #[error("cannot connect to {endpoint}: {reason}")]
    Connect {
        /// `host:port` we tried.
        endpoint: String,
        /// What the OS or TLS layer said.
        reason: String,
    },
    /// TLS configuration problem (bad CA file, bad server name).
    #[error("tls: {0}")]
    Tls(String),
    /// The master answered 401: the principal/secret were refused. Not retried.
    #[error("authentication failed (HTTP 401): {0}")]
    Unauthorized(String),
    /// The master answered with an HTTP status the driver does not retry.
    #[error("master answered HTTP {status}: {body}")]
    Http {
        /// The status code.
        status: u16,
        /// The response body (truncated), which names the problem.
        body: String,
    },
    /// The event stream broke: malformed RecordIO, an undecodable event, garbage bytes.
    #[error("event stream error: {0}")]
    Stream(String),
    /// A RecordIO frame announced more bytes than the configured limit.
    #[error("event frame of {size} bytes exceeds the limit of {limit} bytes")]
    FrameTooLarge {
        /// The announced length.
        size: u64,
        /// The configured limit.
        limit: usize,
    },
    /// The stream ended (EOF or connection reset).
    #[error("event stream closed by the master")]
    StreamClosed,
    /// Nothing arrived for the heartbeat window.
    #[error("no event from the master for {0:?}: connection presumed dead")]
    HeartbeatTimeout(Duration),
    /// A request did not complete in time.
    #[error("request to the master timed out after {0:?}")]
    Timeout(Duration),
    /// The master sent an ERROR event (e.g. "Framework has been removed"). The driver stops.
    #[error("master error: {0}")]
    Master(String),
    /// The subscription moved or was lost (307, 403, stream id mismatch); the driver resubscribes.
    #[error("subscription lost: {0}")]
    SubscriptionLost(String),
    /// A call was made while the driver is not subscribed; it was not sent.
    #[error("not subscribed to a master: the call was not sent")]
    NotSubscribed,
    /// ACCEPT named an offer the driver does not hold (used, rescinded or from an old subscription).
    #[error("offer {0:?} is not held: already used, rescinded, or from an earlier subscription")]
    OfferNotHeld(String),
    /// acknowledge() on a status without a uuid: such updates must never be acknowledged.
    #[error("status update for task {0:?} has no uuid and must not be acknowledged")]
    NoUuid(String),
    /// ZooKeeper detection failed.
    #[error("zookeeper: {0}")]
    ZooKeeper(String),
    /// No master is known (ZooKeeper lists no leader).
    #[error("no leading master is known")]
    NoLeader,
    /// The driver has stopped; the call was not sent.
    #[error("the driver has stopped")]
    Stopped,
}

impl DriverError {
    pub(crate) fn master_url(input: &str, reason: impl Into<String>) -> Self {
        DriverError::MasterUrl {
            input: input.to_string(),
            reason: reason.into(),
        }
    }
}
