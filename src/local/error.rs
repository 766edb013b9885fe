//! Errors of the local cluster: bad settings, and failures to start it.

/// Why the local cluster could not start (or a setting is not acceptable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalError {
    /// A setting is not acceptable (names the setting and the problem).
    #[error("local cluster setting {setting}: {reason}")]
    Config {
        /// The setting (`resources`, `agents`, ...).
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A port could not be listened on (taken, not permitted).
    #[error("local cluster cannot listen on {addr}: {reason}")]
    Bind {
        /// `127.0.0.1:PORT`.
        addr: String,
        /// What the OS said.
        reason: String,
    },
    /// The work folder (sandboxes) could not be created or written.
    #[error("local cluster cannot use the work folder {path}: {reason}")]
    WorkDir {
        /// The folder.
        path: String,
        /// What the OS said.
        reason: String,
    },
    /// Something else the OS refused at start (threads, the process watchdog, the runtime).
    #[error("local cluster cannot start: {0}")]
    Start(String),
}

impl LocalError {
    pub(crate) fn config(setting: &'static str, reason: impl Into<String>) -> Self {
        LocalError::Config {
            setting,
            reason: reason.into(),
        }
    }
}
