//! The driver's state machine, one task on the shared runtime.
//!
//! Phases: detecting the leader → connecting (SUBSCRIBE sent, waiting for the response head) →
//! streaming (waiting for SUBSCRIBED, then subscribed) → on any loss, waiting out a jittered
//! backoff → detecting again. Commands from handles are served in every phase; calls made while
//! not subscribed are refused locally. The stream reader and the calls connection are tasks of
//! their own, so a slow call never delays events and the watchdog.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use hyper::StatusCode;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::backoff::Backoff;
use super::caller::{self, Job, Lost, Reply};
use super::calls;
use super::codec;
use super::config::DriverConfig;
use super::detector::Detector;
use super::error::DriverError;
use super::events::{DriverEvent, EventSender, MesosEvent, Subscribed};
use super::http::{Connector, Encoding};
use super::master_url::Endpoint;
use super::pipeline::{BodyLength, Pipeline, ReadError};
use super::reader::{self, ReaderMsg, ReaderSettings};
use super::slim::EncodedAccept;
use super::state::{DriverState, Shared};
use crate::proto::mesos::scheduler::call::Type as CallType;
use crate::proto::mesos::scheduler::event::Type as EventType;
use crate::proto::mesos::scheduler::Call;
use crate::proto::mesos::{FrameworkId, TaskStatus};

pub(crate) enum Command {
    Call {
        call: Box<Call>,
        reply: Reply,
    },
    /// An ACCEPT sent as it was encoded (see [`EncodedAccept`]).
    Accept {
        accept: EncodedAccept,
        reply: Reply,
    },
    Acknowledge {
        status: Box<TaskStatus>,
        reply: Reply,
    },
    Stop {
        failover: bool,
        reply: Reply,
    },
}

/// The answer to SUBSCRIBE.
enum Handshake {
    /// 200: the event stream.
    Stream {
        endpoint: Endpoint,
        pipe: Pipeline,
        stream_id: Option<String>,
        body: BodyLength,
    },
    /// Anything else, with its body's text.
    Refused {
        endpoint: Endpoint,
        status: StatusCode,
        location: Option<String>,
        text: String,
    },
}

type HandshakeFuture = Pin<Box<dyn Future<Output = Result<Handshake, DriverError>> + Send>>;

struct Session {
    endpoint: Endpoint,
    stream_id: String,
    subscribed: bool,
    events: mpsc::UnboundedReceiver<ReaderMsg>,
    reader: JoinHandle<()>,
    calls: mpsc::UnboundedSender<Job>,
    caller: JoinHandle<()>,
    lost: mpsc::UnboundedReceiver<Lost>,
}

impl Drop for Session {
    fn drop(&mut self) {
        // Closes the subscription socket; calls not yet sent are dropped (their callers get
        // an error) since their stream id is no longer valid.
        self.reader.abort();
        self.caller.abort();
    }
}

enum Phase {
    Detecting,
    Waiting(Pin<Box<tokio::time::Sleep>>),
    Connecting(HandshakeFuture),
    Streaming(Session),
}

enum Step {
    Detected(Endpoint),
    WaitOver,
    Handshake(Result<Handshake, DriverError>),
    Reader(ReaderMsg),
    Lost(Lost),
    LeaderChanged,
}

enum Wake {
    Command(Option<Command>),
    Step(Step),
}

/// `Some(outcome)` ends the driver (`None` inside: a clean stop).
type End = Option<Option<DriverError>>;

async fn step(phase: &mut Phase, detector: &mut Detector, detected: Option<&Endpoint>) -> Step {
    match phase {
        Phase::Detecting => Step::Detected(detector.current().await),
        Phase::Waiting(sleep) => {
            sleep.as_mut().await;
            Step::WaitOver
        }
        Phase::Connecting(fut) => Step::Handshake(fut.as_mut().await),
        Phase::Streaming(s) => {
            let leader_moved = async {
                match detected {
                    Some(d) => {
                        detector.changed_from(d).await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                msg = s.events.recv() => {
                    Step::Reader(msg.unwrap_or(ReaderMsg::End(DriverError::StreamClosed)))
                }
                Some(lost) = s.lost.recv() => Step::Lost(lost),
                () = leader_moved => Step::LeaderChanged,
            }
        }
    }
}

pub(crate) struct Actor {
    cfg: DriverConfig,
    connector: Arc<Connector>,
    detector: Detector,
    /// What the detector named last (a ZooKeeper leader change is measured against it).
    detected: Option<Endpoint>,
    /// Where a 307 pointed: tried next instead of asking the detector.
    redirect: Option<Endpoint>,
    events: EventSender,
    /// Events are being queued without waking the receivers (one read's worth).
    quiet: bool,
    commands: mpsc::UnboundedReceiver<Command>,
    shared: Arc<Shared>,
    framework_id: Option<FrameworkId>,
    ever_subscribed: bool,
    /// Offers received in this subscription and not yet used, declined or rescinded.
    offers: HashSet<String>,
    backoff: Backoff,
    phase: Phase,
    /// The answer to a stop command, sent only once the driver is STOPPED, so whoever stopped it
    /// sees the final state as soon as `stop()` returns.
    stop_reply: Option<(Reply, Result<(), DriverError>)>,
}

impl Actor {
    pub fn new(
        cfg: DriverConfig,
        connector: Arc<Connector>,
        detector: Detector,
        events: EventSender,
        commands: mpsc::UnboundedReceiver<Command>,
        shared: Arc<Shared>,
    ) -> Self {
        let framework_id = cfg
            .framework_info
            .id
            .clone()
            .filter(|id| !id.value.is_empty());
        let backoff = Backoff::new(cfg.backoff_min, cfg.backoff_max);
        Actor {
            cfg,
            connector,
            detector,
            detected: None,
            redirect: None,
            events,
            quiet: false,
            commands,
            shared,
            framework_id,
            ever_subscribed: false,
            offers: HashSet::new(),
            backoff,
            phase: Phase::Detecting,
            stop_reply: None,
        }
    }

    pub async fn run(mut self) {
        let outcome = self.main_loop().await;
        // Drops the session: the subscription stream closes.
        self.phase = Phase::Detecting;
        self.offers.clear();
        self.commands.close();
        while let Ok(cmd) = self.commands.try_recv() {
            let reply = match cmd {
                Command::Call { reply, .. }
                | Command::Accept { reply, .. }
                | Command::Acknowledge { reply, .. }
                | Command::Stop { reply, .. } => reply,
            };
            let _ = reply.send(Err(DriverError::Stopped));
        }
        if let Some(e) = &outcome {
            tracing::error!("scheduler driver stopped: {e}");
        }
        self.shared.finish(outcome.clone());
        if let Some((reply, result)) = self.stop_reply.take() {
            let _ = reply.send(result);
        }
        self.events.send(DriverEvent::Stopped(outcome));
    }

    async fn main_loop(&mut self) -> Option<DriverError> {
        loop {
            let wake = tokio::select! {
                cmd = self.commands.recv() => Wake::Command(cmd),
                s = step(&mut self.phase, &mut self.detector, self.detected.as_ref()) => Wake::Step(s),
            };
            let end = match wake {
                // Every handle is gone: nobody can stop us any more, so stop as with failover.
                Wake::Command(None) => Some(None),
                Wake::Command(Some(cmd)) => self.on_command(cmd).await,
                Wake::Step(s) => self.on_step(s),
            };
            if let Some(outcome) = end {
                return outcome;
            }
        }
    }

    fn session(&mut self) -> Option<&mut Session> {
        match &mut self.phase {
            Phase::Streaming(s) if s.subscribed => Some(s),
            _ => None,
        }
    }

    async fn on_command(&mut self, cmd: Command) -> End {
        match cmd {
            Command::Call { call, reply } => {
                self.send_call(*call, Some(reply));
                None
            }
            Command::Accept { accept, reply } => {
                self.send_accept(accept, reply);
                None
            }
            Command::Acknowledge { status, reply } => {
                if self.cfg.implicit_acknowledgements {
                    // Already acknowledged on receipt.
                    let _ = reply.send(Ok(()));
                } else {
                    match calls::acknowledge(&status) {
                        Ok(call) => self.send_call(call, Some(reply)),
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    }
                }
                None
            }
            Command::Stop { failover, reply } => {
                let result = if failover {
                    Ok(())
                } else {
                    self.teardown().await
                };
                self.stop_reply = Some((reply, result));
                Some(None)
            }
        }
    }

    async fn teardown(&mut self) -> Result<(), DriverError> {
        let (tx, rx) = oneshot::channel();
        self.send_call(calls::teardown(), Some(tx));
        match tokio::time::timeout(self.cfg.request_timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(DriverError::SubscriptionLost(
                "the subscription ended before TEARDOWN was answered".into(),
            )),
            Err(_) => Err(DriverError::Timeout(self.cfg.request_timeout)),
        }
    }

    /// Sends a call on the calls connection, after the local checks.
    fn send_call(&mut self, mut call: Call, reply: Option<Reply>) {
        let fail = |reply: Option<Reply>, e: DriverError| {
            if let Some(r) = reply {
                let _ = r.send(Err(e));
            }
        };
        if self.session().is_none() {
            return fail(reply, DriverError::NotSubscribed);
        }
        match calls::call_type(&call) {
            CallType::Accept => {
                let ids = call
                    .accept
                    .as_ref()
                    .map(|a| &a.offer_ids[..])
                    .unwrap_or(&[]);
                if let Some(stale) = ids.iter().find(|id| !self.offers.contains(&id.value)) {
                    return fail(reply, DriverError::OfferNotHeld(stale.value.clone()));
                }
                for id in ids {
                    self.offers.remove(&id.value);
                }
            }
            CallType::Decline => {
                if let Some(d) = call.decline.as_mut() {
                    // Offers from an earlier subscription are already gone on the master.
                    d.offer_ids.retain(|id| self.offers.remove(&id.value));
                    if d.offer_ids.is_empty() {
                        if let Some(r) = reply {
                            let _ = r.send(Ok(()));
                        }
                        return;
                    }
                }
            }
            _ => {}
        }
        call.framework_id = self.framework_id.clone();
        let what = calls::call_type(&call).as_str_name();
        let body = match codec::encode_call(&call, self.cfg.encoding) {
            Ok(b) => b,
            Err(e) => return fail(reply, e),
        };
        self.queue_call(body, what, reply);
    }

    /// [`Actor::send_call`] of an ACCEPT as it was encoded: the same offer checks, and its
    /// bytes go out with the framework id added, unless the master speaks JSON.
    fn send_accept(&mut self, accept: EncodedAccept, reply: Reply) {
        if self.session().is_none() {
            let _ = reply.send(Err(DriverError::NotSubscribed));
            return;
        }
        if let Some(stale) = accept
            .offer_ids
            .iter()
            .find(|id| !self.offers.contains(*id))
        {
            let _ = reply.send(Err(DriverError::OfferNotHeld(stale.clone())));
            return;
        }
        for id in &accept.offer_ids {
            self.offers.remove(id);
        }
        let body = accept.with_framework_id(self.framework_id.as_ref());
        let body = match self.cfg.encoding {
            Encoding::Protobuf => Bytes::from(body),
            Encoding::Json => {
                let call = match <Call as prost::Message>::decode(body.as_slice()) {
                    Ok(call) => call,
                    Err(e) => {
                        let e = DriverError::InvalidCall(format!("cannot decode the call: {e}"));
                        let _ = reply.send(Err(e));
                        return;
                    }
                };
                match codec::encode_call(&call, self.cfg.encoding) {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = reply.send(Err(e));
                        return;
                    }
                }
            }
        };
        self.queue_call(body, CallType::Accept.as_str_name(), Some(reply));
    }

    /// Hands an encoded call to the calls connection.
    fn queue_call(&mut self, body: Bytes, what: &'static str, reply: Option<Reply>) {
        let Some(session) = self.session() else {
            if let Some(r) = reply {
                let _ = r.send(Err(DriverError::NotSubscribed));
            }
            return;
        };
        if let Err(mpsc::error::SendError(job)) = session.calls.send(Job { body, what, reply }) {
            if let Some(r) = job.reply {
                let _ = r.send(Err(DriverError::SubscriptionLost(
                    "the calls connection is gone".into(),
                )));
            }
        }
    }

    fn on_step(&mut self, step: Step) -> End {
        match step {
            Step::Detected(ep) => {
                self.detected = Some(ep.clone());
                self.connect(ep)
            }
            Step::WaitOver => match self.redirect.take() {
                Some(ep) => self.connect(ep),
                None => {
                    self.phase = Phase::Detecting;
                    None
                }
            },
            Step::Handshake(Err(e)) => {
                self.detector.failed();
                self.retry(e, true);
                None
            }
            Step::Handshake(Ok(h)) => self.on_handshake(h),
            Step::Reader(ReaderMsg::Events(events)) => {
                // Queued quietly, then one wake-up for all of them.
                self.quiet = true;
                let mut end = None;
                for ev in events {
                    end = self.on_event(ev);
                    if end.is_some() {
                        break;
                    }
                }
                self.quiet = false;
                self.events.wake();
                end
            }
            Step::Reader(ReaderMsg::End(e)) => {
                self.retry(e, true);
                None
            }
            Step::Lost(lost) => {
                self.redirect = lost.redirect;
                self.retry(lost.error, true);
                None
            }
            Step::LeaderChanged => {
                self.retry(
                    DriverError::SubscriptionLost("the leading master changed".into()),
                    true,
                );
                None
            }
        }
    }

    /// Drops the current session (if any) and waits out the next backoff delay.
    fn retry(&mut self, error: DriverError, report: bool) {
        let delay = self.backoff.next_delay();
        self.phase = Phase::Waiting(Box::pin(tokio::time::sleep(delay)));
        // The master discards outstanding offers on resubscription without rescinding them.
        self.offers.clear();
        self.shared.set_state(DriverState::Disconnected, None);
        tracing::info!("not subscribed ({error}); retrying in {delay:?}");
        if report {
            self.events.send(DriverEvent::Disconnected(error));
        }
    }

    fn connect(&mut self, endpoint: Endpoint) -> End {
        let call = calls::subscribe(
            self.cfg.framework_info.clone(),
            self.framework_id.as_ref(),
            self.cfg.suppressed_roles.clone(),
        );
        let body = match call.and_then(|c| codec::encode_call(&c, self.cfg.encoding)) {
            Ok(b) => b,
            Err(e) => return Some(Some(e)),
        };
        self.shared
            .set_state(DriverState::Subscribing, Some(endpoint.clone()));
        let connector = self.connector.clone();
        let timeout = self.cfg.subscribe_timeout;
        self.phase = Phase::Connecting(Box::pin(handshake(connector, endpoint, body, timeout)));
        None
    }

    fn on_handshake(&mut self, h: Handshake) -> End {
        let (endpoint, status, location, text) = match h {
            Handshake::Stream {
                endpoint,
                pipe,
                stream_id,
                body,
            } => {
                self.start_session(endpoint, pipe, stream_id, body);
                return None;
            }
            Handshake::Refused {
                endpoint,
                status,
                location,
                text,
            } => (endpoint, status, location, text),
        };
        if !text.is_empty() {
            tracing::warn!("{endpoint} answered SUBSCRIBE with {status}: {text}");
        }
        let http = DriverError::Http {
            status: status.as_u16(),
            body: text,
        };
        match status {
            StatusCode::TEMPORARY_REDIRECT => {
                match location.as_deref().map(|l| endpoint.follow_location(l)) {
                    Some(Ok(next)) => {
                        tracing::info!("{endpoint} redirects to {next}");
                        self.redirect = Some(next);
                        self.retry(http, false);
                    }
                    Some(Err(e)) => self.retry(e, true),
                    None => self.retry(
                        DriverError::Stream("307 without a Location header".into()),
                        true,
                    ),
                }
                None
            }
            StatusCode::UNAUTHORIZED => Some(Some(DriverError::Unauthorized(format!(
                "{endpoint} refused the credentials"
            )))),
            // Not ready (recovering, no leader, route not installed) or rate limited: retry
            // quietly, with the next master when there is a list.
            StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::NOT_FOUND
            | StatusCode::TOO_MANY_REQUESTS => {
                self.detector.failed();
                self.retry(http, false);
                None
            }
            s if s.is_server_error() => {
                self.detector.failed();
                self.retry(http, true);
                None
            }
            // The SUBSCRIBE itself was refused (400, 403, 415, ...): retrying cannot help.
            _ => Some(Some(http)),
        }
    }

    fn start_session(
        &mut self,
        endpoint: Endpoint,
        pipe: Pipeline,
        stream_id: Option<String>,
        body: BodyLength,
    ) {
        let Some(stream_id) = stream_id else {
            self.retry(
                DriverError::Stream("the SUBSCRIBE response has no Mesos-Stream-Id".into()),
                true,
            );
            return;
        };
        let (etx, erx) = mpsc::unbounded_channel();
        let settings = ReaderSettings {
            encoding: self.cfg.encoding,
            max_frame: self.cfg.max_frame_bytes,
            first_timeout: self.cfg.subscribe_timeout,
            heartbeat_misses: self.cfg.heartbeat_misses,
        };
        let reader = reader::spawn(pipe, body, settings, etx, self.shared.clone());
        let (jtx, jrx) = mpsc::unbounded_channel();
        let (ltx, lrx) = mpsc::unbounded_channel();
        let caller = caller::spawn(
            self.connector.clone(),
            endpoint.clone(),
            stream_id.clone(),
            self.cfg.request_timeout,
            jrx,
            ltx,
            self.shared.clone(),
        );
        self.phase = Phase::Streaming(Session {
            endpoint,
            stream_id,
            subscribed: false,
            events: erx,
            reader,
            calls: jtx,
            caller,
            lost: lrx,
        });
    }

    fn on_event(&mut self, ev: MesosEvent) -> End {
        let implicit = self.cfg.implicit_acknowledgements;
        let Phase::Streaming(session) = &mut self.phase else {
            return None;
        };
        match ev.event_type {
            EventType::Subscribed => {
                if session.subscribed {
                    return None;
                }
                // Decoded in full on receipt.
                let id = ev
                    .event()
                    .ok()
                    .and_then(|e| e.subscribed.as_ref())
                    .map(|s| s.framework_id.clone())
                    .filter(|id| !id.value.is_empty());
                let Some(id) = id else {
                    self.retry(
                        DriverError::Stream("SUBSCRIBED without a framework id".into()),
                        true,
                    );
                    return None;
                };
                session.subscribed = true;
                let master = session.endpoint.clone();
                tracing::info!(
                    "subscribed to {master} as {} ({})",
                    id.value,
                    session.stream_id
                );
                self.framework_id = Some(id.clone());
                self.backoff.reset();
                self.offers.clear();
                let reregistered = self.ever_subscribed;
                self.ever_subscribed = true;
                self.shared.set_framework_id(id.clone());
                self.shared
                    .set_state(DriverState::Subscribed, Some(master.clone()));
                self.events.put(
                    DriverEvent::Subscribed(Subscribed {
                        framework_id: id,
                        reregistered,
                        master,
                        event: ev,
                    }),
                    !self.quiet,
                );
            }
            EventType::Error => {
                // Decoded in full on receipt.
                let message = ev
                    .event()
                    .ok()
                    .and_then(|e| e.error.as_ref())
                    .map(|e| e.message.clone())
                    .unwrap_or_default();
                self.events.put(DriverEvent::Mesos(ev), !self.quiet);
                // "Framework has been removed", "Framework failed over", validation errors:
                // resubscribing automatically would only repeat or fight another instance.
                return Some(Some(DriverError::Master(message)));
            }
            _ if !session.subscribed => {
                let name = ev.event_type.as_str_name();
                self.retry(
                    DriverError::Stream(format!("{name} event before SUBSCRIBED")),
                    true,
                );
            }
            EventType::Heartbeat => {
                if self.cfg.deliver_heartbeats {
                    self.events.put(DriverEvent::Mesos(ev), !self.quiet);
                }
            }
            EventType::Offers => {
                self.offers
                    .extend(ev.offer_ids().map(|id| id.value.clone()));
                self.events.put(DriverEvent::Mesos(ev), !self.quiet);
            }
            EventType::Rescind => {
                if let Some(r) = &ev.slim.rescind {
                    self.offers.remove(&r.offer_id.value);
                }
                self.events.put(DriverEvent::Mesos(ev), !self.quiet);
            }
            EventType::Update => {
                // Acknowledge iff the update has a uuid: reconciliation and master-generated
                // updates have none and must never be acknowledged.
                let ack = match &ev.slim.update {
                    Some(u) if implicit => calls::acknowledge(&u.status.to_status()).ok(),
                    _ => None,
                };
                self.events.put(DriverEvent::Mesos(ev), !self.quiet);
                if let Some(call) = ack {
                    self.send_call(call, None);
                }
            }
            _ => self.events.put(DriverEvent::Mesos(ev), !self.quiet),
        }
        None
    }
}

/// Connects and sends SUBSCRIBE; returns the stream, or the refusal with its body's text.
async fn handshake(
    connector: Arc<Connector>,
    endpoint: Endpoint,
    body: Bytes,
    timeout: std::time::Duration,
) -> Result<Handshake, DriverError> {
    let mut pipe = connector.open_pipeline(&endpoint).await?;
    let mut request = Vec::new();
    connector.write_request(&endpoint, &body, None, &mut request);
    let exchange = async {
        pipe.write(&request)
            .await
            .map_err(|e| ReadError::Broken(e.to_string()))?;
        pipe.read_head().await
    };
    let head = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| DriverError::Timeout(timeout))?
        .map_err(|e| DriverError::Connect {
            endpoint: endpoint.authority(),
            reason: format!("SUBSCRIBE failed: {e}"),
        })?;
    let status = StatusCode::from_u16(head.status).map_err(|_| {
        DriverError::Stream(format!("SUBSCRIBE answered with status {}", head.status))
    })?;
    if status == StatusCode::OK {
        return Ok(Handshake::Stream {
            endpoint,
            stream_id: head.stream_id,
            body: head.body,
            pipe,
        });
    }
    // A refusal's body names the problem: read it, bounded in time and size.
    let mut length = head.body;
    let mut text = Vec::new();
    let read = async {
        while let Some(piece) = pipe.body_piece(&mut length).await? {
            let room = 1024usize.saturating_sub(text.len());
            text.extend_from_slice(&piece[..piece.len().min(room)]);
        }
        Ok::<_, ReadError>(())
    };
    let _ = tokio::time::timeout(timeout, read).await;
    Ok(Handshake::Refused {
        endpoint,
        status,
        location: head.location,
        text: String::from_utf8_lossy(&text).into_owned(),
    })
}
