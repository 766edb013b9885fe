//! The executor driver's typed errors. They reach users inside [`crate::Error::Executor`].

/// Everything that can go wrong between an executor and its agent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecutorError {
    /// The `MESOS_*` environment is missing a variable or holds a bad value (names it).
    #[error("executor environment: {0}")]
    Env(String),
    /// A status update the agent would refuse (STAGING, another executor's id, a bad uuid);
    /// nothing was sent.
    #[error("invalid status update: {0}")]
    InvalidUpdate(String),
    /// TCP connection to the agent failed.
    #[error("cannot connect to the agent at {endpoint}: {reason}")]
    Connect {
        /// `host:port` we tried.
        endpoint: String,
        /// What the OS said.
        reason: String,
    },
    /// The agent answered with an HTTP status that is not retried.
    #[error("agent answered HTTP {status}: {body}")]
    Http {
        /// The status code.
        status: u16,
        /// The response body (truncated), which names the problem.
        body: String,
    },
    /// The event stream broke (EOF, reset, malformed RecordIO, an undecodable event).
    #[error("event stream: {0}")]
    Stream(String),
    /// The agent sent an ERROR event.
    #[error("agent error: {0}")]
    Agent(String),
    /// The driver has stopped; nothing was sent.
    #[error("the executor driver has stopped")]
    Stopped,
}
