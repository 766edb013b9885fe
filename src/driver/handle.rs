//! The public face of the driver: [`start`] returns a [`DriverHandle`] (calls, stop, join; cheap
//! to clone, usable from any thread) and an [`EventReceiver`].
//!
//! Every method has an async form and a blocking form. Blocking forms wait on plain channels, so
//! they need no runtime context: call them from ordinary threads (e.g. Python threads with the
//! GIL released), never from inside an async task.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::actor::{Actor, Command};
use super::calls;
use super::config::DriverConfig;
use super::detector::{self, Detector};
use super::error::DriverError;
use super::events::{self, EventReceiver, RecvError};
use super::http::Connector;
use super::master_url::{self, Endpoint};
use super::slim::EncodedAccept;
use super::state::{DriverState, Shared};
use crate::proto::mesos::scheduler::Call;
use crate::proto::mesos::{FrameworkId, TaskStatus};

/// Sends calls to the driver and controls it.
#[derive(Clone)]
pub struct DriverHandle {
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
}

/// Starts a driver on the shared runtime. Bad settings (address, framework info, CA file) are
/// reported here; everything later arrives as events. With credentials, an unset
/// `FrameworkInfo.principal` is set to the credentials' principal.
pub fn start(mut config: DriverConfig) -> Result<(DriverHandle, EventReceiver), DriverError> {
    if let Some(c) = &config.credentials {
        // The master requires FrameworkInfo.principal to match the authenticated principal.
        match &config.framework_info.principal {
            None => config.framework_info.principal = Some(c.principal.clone()),
            Some(p) if *p != c.principal => {
                return Err(DriverError::InvalidCall(format!(
                    "FrameworkInfo.principal {p:?} differs from the credentials' principal {:?}",
                    c.principal
                )))
            }
            Some(_) => {}
        }
    }
    calls::subscribe(
        config.framework_info.clone(),
        None,
        config.suppressed_roles.clone(),
    )?;
    if config.max_frame_bytes == 0 {
        return Err(DriverError::InvalidCall(
            "max_frame_bytes must be positive".into(),
        ));
    }
    if config.backoff_min.is_zero() {
        return Err(DriverError::InvalidCall(
            "backoff_min must be positive".into(),
        ));
    }
    let spec = detector::resolve_spec(master_url::parse(&config.master)?)?;
    let credentials = config
        .credentials
        .as_ref()
        .map(|c| (c.principal.as_str(), c.secret.as_str()));
    let connector = Arc::new(Connector::new(
        config.tls_roots.clone(),
        config.connect_timeout,
        credentials,
        config.encoding,
    )?);
    let runtime = crate::runtime::handle().map_err(|e| DriverError::Connect {
        endpoint: "-".into(),
        reason: format!("cannot start the I/O runtime: {e}"),
    })?;
    let detector = {
        let _entered = runtime.enter();
        Detector::start(spec, config.zk_scheme, config.zk_session_timeout)?
    };
    let (event_tx, event_rx) = events::channel();
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let initial_id = config
        .framework_info
        .id
        .clone()
        .filter(|id| !id.value.is_empty());
    let shared = Arc::new(Shared::new(initial_id));
    let actor = Actor::new(
        config,
        connector,
        detector,
        event_tx,
        cmd_rx,
        shared.clone(),
    );
    runtime.spawn(actor.run());
    Ok((
        DriverHandle {
            commands: cmd_tx,
            shared,
        },
        event_rx,
    ))
}

type Pending = oneshot::Receiver<Result<(), DriverError>>;

impl DriverHandle {
    fn submit(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), DriverError>>) -> Command,
    ) -> Result<Pending, DriverError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .map_err(|_| DriverError::Stopped)?;
        Ok(rx)
    }

    fn call_command(
        call: Call,
    ) -> Result<impl FnOnce(oneshot::Sender<Result<(), DriverError>>) -> Command, DriverError> {
        calls::validate_call(&call)?;
        Ok(move |reply| Command::Call {
            call: Box::new(call),
            reply,
        })
    }

    /// The error for a call whose reply was dropped: the driver stopped, or the subscription
    /// ended (and its unsent calls with it) before the call went out.
    fn dropped(&self) -> DriverError {
        if self.state() == DriverState::Stopped {
            DriverError::Stopped
        } else {
            DriverError::SubscriptionLost("the subscription ended before the call was sent".into())
        }
    }

    async fn wait(&self, rx: Pending) -> Result<(), DriverError> {
        match rx.await {
            Ok(result) => result,
            Err(_) => Err(self.dropped()),
        }
    }

    fn wait_blocking(&self, rx: Pending) -> Result<(), DriverError> {
        match rx.blocking_recv() {
            Ok(result) => result,
            Err(_) => Err(self.dropped()),
        }
    }

    /// Sends a call (built with [`calls`]) and waits for the master's 202. Refused locally,
    /// with nothing sent, when not subscribed, when an ACCEPT names an offer the driver does
    /// not hold, or when the call is malformed.
    pub async fn call(&self, call: Call) -> Result<(), DriverError> {
        self.wait(self.submit(Self::call_command(call)?)?).await
    }

    /// Blocking [`call`](Self::call).
    pub fn call_blocking(&self, call: Call) -> Result<(), DriverError> {
        self.wait_blocking(self.submit(Self::call_command(call)?)?)
    }

    /// [`call`](Self::call) of an ACCEPT kept encoded (its bytes go out as they are, with the
    /// framework id added; see [`EncodedAccept`]).
    pub async fn accept_encoded(&self, accept: EncodedAccept) -> Result<(), DriverError> {
        self.wait(self.submit(|reply| Command::Accept { accept, reply })?)
            .await
    }

    /// Blocking [`call`](Self::call) of an ACCEPT kept encoded (its bytes go out as they are,
    /// with the framework id added).
    pub fn accept_encoded_blocking(&self, accept: EncodedAccept) -> Result<(), DriverError> {
        self.wait_blocking(self.submit(|reply| Command::Accept { accept, reply })?)
    }

    /// Acknowledges a status update (explicit mode). A status without a uuid is refused with
    /// [`DriverError::NoUuid`] and nothing is sent; in implicit mode this is a no-op.
    pub async fn acknowledge(&self, status: &TaskStatus) -> Result<(), DriverError> {
        let status = Box::new(status.clone());
        self.wait(self.submit(|reply| Command::Acknowledge { status, reply })?)
            .await
    }

    /// Blocking [`acknowledge`](Self::acknowledge).
    pub fn acknowledge_blocking(&self, status: &TaskStatus) -> Result<(), DriverError> {
        let status = Box::new(status.clone());
        self.wait_blocking(self.submit(|reply| Command::Acknowledge { status, reply })?)
    }

    /// Stops the driver. Without failover the framework is torn down first (TEARDOWN: its
    /// tasks are killed and its id can never be used again); with failover the stream is just
    /// closed, and the framework lives on for `failover_timeout`.
    pub async fn stop(&self, failover: bool) -> Result<(), DriverError> {
        let rx = self.submit(|reply| Command::Stop { failover, reply });
        match rx {
            Ok(rx) => self.wait(rx).await,
            Err(_) => Ok(()), // already stopped
        }
    }

    /// Blocking [`stop`](Self::stop).
    pub fn stop_blocking(&self, failover: bool) -> Result<(), DriverError> {
        match self.submit(|reply| Command::Stop { failover, reply }) {
            Ok(rx) => self.wait_blocking(rx),
            Err(_) => Ok(()),
        }
    }

    /// Waits until the driver has stopped: `None` after `stop()`, else the fatal error.
    pub async fn join(&self) -> Option<DriverError> {
        self.shared.wait_finished().await
    }

    /// Blocking [`join`](Self::join); `Err(RecvError::Timeout)` if still running after `timeout`.
    pub fn join_blocking(
        &self,
        timeout: Option<Duration>,
    ) -> Result<Option<DriverError>, RecvError> {
        self.shared
            .wait_finished_blocking(timeout)
            .map_err(|()| RecvError::Timeout)
    }

    /// The current state.
    pub fn state(&self) -> DriverState {
        self.shared.lock().state
    }

    /// The framework id, once known (from `FrameworkInfo.id` or SUBSCRIBED).
    pub fn framework_id(&self) -> Option<FrameworkId> {
        self.shared.lock().framework_id.clone()
    }

    /// Paces the event stream: after each read of it the driver waits `pace` before reading
    /// again, so the events of a burst (status updates of many short tasks) are read, handed
    /// over and acknowledged together, for one wake-up of each thread instead of one per
    /// event. Zero (the default) reads every event as it comes. At most one second.
    pub fn set_pace(&self, pace: Duration) -> Result<(), DriverError> {
        if pace > Duration::from_secs(1) {
            return Err(DriverError::InvalidCall(format!(
                "the event pace must be at most 1 s, got {pace:?}"
            )));
        }
        self.shared.set_pace(pace);
        Ok(())
    }

    /// The event stream's pace (see [`set_pace`](Self::set_pace)).
    pub fn pace(&self) -> Duration {
        self.shared.pace()
    }

    /// The master subscribed to (or being subscribed to).
    pub fn master(&self) -> Option<Endpoint> {
        self.shared.lock().master.clone()
    }
}
