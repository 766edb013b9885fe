//! The one error type of the Rust core; `py::errors` maps it to the Python exception hierarchy.

/// Everything that can go wrong in satyr's core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value given by the user is not acceptable (names the problem).
    #[error("{0}")]
    InvalidArgument(String),
    /// A bad resource value, or resource arithmetic going below zero.
    #[error("{0}")]
    Resource(String),
    /// Resource arithmetic mixing kinds (`cpus + mem`, one name with two value types).
    #[error("{0}")]
    ResourceKind(String),
    /// A protobuf message could not be decoded or encoded.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The scheduler driver failed (connection, stream, master error, local call check).
    #[error(transparent)]
    Driver(#[from] crate::driver::DriverError),
    /// The executor driver failed (environment, agent connection, refused update).
    #[error(transparent)]
    Executor(#[from] crate::executor::ExecutorError),
    /// The embedded local cluster could not start (bad settings, ports, work folder).
    #[error(transparent)]
    Local(#[from] crate::local::LocalError),
}

/// Shorthand for results with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
