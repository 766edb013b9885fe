//! The one error type of the Rust core; `py::errors` maps it to the Python exception hierarchy.

/// Everything that can go wrong in satyr's core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value given by the user is not acceptable (names the problem).
    #[error("{0}")]
    InvalidArgument(String),
    /// Resource arithmetic that does not make sense (mixing kinds, going below zero, ...).
    #[error("{0}")]
    Resource(String),
    /// A protobuf message could not be decoded or encoded.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The scheduler driver failed (connection, stream, master error, local call check).
    #[error(transparent)]
    Driver(#[from] crate::driver::DriverError),
}

/// Shorthand for results with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
