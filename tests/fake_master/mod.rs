//! A scripted fake Mesos master for driver tests: a small hyper server that records every
//! request (headers, body, decoded call) and answers as each test scripts it. SUBSCRIBE requests
//! get scripted replies (status codes) or, by default, an open event stream the test controls
//! chunk by chunk through a [`StreamCtl`].
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use _satyr::driver::recordio;
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::scheduler::{call, event, Call, Event};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::HeaderMap;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};

/// How long a test waits for something the driver should do.
pub const WAIT: Duration = Duration::from_secs(20);

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub call: Call,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
    pub fn call_type(&self) -> call::Type {
        call::Type::try_from(self.call.r#type.unwrap_or(0)).unwrap_or(call::Type::Unknown)
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A plain response.
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// A 200 event stream (default for SUBSCRIBE), handed to the test.
    Stream { stream_id: Option<String> },
}

impl Reply {
    pub fn status(code: u16) -> Self {
        Reply::Status {
            code,
            headers: vec![],
            body: String::new(),
        }
    }
    pub fn redirect(location: &str) -> Self {
        Reply::Status {
            code: 307,
            headers: vec![("Location".into(), location.into())],
            body: String::new(),
        }
    }
}

/// The test's end of one open subscription stream.
pub struct StreamCtl {
    pub request: Recorded,
    pub stream_id: String,
    tx: mpsc::UnboundedSender<Bytes>,
}

impl StreamCtl {
    /// Sends raw bytes as one HTTP chunk.
    pub fn send_raw(&self, bytes: impl Into<Bytes>) {
        let _ = self.tx.send(bytes.into());
    }
    /// Sends one event as one RecordIO record in one chunk.
    pub fn send(&self, ev: &Event) {
        self.send_raw(recordio::encode(&ev.encode_to_vec()));
    }
    /// Ends the stream (EOF).
    pub fn close(self) {}
}

struct Inner {
    requests: Mutex<Vec<Recorded>>,
    changed: Notify,
    subscribe_script: Mutex<VecDeque<Reply>>,
    call_script: Mutex<VecDeque<Reply>>,
    streams: mpsc::UnboundedSender<StreamCtl>,
    next_stream: Mutex<u32>,
}

pub struct FakeMaster {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    streams: tokio::sync::Mutex<mpsc::UnboundedReceiver<StreamCtl>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeMaster {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A body fed chunk by chunk from a channel; ends when the sender is dropped.
struct ChannelBody(mpsc::UnboundedReceiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

type AnyBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

fn decode_call(headers: &HeaderMap, body: &[u8]) -> Call {
    let json = headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes() == b"application/json");
    if !json {
        return Call::decode(body).unwrap_or_default();
    }
    let pool = prost_reflect::DescriptorPool::decode(_satyr::proto::FILE_DESCRIPTOR_SET).unwrap();
    let desc = pool.get_message_by_name("mesos.v1.scheduler.Call").unwrap();
    let mut de = serde_json::Deserializer::from_slice(body);
    match prost_reflect::DynamicMessage::deserialize(desc, &mut de) {
        Ok(msg) => Call::decode(msg.encode_to_vec().as_slice()).unwrap_or_default(),
        Err(_) => Call::default(),
    }
}

impl FakeMaster {
    pub async fn start() -> FakeMaster {
        Self::start_with(None).await
    }

    /// An https master presenting `cert` (PEM chain) with `key` (PEM).
    pub async fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> FakeMaster {
        use tokio_rustls::rustls;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_file_iter(cert)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        Self::start_with(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn start_with(tls: Option<tokio_rustls::TlsAcceptor>) -> FakeMaster {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stx, srx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            requests: Mutex::new(vec![]),
            changed: Notify::new(),
            subscribe_script: Mutex::new(VecDeque::new()),
            call_script: Mutex::new(VecDeque::new()),
            streams: stx,
            next_stream: Mutex::new(0),
        });
        let served = inner.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let inner = served.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let inner = inner.clone();
                        async move { Ok::<_, Infallible>(handle(inner, req).await) }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    match tls {
                        None => {
                            let _ = http.serve_connection(TokioIo::new(tcp), service).await;
                        }
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                    }
                });
            }
        });
        FakeMaster {
            addr,
            inner,
            streams: tokio::sync::Mutex::new(srx),
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next SUBSCRIBE gets `reply` (in order; then the default stream).
    pub fn script_subscribe(&self, reply: Reply) {
        self.inner.subscribe_script.lock().unwrap().push_back(reply);
    }

    /// The next non-SUBSCRIBE call gets `reply` (in order; then 202).
    pub fn script_call(&self, reply: Reply) {
        self.inner.call_script.lock().unwrap().push_back(reply);
    }

    /// Waits for the next subscription stream to open.
    pub async fn next_stream(&self) -> StreamCtl {
        tokio::time::timeout(WAIT, async { self.streams.lock().await.recv().await })
            .await
            .expect("no SUBSCRIBE reached the fake master in time")
            .expect("fake master stopped")
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// Non-SUBSCRIBE calls so far.
    pub fn calls(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.call_type() != call::Type::Subscribe)
            .collect()
    }

    /// SUBSCRIBE requests so far.
    pub fn subscribes(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.call_type() == call::Type::Subscribe)
            .collect()
    }

    /// Waits until `pred` holds for the recorded requests.
    pub async fn wait_until(&self, what: &str, pred: impl Fn(&[Recorded]) -> bool) {
        let ok = tokio::time::timeout(WAIT, async {
            loop {
                let notified = self.inner.changed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if pred(&self.requests()) {
                    return;
                }
                notified.await;
            }
        })
        .await;
        assert!(
            ok.is_ok(),
            "timed out waiting for: {what}; got {:#?}",
            self.requests()
                .iter()
                .map(|r| r.call_type())
                .collect::<Vec<_>>()
        );
    }

    /// Waits until `n` calls of type `t` were received; returns them.
    pub async fn wait_calls(&self, t: call::Type, n: usize) -> Vec<Recorded> {
        self.wait_until(&format!("{n} {t:?} calls"), |rs| {
            rs.iter().filter(|r| r.call_type() == t).count() >= n
        })
        .await;
        self.requests()
            .into_iter()
            .filter(|r| r.call_type() == t)
            .collect()
    }
}

async fn handle(inner: Arc<Inner>, req: Request<Incoming>) -> Response<AnyBody> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let call = decode_call(&parts.headers, &body);
    let rec = Recorded {
        path: parts.uri.path().to_string(),
        headers: parts.headers.clone(),
        body,
        call,
    };
    let is_subscribe = rec.call_type() == call::Type::Subscribe;
    let reply = if is_subscribe {
        inner.subscribe_script.lock().unwrap().pop_front()
    } else {
        inner.call_script.lock().unwrap().pop_front()
    };
    let reply = reply.unwrap_or(if is_subscribe {
        Reply::Stream { stream_id: None }
    } else {
        Reply::status(202)
    });
    inner.requests.lock().unwrap().push(rec.clone());
    inner.changed.notify_waiters();
    match reply {
        Reply::Status {
            code,
            headers,
            body,
        } => {
            let mut resp = Response::new(Full::new(Bytes::from(body)).boxed());
            *resp.status_mut() = StatusCode::from_u16(code).unwrap();
            for (k, v) in headers {
                resp.headers_mut().insert(
                    hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            resp
        }
        Reply::Stream { stream_id } => {
            let stream_id = stream_id.unwrap_or_else(|| {
                let mut n = inner.next_stream.lock().unwrap();
                *n += 1;
                format!("S{n}")
            });
            let (tx, rx) = mpsc::unbounded_channel();
            let media = rec
                .header("accept")
                .unwrap_or_else(|| "application/json".into());
            let _ = inner.streams.send(StreamCtl {
                request: rec,
                stream_id: stream_id.clone(),
                tx,
            });
            let mut resp = Response::new(ChannelBody(rx).boxed());
            resp.headers_mut()
                .insert("Mesos-Stream-Id", stream_id.parse().unwrap());
            resp.headers_mut()
                .insert("Content-Type", media.parse().unwrap());
            resp
        }
    }
}

// ---- event builders -------------------------------------------------------------------------

pub fn subscribed(framework_id: &str, heartbeat: f64) -> Event {
    Event {
        r#type: Some(event::Type::Subscribed as i32),
        subscribed: Some(event::Subscribed {
            framework_id: m::FrameworkId {
                value: framework_id.into(),
            },
            heartbeat_interval_seconds: Some(heartbeat),
            master_info: None,
        }),
        ..Default::default()
    }
}

pub fn heartbeat() -> Event {
    Event {
        r#type: Some(event::Type::Heartbeat as i32),
        ..Default::default()
    }
}

pub fn error(message: &str) -> Event {
    Event {
        r#type: Some(event::Type::Error as i32),
        error: Some(event::Error {
            message: message.into(),
        }),
        ..Default::default()
    }
}

pub fn offer(id: &str, agent: &str) -> m::Offer {
    m::Offer {
        id: m::OfferId { value: id.into() },
        framework_id: m::FrameworkId { value: "f".into() },
        agent_id: m::AgentId {
            value: agent.into(),
        },
        hostname: "h".into(),
        ..Default::default()
    }
}

pub fn offers(list: Vec<m::Offer>) -> Event {
    Event {
        r#type: Some(event::Type::Offers as i32),
        offers: Some(event::Offers { offers: list }),
        ..Default::default()
    }
}

pub fn rescind(id: &str) -> Event {
    Event {
        r#type: Some(event::Type::Rescind as i32),
        rescind: Some(event::Rescind {
            offer_id: m::OfferId { value: id.into() },
        }),
        ..Default::default()
    }
}

pub fn update(task: &str, agent: &str, state: m::TaskState, uuid: Option<[u8; 16]>) -> Event {
    Event {
        r#type: Some(event::Type::Update as i32),
        update: Some(event::Update {
            status: m::TaskStatus {
                task_id: m::TaskId { value: task.into() },
                state: state as i32,
                agent_id: Some(m::AgentId {
                    value: agent.into(),
                }),
                uuid: uuid.map(|u| u.to_vec()),
                reason: if uuid.is_none() {
                    Some(m::task_status::Reason::Reconciliation as i32)
                } else {
                    None
                },
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

// ---- driver helpers -------------------------------------------------------------------------

use _satyr::driver::{DriverConfig, DriverEvent, EventReceiver};

impl StreamCtl {
    /// Resolves when the driver has closed this stream.
    pub async fn closed(&self) {
        tokio::time::timeout(WAIT, self.tx.closed())
            .await
            .expect("the driver did not close the stream in time");
    }
}

pub fn framework() -> m::FrameworkInfo {
    m::FrameworkInfo {
        user: "tester".into(),
        name: "driver-test".into(),
        failover_timeout: Some(3600.0),
        ..Default::default()
    }
}

/// Fast retries so tests finish quickly.
pub fn config(master: &str) -> DriverConfig {
    let mut c = DriverConfig::new(master, framework());
    c.backoff_min = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(200);
    c.subscribe_timeout = Duration::from_secs(15);
    c.request_timeout = Duration::from_secs(15);
    c
}

/// The next driver event (fails the test after [`WAIT`]).
pub async fn next_event(rx: &EventReceiver) -> DriverEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("no driver event in time")
        .expect("driver event queue closed")
}

/// Skips events until one named `name` arrives; returns it.
pub async fn event_named(rx: &EventReceiver, name: &str) -> DriverEvent {
    loop {
        let e = next_event(rx).await;
        if e.name() == name {
            return e;
        }
    }
}
