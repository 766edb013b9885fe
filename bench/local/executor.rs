//! The benchmark's custom executor (this same binary, started by the agent with
//! `SATYR_BENCH_EXECUTOR=1`): subscribes, and for every launched task sends `n` TASK_RUNNING
//! updates (`n` = the task's data, u32 little-endian) then TASK_FINISHED, as fast as the agent
//! takes them, over one keep-alive connection. Exits on SHUTDOWN or when the agent goes away.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;

use _satyr::driver::recordio;
use _satyr::proto::mesos as m;
use _satyr::proto::mesos::executor::{call, event, Call, Event};
use prost::Message;

pub const FLAG: &str = "SATYR_BENCH_EXECUTOR";

fn uuid4() -> Vec<u8> {
    let mut b = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    b.to_vec()
}

struct Conn {
    host: String,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(host: &str) -> Conn {
        let tcp = TcpStream::connect(host).expect("agent endpoint");
        tcp.set_nodelay(true).unwrap();
        Conn {
            host: host.to_string(),
            reader: BufReader::new(tcp),
        }
    }

    fn head(&mut self) -> (u16, usize, bool) {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (mut length, mut chunked) = (0, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            chunked |= l == "transfer-encoding: chunked";
        }
        (status, length, chunked)
    }

    fn post(&mut self, c: &Call, accept: bool) -> (u16, usize, bool) {
        let body = c.encode_to_vec();
        let extra = if accept {
            "Accept: application/x-protobuf\r\n"
        } else {
            ""
        };
        let head = format!(
            "POST /api/v1/executor HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-protobuf\r\n{extra}Content-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let tcp = self.reader.get_mut();
        tcp.write_all(head.as_bytes()).unwrap();
        tcp.write_all(&body).unwrap();
        let answer = self.head();
        if !answer.2 {
            let mut skip = vec![0u8; answer.1];
            self.reader.read_exact(&mut skip).unwrap();
        }
        answer
    }

    fn chunk(&mut self) -> Option<Vec<u8>> {
        let mut size = String::new();
        if self.reader.read_line(&mut size).ok()? == 0 {
            return None;
        }
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return None;
        }
        let mut buf = vec![0u8; n + 2];
        self.reader.read_exact(&mut buf).ok()?;
        buf.truncate(n);
        Some(buf)
    }
}

pub fn run() {
    let host = std::env::var("MESOS_AGENT_ENDPOINT").expect("MESOS_AGENT_ENDPOINT");
    let base = Call {
        executor_id: m::ExecutorId {
            value: std::env::var("MESOS_EXECUTOR_ID").unwrap_or_default(),
        },
        framework_id: m::FrameworkId {
            value: std::env::var("MESOS_FRAMEWORK_ID").unwrap_or_default(),
        },
        ..Default::default()
    };
    let (tx, rx) = mpsc::channel::<(m::TaskId, u32)>();
    let sub = Call {
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(call::Subscribe::default()),
        ..base.clone()
    };
    let mut stream = Conn::open(&host);
    let (status, _, _) = stream.post(&sub, true);
    assert_eq!(status, 200, "SUBSCRIBE refused");
    std::thread::spawn(move || {
        let mut decoder = recordio::Decoder::new(recordio::DEFAULT_MAX_FRAME);
        while let Some(chunk) = stream.chunk() {
            decoder.push(&chunk);
            while let Ok(Some(rec)) = decoder.next_record() {
                let ev = Event::decode(rec).expect("executor event");
                match ev.r#type.and_then(|t| event::Type::try_from(t).ok()) {
                    Some(event::Type::Launch) => {
                        let task = ev.launch.unwrap().task;
                        let n = task
                            .data
                            .as_deref()
                            .and_then(|d| d.try_into().ok())
                            .map(u32::from_le_bytes)
                            .unwrap_or(1);
                        let _ = tx.send((task.task_id, n));
                    }
                    Some(event::Type::Shutdown) => std::process::exit(0),
                    _ => {}
                }
            }
        }
        std::process::exit(0);
    });
    let mut conn = Conn::open(&host);
    let update = |task_id: &m::TaskId, state: m::TaskState| Call {
        r#type: Some(call::Type::Update as i32),
        update: Some(call::Update {
            status: m::TaskStatus {
                task_id: task_id.clone(),
                state: state as i32,
                source: Some(m::task_status::Source::Executor as i32),
                uuid: Some(uuid4()),
                ..Default::default()
            },
        }),
        ..base.clone()
    };
    // Round-robin over the tasks launched so far, so every task's stream has work queued.
    let mut active: Vec<(m::TaskId, u32)> = Vec::new();
    loop {
        if active.is_empty() {
            match rx.recv() {
                Ok(t) => active.push(t),
                Err(_) => return,
            }
        }
        active.extend(rx.try_iter());
        for (task_id, left) in active.iter_mut() {
            let state = if *left > 0 {
                m::TaskState::TaskRunning
            } else {
                m::TaskState::TaskFinished
            };
            let (status, _, _) = conn.post(&update(task_id, state), false);
            assert_eq!(status, 202, "UPDATE refused");
            *left = left.wrapping_sub(1);
        }
        active.retain(|(_, left)| *left != u32::MAX);
    }
}
