//! A framework as the master knows it: its info, its subscription, offers, filters, tasks.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use crate::local::http::EventSink;
use crate::proto::mesos as m;
use crate::proto::mesos::framework_info::capability::Type as Cap;
use crate::proto::mesos::scheduler::{event, Event};
use crate::resources::Resources;

/// How many terminal tasks a framework's state keeps (Mesos's
/// `--max_completed_tasks_per_framework`).
const MAX_COMPLETED_TASKS: usize = 1000;

/// The connected scheduler's event stream.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub stream_id: String,
    pub sink: EventSink,
}

/// A DECLINE (or unused ACCEPT) filter: `resources` of `agent` are not offered to `role` again
/// before `until`, unless more than them is free.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    pub agent: usize,
    pub role: String,
    pub resources: Resources,
    pub until: Instant,
}

/// A task as the master knows it.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    /// The TaskInfo without `data` (the master does not keep payloads).
    pub info: m::TaskInfo,
    pub agent: usize,
    pub executor_id: Option<String>,
    pub state: i32,
    /// Statuses received, without `data`.
    pub statuses: Vec<m::TaskStatus>,
    pub latest_uuid: Option<Vec<u8>>,
    pub resources: Resources,
    pub role: String,
    /// Its resources went back to the agent (terminal update seen).
    pub released: bool,
}

/// A framework.
pub(crate) struct Framework {
    pub id: String,
    pub info: m::FrameworkInfo,
    pub sub: Option<Subscription>,
    /// Bumped at every (re)subscription and disconnection: stale failover timers compare it.
    pub epoch: u64,
    pub suppressed: BTreeSet<String>,
    pub filters: Vec<Filter>,
    pub offers: BTreeSet<String>,
    pub tasks: HashMap<String, Task>,
    /// Task ids in launch order, for stable state output.
    pub task_order: Vec<String>,
    pub completed_tasks: VecDeque<Task>,
    /// Executors (agent, executor id) with their ExecutorInfo and resources.
    pub executors: HashMap<(usize, String), (m::ExecutorInfo, Resources)>,
    pub registered_time: f64,
    pub unregistered_time: f64,
}

impl Framework {
    pub(crate) fn new(id: String, info: m::FrameworkInfo) -> Framework {
        Framework {
            id,
            info,
            sub: None,
            epoch: 0,
            suppressed: BTreeSet::new(),
            filters: Vec::new(),
            offers: BTreeSet::new(),
            tasks: HashMap::new(),
            task_order: Vec::new(),
            completed_tasks: VecDeque::new(),
            executors: HashMap::new(),
            registered_time: crate::local::ids::now(),
            unregistered_time: 0.0,
        }
    }

    pub(crate) fn has(&self, cap: Cap) -> bool {
        has_capability(&self.info, cap)
    }

    /// The roles it subscribes with: `roles` (MULTI_ROLE) or `[role]` (default `*`).
    #[allow(deprecated)]
    pub(crate) fn roles(&self) -> Vec<String> {
        if self.has(Cap::MultiRole) {
            self.info.roles.clone()
        } else {
            vec![self.info.role.clone().unwrap_or_else(|| "*".into())]
        }
    }

    pub(crate) fn connected(&self) -> bool {
        self.sub.is_some()
    }

    /// Sends an event to the scheduler if it is connected.
    pub(crate) fn send(&self, event: &Event) {
        if let Some(sub) = &self.sub {
            sub.sink.send(event, "mesos.v1.scheduler.Event");
        }
    }

    /// Sends an UPDATE event.
    pub(crate) fn send_update(&self, status: m::TaskStatus) {
        self.send(&Event {
            r#type: Some(event::Type::Update as i32),
            update: Some(event::Update { status }),
            ..Default::default()
        });
    }

    /// Moves a task to the completed list.
    pub(crate) fn complete_task(&mut self, task_id: &str) {
        if let Some(task) = self.tasks.remove(task_id) {
            self.task_order.retain(|t| t != task_id);
            self.push_completed(task);
        }
    }

    /// Keeps a task in the completed list (bounded).
    pub(crate) fn push_completed(&mut self, task: Task) {
        self.completed_tasks.push_back(task);
        while self.completed_tasks.len() > MAX_COMPLETED_TASKS {
            self.completed_tasks.pop_front();
        }
    }
}

pub(crate) fn has_capability(info: &m::FrameworkInfo, cap: Cap) -> bool {
    info.capabilities
        .iter()
        .any(|c| c.r#type == Some(cap as i32))
}

/// A status from the master (no uuid: never acknowledged).
pub(crate) fn master_status(
    task_id: &m::TaskId,
    state: m::TaskState,
    reason: m::task_status::Reason,
    message: impl Into<String>,
    agent_id: Option<m::AgentId>,
) -> m::TaskStatus {
    m::TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        message: Some(message.into()),
        source: Some(m::task_status::Source::Master as i32),
        reason: Some(reason as i32),
        agent_id,
        timestamp: Some(crate::local::ids::now()),
        ..Default::default()
    }
}

/// True for the states a task never leaves.
pub(crate) fn is_terminal(state: i32) -> bool {
    use m::TaskState as S;
    matches!(
        S::try_from(state),
        Ok(S::TaskFinished
            | S::TaskFailed
            | S::TaskKilled
            | S::TaskError
            | S::TaskLost
            | S::TaskDropped
            | S::TaskGone
            | S::TaskGoneByOperator)
    )
}
