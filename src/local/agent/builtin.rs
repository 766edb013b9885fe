//! The built-in executors: command tasks (one task per executor) and task groups (the default
//! executor) run as child processes of the agent, each in its own process group, reporting what
//! Mesos's command executor reports: TASK_STARTING, TASK_RUNNING, then TASK_FINISHED ("Command
//! exited with status 0"), TASK_FAILED ("Command exited with status 3", "Command terminated
//! with signal Killed") or, after a KILL (SIGTERM, then SIGKILL after the grace period),
//! TASK_KILLED. A failed or killed task of a group takes the rest of its group down.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use super::{ExecState, Kind, Proc};
use crate::local::ids;
use crate::local::process::{signals, SpawnSpec};
use crate::local::world::World;
use crate::proto::mesos as m;
use crate::proto::mesos::framework_info::capability::Type as Cap;
use crate::proto::mesos::task_status::Source;

/// The program and arguments of a command (`/bin/sh -c value`, or `value` with `arguments`).
pub(super) fn command_line(cmd: &m::CommandInfo) -> (String, Vec<String>, Option<String>) {
    let value = cmd.value.clone().unwrap_or_default();
    if cmd.shell.unwrap_or(true) {
        ("/bin/sh".into(), vec!["-c".into(), value], None)
    } else {
        let args = cmd.arguments.iter().skip(1).cloned().collect();
        (value, args, cmd.arguments.first().cloned())
    }
}

/// The variables of a CommandInfo's environment (VALUE, or a SECRET given by value).
pub(super) fn command_env(cmd: &m::CommandInfo) -> Vec<(String, String)> {
    cmd.environment
        .iter()
        .flat_map(|e| e.variables.iter())
        .map(|v| {
            let value = v.value.clone().unwrap_or_else(|| {
                v.secret
                    .as_ref()
                    .and_then(|s| s.value.as_ref())
                    .map(|s| String::from_utf8_lossy(&s.data).into_owned())
                    .unwrap_or_default()
            });
            (v.name.clone(), value)
        })
        .collect()
}

/// What an exit status means for a command task.
fn outcome(status: &io::Result<std::process::ExitStatus>, killed: bool) -> (m::TaskState, String) {
    let message = match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => format!("Command exited with status {code}"),
            (None, Some(sig)) => {
                format!(
                    "Command terminated with signal {}",
                    signals::signal_name(sig)
                )
            }
            (None, None) => "Command terminated".to_string(),
        },
        Err(e) => format!("Failed to wait for the command: {e}"),
    };
    let state = match status {
        _ if killed => m::TaskState::TaskKilled,
        Ok(s) if s.success() => m::TaskState::TaskFinished,
        _ => m::TaskState::TaskFailed,
    };
    (state, message)
}

impl World {
    /// A status from a built-in executor (source EXECUTOR, with a uuid).
    pub(super) fn builtin_status(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        task_id: &str,
        state: m::TaskState,
        message: Option<String>,
    ) {
        let status = m::TaskStatus {
            task_id: m::TaskId {
                value: task_id.to_string(),
            },
            state: state as i32,
            message,
            source: Some(Source::Executor as i32),
            executor_id: Some(m::ExecutorId {
                value: eid.to_string(),
            }),
            uuid: Some(ids::uuid_bytes().to_vec()),
            timestamp: Some(ids::now()),
            ..Default::default()
        };
        self.agent_status(agent, fid, status);
    }

    /// Starts one task of a built-in executor.
    pub(super) fn builtin_start(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        task: m::TaskInfo,
        group: Vec<String>,
    ) {
        let tid = task.task_id.value.clone();
        let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
            return;
        };
        ex.procs.insert(
            tid.clone(),
            Proc {
                group,
                ..Default::default()
            },
        );
        let Some(cmd) = task.command.clone() else {
            return self.builtin_failed(agent, fid, eid, &tid, "Task has no command to run".into());
        };
        let mut sandbox = ex.directory.clone();
        let mut env = ex.env.clone();
        if ex.kind == Kind::Default {
            sandbox = sandbox.join("tasks").join(&tid);
            if let Err(e) = std::fs::create_dir_all(&sandbox) {
                let msg = format!("Failed to create the sandbox {}: {e}", sandbox.display());
                return self.builtin_failed(agent, fid, eid, &tid, msg);
            }
            env.retain(|(k, _)| k != "MESOS_SANDBOX");
            env.push(("MESOS_SANDBOX".into(), sandbox.display().to_string()));
        }
        env.extend(command_env(&cmd));
        let (program, args, arg0) = command_line(&cmd);
        let spec = SpawnSpec {
            program,
            args,
            arg0,
            env,
            cwd: sandbox.clone(),
            stdout: sandbox.join("stdout"),
            stderr: sandbox.join("stderr"),
        };
        let weak = self.ctx.shared.clone();
        let (fid, eid) = (fid.to_string(), eid.to_string());
        self.ctx.launcher.spawn(
            spec,
            Box::new(move |result| {
                if let Some(shared) = weak.upgrade() {
                    shared
                        .lock()
                        .builtin_spawned(agent, &fid, &eid, &tid, result);
                }
            }),
        );
    }

    fn builtin_failed(&mut self, agent: usize, fid: &str, eid: &str, tid: &str, message: String) {
        if let Some(p) = self.agents[agent]
            .executor_mut(fid, eid)
            .and_then(|e| e.procs.get_mut(tid))
        {
            p.done = true;
        }
        self.builtin_status(
            agent,
            fid,
            eid,
            tid,
            m::TaskState::TaskFailed,
            Some(message),
        );
        self.builtin_maybe_done(agent, fid, eid);
    }

    fn builtin_spawned(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        tid: &str,
        result: io::Result<tokio::process::Child>,
    ) {
        let mut child = match result {
            Ok(c) => c,
            Err(e) => {
                self.builtin_status(agent, fid, eid, tid, m::TaskState::TaskStarting, None);
                return self.builtin_failed(agent, fid, eid, tid, format!("Failed to launch: {e}"));
            }
        };
        let pid = child.id();
        if let Some(pid) = pid {
            self.live.insert(pid);
        }
        let stopping = self.stopping;
        let grace = self.ctx.settings.kill_grace_period;
        let mut killed = false;
        if let Some(ex) = self.agents[agent].executor_mut(fid, eid) {
            if ex.kind == Kind::Command {
                ex.pid = pid;
            }
            if let Some(p) = ex.procs.get_mut(tid) {
                p.pid = pid;
                killed = p.killed;
            }
        }
        if stopping {
            if let Some(pid) = pid {
                signals::signal_group(pid, libc::SIGKILL);
            }
        } else if killed {
            if let Some(pid) = pid {
                self.signal_then_kill(pid, grace);
            }
        } else {
            self.builtin_status(agent, fid, eid, tid, m::TaskState::TaskStarting, None);
            self.builtin_status(agent, fid, eid, tid, m::TaskState::TaskRunning, None);
        }
        let (fid, eid, tid) = (fid.to_string(), eid.to_string(), tid.to_string());
        self.ctx
            .when(async move { child.wait().await }, move |w, status| {
                w.builtin_exited(agent, &fid, &eid, &tid, pid, status)
            });
    }

    /// SIGTERM to a process group now, SIGKILL after `grace` if it is still ours and alive.
    pub(crate) fn signal_then_kill(&mut self, pgid: u32, grace: Duration) {
        signals::signal_group(pgid, libc::SIGTERM);
        self.ctx.after(grace, move |w| {
            if w.live.contains(&pgid) {
                signals::signal_group(pgid, libc::SIGKILL);
            }
        });
    }

    /// A process of ours ended: clean its group, tell the watchdog, wake stop().
    pub(crate) fn process_reaped(&mut self, pid: Option<u32>) {
        if let Some(pid) = pid {
            self.live.remove(&pid);
            // Whatever the process left running in its group goes with it, as its container.
            signals::signal_group(pid, libc::SIGKILL);
            self.ctx.launcher.forget(pid);
        }
        if let Some(shared) = self.ctx.shared.upgrade() {
            shared.exited.notify_all();
        }
    }

    fn builtin_exited(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        tid: &str,
        pid: Option<u32>,
        status: io::Result<std::process::ExitStatus>,
    ) {
        self.process_reaped(pid);
        let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
            return;
        };
        let kind = ex.kind;
        let Some(p) = ex.procs.get_mut(tid) else {
            return;
        };
        p.done = true;
        let killed = p.killed;
        let group = p.group.clone();
        let (state, message) = outcome(&status, killed);
        self.builtin_status(agent, fid, eid, tid, state, Some(message));
        if kind == Kind::Default && state != m::TaskState::TaskFinished {
            let grace = self.ctx.settings.kill_grace_period;
            for other in group.iter().filter(|t| *t != tid) {
                self.builtin_kill(agent, fid, eid, other, grace);
            }
        }
        self.builtin_maybe_done(agent, fid, eid);
    }

    /// KILL of a task of a built-in executor.
    pub(super) fn builtin_kill(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        tid: &str,
        grace: Duration,
    ) {
        let killing = self
            .master
            .frameworks
            .get(fid)
            .is_some_and(|f| f.has(Cap::TaskKillingState));
        let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
            return;
        };
        let Some(p) = ex.procs.get_mut(tid) else {
            return;
        };
        if p.done || p.killed {
            return;
        }
        p.killed = true;
        let pid = p.pid;
        let group = p.group.clone();
        if killing {
            self.builtin_status(agent, fid, eid, tid, m::TaskState::TaskKilling, None);
        }
        if let Some(pid) = pid {
            self.signal_then_kill(pid, grace);
        }
        for other in group.iter().filter(|t| *t != tid) {
            self.builtin_kill(agent, fid, eid, other, grace);
        }
    }

    /// A built-in executor whose tasks have all ended ends too (a default executor's end is
    /// reported like any executor's; the command executor's is not, as in Mesos).
    pub(super) fn builtin_maybe_done(&mut self, agent: usize, fid: &str, eid: &str) {
        let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
            return;
        };
        if !ex.queued.is_empty() || ex.procs.values().any(|p| !p.done) || !ex.is_live() {
            return;
        }
        ex.state = ExecState::Terminated;
        let kind = ex.kind;
        let failure = (kind == Kind::Default).then_some(0);
        self.master_executor_exited(agent, fid, eid, failure);
        self.agent_retire_executor(agent, fid, eid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        let shell = m::CommandInfo {
            value: Some("echo hi".into()),
            ..Default::default()
        };
        assert_eq!(
            command_line(&shell),
            ("/bin/sh".into(), vec!["-c".into(), "echo hi".into()], None)
        );
        let argv = m::CommandInfo {
            value: Some("/bin/echo".into()),
            shell: Some(false),
            arguments: vec!["echo".into(), "a".into()],
            ..Default::default()
        };
        assert_eq!(
            command_line(&argv),
            ("/bin/echo".into(), vec!["a".into()], Some("echo".into()))
        );
    }

    #[test]
    fn outcomes_read_like_mesos() {
        let exit = |code: i32| Ok(std::process::ExitStatus::from_raw(code << 8));
        assert_eq!(
            outcome(&exit(0), false),
            (
                m::TaskState::TaskFinished,
                "Command exited with status 0".into()
            )
        );
        assert_eq!(
            outcome(&exit(3), false),
            (
                m::TaskState::TaskFailed,
                "Command exited with status 3".into()
            )
        );
        let term = Ok(std::process::ExitStatus::from_raw(libc::SIGTERM));
        assert_eq!(
            outcome(&term, true),
            (
                m::TaskState::TaskKilled,
                "Command terminated with signal Terminated".into()
            )
        );
    }
}
