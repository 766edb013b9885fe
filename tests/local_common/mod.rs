//! Helpers of the local cluster's integration tests: a plain blocking HTTP/1.1 client (so tests
//! can send what a driver never would: bad offers, wrong headers), a raw scheduler subscription
//! decoding the RecordIO stream, and the two targets every conformance scenario runs against:
//! the local cluster and a real Mesos 1.11 (tests/realmesos).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use _satyr::driver::recordio;
use _satyr::local::{ClusterConfig, LocalCluster};
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::scheduler::{call, event, Call, Event};
use prost::Message;

pub mod executor;

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(30);

/// The resources of the real harness's agent, so both targets offer the same.
pub const RESOURCES: &str = "cpus:2;mem:2048;disk:4096;ports:[31000-32000]";

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

fn host_port(url: &str) -> &str {
    url.trim_start_matches("http://").trim_end_matches('/')
}

fn read_head(reader: &mut BufReader<TcpStream>) -> (u16, HashMap<String, String>) {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("no response status line");
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {line:?}"));
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).expect("response headers");
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    (status, headers)
}

/// Reads one chunk of a chunked body; `None` at the end.
fn read_chunk(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut size = String::new();
    if reader.read_line(&mut size).ok()? == 0 {
        return None;
    }
    let n = usize::from_str_radix(size.trim(), 16).ok()?;
    if n == 0 {
        return None;
    }
    let mut buf = vec![0u8; n + 2];
    reader.read_exact(&mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

fn send_request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> BufReader<TcpStream> {
    let mut tcp = TcpStream::connect(host_port(url)).expect("cannot connect");
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        host_port(url),
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes()).unwrap();
    tcp.write_all(body).unwrap();
    BufReader::new(tcp)
}

/// One request, whole response (chunked bodies are read to their end).
pub fn request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut reader = send_request(
        url,
        method,
        path,
        &[&[("Connection", "close")], headers].concat(),
        body,
    );
    let (status, headers) = read_head(&mut reader);
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        while let Some(chunk) = read_chunk(&mut reader) {
            body.extend(chunk);
        }
    } else if let Some(n) = headers.get("content-length").and_then(|n| n.parse().ok()) {
        body.resize(n, 0);
        reader.read_exact(&mut body).unwrap();
    } else {
        reader.read_to_end(&mut body).unwrap();
    }
    Response {
        status,
        headers,
        body,
    }
}

/// GET a JSON document.
/// Waits until `holds()`, for what is only observable by asking (the master's state); panics
/// naming `what` after 30 s. Re-checks with a short growing pause.
pub fn wait_until(what: &str, mut holds: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut pause = std::time::Duration::from_millis(10);
    while !holds() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after 30 s waiting for {what}"
        );
        std::thread::park_timeout(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(200));
    }
}

pub fn get_json(url: &str, path: &str) -> serde_json::Value {
    let r = request(url, "GET", path, &[], b"");
    assert_eq!(r.status, 200, "GET {path}: {}", r.text());
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// A scheduler subscription made by hand (protobuf both ways).
pub struct RawScheduler {
    pub url: String,
    pub status: u16,
    pub stream_id: String,
    pub framework_id: String,
    pub headers: HashMap<String, String>,
    events: mpsc::Receiver<Option<Event>>,
    socket: TcpStream,
}

impl RawScheduler {
    /// SUBSCRIBEs; waits for SUBSCRIBED (panics on anything else).
    pub fn subscribe(url: &str, info: m::FrameworkInfo) -> RawScheduler {
        let id = info.id.clone();
        let sub = Call {
            r#type: Some(call::Type::Subscribe as i32),
            framework_id: id,
            subscribe: Some(call::Subscribe {
                framework_info: info,
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut s = Self::open(url, &sub);
        match s.next(|_| true) {
            Some(e) if e.subscribed.is_some() => {
                s.framework_id = e.subscribed.unwrap().framework_id.value;
            }
            other => panic!("expected SUBSCRIBED, got {other:?}"),
        }
        s
    }

    /// Sends a SUBSCRIBE call and starts reading the stream (whatever the first event is).
    pub fn open(url: &str, sub: &Call) -> RawScheduler {
        let body = sub.encode_to_vec();
        let mut reader = send_request(
            url,
            "POST",
            "/api/v1/scheduler",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Accept", "application/x-protobuf"),
            ],
            &body,
        );
        let socket = reader.get_ref().try_clone().unwrap();
        let (status, headers) = read_head(&mut reader);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut decoder = recordio::Decoder::new(recordio::DEFAULT_MAX_FRAME);
            while let Some(chunk) = read_chunk(&mut reader) {
                decoder.push(&chunk);
                while let Ok(Some(rec)) = decoder.next_record() {
                    if tx
                        .send(Some(Event::decode(rec).expect("bad event")))
                        .is_err()
                    {
                        return;
                    }
                }
            }
            let _ = tx.send(None);
        });
        RawScheduler {
            url: url.to_string(),
            status,
            stream_id: headers.get("mesos-stream-id").cloned().unwrap_or_default(),
            framework_id: String::new(),
            headers,
            events: rx,
            socket,
        }
    }

    /// The next event (HEARTBEATs skipped) matching `want`; `None` at the stream's end.
    pub fn next(&self, want: impl Fn(&Event) -> bool) -> Option<Event> {
        self.next_within(WAIT, want)
            .unwrap_or_else(|| panic!("no matching event within {WAIT:?}"))
    }

    /// Like `next`, but `None` when nothing matched within `within` (the outer `Option`).
    pub fn next_within(
        &self,
        within: Duration,
        want: impl Fn(&Event) -> bool,
    ) -> Option<Option<Event>> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Some(e)) if e.r#type == Some(event::Type::Heartbeat as i32) => continue,
                Ok(Some(e)) if want(&e) => return Some(Some(e)),
                Ok(Some(_)) => continue,
                Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => return Some(None),
                Err(mpsc::RecvTimeoutError::Timeout) => return None,
            }
        }
    }

    /// The next event of any kind, HEARTBEATs included.
    pub fn next_raw(&self) -> Option<Event> {
        self.events.recv_timeout(WAIT).ok().flatten()
    }

    /// The next OFFERS event's first offer.
    pub fn offer(&self) -> m::Offer {
        let e = self.next(|e| e.offers.is_some()).expect("stream ended");
        e.offers.unwrap().offers.remove(0)
    }

    /// The next UPDATE's status (acknowledged if it has a uuid and `ack`).
    pub fn update(&self, ack: bool) -> m::TaskStatus {
        let e = self.next(|e| e.update.is_some()).expect("stream ended");
        let status = e.update.unwrap().status;
        if ack && status.uuid.is_some() {
            assert_eq!(self.acknowledge(&status).status, 202);
        }
        status
    }

    /// Sends a call with this subscription's framework id and stream id.
    pub fn call(&self, mut c: Call) -> Response {
        c.framework_id = Some(m::FrameworkId {
            value: self.framework_id.clone(),
        });
        request(
            &self.url,
            "POST",
            "/api/v1/scheduler",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Mesos-Stream-Id", &self.stream_id),
            ],
            &c.encode_to_vec(),
        )
    }

    pub fn acknowledge(&self, status: &m::TaskStatus) -> Response {
        self.call(Call {
            r#type: Some(call::Type::Acknowledge as i32),
            acknowledge: Some(call::Acknowledge {
                agent_id: status.agent_id.clone().unwrap(),
                task_id: status.task_id.clone(),
                uuid: status.uuid.clone().unwrap(),
            }),
            ..Default::default()
        })
    }

    pub fn accept(
        &self,
        offer_ids: Vec<m::OfferId>,
        operations: Vec<m::offer::Operation>,
        refuse: f64,
    ) -> Response {
        self.call(Call {
            r#type: Some(call::Type::Accept as i32),
            accept: Some(call::Accept {
                offer_ids,
                operations,
                filters: Some(m::Filters {
                    refuse_seconds: Some(refuse),
                }),
            }),
            ..Default::default()
        })
    }

    pub fn launch(&self, offer: &m::Offer, tasks: Vec<m::TaskInfo>) -> Response {
        self.accept(
            vec![offer.id.clone()],
            vec![m::offer::Operation {
                r#type: Some(m::offer::operation::Type::Launch as i32),
                launch: Some(m::offer::operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            0.0,
        )
    }

    pub fn decline(&self, offer: &m::Offer, refuse: f64) -> Response {
        self.call(Call {
            r#type: Some(call::Type::Decline as i32),
            decline: Some(call::Decline {
                offer_ids: vec![offer.id.clone()],
                filters: Some(m::Filters {
                    refuse_seconds: Some(refuse),
                }),
            }),
            ..Default::default()
        })
    }

    pub fn teardown(&self) -> Response {
        self.call(Call {
            r#type: Some(call::Type::Teardown as i32),
            ..Default::default()
        })
    }

    /// Closes the subscription's connection.
    pub fn disconnect(&self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

impl Drop for RawScheduler {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// The FrameworkInfo tests subscribe with.
pub fn framework(name: &str) -> m::FrameworkInfo {
    m::FrameworkInfo {
        user: std::env::var("USER").unwrap_or_else(|_| "root".into()),
        name: name.into(),
        ..Default::default()
    }
}

/// `cpus` and `mem` resources.
pub fn resources(cpus: f64, mem: f64) -> Vec<m::Resource> {
    ["cpus", "mem"]
        .iter()
        .zip([cpus, mem])
        .map(|(name, v)| m::Resource {
            name: name.to_string(),
            r#type: m::value::Type::Scalar as i32,
            scalar: Some(m::value::Scalar { value: v }),
            ..Default::default()
        })
        .collect()
}

/// A command task on the offer's agent.
pub fn command_task(id: &str, offer: &m::Offer, cmd: &str) -> m::TaskInfo {
    m::TaskInfo {
        name: id.into(),
        task_id: m::TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: resources(0.1, 32.0),
        command: Some(m::CommandInfo {
            value: Some(cmd.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn state_name(status: &m::TaskStatus) -> &'static str {
    m::TaskState::try_from(status.state)
        .map(|s| s.as_str_name())
        .unwrap_or("?")
}

pub fn reason_name(status: &m::TaskStatus) -> &'static str {
    status
        .reason
        .and_then(|r| m::task_status::Reason::try_from(r).ok())
        .map(|r| r.as_str_name())
        .unwrap_or("-")
}

pub fn source_name(status: &m::TaskStatus) -> &'static str {
    status
        .source
        .and_then(|r| m::task_status::Source::try_from(r).ok())
        .map(|r| r.as_str_name())
        .unwrap_or("-")
}

/// A master to run scenarios against.
pub enum Target {
    Local(LocalCluster),
    Real(RealMesos),
}

impl Target {
    pub fn local() -> Target {
        Target::Local(local_cluster(ClusterConfig::default()))
    }

    pub fn real() -> Target {
        Target::Real(RealMesos::start(&[]))
    }

    pub fn url(&self) -> String {
        match self {
            Target::Local(c) => c.url(),
            Target::Real(r) => r.url.clone(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Target::Local(_) => "local",
            Target::Real(_) => "real",
        }
    }
}

/// A local cluster shaped like the real harness (same resources), with short timings for tests.
pub fn local_cluster(mut config: ClusterConfig) -> LocalCluster {
    if config.resources.is_none() {
        config.resources = Some(RESOURCES.into());
    }
    LocalCluster::start(config).expect("local cluster did not start")
}

/// A real Mesos 1.11 master and agent (tests/realmesos), stopped when dropped.
pub struct RealMesos {
    pub url: String,
    env: Vec<(String, String)>,
    _state: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn harness(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/realmesos")
        .join(name)
}

impl RealMesos {
    pub fn start(extra: &[(&str, &str)]) -> RealMesos {
        let state = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("MESOS_MASTER_PORT".to_string(), free_port().to_string()),
            ("MESOS_AGENT_PORT".to_string(), free_port().to_string()),
            (
                "MESOS_SHIM_STATE".to_string(),
                state.path().display().to_string(),
            ),
        ];
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let out = Command::new("bash")
            .arg(harness("start-master.sh"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("cannot run start-master.sh");
        assert!(
            out.status.success(),
            "real Mesos did not start (run scripts/install-test-deps.sh): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        RealMesos {
            url: String::from_utf8_lossy(&out.stdout).trim().to_string(),
            env,
            _state: state,
        }
    }
}

impl Drop for RealMesos {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(harness("stop-master.sh"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .status();
    }
}
