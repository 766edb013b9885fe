//! The Mesos v1 HTTP executor driver (reference §2): reads the agent's `MESOS_*` environment,
//! subscribes to `/api/v1/executor`, hands LAUNCH/KILL/MESSAGE/SHUTDOWN to its user, and sends
//! status updates reliably.
//!
//! - UPDATEs get 16-byte v4 uuids and `SOURCE_EXECUTOR`; they are kept until the agent's
//!   ACKNOWLEDGED and re-sent (with the tasks that have no acknowledged update) in every
//!   SUBSCRIBE; nothing is POSTed before SUBSCRIBED.
//! - Checkpointing off: any disconnection means SHUTDOWN. On: reconnect at random intervals
//!   within `MESOS_SUBSCRIPTION_BACKOFF_MAX`, shut down after `MESOS_RECOVERY_TIMEOUT`.
//! - SHUTDOWN arms a guard that kills the process (group) when
//!   `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD` ends; the user kills tasks, sends their terminal
//!   updates and calls [`ExecutorHandle::stop`] before that.
//!
//! ```no_run
//! use _satyr::executor::{self, ExecutorConfig, ExecutorEnv, ExecutorEvent};
//! use _satyr::proto::mesos as m;
//!
//! let (handle, events) = executor::start(ExecutorConfig::new(ExecutorEnv::from_env()?))?;
//! while let Ok(event) = events.recv_timeout(std::time::Duration::from_secs(3600)) {
//!     match event {
//!         ExecutorEvent::Launch(task) => {
//!             let done = m::TaskStatus {
//!                 task_id: task.task_id.clone(),
//!                 state: m::TaskState::TaskFinished as i32,
//!                 ..Default::default()
//!             };
//!             handle.update(done)?;
//!         }
//!         ExecutorEvent::Shutdown(_) => break,
//!         _ => {}
//!     }
//! }
//! handle.stop_blocking(std::time::Duration::from_secs(5));
//! # Ok::<(), _satyr::executor::ExecutorError>(())
//! ```

mod actor;
mod agent;
pub mod book;
mod caller;
pub mod calls;
pub mod duration;
pub mod env;
pub mod error;
pub mod events;
mod guard;
pub mod handle;
pub mod memory;
pub mod payload;

pub use env::ExecutorEnv;
pub use error::ExecutorError;
pub use events::{EventReceiver, ExecutorEvent, RecvError, ShutdownReason};
pub use guard::GuardMode;
pub use handle::{start, ExecutorConfig, ExecutorHandle};
