//! A scripted fake Mesos agent for executor driver tests: a small hyper server on 127.0.0.1
//! that records every call to `/api/v1/executor`, answers SUBSCRIBE with an event stream the test
//! controls (or with scripted status codes), and answers UPDATE/MESSAGE like the real agent:
//! 403 "Executor is not subscribed" unless a stream is open and SUBSCRIBED was sent on it.
//! With `auto_ack`, it sends ACKNOWLEDGED for every accepted UPDATE, as the real agent does.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use _satyr::driver::recordio;
use _satyr::executor::ExecutorEnv;
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::executor::{call, event, Call, Event};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
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
    pub at: Instant,
    pub body: Bytes,
    pub call: Call,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    /// What the fake answered.
    pub answered: u16,
}

impl Recorded {
    pub fn kind(&self) -> call::Type {
        call::Type::try_from(self.call.r#type.unwrap_or(0)).unwrap_or(call::Type::Unknown)
    }
}

/// The test's end of one open subscription stream.
pub struct StreamCtl {
    pub request: Recorded,
    tx: mpsc::UnboundedSender<Bytes>,
    inner: Arc<Inner>,
    id: u64,
}

impl StreamCtl {
    /// Sends one event as one RecordIO record.
    pub fn send(&self, ev: &Event) {
        if ev.r#type == Some(event::Type::Subscribed as i32) {
            *self.inner.subscribed_stream.lock().unwrap() = Some(self.id);
        }
        let _ = self
            .tx
            .send(Bytes::from(recordio::encode(&ev.encode_to_vec())));
    }
    pub fn subscribed(&self) {
        self.send(&subscribed_event());
    }
    pub fn launch(&self, task_id: &str) {
        self.send(&Event {
            r#type: Some(event::Type::Launch as i32),
            launch: Some(event::Launch {
                task: task(task_id),
            }),
            ..Default::default()
        });
    }
    pub fn acknowledge(&self, status: &m::TaskStatus) {
        self.send(&ack_event(status));
    }
    pub fn shutdown(&self) {
        self.send(&Event {
            r#type: Some(event::Type::Shutdown as i32),
            ..Default::default()
        });
    }
    /// Ends the stream (EOF).
    pub fn close(self) {
        let mut s = self.inner.subscribed_stream.lock().unwrap();
        if *s == Some(self.id) {
            *s = None;
        }
        self.inner
            .open
            .lock()
            .unwrap()
            .retain(|(i, _)| *i != self.id);
    }
}

pub fn ack_event(status: &m::TaskStatus) -> Event {
    Event {
        r#type: Some(event::Type::Acknowledged as i32),
        acknowledged: Some(event::Acknowledged {
            task_id: status.task_id.clone(),
            uuid: status.uuid.clone().unwrap_or_default(),
        }),
        ..Default::default()
    }
}

pub fn task(id: &str) -> m::TaskInfo {
    m::TaskInfo {
        name: format!("task {id}"),
        task_id: m::TaskId { value: id.into() },
        agent_id: m::AgentId { value: "S1".into() },
        data: Some(format!("payload of {id}").into_bytes()),
        ..Default::default()
    }
}

pub fn subscribed_event() -> Event {
    Event {
        r#type: Some(event::Type::Subscribed as i32),
        subscribed: Some(event::Subscribed {
            executor_info: m::ExecutorInfo {
                executor_id: m::ExecutorId { value: "e1".into() },
                ..Default::default()
            },
            framework_info: m::FrameworkInfo {
                user: "u".into(),
                name: "f".into(),
                id: Some(m::FrameworkId { value: "fw".into() }),
                ..Default::default()
            },
            agent_info: m::AgentInfo {
                hostname: "localhost".into(),
                ..Default::default()
            },
            container_id: None,
        }),
        ..Default::default()
    }
}

struct Inner {
    requests: Mutex<Vec<Recorded>>,
    changed: Notify,
    subscribe_script: Mutex<VecDeque<u16>>,
    streams: mpsc::UnboundedSender<StreamCtl>,
    subscribed_stream: Mutex<Option<u64>>,
    /// The open streams' senders, for auto-acks.
    open: Mutex<Vec<(u64, mpsc::UnboundedSender<Bytes>)>>,
    next_id: Mutex<u64>,
    auto_ack: AtomicBool,
}

pub struct FakeAgent {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    streams: tokio::sync::Mutex<mpsc::UnboundedReceiver<StreamCtl>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

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

fn plain(code: u16, text: &str) -> Response<AnyBody> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .body(Full::new(Bytes::from(text.to_string())).boxed())
        .unwrap()
}

impl FakeAgent {
    pub async fn start() -> FakeAgent {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stx, srx) = mpsc::unbounded_channel();
        let inner = Arc::new(Inner {
            requests: Mutex::new(vec![]),
            changed: Notify::new(),
            subscribe_script: Mutex::new(VecDeque::new()),
            streams: stx,
            subscribed_stream: Mutex::new(None),
            open: Mutex::new(vec![]),
            next_id: Mutex::new(0),
            auto_ack: AtomicBool::new(false),
        });
        let served = inner.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let inner = served.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let inner = inner.clone();
                        async move { Ok::<_, Infallible>(handle(inner, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
        FakeAgent {
            addr,
            inner,
            streams: tokio::sync::Mutex::new(srx),
            task,
        }
    }

    /// The environment an agent at this address gives an executor, plus `extra`.
    pub fn env(&self, extra: &[(&str, &str)]) -> ExecutorEnv {
        let mut vars: Vec<(String, String)> = vec![
            ("MESOS_FRAMEWORK_ID".into(), "fw".into()),
            ("MESOS_EXECUTOR_ID".into(), "e1".into()),
            ("MESOS_AGENT_ENDPOINT".into(), self.addr.to_string()),
            ("MESOS_CHECKPOINT".into(), "0".into()),
        ];
        for (k, v) in extra {
            vars.retain(|(name, _)| name != k);
            vars.push((k.to_string(), v.to_string()));
        }
        ExecutorEnv::from_vars(vars).unwrap()
    }

    /// The next SUBSCRIBE replies: status codes instead of a stream.
    pub fn script_subscribe(&self, codes: &[u16]) {
        self.inner.subscribe_script.lock().unwrap().extend(codes);
    }

    /// ACKNOWLEDGED for every accepted UPDATE.
    pub fn auto_ack(&self, on: bool) {
        self.inner.auto_ack.store(on, Ordering::SeqCst);
    }

    /// The next SUBSCRIBE that got a stream.
    pub async fn next_stream(&self) -> StreamCtl {
        tokio::time::timeout(WAIT, self.streams.lock().await.recv())
            .await
            .expect("no SUBSCRIBE stream in time")
            .expect("agent stopped")
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.requests.lock().unwrap().clone()
    }

    pub fn of_kind(&self, kind: call::Type) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.kind() == kind)
            .collect()
    }

    /// Waits until `pred` holds for the recorded requests.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&[Recorded]) -> bool) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let reqs = self.requests();
            if pred(&reqs) {
                return reqs;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {what}; requests: {:?}", kinds(&reqs));
            }
        }
    }

    /// Waits for `n` calls of `kind`.
    pub async fn wait_calls(&self, kind: call::Type, n: usize) -> Vec<Recorded> {
        self.wait_for(&format!("{n} x {kind:?}"), |r| {
            r.iter().filter(|x| x.kind() == kind).count() >= n
        })
        .await
        .into_iter()
        .filter(|r| r.kind() == kind)
        .collect()
    }
}

pub fn kinds(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{:?}:{}", r.kind(), r.answered))
        .collect()
}

async fn handle(inner: Arc<Inner>, req: Request<Incoming>) -> Response<AnyBody> {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let content_type = header("content-type");
    let accept = header("accept");
    let path = req.uri().path().to_string();
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let call = Call::decode(body.clone()).unwrap_or_default();
    let mut rec = Recorded {
        at: Instant::now(),
        body,
        call,
        content_type,
        accept,
        answered: 0,
    };
    let (code, resp) = if path != "/api/v1/executor" {
        (404, plain(404, "no such path"))
    } else if rec.content_type.as_deref() != Some("application/x-protobuf") {
        (415, plain(415, "bad content type"))
    } else {
        match rec.kind() {
            call::Type::Subscribe => {
                let scripted = inner.subscribe_script.lock().unwrap().pop_front();
                match scripted {
                    Some(code) => (code, plain(code, "scripted")),
                    None => {
                        let (tx, rx) = mpsc::unbounded_channel();
                        let id = {
                            let mut n = inner.next_id.lock().unwrap();
                            *n += 1;
                            *n
                        };
                        inner.open.lock().unwrap().push((id, tx.clone()));
                        rec.answered = 200;
                        let _ = inner.streams.send(StreamCtl {
                            request: rec.clone(),
                            tx,
                            inner: inner.clone(),
                            id,
                        });
                        let resp = Response::builder()
                            .status(200)
                            .header("content-type", "application/x-protobuf")
                            .body(ChannelBody(rx).boxed())
                            .unwrap();
                        (200, resp)
                    }
                }
            }
            call::Type::Update | call::Type::Message => {
                let sub = *inner.subscribed_stream.lock().unwrap();
                match sub {
                    None => (403, plain(403, "Executor is not subscribed")),
                    Some(id) => {
                        if rec.kind() == call::Type::Update && inner.auto_ack.load(Ordering::SeqCst)
                        {
                            if let Some(u) = &rec.call.update {
                                let ack = recordio::encode(&ack_event(&u.status).encode_to_vec());
                                if let Some((_, tx)) =
                                    inner.open.lock().unwrap().iter().find(|(i, _)| *i == id)
                                {
                                    let _ = tx.send(Bytes::from(ack));
                                }
                            }
                        }
                        (202, plain(202, ""))
                    }
                }
            }
            _ => (202, plain(202, "")),
        }
    };
    rec.answered = code;
    inner.requests.lock().unwrap().push(rec);
    inner.changed.notify_waiters();
    resp
}
