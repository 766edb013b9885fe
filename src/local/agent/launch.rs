//! Running tasks on an agent: finding or starting their executor (a sandbox folder
//! `<work>/slaves/<agent>/frameworks/<fw>/executors/<ex>/runs/<container>` with a `latest` link,
//! local URIs copied in, the environment a Mesos agent gives, a child process for custom
//! executors), queueing tasks until a custom executor subscribes, delivering them after.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use super::builtin::{command_env, command_line};
use super::{AgentFramework, AgentTask, ExecState, Executor, Kind, Queued};
use crate::local::ids;
use crate::local::process::SpawnSpec;
use crate::local::world::World;
use crate::proto::mesos as m;
use crate::proto::mesos::executor::{event, Event};
use crate::proto::mesos::task_status::{Reason, Source};

pub(super) const EXECUTOR_EVENT: &str = "mesos.v1.executor.Event";

/// The PATH a Mesos agent gives executors when it passes no environment of its own.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The ExecutorInfo Mesos makes for a command task.
fn command_executor(task: &m::TaskInfo, fid: &str) -> m::ExecutorInfo {
    let cmd = task.command.clone().unwrap_or_default();
    let shown = match cmd.shell.unwrap_or(true) {
        true => format!("sh -c '{}'", cmd.value.clone().unwrap_or_default()),
        false => cmd.arguments.join(" "),
    };
    #[allow(deprecated)]
    m::ExecutorInfo {
        executor_id: m::ExecutorId {
            value: task.task_id.value.clone(),
        },
        framework_id: Some(m::FrameworkId {
            value: fid.to_string(),
        }),
        name: Some(format!(
            "Command Executor (Task: {}) (Command: {shown})",
            task.task_id.value
        )),
        source: Some(task.task_id.value.clone()),
        command: Some(cmd),
        resources: task.resources.clone(),
        ..Default::default()
    }
}

/// Copies the local URIs of a CommandInfo into the sandbox (`file://` or absolute paths).
fn fetch(cmd: &m::CommandInfo, sandbox: &Path) -> Result<(), String> {
    for uri in &cmd.uris {
        let path = uri.value.strip_prefix("file://").unwrap_or(&uri.value);
        if !path.starts_with('/') {
            return Err(format!(
                "Failed to fetch '{}': the local cluster fetches local files only",
                uri.value
            ));
        }
        let name = match &uri.output_file {
            Some(f) => f.clone(),
            None => Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "fetched".into()),
        };
        let target = sandbox.join(name);
        std::fs::copy(path, &target)
            .map_err(|e| format!("Failed to fetch '{}': {e}", uri.value))?;
        if uri.executable.unwrap_or(false) {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("Failed to fetch '{}': {e}", uri.value))?;
        }
    }
    Ok(())
}

/// `runs/<container>` plus the `runs/latest` link.
fn make_sandbox(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("Failed to create the sandbox {}: {e}", dir.display()))?;
    if let Some(runs) = dir.parent() {
        let latest = runs.join("latest");
        let _ = std::fs::remove_file(&latest);
        // Only a convenience for people and /files: a failure is not worth failing the task.
        let _ = std::os::unix::fs::symlink(dir, &latest);
    }
    Ok(())
}

impl World {
    /// The environment of an executor (and of a built-in executor's tasks), as a Mesos agent
    /// sets it.
    fn executor_env(
        &self,
        agent: usize,
        info: &m::FrameworkInfo,
        executor: &m::ExecutorInfo,
        dir: &Path,
        grace: std::time::Duration,
    ) -> Vec<(String, String)> {
        let a = &self.agents[agent];
        let mut env: Vec<(String, String)> = if self.ctx.settings.inherit_env {
            std::env::vars()
                .filter(|(k, _)| !k.starts_with("MESOS_") && !k.starts_with("LIBPROCESS_"))
                .collect()
        } else {
            vec![("PATH".into(), DEFAULT_PATH.into())]
        };
        let checkpoint = info.checkpoint.unwrap_or(false);
        let dir = dir.display().to_string();
        let fid = info
            .id
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_default();
        env.extend([
            ("LIBPROCESS_IP".into(), "127.0.0.1".into()),
            ("LIBPROCESS_PORT".into(), "0".into()),
            ("MESOS_AGENT_ENDPOINT".into(), a.endpoint()),
            (
                "MESOS_CHECKPOINT".into(),
                if checkpoint { "1" } else { "0" }.into(),
            ),
            ("MESOS_DIRECTORY".into(), dir.clone()),
            (
                "MESOS_EXECUTOR_ID".into(),
                executor.executor_id.value.clone(),
            ),
            (
                "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD".into(),
                ids::mesos_duration(grace),
            ),
            ("MESOS_FRAMEWORK_ID".into(), fid),
            ("MESOS_HTTP_COMMAND_EXECUTOR".into(), "0".into()),
            ("MESOS_SANDBOX".into(), dir),
            ("MESOS_SLAVE_ID".into(), a.id.clone()),
            ("MESOS_SLAVE_PID".into(), a.pid()),
        ]);
        if checkpoint {
            env.push(("MESOS_RECOVERY_TIMEOUT".into(), "15mins".into()));
            env.push(("MESOS_SUBSCRIPTION_BACKOFF_MAX".into(), "2secs".into()));
        }
        env
    }

    fn framework_entry(&mut self, agent: usize, info: &m::FrameworkInfo) -> String {
        let fid = info
            .id
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_default();
        let af = self.agents[agent]
            .frameworks
            .entry(fid.clone())
            .or_insert_with(|| AgentFramework {
                info: info.clone(),
                executors: HashMap::new(),
                completed_executors: VecDeque::new(),
            });
        af.info = info.clone();
        fid
    }

    /// Runs a LAUNCH task on an agent.
    pub(crate) fn agent_run_task(
        &mut self,
        agent: usize,
        info: &m::FrameworkInfo,
        task: m::TaskInfo,
    ) {
        let fid = self.framework_entry(agent, info);
        let (executor, kind) = match &task.executor {
            Some(e) => (e.clone(), Kind::Custom),
            None => (command_executor(&task, &fid), Kind::Command),
        };
        self.run(agent, &fid, executor, kind, Queued::Task(Box::new(task)));
    }

    /// Runs a LAUNCH_GROUP on an agent.
    pub(crate) fn agent_run_group(
        &mut self,
        agent: usize,
        info: &m::FrameworkInfo,
        executor: m::ExecutorInfo,
        group: m::TaskGroupInfo,
    ) {
        let fid = self.framework_entry(agent, info);
        let kind = if executor.r#type == Some(m::executor_info::Type::Default as i32) {
            Kind::Default
        } else {
            Kind::Custom
        };
        self.run(agent, &fid, executor, kind, Queued::Group(group));
    }

    fn run(
        &mut self,
        agent: usize,
        fid: &str,
        executor: m::ExecutorInfo,
        kind: Kind,
        work: Queued,
    ) {
        let eid = executor.executor_id.value.clone();
        let tasks: Vec<m::TaskInfo> = match &work {
            Queued::Task(t) => vec![(**t).clone()],
            Queued::Group(g) => g.tasks.clone(),
        };
        let live = self.agents[agent].executor(fid, &eid).map(|e| e.state);
        match live {
            Some(ExecState::Terminating) => {
                let message = "Executor is terminating".to_string();
                for t in &tasks {
                    self.agent_lost_task(
                        agent,
                        fid,
                        &eid,
                        &t.task_id,
                        Reason::ExecutorTerminated,
                        &message,
                    );
                }
                return;
            }
            Some(ExecState::Registering | ExecState::Running) => {}
            Some(ExecState::Terminated) | None => {
                if let Err(message) = self.start_executor(agent, fid, executor, kind) {
                    self.master_executor_exited(agent, fid, &eid, None);
                    for t in &tasks {
                        self.agent_lost_task(
                            agent,
                            fid,
                            &eid,
                            &t.task_id,
                            Reason::ContainerLaunchFailed,
                            &message,
                        );
                    }
                    return;
                }
            }
        }
        if let Some(ex) = self.agents[agent].executor_mut(fid, &eid) {
            for t in &tasks {
                let mut info = t.clone();
                info.data = None;
                ex.tasks.insert(
                    t.task_id.value.clone(),
                    AgentTask {
                        info,
                        state: m::TaskState::TaskStaging as i32,
                        statuses: Vec::new(),
                    },
                );
            }
            ex.queued.push(work);
        }
        self.deliver_queued(agent, fid, &eid);
    }

    /// A task that never reached an executor: TASK_FAILED from the agent.
    fn agent_lost_task(
        &mut self,
        agent: usize,
        fid: &str,
        eid: &str,
        task_id: &m::TaskId,
        reason: Reason,
        message: &str,
    ) {
        let status = m::TaskStatus {
            task_id: task_id.clone(),
            state: m::TaskState::TaskFailed as i32,
            message: Some(message.to_string()),
            source: Some(Source::Agent as i32),
            reason: Some(reason as i32),
            executor_id: Some(m::ExecutorId {
                value: eid.to_string(),
            }),
            uuid: Some(ids::uuid_bytes().to_vec()),
            timestamp: Some(ids::now()),
            ..Default::default()
        };
        self.agent_status(agent, fid, status);
    }

    /// Creates the sandbox and starts the executor (a process for custom executors).
    fn start_executor(
        &mut self,
        agent: usize,
        fid: &str,
        info: m::ExecutorInfo,
        kind: Kind,
    ) -> Result<(), String> {
        let eid = info.executor_id.value.clone();
        if let Some(af) = self.agents[agent].frameworks.get_mut(fid) {
            af.retire(&eid);
        }
        let container_id = ids::uuid();
        let dir: PathBuf = self.agents[agent]
            .root
            .join("frameworks")
            .join(fid)
            .join("executors")
            .join(&eid)
            .join("runs")
            .join(&container_id);
        make_sandbox(&dir)?;
        let cmd = info.command.clone().unwrap_or_default();
        fetch(&cmd, &dir)?;
        let grace = info
            .shutdown_grace_period
            .as_ref()
            .and_then(|d| u64::try_from(d.nanoseconds).ok())
            .map(std::time::Duration::from_nanos)
            .unwrap_or(self.ctx.settings.executor_shutdown_grace_period);
        let Some(fw_info) = self.agents[agent]
            .frameworks
            .get(fid)
            .map(|f| f.info.clone())
        else {
            return Err("Framework is unknown to the agent".into());
        };
        let env = self.executor_env(agent, &fw_info, &info, &dir, grace);
        let executor = Executor {
            info,
            kind,
            container_id: container_id.clone(),
            directory: dir.clone(),
            state: if kind == Kind::Custom {
                ExecState::Registering
            } else {
                ExecState::Running
            },
            pid: None,
            sink: None,
            epoch: 0,
            queued: Vec::new(),
            tasks: BTreeMap::new(),
            completed_tasks: Vec::new(),
            procs: HashMap::new(),
            termination: None,
            shutdown_grace: grace,
            env: env.clone(),
        };
        if let Some(af) = self.agents[agent].frameworks.get_mut(fid) {
            af.executors.insert(eid.clone(), executor);
        }
        if kind != Kind::Custom {
            return Ok(());
        }
        let (program, args, arg0) = command_line(&cmd);
        let mut env = env;
        env.extend(command_env(&cmd));
        let spec = SpawnSpec {
            program,
            args,
            arg0,
            env,
            cwd: dir.clone(),
            stdout: dir.join("stdout"),
            stderr: dir.join("stderr"),
        };
        let weak = self.ctx.shared.clone();
        let (f, e, c) = (fid.to_string(), eid.clone(), container_id.clone());
        self.ctx.launcher.spawn(
            spec,
            Box::new(move |result| {
                if let Some(shared) = weak.upgrade() {
                    shared.lock().custom_spawned(agent, &f, &e, &c, result);
                }
            }),
        );
        let timeout = self.ctx.settings.executor_registration_timeout;
        let (f, e) = (fid.to_string(), eid);
        self.ctx.after(timeout, move |w| {
            w.registration_timeout(agent, &f, &e, &container_id, timeout);
        });
        Ok(())
    }

    /// Sends queued work to a subscribed custom executor, or starts it in a built-in one.
    pub(super) fn deliver_queued(&mut self, agent: usize, fid: &str, eid: &str) {
        let Some(ex) = self.agents[agent].executor_mut(fid, eid) else {
            return;
        };
        if ex.state != ExecState::Running {
            return;
        }
        let work = std::mem::take(&mut ex.queued);
        match ex.kind {
            Kind::Custom => {
                let Some(sink) = ex.sink.clone() else {
                    ex.queued = work;
                    return;
                };
                for w in work {
                    let event = match w {
                        Queued::Task(task) => Event {
                            r#type: Some(event::Type::Launch as i32),
                            launch: Some(event::Launch { task: *task }),
                            ..Default::default()
                        },
                        Queued::Group(task_group) => Event {
                            r#type: Some(event::Type::LaunchGroup as i32),
                            launch_group: Some(event::LaunchGroup { task_group }),
                            ..Default::default()
                        },
                    };
                    sink.send(&event, EXECUTOR_EVENT);
                }
            }
            Kind::Command | Kind::Default => {
                for w in work {
                    match w {
                        Queued::Task(task) => {
                            self.builtin_start(agent, fid, eid, *task, Vec::new())
                        }
                        Queued::Group(g) => {
                            let ids: Vec<String> =
                                g.tasks.iter().map(|t| t.task_id.value.clone()).collect();
                            for task in g.tasks {
                                self.builtin_start(agent, fid, eid, task, ids.clone());
                            }
                        }
                    }
                }
            }
        }
    }
}
