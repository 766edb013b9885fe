//! What the core decides: operations for the master ([`Op`]) and news about tasks
//! ([`Outcome`]), collected per input in an [`Output`].

use crate::driver::calls;
use crate::proto::mesos::scheduler::Call;
use crate::proto::mesos::{AgentId, OfferId, TaskId, TaskInfo};

/// One call for the master.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// ACCEPT of `offer_ids` (all from one agent, one allocation role) with one LAUNCH of
    /// `tasks`; the offers' unused resources are declined with `refuse_seconds`.
    Launch {
        offer_ids: Vec<OfferId>,
        tasks: Vec<TaskInfo>,
        refuse_seconds: f64,
    },
    /// DECLINE of offers nothing was launched on.
    Decline {
        offer_ids: Vec<OfferId>,
        refuse_seconds: f64,
    },
    /// KILL of one Mesos task (an attempt).
    Kill {
        task_id: TaskId,
        agent_id: Option<AgentId>,
    },
    /// REVIVE offers (and clear filters) for `roles` (empty: all).
    Revive { roles: Vec<String> },
    /// SUPPRESS offers for `roles` (empty: all).
    Suppress { roles: Vec<String> },
    /// RECONCILE these tasks; an empty list asks for every task the master knows.
    Reconcile {
        tasks: Vec<(TaskId, Option<AgentId>)>,
    },
}

impl Op {
    /// The call type's name (`ACCEPT`, `DECLINE`, `KILL`, `REVIVE`, `SUPPRESS`, `RECONCILE`).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Launch { .. } => "ACCEPT",
            Op::Decline { .. } => "DECLINE",
            Op::Kill { .. } => "KILL",
            Op::Revive { .. } => "REVIVE",
            Op::Suppress { .. } => "SUPPRESS",
            Op::Reconcile { .. } => "RECONCILE",
        }
    }

    /// The scheduler call (framework id left for the driver to fill in).
    pub fn to_call(&self) -> Call {
        match self {
            Op::Launch {
                offer_ids,
                tasks,
                refuse_seconds,
            } => calls::launch(
                offer_ids.clone(),
                tasks.clone(),
                Some(calls::refuse_for(*refuse_seconds)),
            ),
            Op::Decline {
                offer_ids,
                refuse_seconds,
            } => calls::decline(offer_ids.clone(), Some(calls::refuse_for(*refuse_seconds))),
            Op::Kill { task_id, agent_id } => calls::kill(task_id.clone(), agent_id.clone(), None),
            Op::Revive { roles } => calls::revive(roles.clone()),
            Op::Suppress { roles } => calls::suppress(roles.clone()),
            Op::Reconcile { tasks } => calls::reconcile(tasks.clone()),
        }
    }

    /// Like [`Op::to_call`], moving the tasks instead of copying them.
    pub fn into_call(self) -> Call {
        match self {
            Op::Launch {
                offer_ids,
                tasks,
                refuse_seconds,
            } => calls::launch(offer_ids, tasks, Some(calls::refuse_for(refuse_seconds))),
            other => other.to_call(),
        }
    }
}

/// What happened to a task (or, with an empty task id, to the scheduler as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Placed into an ACCEPT; `detail` is the agent id.
    Launched,
    /// A non-terminal status of the current attempt; `detail` is the state name.
    Update,
    /// An infrastructure failure; the task is queued again. `detail` says why and which attempt
    /// comes next.
    Retry,
    /// Terminal: TASK_FINISHED. The status's `data` holds the result.
    Finished,
    /// Terminal: the user's code raised (TASK_FAILED marked `satyr.outcome=exception` by the
    /// executor); the status's `data` holds the exception. Never retried.
    Exception,
    /// Terminal: a failure that is not retried (the command failed, a resource limit was hit)
    /// or infrastructure failures beyond the attempt limit; `detail` says which.
    Failed,
    /// Terminal: killed on request (a queued task ends so without reaching Mesos).
    Killed,
    /// Terminal: the task can never run (larger than every agent, invalid for Mesos).
    Error,
    /// Scheduler level (empty task id): worker tasks keep failing, none are launched any more.
    WorkersFailed,
    /// Scheduler level (empty task id): the placement function failed; the built-in heuristic
    /// placed this round instead.
    PlacerError,
}

impl OutcomeKind {
    /// Lower-case name used by the Python binding.
    pub fn name(&self) -> &'static str {
        match self {
            OutcomeKind::Launched => "launched",
            OutcomeKind::Update => "update",
            OutcomeKind::Retry => "retry",
            OutcomeKind::Finished => "finished",
            OutcomeKind::Exception => "exception",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Killed => "killed",
            OutcomeKind::Error => "error",
            OutcomeKind::WorkersFailed => "workers_failed",
            OutcomeKind::PlacerError => "placer_error",
        }
    }

    /// True for the kinds that end a task (each task gets exactly one).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            OutcomeKind::Finished
                | OutcomeKind::Exception
                | OutcomeKind::Failed
                | OutcomeKind::Killed
                | OutcomeKind::Error
        )
    }
}

/// News about one task (its submitted id, not the attempt's Mesos id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub task_id: String,
    pub kind: OutcomeKind,
    pub detail: Option<String>,
    /// The task is a worker (see [`super::SchedulerCore::set_workers`]).
    pub worker: bool,
}

/// Everything one input produced, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    pub ops: Vec<Op>,
    pub outcomes: Vec<Outcome>,
}

impl Output {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.outcomes.is_empty()
    }
}
