//! The executor driver's actor: one task on the crate runtime owning the subscription, the
//! unacknowledged bookkeeping and the reconnection policy (reference §2.4).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use prost::Message;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::agent;
use super::book::Book;
use super::caller::{self, Outcome, Outgoing};
use super::calls;
use super::error::ExecutorError;
use super::events::{EventSender, ExecutorEvent, ShutdownReason};
use super::guard;
use super::handle::{ExecutorConfig, Shared};
use crate::driver::http::{Connection, Connector};
use crate::driver::recordio::Decoder;
use crate::proto::mesos as m;
use crate::proto::mesos::executor::{event, Event};

pub(crate) enum Cmd {
    Update(Box<m::TaskStatus>),
    Message(Vec<u8>),
    Shutdown,
    Stop {
        timeout: Duration,
        done: oneshot::Sender<()>,
    },
}

enum ReaderMsg {
    Event(Box<Event>),
    End(ExecutorError),
}

/// How a SUBSCRIBE attempt failed.
enum Failure {
    Retry(ExecutorError),
    Fatal(ExecutorError),
}

pub(crate) struct Actor {
    cfg: ExecutorConfig,
    env: Arc<super::env::ExecutorEnv>,
    connector: Arc<Connector>,
    events: EventSender,
    shared: Arc<Mutex<Shared>>,
    book: Book,
    /// Updates recorded after the last SUBSCRIBE was built, to POST once SUBSCRIBED arrives.
    held: Vec<m::TaskStatus>,
    /// Messages waiting for a subscription.
    outbox: Vec<Vec<u8>>,
    subscribed: bool,
    registered_once: bool,
    shutting_down: bool,
    /// The stream reader of the current subscription and its generation.
    reader: Option<tokio::task::JoinHandle<()>>,
    generation: u64,
    /// When to try SUBSCRIBE next (None while connected or after giving up).
    next_attempt: Option<Instant>,
    /// Give up reconnecting (and shut down) at this instant.
    deadline: Option<Instant>,
    calls: mpsc::UnboundedSender<Outgoing>,
    stopping: Option<(Instant, oneshot::Sender<()>)>,
}

impl Actor {
    pub(crate) fn new(
        cfg: ExecutorConfig,
        connector: Connector,
        events: EventSender,
        shared: Arc<Mutex<Shared>>,
        outcomes: mpsc::UnboundedSender<Outcome>,
    ) -> Actor {
        let env = Arc::new(cfg.env.clone());
        let connector = Arc::new(connector);
        let (calls, calls_rx) = mpsc::unbounded_channel();
        caller::spawn(
            env.clone(),
            connector.clone(),
            cfg.request_timeout,
            calls_rx,
            outcomes,
        );
        let now = Instant::now();
        Actor {
            deadline: Some(now + cfg.registration_timeout),
            next_attempt: Some(now),
            cfg,
            env,
            connector,
            events,
            shared,
            book: Book::default(),
            held: vec![],
            outbox: vec![],
            subscribed: false,
            registered_once: false,
            shutting_down: false,
            reader: None,
            generation: 0,
            calls,
            stopping: None,
        }
    }

    pub(crate) async fn run(
        mut self,
        mut cmds: mpsc::UnboundedReceiver<Cmd>,
        mut outcomes: mpsc::UnboundedReceiver<Outcome>,
    ) {
        let (rtx, mut rrx) = mpsc::unbounded_channel::<(u64, ReaderMsg)>();
        let mut sigterm = if self.cfg.handle_sigterm {
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()
        } else {
            None
        };
        let far = Instant::now() + Duration::from_secs(86400 * 365);
        loop {
            if let Some((until, _)) = &self.stopping {
                if self.book.pending_updates() == 0 || Instant::now() >= *until {
                    break;
                }
            }
            let attempt_at = self.next_attempt.unwrap_or(far);
            let deadline = self.deadline.unwrap_or(far);
            let stop_at = self.stopping.as_ref().map_or(far, |(t, _)| *t);
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    // Every handle is gone: nobody can send updates any more.
                    None => break,
                },
                Some((generation, msg)) = rrx.recv() => {
                    if generation == self.generation {
                        self.reader_message(msg);
                    }
                }
                Some(outcome) = outcomes.recv() => self.outcome(outcome),
                _ = tokio::time::sleep_until(attempt_at), if self.next_attempt.is_some() => {
                    self.next_attempt = None;
                    self.attempt(&rtx).await;
                }
                _ = tokio::time::sleep_until(deadline), if self.deadline.is_some() => {
                    self.deadline = None;
                    if !self.subscribed {
                        self.next_attempt = None;
                        self.shutdown(ShutdownReason::RecoveryTimeout);
                    }
                }
                _ = tokio::time::sleep_until(stop_at), if self.stopping.is_some() => {}
                Some(()) = recv_signal(&mut sigterm) => self.shutdown(ShutdownReason::Signal),
            }
        }
        if let Some(r) = self.reader.take() {
            r.abort();
        }
        self.set_shared();
        if let Some((_, done)) = self.stopping.take() {
            let _ = done.send(());
        }
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Update(status) => {
                let status = *status;
                self.book.sent(status.clone());
                if self.subscribed {
                    self.post_update(status);
                } else {
                    // Sending before SUBSCRIBED gets 403: it rides the next SUBSCRIBE instead,
                    // or is posted when SUBSCRIBED arrives if that SUBSCRIBE is already out.
                    self.held.push(status);
                }
                self.set_shared();
            }
            Cmd::Message(data) => {
                if self.subscribed {
                    self.post(calls::message(&self.env, data), "MESSAGE".into());
                } else {
                    self.outbox.push(data);
                }
            }
            Cmd::Shutdown => self.shutdown(ShutdownReason::Signal),
            Cmd::Stop { timeout, done } => {
                self.stopping = Some((Instant::now() + timeout, done));
            }
        }
    }

    fn post_update(&mut self, status: m::TaskStatus) {
        let what = format!(
            "UPDATE {} of task {:?}",
            m::TaskState::try_from(status.state).map_or("?", |s| s.as_str_name()),
            status.task_id.value
        );
        self.post(calls::update(&self.env, status), what);
    }

    fn post(&mut self, call: m::executor::Call, what: String) {
        let _ = self.calls.send(Outgoing { call, what });
    }

    fn outcome(&mut self, outcome: Outcome) {
        if let Err(e) = outcome.result {
            // Updates stay in the book: a resubscription re-sends them.
            self.events.send(ExecutorEvent::Error(format!(
                "{} failed: {e}",
                outcome.what
            )));
        }
    }

    async fn attempt(&mut self, rtx: &mpsc::UnboundedSender<(u64, ReaderMsg)>) {
        if self.shutting_down {
            return;
        }
        let (tasks, updates) = self.book.lists();
        let call = calls::subscribe(&self.env, tasks, updates);
        self.held.clear();
        match self.subscribe(call).await {
            Ok((conn, body)) => {
                self.generation += 1;
                let generation = self.generation;
                let tx = rtx.clone();
                let max_frame = self.cfg.max_frame;
                self.reader = Some(tokio::spawn(async move {
                    let why = read(body, max_frame, generation, &tx).await;
                    let _ = tx.send((generation, ReaderMsg::End(why)));
                    drop(conn);
                }));
            }
            Err(Failure::Retry(e)) => {
                tracing::debug!("SUBSCRIBE failed, retrying: {e}");
                self.retry_later();
            }
            Err(Failure::Fatal(e)) => {
                self.events.send(ExecutorEvent::Error(e.to_string()));
                self.shutdown(ShutdownReason::Refused(e));
            }
        }
    }

    async fn subscribe(&self, call: m::executor::Call) -> Result<(Connection, Incoming), Failure> {
        let mut conn = caller::connect(&self.env, &self.connector)
            .await
            .map_err(Failure::Retry)?;
        let req =
            agent::request(&self.env, Bytes::from(call.encode_to_vec())).map_err(Failure::Fatal)?;
        let timeout = self.cfg.connect_timeout.max(Duration::from_secs(5));
        let resp = tokio::time::timeout(timeout, conn.sender.send_request(req))
            .await
            .map_err(|_| Failure::Retry(ExecutorError::Stream("SUBSCRIBE timed out".into())))?
            .map_err(|e| Failure::Retry(ExecutorError::Stream(format!("SUBSCRIBE failed: {e}"))))?;
        let status = resp.status().as_u16();
        if status == 200 {
            return Ok((conn, resp.into_body()));
        }
        let err = ExecutorError::Http {
            status,
            body: agent::error_body(resp).await,
        };
        if agent::is_retryable(status) {
            Err(Failure::Retry(err))
        } else {
            Err(Failure::Fatal(err))
        }
    }

    /// The next attempt, at a random point in `[0, MESOS_SUBSCRIPTION_BACKOFF_MAX]` (the C++
    /// library's policy; a longer wait gets the executor killed by a recovering agent).
    fn retry_later(&mut self) {
        let max = self.env.backoff_max;
        let delay = max
            .mul_f64(fastrand::f64())
            .max(Duration::from_millis(10).min(max));
        self.next_attempt = Some(Instant::now() + delay);
    }

    fn reader_message(&mut self, msg: ReaderMsg) {
        match msg {
            ReaderMsg::Event(ev) => self.event(*ev),
            ReaderMsg::End(why) => self.disconnected(why),
        }
    }

    fn event(&mut self, ev: Event) {
        use event::Type;
        let kind = ev
            .r#type
            .and_then(|t| Type::try_from(t).ok())
            .unwrap_or(Type::Unknown);
        match kind {
            Type::Subscribed => {
                let Some(info) = ev.subscribed else {
                    return self.disconnected(ExecutorError::Stream(
                        "SUBSCRIBED event without its body".into(),
                    ));
                };
                self.subscribed = true;
                self.deadline = None;
                let reregistered = self.registered_once;
                self.registered_once = true;
                for status in std::mem::take(&mut self.held) {
                    self.post_update(status);
                }
                for data in std::mem::take(&mut self.outbox) {
                    self.post(calls::message(&self.env, data), "MESSAGE".into());
                }
                self.set_shared();
                self.events.send(ExecutorEvent::Subscribed {
                    reregistered,
                    info: Box::new(info),
                });
            }
            Type::Launch => {
                if let Some(l) = ev.launch {
                    self.book.launched(l.task.clone());
                    self.events.send(ExecutorEvent::Launch(Box::new(l.task)));
                }
            }
            Type::LaunchGroup => {
                if let Some(g) = ev.launch_group {
                    for t in &g.task_group.tasks {
                        self.book.launched(t.clone());
                    }
                    self.events
                        .send(ExecutorEvent::LaunchGroup(Box::new(g.task_group)));
                }
            }
            Type::Kill => {
                if let Some(k) = ev.kill {
                    self.events.send(ExecutorEvent::Kill {
                        task_id: k.task_id,
                        kill_policy: k.kill_policy,
                    });
                }
            }
            Type::Acknowledged => {
                if let Some(a) = ev.acknowledged {
                    self.book.acknowledged(&a.task_id, &a.uuid);
                    self.set_shared();
                    self.events.send(ExecutorEvent::Acknowledged {
                        task_id: a.task_id,
                        uuid: a.uuid,
                    });
                }
            }
            Type::Message => {
                if let Some(msg) = ev.message {
                    self.events.send(ExecutorEvent::Message(msg.data));
                }
            }
            Type::Error => {
                let text = ev.error.map(|e| e.message).unwrap_or_default();
                self.events.send(ExecutorEvent::Error(text.clone()));
                // The API says: abort the connection and subscribe again.
                self.disconnected(ExecutorError::Agent(text));
            }
            Type::Shutdown => self.shutdown(ShutdownReason::Agent),
            Type::Heartbeat | Type::Unknown => {}
        }
    }

    fn disconnected(&mut self, why: ExecutorError) {
        if let Some(r) = self.reader.take() {
            r.abort();
        }
        self.generation += 1;
        let was_subscribed = std::mem::replace(&mut self.subscribed, false);
        self.set_shared();
        if self.shutting_down || self.stopping.is_some() {
            return;
        }
        if !self.env.checkpoint {
            // Without checkpointing the agent cannot recover this executor: shut down at once.
            return self.shutdown(ShutdownReason::Disconnected(why));
        }
        if was_subscribed || self.registered_once {
            self.events.send(ExecutorEvent::Disconnected(why));
        }
        let now = Instant::now();
        if self.deadline.is_none() {
            self.deadline = Some(now + self.env.recovery_timeout);
        }
        self.retry_later();
    }

    fn shutdown(&mut self, reason: ShutdownReason) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        if !self.subscribed {
            self.next_attempt = None;
            self.deadline = None;
        }
        guard::arm(self.cfg.guard, self.env.shutdown_grace, self.env.local);
        self.set_shared();
        self.events.send(ExecutorEvent::Shutdown(reason));
    }

    fn set_shared(&self) {
        let mut s = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        s.subscribed = self.subscribed;
        s.pending_updates = self.book.pending_updates();
        s.shutting_down = self.shutting_down;
    }
}

async fn recv_signal(sig: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match sig {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

/// Reads the subscription stream until it ends; returns why it ended.
async fn read(
    mut body: Incoming,
    max_frame: usize,
    generation: u64,
    tx: &mpsc::UnboundedSender<(u64, ReaderMsg)>,
) -> ExecutorError {
    let mut decoder = Decoder::new(max_frame);
    loop {
        let frame = match body.frame().await {
            None if decoder.is_idle() => {
                return ExecutorError::Stream("closed by the agent".into())
            }
            None => return ExecutorError::Stream("closed inside a record".into()),
            Some(Err(e)) => return ExecutorError::Stream(format!("reading the stream: {e}")),
            Some(Ok(frame)) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        decoder.push(&data);
        loop {
            let record = match decoder.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(e) => return ExecutorError::Stream(e.to_string()),
            };
            let ev = match Event::decode(record) {
                Ok(ev) => ev,
                Err(e) => return ExecutorError::Stream(format!("undecodable event: {e}")),
            };
            if tx
                .send((generation, ReaderMsg::Event(Box::new(ev))))
                .is_err()
            {
                return ExecutorError::Stopped;
            }
        }
    }
}
