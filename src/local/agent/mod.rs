//! An agent: executors as child processes in sandboxes, the built-in command and default
//! executors, the status update manager, and the agent's HTTP API (`/api/v1/executor`,
//! `/files/*`, `/state`).

mod builtin;
mod executor_api;
mod files;
mod launch;
mod lifecycle;
pub(crate) mod routes;
mod state_json;
mod status_updates;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use crate::local::http::EventSink;
use crate::proto::mesos as m;
use crate::resources::Resources;

pub(crate) use status_updates::Streams;

/// How many ended executors (and frameworks) an agent's state keeps.
const MAX_COMPLETED: usize = 150;

/// Which executor runs the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A framework's executor: a child process speaking the executor API.
    Custom,
    /// The built-in command executor: one command task, run directly.
    Command,
    /// The built-in default executor: task groups, each task's command run directly.
    Default,
}

/// Where an executor is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExecState {
    /// Started, not yet subscribed.
    Registering,
    Running,
    /// Being shut down.
    Terminating,
    Terminated,
}

/// Tasks received before the executor subscribed.
#[derive(Debug, Clone)]
pub(crate) enum Queued {
    Task(Box<m::TaskInfo>),
    Group(m::TaskGroupInfo),
}

/// A task on the agent.
#[derive(Debug, Clone)]
pub(crate) struct AgentTask {
    /// Without `data`.
    pub info: m::TaskInfo,
    pub state: i32,
    /// Statuses seen, without `data`.
    pub statuses: Vec<m::TaskStatus>,
}

/// A process of a built-in executor: one task's command.
#[derive(Debug, Clone, Default)]
pub(crate) struct Proc {
    pub pid: Option<u32>,
    /// A KILL (or shutdown) asked it to stop.
    pub killed: bool,
    /// It exited (or never started).
    pub done: bool,
    /// Tasks killed along with this one (its task group).
    pub group: Vec<String>,
}

/// What becomes of the tasks of an executor that is taken down on purpose.
#[derive(Debug, Clone)]
pub(crate) struct Termination {
    pub state: m::TaskState,
    pub reason: m::task_status::Reason,
    pub message: String,
}

/// An executor (running or ended).
#[derive(Debug)]
pub(crate) struct Executor {
    pub info: m::ExecutorInfo,
    pub kind: Kind,
    pub container_id: String,
    pub directory: PathBuf,
    pub state: ExecState,
    /// The executor process (custom), or the command task's process (command executor).
    pub pid: Option<u32>,
    pub sink: Option<EventSink>,
    /// Bumped at every subscription, so a stale stream's close is ignored.
    pub epoch: u64,
    pub queued: Vec<Queued>,
    pub tasks: BTreeMap<String, AgentTask>,
    pub completed_tasks: Vec<AgentTask>,
    pub procs: HashMap<String, Proc>,
    pub termination: Option<Termination>,
    pub shutdown_grace: Duration,
    /// The environment given to the executor (and to built-in executors' tasks).
    pub env: Vec<(String, String)>,
}

impl Executor {
    pub(crate) fn is_live(&self) -> bool {
        self.state != ExecState::Terminated
    }
}

/// A framework on an agent.
#[derive(Debug)]
pub(crate) struct AgentFramework {
    pub info: m::FrameworkInfo,
    pub executors: HashMap<String, Executor>,
    pub completed_executors: VecDeque<Executor>,
}

impl AgentFramework {
    /// The live executor running `task_id`.
    pub(crate) fn executor_of(&self, task_id: &str) -> Option<&str> {
        self.executors
            .iter()
            .find(|(_, e)| e.is_live() && e.tasks.contains_key(task_id))
            .map(|(id, _)| id.as_str())
    }

    /// Keeps an ended executor for the state endpoint and `/files`.
    pub(crate) fn retire(&mut self, executor_id: &str) {
        if let Some(e) = self.executors.remove(executor_id) {
            self.completed_executors.push_back(e);
            while self.completed_executors.len() > MAX_COMPLETED {
                self.completed_executors.pop_front();
            }
        }
    }
}

/// One agent.
pub(crate) struct Agent {
    pub index: usize,
    pub id: String,
    pub port: u16,
    pub info: m::AgentInfo,
    pub resources: Resources,
    /// `<work_dir>/slaves/<agent id>`.
    pub root: PathBuf,
    pub start_time: f64,
    pub frameworks: HashMap<String, AgentFramework>,
    pub completed_frameworks: VecDeque<AgentFramework>,
    pub updates: Streams,
}

impl Agent {
    pub(crate) fn new(
        index: usize,
        id: String,
        port: u16,
        resources: Resources,
        root: PathBuf,
    ) -> Agent {
        let wire = crate::local::resources::to_proto(
            &resources,
            crate::local::resources::Style {
                allocation_role: None,
                refinement: true,
            },
        );
        let info = m::AgentInfo {
            hostname: "127.0.0.1".into(),
            port: Some(i32::from(port)),
            resources: wire,
            id: Some(m::AgentId { value: id.clone() }),
            ..Default::default()
        };
        Agent {
            index,
            id,
            port,
            info,
            resources,
            root,
            start_time: crate::local::ids::now(),
            frameworks: HashMap::new(),
            completed_frameworks: VecDeque::new(),
            updates: Streams::default(),
        }
    }

    /// `slave(1)@127.0.0.1:PORT`.
    pub(crate) fn pid(&self) -> String {
        format!("slave(1)@127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn executor(&self, fid: &str, eid: &str) -> Option<&Executor> {
        self.frameworks.get(fid)?.executors.get(eid)
    }

    pub(crate) fn executor_mut(&mut self, fid: &str, eid: &str) -> Option<&mut Executor> {
        self.frameworks.get_mut(fid)?.executors.get_mut(eid)
    }

    /// Keeps an ended framework for the state endpoint.
    pub(crate) fn retire_framework(&mut self, fid: &str) {
        if let Some(f) = self.frameworks.remove(fid) {
            self.completed_frameworks.push_back(f);
            while self.completed_frameworks.len() > MAX_COMPLETED {
                self.completed_frameworks.pop_front();
            }
        }
    }
}
