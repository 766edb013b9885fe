//! Starting the executor driver, and the handle that sends updates and messages through it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::actor::{Actor, Cmd};
use super::calls;
use super::env::ExecutorEnv;
use super::error::ExecutorError;
use super::events::{self, EventReceiver};
use super::guard::GuardMode;
use crate::driver::http::Connector;
use crate::driver::{Encoding, TlsRoots};
use crate::proto::mesos as m;

/// Settings of the executor driver; [`ExecutorConfig::new`] has the defaults.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// What the agent said (see [`ExecutorEnv::from_env`]).
    pub env: ExecutorEnv,
    /// TCP connect timeout (and SUBSCRIBE response timeout).
    pub connect_timeout: Duration,
    /// Timeout of one UPDATE/MESSAGE request.
    pub request_timeout: Duration,
    /// Largest event accepted (a LAUNCH carries the task's data).
    pub max_frame: usize,
    /// How long to keep trying the first SUBSCRIBE (the agent gives up on an executor after its
    /// `--executor_registration_timeout`, 1 min by default).
    pub registration_timeout: Duration,
    /// What happens when the shutdown grace period ends.
    pub guard: GuardMode,
    /// Treat SIGTERM as SHUTDOWN (for the executor process; off in in-process tests).
    pub handle_sigterm: bool,
}

impl ExecutorConfig {
    /// The defaults for `env`.
    pub fn new(env: ExecutorEnv) -> Self {
        ExecutorConfig {
            env,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(75),
            max_frame: crate::driver::recordio::DEFAULT_MAX_FRAME,
            registration_timeout: Duration::from_secs(60),
            guard: GuardMode::Kill,
            handle_sigterm: true,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub subscribed: bool,
    pub pending_updates: usize,
    pub shutting_down: bool,
}

/// Sends updates and messages; cheap to clone. The driver ends after [`ExecutorHandle::stop`]
/// or when every handle is dropped.
#[derive(Clone)]
pub struct ExecutorHandle {
    env: Arc<ExecutorEnv>,
    cmds: mpsc::UnboundedSender<Cmd>,
    shared: Arc<Mutex<Shared>>,
}

/// Starts the driver on the crate runtime: it subscribes at once.
pub fn start(config: ExecutorConfig) -> Result<(ExecutorHandle, EventReceiver), ExecutorError> {
    let rt = crate::runtime::handle()
        .map_err(|e| ExecutorError::Env(format!("cannot start the async runtime: {e}")))?;
    let connector = Connector::new(
        TlsRoots::System,
        config.connect_timeout,
        None,
        Encoding::Protobuf,
    )
    .map_err(|e| ExecutorError::Env(e.to_string()))?;
    let (tx, rx) = events::channel();
    let (cmds, cmds_rx) = mpsc::unbounded_channel();
    let (otx, orx) = mpsc::unbounded_channel();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let env = Arc::new(config.env.clone());
    let actor_shared = shared.clone();
    rt.spawn(async move {
        Actor::new(config, connector, tx, actor_shared, otx)
            .run(cmds_rx, orx)
            .await;
    });
    Ok((ExecutorHandle { env, cmds, shared }, rx))
}

impl ExecutorHandle {
    /// The environment the driver runs with.
    pub fn env(&self) -> &ExecutorEnv {
        &self.env
    }

    /// Sends a status update reliably: it is stamped (v4 uuid unless it has a valid one,
    /// SOURCE_EXECUTOR, this executor's id, a timestamp), kept until ACKNOWLEDGED, re-sent in
    /// every SUBSCRIBE until then, and never POSTed before SUBSCRIBED. Returns its uuid.
    pub fn update(&self, status: m::TaskStatus) -> Result<Vec<u8>, ExecutorError> {
        let status = calls::prepare_status(&self.env, status)?;
        let uuid = status.uuid.clone().unwrap_or_default();
        self.cmds
            .send(Cmd::Update(Box::new(status)))
            .map_err(|_| ExecutorError::Stopped)?;
        Ok(uuid)
    }

    /// Sends a MESSAGE to the scheduler (unreliable; held until subscribed).
    pub fn message(&self, data: Vec<u8>) -> Result<(), ExecutorError> {
        self.cmds
            .send(Cmd::Message(data))
            .map_err(|_| ExecutorError::Stopped)
    }

    /// Starts the shutdown path as if the agent had sent SHUTDOWN (e.g. on Ctrl-C).
    pub fn shutdown(&self) {
        let _ = self.cmds.send(Cmd::Shutdown);
    }

    /// Ends the driver once every update was acknowledged by the agent, or after `timeout`.
    pub async fn stop(&self, timeout: Duration) {
        let (done, wait) = oneshot::channel();
        if self.cmds.send(Cmd::Stop { timeout, done }).is_ok() {
            let _ = wait.await;
        }
    }

    /// [`ExecutorHandle::stop`], blocking this (non-runtime) thread.
    pub fn stop_blocking(&self, timeout: Duration) {
        let (done, wait) = oneshot::channel();
        if self.cmds.send(Cmd::Stop { timeout, done }).is_ok() {
            let _ = wait.blocking_recv();
        }
    }

    /// True while subscribed to the agent.
    pub fn is_subscribed(&self) -> bool {
        self.lock().subscribed
    }

    /// Updates not yet acknowledged by the agent.
    pub fn pending_updates(&self) -> usize {
        self.lock().pending_updates
    }

    /// True once the shutdown path started (SHUTDOWN, lost agent, recovery timeout, signal).
    pub fn is_shutting_down(&self) -> bool {
        self.lock().shutting_down
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}
