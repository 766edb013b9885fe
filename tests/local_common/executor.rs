//! A custom executor for the tests, in the test binary itself: a test file declares
//! `#[test] fn executor_main() { local_common::executor::run_if_requested() }` and launches its
//! own binary (`<exe> executor_main --exact --nocapture`) with `SATYR_TEST_EXECUTOR=1` as the
//! executor's command, on the local cluster or a real agent alike.
//!
//! It speaks the v1 executor API (protobuf, plain HTTP/1.1) and:
//! - before SUBSCRIBE, and then with bad UPDATEs, records the agent's answers (status, body);
//! - on LAUNCH, sends TASK_RUNNING whose `data` is a JSON report: its `MESOS_*` environment and
//!   those answers; a task whose `data` is `finish` is then finished at once, `big` gets 8 MiB
//!   of data in its TASK_RUNNING instead, `exit` makes the executor exit with status 3;
//! - on MESSAGE `x`, sends MESSAGE `echo:x`; on KILL, TASK_KILLED; on SHUTDOWN, exits 0;
//! - prints `executor-stdout-marker` on stdout (for `/files/download`).

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::TcpStream;

use _satyr::driver::recordio;
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::executor::{call, event, Call, Event};
use prost::Message;

use super::{read_chunk, read_head, request};

pub const ENV_FLAG: &str = "SATYR_TEST_EXECUTOR";

/// The executor's CommandInfo: this test binary, running `executor_main` only.
pub fn command() -> m::CommandInfo {
    let exe = std::env::current_exe().expect("test binary path");
    m::CommandInfo {
        value: Some(format!(
            "exec {} executor_main --exact --nocapture --test-threads=1",
            exe.display()
        )),
        environment: Some(m::Environment {
            variables: vec![m::environment::Variable {
                name: ENV_FLAG.into(),
                value: Some("1".into()),
                ..Default::default()
            }],
        }),
        ..Default::default()
    }
}

/// Runs the executor when this process was started as one; returns at once otherwise.
pub fn run_if_requested() {
    if std::env::var(ENV_FLAG).as_deref() != Ok("1") {
        return;
    }
    println!("executor-stdout-marker");
    Executor::from_env().run();
    std::process::exit(0);
}

struct Executor {
    url: String,
    framework_id: String,
    executor_id: String,
    report: BTreeMap<String, serde_json::Value>,
}

fn uuid4() -> Vec<u8> {
    let mut b = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b.to_vec()
}

impl Executor {
    fn from_env() -> Executor {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        let mut report = BTreeMap::new();
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("MESOS_") || k.starts_with("LIBPROCESS_"))
            .collect();
        report.insert("env".into(), serde_json::json!(env));
        Executor {
            url: format!("http://{}", var("MESOS_AGENT_ENDPOINT")),
            framework_id: var("MESOS_FRAMEWORK_ID"),
            executor_id: var("MESOS_EXECUTOR_ID"),
            report,
        }
    }

    fn call(&self, t: call::Type) -> Call {
        Call {
            executor_id: m::ExecutorId {
                value: self.executor_id.clone(),
            },
            framework_id: m::FrameworkId {
                value: self.framework_id.clone(),
            },
            r#type: Some(t as i32),
            ..Default::default()
        }
    }

    fn post(&self, c: &Call) -> (u16, String) {
        let r = request(
            &self.url,
            "POST",
            "/api/v1/executor",
            &[("Content-Type", "application/x-protobuf")],
            &c.encode_to_vec(),
        );
        (r.status, r.text())
    }

    fn update_call(&self, status: m::TaskStatus) -> Call {
        Call {
            update: Some(call::Update { status }),
            ..self.call(call::Type::Update)
        }
    }

    fn status(&self, task_id: &m::TaskId, state: m::TaskState) -> m::TaskStatus {
        m::TaskStatus {
            task_id: task_id.clone(),
            state: state as i32,
            source: Some(m::task_status::Source::Executor as i32),
            uuid: Some(uuid4()),
            ..Default::default()
        }
    }

    fn record(&mut self, case: &str, answer: (u16, String)) {
        self.report
            .insert(case.into(), serde_json::json!([answer.0, answer.1]));
    }

    fn send(&self, task_id: &m::TaskId, state: m::TaskState, data: Option<Vec<u8>>) {
        let mut status = self.status(task_id, state);
        status.data = data;
        let (code, body) = self.post(&self.update_call(status));
        assert_eq!(code, 202, "UPDATE refused: {body}");
    }

    /// The answers to bad UPDATEs (the task exists, so only validation can refuse them).
    fn probe_updates(&mut self, task_id: &m::TaskId) {
        let mut s = self.status(task_id, m::TaskState::TaskRunning);
        s.uuid = Some(b"0f8fad5b-d9cb-469f-a165-70867728950e".to_vec());
        let a = self.post(&self.update_call(s));
        self.record("text_uuid", a);
        let s = self.status(task_id, m::TaskState::TaskStaging);
        let a = self.post(&self.update_call(s));
        self.record("staging", a);
        let mut s = self.status(task_id, m::TaskState::TaskRunning);
        s.source = Some(m::task_status::Source::Master as i32);
        let a = self.post(&self.update_call(s));
        self.record("source_master", a);
        let mut s = self.status(task_id, m::TaskState::TaskRunning);
        s.executor_id = Some(m::ExecutorId {
            value: "other".into(),
        });
        let a = self.post(&self.update_call(s));
        self.record("executor_mismatch", a);
    }

    fn run(mut self) {
        let early = self.update_call(self.status(
            &m::TaskId {
                value: "early".into(),
            },
            m::TaskState::TaskRunning,
        ));
        let a = self.post(&early);
        self.record("update_before_subscribe", a);
        let mut unknown = self.call(call::Type::Subscribe);
        unknown.executor_id.value = "no-such-executor".into();
        unknown.subscribe = Some(call::Subscribe::default());
        let a = self.post(&unknown);
        self.record("subscribe_unknown_executor", a);

        let sub = Call {
            subscribe: Some(call::Subscribe::default()),
            ..self.call(call::Type::Subscribe)
        };
        let host = self.url.trim_start_matches("http://").to_string();
        let mut tcp = TcpStream::connect(&host).expect("agent endpoint");
        let body = sub.encode_to_vec();
        let head = format!(
            "POST /api/v1/executor HTTP/1.1\r\nHost: {host}\r\nContent-Type: \
             application/x-protobuf\r\nAccept: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        tcp.write_all(head.as_bytes()).unwrap();
        tcp.write_all(&body).unwrap();
        let mut reader = BufReader::new(tcp);
        let (status, _) = read_head(&mut reader);
        assert_eq!(status, 200, "SUBSCRIBE refused");
        let mut decoder = recordio::Decoder::new(recordio::DEFAULT_MAX_FRAME);
        while let Some(chunk) = read_chunk(&mut reader) {
            decoder.push(&chunk);
            while let Ok(Some(rec)) = decoder.next_record() {
                let ev = Event::decode(rec).expect("bad executor event");
                if !self.handle(ev) {
                    return;
                }
            }
        }
    }

    /// Handles one event; false to exit.
    fn handle(&mut self, ev: Event) -> bool {
        match ev.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => {
                let s = ev.subscribed.expect("SUBSCRIBED body");
                self.report.insert(
                    "subscribed".into(),
                    serde_json::json!({
                        "executor_id": s.executor_info.executor_id.value,
                        "framework_id": s.framework_info.id.map(|i| i.value),
                        "agent_id": s.agent_info.id.map(|i| i.value),
                        "container_id": s.container_id.map(|c| c.value),
                    }),
                );
            }
            Some(event::Type::Launch) => {
                let task = ev.launch.expect("LAUNCH body").task;
                let mode = task.data.clone().unwrap_or_default();
                match mode.as_slice() {
                    b"finish" => {
                        let report = serde_json::to_vec(&self.report).unwrap();
                        self.send(&task.task_id, m::TaskState::TaskRunning, Some(report));
                        self.send(&task.task_id, m::TaskState::TaskFinished, None);
                    }
                    b"big" => {
                        let data: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
                        self.send(&task.task_id, m::TaskState::TaskRunning, Some(data));
                    }
                    b"exit" => std::process::exit(3),
                    _ => {
                        self.probe_updates(&task.task_id);
                        let report = serde_json::to_vec(&self.report).unwrap();
                        self.send(&task.task_id, m::TaskState::TaskRunning, Some(report));
                    }
                }
            }
            Some(event::Type::Message) => {
                let data = ev.message.expect("MESSAGE body").data;
                let mut reply = b"echo:".to_vec();
                reply.extend(data);
                let c = Call {
                    message: Some(call::Message { data: reply }),
                    ..self.call(call::Type::Message)
                };
                assert_eq!(self.post(&c).0, 202);
            }
            Some(event::Type::Kill) => {
                let task_id = ev.kill.expect("KILL body").task_id;
                self.send(&task_id, m::TaskState::TaskKilled, None);
            }
            Some(event::Type::Shutdown) => return false,
            _ => {}
        }
        true
    }
}
