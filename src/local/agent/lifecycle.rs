//! The life of executors after launch: the process started (or not), KILL, SHUTDOWN (SHUTDOWN
//! event, SIGKILL of the process group after the grace period), the registration timeout,
//! framework removal, and the end: FAILURE to the scheduler, and TASK_FAILED
//! (REASON_EXECUTOR_TERMINATED, "Executor terminated") for every task it left unfinished, as a
//! Mesos agent reports them.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use super::launch::EXECUTOR_EVENT;
use super::{ExecState, Kind, Queued, Termination};
use crate::local::ids;
use crate::local::process::signals;
use crate::local::world::World;
use crate::proto::mesos as m;
use crate::proto::mesos::executor::{event, Event};
use crate::proto::mesos::task_status::{Reason, Source};

/// The last line of a file, for error messages (`sh: 1: x: not found`).
fn last_line(path: &std::path::Path) -> Option<String> {
    let text = std::fs::read(path).ok()?;
    let tail = &text[text.len().saturating_sub(4096)..];
    String::from_utf8_lossy(tail)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}

impl World {
    /// The launcher thread started a custom executor (or could not).
    pub(super) fn custom_spawned(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        container: &str,
        result: io::Result<tokio::process::Child>,
    ) {
        let mut child = match result {
            Ok(c) => c,
            Err(e) => {
                let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
                    return;
                };
                let program = ex
                    .info
                    .command
                    .as_ref()
                    .and_then(|c| c.value.clone())
                    .unwrap_or_default();
                let message = format!("Executor terminated: cannot run '{program}': {e}");
                let _ = std::fs::write(ex.directory.join("stderr"), format!("{message}\n"));
                ex.termination = Some(Termination {
                    state: m::TaskState::TaskFailed,
                    reason: Reason::ExecutorTerminated,
                    message,
                });
                // What `sh` reports for a command it cannot run (exit status 127).
                return self.executor_terminated(agent, fid, eid, 127 << 8);
            }
        };
        let pid = child.id();
        if let Some(pid) = pid {
            self.live.insert(pid);
        }
        let stopping = self.stopping;
        let mut kill_now = stopping;
        if let Some(ex) = self.agents[agent].executor_mut(fid, eid) {
            if ex.container_id == container {
                ex.pid = pid;
                kill_now |= ex.state == ExecState::Terminating;
            }
        }
        if kill_now {
            if let Some(pid) = pid {
                signals::signal_group(pid, libc::SIGKILL);
            }
        }
        let (fid, eid, container) = (fid.to_string(), eid.to_string(), container.to_string());
        self.ctx
            .when(async move { child.wait().await }, move |w, status| {
                w.process_reaped(pid);
                let raw = match status {
                    Ok(s) => s.into_raw(),
                    Err(_) => 0,
                };
                let current = w.agents[agent]
                    .executor(&fid, &eid)
                    .is_some_and(|e| e.container_id == container && e.is_live());
                if current {
                    w.executor_terminated(agent, &fid, &eid, raw);
                }
            });
    }

    /// A custom executor ended (`status` is the raw wait status, as FAILURE carries it).
    pub(super) fn executor_terminated(&mut self, agent: usize, fid: &str, eid: &str, status: i32) {
        let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
            return;
        };
        ex.state = ExecState::Terminated;
        if let Some(sink) = ex.sink.take() {
            sink.close();
        }
        ex.queued.clear();
        let termination = ex.termination.clone().unwrap_or_else(|| {
            let exit = std::process::ExitStatus::from_raw(status);
            let detail = match (exit.code(), last_line(&ex.directory.join("stderr"))) {
                (Some(code), Some(line)) if code != 0 => {
                    format!(": exited with status {code}; stderr: {line}")
                }
                _ => String::new(),
            };
            Termination {
                state: m::TaskState::TaskFailed,
                reason: Reason::ExecutorTerminated,
                message: format!("Executor terminated{detail}"),
            }
        });
        let left: Vec<m::TaskId> = ex.tasks.values().map(|t| t.info.task_id.clone()).collect();
        self.master_executor_exited(agent, fid, eid, Some(status));
        for task_id in left {
            let status = m::TaskStatus {
                task_id,
                state: termination.state as i32,
                message: Some(termination.message.clone()),
                source: Some(Source::Agent as i32),
                reason: Some(termination.reason as i32),
                executor_id: Some(m::ExecutorId {
                    value: eid.to_string(),
                }),
                uuid: Some(ids::uuid_bytes().to_vec()),
                timestamp: Some(ids::now()),
                ..Default::default()
            };
            self.agent_status(agent, fid, status);
        }
        self.agent_retire_executor(agent, fid, eid);
    }

    /// Moves an ended executor to the completed list; a framework the master removed goes when
    /// its last executor does.
    pub(super) fn agent_retire_executor(&mut self, agent: usize, fid: &str, eid: &str) {
        let gone = !self.master.frameworks.contains_key(fid);
        let a = &mut self.agents[agent];
        let Some(af) = a.frameworks.get_mut(fid) else {
            return;
        };
        af.retire(eid);
        if gone && af.executors.values().all(|e| !e.is_live()) {
            a.retire_framework(fid);
        }
    }

    /// A custom executor did not subscribe in time: killed, its tasks failed.
    pub(super) fn registration_timeout(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        container: &str,
        timeout: Duration,
    ) {
        let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
            return;
        };
        if ex.container_id != container || ex.state != ExecState::Registering {
            return;
        }
        ex.termination = Some(Termination {
            state: m::TaskState::TaskFailed,
            reason: Reason::ExecutorRegistrationTimeout,
            message: format!(
                "Executor did not register within {}",
                ids::mesos_duration(timeout)
            ),
        });
        ex.state = ExecState::Terminating;
        if let Some(pid) = ex.pid {
            signals::signal_group(pid, libc::SIGKILL);
        }
    }

    /// KILL on an agent.
    pub(crate) fn agent_kill_task(
        &mut self,
        agent: usize,
        fid: &str,
        tid: &str,
        policy: Option<m::KillPolicy>,
    ) {
        let Some(af) = self.agents[agent].frameworks.get(fid) else {
            return;
        };
        let Some(eid) = af.executor_of(tid).map(str::to_string) else {
            return;
        };
        let grace = policy
            .as_ref()
            .and_then(|p| p.grace_period.as_ref())
            .and_then(|d| u64::try_from(d.nanoseconds).ok())
            .map(Duration::from_nanos)
            .unwrap_or(self.ctx.settings.kill_grace_period);
        let Some(ex) = self.agents[agent].executor_mut(fid, &eid) else {
            return;
        };
        if ex.kind != Kind::Custom {
            return self.builtin_kill(agent, fid, &eid, tid, grace);
        }
        // Not delivered yet: killed here (with the rest of its group).
        let queued = ex.queued.iter().position(|q| match q {
            Queued::Task(t) => t.task_id.value == tid,
            Queued::Group(g) => g.tasks.iter().any(|t| t.task_id.value == tid),
        });
        if let Some(i) = queued {
            let ids: Vec<m::TaskId> = match ex.queued.remove(i) {
                Queued::Task(t) => vec![t.task_id.clone()],
                Queued::Group(g) => g.tasks.into_iter().map(|t| t.task_id).collect(),
            };
            let idle = ex.queued.is_empty() && ex.tasks.len() <= ids.len();
            for task_id in ids {
                let status = m::TaskStatus {
                    task_id,
                    state: m::TaskState::TaskKilled as i32,
                    message: Some("Killed before delivery to the executor".into()),
                    source: Some(Source::Agent as i32),
                    reason: Some(Reason::TaskKilledDuringLaunch as i32),
                    executor_id: Some(m::ExecutorId { value: eid.clone() }),
                    uuid: Some(ids::uuid_bytes().to_vec()),
                    timestamp: Some(ids::now()),
                    ..Default::default()
                };
                self.agent_status(agent, fid, status);
            }
            if idle {
                self.agent_shutdown_executor(agent, fid, &eid);
            }
            return;
        }
        if let Some(sink) = &ex.sink {
            sink.send(
                &Event {
                    r#type: Some(event::Type::Kill as i32),
                    kill: Some(event::Kill {
                        task_id: m::TaskId {
                            value: tid.to_string(),
                        },
                        kill_policy: policy,
                    }),
                    ..Default::default()
                },
                EXECUTOR_EVENT,
            );
        }
    }

    /// SHUTDOWN of an executor: the event, then SIGKILL of its group after the grace period.
    pub(crate) fn agent_shutdown_executor(&mut self, agent: usize, fid: &str, eid: &str) {
        let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
            return;
        };
        if !ex.is_live() {
            return;
        }
        let grace = ex.shutdown_grace;
        if ex.kind != Kind::Custom {
            ex.state = ExecState::Terminating;
            ex.queued.clear();
            let tasks: Vec<String> = ex.procs.keys().cloned().collect();
            for tid in tasks {
                self.builtin_kill(agent, fid, eid, &tid, grace);
            }
            return self.builtin_maybe_done(agent, fid, eid);
        }
        let was = ex.state;
        ex.state = ExecState::Terminating;
        let pid = ex.pid;
        match (&ex.sink, was) {
            (Some(sink), ExecState::Running) => {
                sink.send(
                    &Event {
                        r#type: Some(event::Type::Shutdown as i32),
                        ..Default::default()
                    },
                    EXECUTOR_EVENT,
                );
                if let Some(pid) = pid {
                    let container = ex.container_id.clone();
                    let (f, e) = (fid.to_string(), eid.to_string());
                    self.ctx.after(grace, move |w| {
                        let alive = w.agents[agent]
                            .executor(&f, &e)
                            .is_some_and(|x| x.container_id == container && x.is_live());
                        if alive && w.live.contains(&pid) {
                            signals::signal_group(pid, libc::SIGKILL);
                        }
                    });
                }
            }
            _ => {
                if let Some(pid) = pid {
                    signals::signal_group(pid, libc::SIGKILL);
                }
            }
        }
    }

    /// The master removed a framework: its executors are shut down, its updates dropped.
    pub(crate) fn agents_shutdown_framework(&mut self, fid: &str) {
        for agent in 0..self.agents.len() {
            self.agents[agent].updates.drop_framework(fid);
            let eids: Vec<String> = self.agents[agent]
                .frameworks
                .get(fid)
                .map(|f| f.executors.keys().cloned().collect())
                .unwrap_or_default();
            for eid in &eids {
                if let Some(ex) = self.agents[agent].executor_mut(fid, eid) {
                    ex.termination = Some(Termination {
                        state: m::TaskState::TaskKilled,
                        reason: Reason::FrameworkRemoved,
                        message: "Framework removed".into(),
                    });
                }
                self.agent_shutdown_executor(agent, fid, eid);
            }
            let idle = self.agents[agent]
                .frameworks
                .get(fid)
                .is_some_and(|f| f.executors.values().all(|e| !e.is_live()));
            if idle {
                self.agents[agent].retire_framework(fid);
            }
        }
    }

    /// A scheduler's MESSAGE for an executor.
    pub(crate) fn agent_deliver_message(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        data: Vec<u8>,
    ) {
        if let Some(sink) = self.agents[agent]
            .executor(fid, eid)
            .and_then(|e| e.sink.as_ref())
        {
            sink.send(
                &Event {
                    r#type: Some(event::Type::Message as i32),
                    message: Some(event::Message { data }),
                    ..Default::default()
                },
                EXECUTOR_EVENT,
            );
        }
    }
}
