//! What the executor driver tells its user, in order, and the queue that carries it (unbounded:
//! the stream reader never waits for user code; read it blocking from a non-runtime thread, e.g.
//! a Python thread with the GIL released).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::error::ExecutorError;
use crate::proto::mesos as m;
use crate::proto::mesos::executor::event;

/// Why the executor must shut down.
#[derive(Debug, Clone, PartialEq)]
pub enum ShutdownReason {
    /// The agent sent SHUTDOWN (or answered SUBSCRIBE with it).
    Agent,
    /// Checkpointing is off and the connection to the agent was lost (no retry, per the API).
    Disconnected(ExecutorError),
    /// Checkpointing is on and the agent stayed unreachable for `MESOS_RECOVERY_TIMEOUT`.
    RecoveryTimeout,
    /// The agent refused the subscription (e.g. 400 "Executor cannot be found").
    Refused(ExecutorError),
    /// SIGTERM (or the user asked for it).
    Signal,
}

impl fmt::Display for ShutdownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShutdownReason::Agent => write!(f, "the agent asked the executor to shut down"),
            ShutdownReason::Disconnected(e) => {
                write!(f, "lost the agent without checkpointing ({e})")
            }
            ShutdownReason::RecoveryTimeout => {
                write!(f, "the agent did not come back within the recovery timeout")
            }
            ShutdownReason::Refused(e) => write!(f, "the agent refused the executor ({e})"),
            ShutdownReason::Signal => write!(f, "terminated by a signal"),
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum ExecutorEvent {
    /// SUBSCRIBED: registered (first) or re-registered (after a reconnection).
    Subscribed {
        /// False the first time, true afterwards.
        reregistered: bool,
        /// ExecutorInfo, FrameworkInfo, AgentInfo, ContainerID.
        info: Box<event::Subscribed>,
    },
    /// LAUNCH of one task.
    Launch(Box<m::TaskInfo>),
    /// LAUNCH_GROUP of a task group.
    LaunchGroup(Box<m::TaskGroupInfo>),
    /// KILL of a task: answer with a terminal update.
    Kill {
        /// The task.
        task_id: m::TaskId,
        /// Its kill policy (grace period), when the scheduler gave one.
        kill_policy: Option<m::KillPolicy>,
    },
    /// The agent accepted an update.
    Acknowledged {
        /// The task.
        task_id: m::TaskId,
        /// The update's uuid.
        uuid: Vec<u8>,
    },
    /// A MESSAGE from the scheduler.
    Message(Vec<u8>),
    /// An ERROR event, or an update/message the agent refused.
    Error(String),
    /// The connection to the agent was lost; with checkpointing the driver is reconnecting.
    Disconnected(ExecutorError),
    /// Kill every task, send their terminal updates, then `stop()` before the grace period
    /// ends: after it the shutdown guard kills the process group.
    Shutdown(ShutdownReason),
}

impl ExecutorEvent {
    /// A short upper-case name (`SUBSCRIBED`, `LAUNCH`, ..., `DISCONNECTED`).
    pub fn name(&self) -> &'static str {
        match self {
            ExecutorEvent::Subscribed { .. } => "SUBSCRIBED",
            ExecutorEvent::Launch(_) => "LAUNCH",
            ExecutorEvent::LaunchGroup(_) => "LAUNCH_GROUP",
            ExecutorEvent::Kill { .. } => "KILL",
            ExecutorEvent::Acknowledged { .. } => "ACKNOWLEDGED",
            ExecutorEvent::Message(_) => "MESSAGE",
            ExecutorEvent::Error(_) => "ERROR",
            ExecutorEvent::Disconnected(_) => "DISCONNECTED",
            ExecutorEvent::Shutdown(_) => "SHUTDOWN",
        }
    }
}

/// Why a blocking receive returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// Nothing arrived in time.
    #[error("no executor event within the timeout")]
    Timeout,
    /// The driver has stopped and every event has been taken.
    #[error("the executor driver has stopped and all its events were received")]
    Closed,
}

#[derive(Default)]
struct State {
    items: VecDeque<ExecutorEvent>,
    closed: bool,
}

#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    cond: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding this lock; recover the data if something ever did.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The driver's side; closes the queue when dropped.
pub(crate) struct EventSender(Arc<Queue>);

/// The user's side.
pub struct EventReceiver(Arc<Queue>);

pub(crate) fn channel() -> (EventSender, EventReceiver) {
    let q = Arc::new(Queue::default());
    (EventSender(q.clone()), EventReceiver(q))
}

impl EventSender {
    pub fn send(&self, event: ExecutorEvent) {
        self.0.lock().items.push_back(event);
        self.0.cond.notify_all();
    }
}

impl Drop for EventSender {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.cond.notify_all();
    }
}

impl EventReceiver {
    /// Blocks for up to `timeout` until at least one event is queued, then takes up to `max`.
    /// Do not call it on a runtime worker thread.
    pub fn recv_batch(
        &self,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<ExecutorEvent>, RecvError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut s = self.0.lock();
        loop {
            if !s.items.is_empty() {
                let n = max.max(1).min(s.items.len());
                return Ok(s.items.drain(..n).collect());
            }
            if s.closed {
                return Err(RecvError::Closed);
            }
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if wait.is_zero() {
                return Err(RecvError::Timeout);
            }
            s = self
                .0
                .cond
                .wait_timeout(s, wait)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Blocks for up to `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<ExecutorEvent, RecvError> {
        let mut batch = self.recv_batch(1, timeout)?;
        batch.pop().ok_or(RecvError::Timeout)
    }
}
