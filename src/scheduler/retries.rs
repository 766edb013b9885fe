//! What a status update means for its task: progress, an end, or an infrastructure failure worth
//! another attempt. The user's exception is never retried.
//!
//! **Contract with the executor.** When the user's code raises (or its payload cannot be
//! loaded), the executor sends TASK_FAILED with the label [`OUTCOME_LABEL`]`=`[`EXCEPTION`]
//! and the pickled exception in `data`. Every other TASK_FAILED is judged by its reason: the
//! infrastructure reasons in [`retryable_reason`] are retried, anything else (a command that
//! exited non-zero, a resource limit) is a final failure.

use crate::proto::mesos::task_status::{Reason, Source};
use crate::proto::mesos::{TaskState, TaskStatus};

/// Label key the executor sets on a task's final status to say how it ended.
pub const OUTCOME_LABEL: &str = "satyr.outcome";
/// [`OUTCOME_LABEL`] value: the user's code raised; `data` holds the exception.
pub const EXCEPTION: &str = "exception";

/// How a status update of the current attempt affects its task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not terminal.
    Progress,
    Finished,
    /// The user's code raised.
    Exception,
    /// Infrastructure failure: worth another attempt (the text says what happened).
    Retry(String),
    /// A final failure.
    Failed(String),
    Killed,
    /// The task cannot run at all.
    Error(String),
}

/// Reasons that blame the machinery (agent, executor, container runtime, master), not the task.
pub fn retryable_reason(reason: Reason) -> bool {
    use Reason::*;
    matches!(
        reason,
        ExecutorTerminated
            | ExecutorUnregistered
            | ExecutorRegistrationTimeout
            | ExecutorReregistrationTimeout
            | ContainerLaunchFailed
            | ContainerPreempted
            | ContainerUpdateFailed
            | GcError
            | IoSwitchboardExited
            | InvalidOffers
            | MasterDisconnected
            | ResourcesUnknown
            | AgentDisconnected
            | AgentDraining
            | AgentRemoved
            | AgentRemovedByOperator
            | AgentReregistered
            | AgentRestarted
            | AgentUnknown
            | Reconciliation
            | TaskUnknown
    )
}

fn reason(status: &TaskStatus) -> Option<Reason> {
    status.reason.and_then(|r| Reason::try_from(r).ok())
}

fn state(status: &TaskStatus) -> Option<TaskState> {
    TaskState::try_from(status.state).ok()
}

/// True when the executor marked the status as the user's exception.
pub fn is_exception(status: &TaskStatus) -> bool {
    status.labels.as_ref().is_some_and(|l| {
        l.labels
            .iter()
            .any(|x| x.key == OUTCOME_LABEL && x.value.as_deref() == Some(EXCEPTION))
    })
}

/// True for states after which the task is gone (LOST counts: without PARTITION_AWARE it is
/// what every loss looks like).
pub fn is_terminal(state: TaskState) -> bool {
    use TaskState::*;
    !matches!(
        state,
        TaskStaging | TaskStarting | TaskRunning | TaskKilling | TaskUnreachable
    )
}

/// `TASK_LOST (REASON_AGENT_REMOVED, from the master): agent gone`.
pub fn describe(status: &TaskStatus) -> String {
    let mut text = state(status).map_or_else(
        || format!("state {}", status.state),
        |s| s.as_str_name().into(),
    );
    let mut notes = Vec::new();
    if let Some(r) = reason(status) {
        notes.push(r.as_str_name().to_owned());
    }
    match status.source.and_then(|s| Source::try_from(s).ok()) {
        Some(Source::Master) => notes.push("from the master".into()),
        Some(Source::Agent) => notes.push("from the agent".into()),
        Some(Source::Executor) => notes.push("from the executor".into()),
        None => {}
    }
    if !notes.is_empty() {
        text.push_str(&format!(" ({})", notes.join(", ")));
    }
    if let Some(m) = status.message.as_deref().filter(|m| !m.is_empty()) {
        text.push_str(": ");
        text.push_str(m);
    }
    text
}

/// The master refused a launch for want of resources the scheduler saw in the offer. Placement
/// only uses what fits, so the two views of the agent's executors differed: an executor that
/// had just exited was paid for again by the master. The race is not the task's fault, and
/// another offer will do.
fn resources_raced(status: &TaskStatus) -> bool {
    reason(status) == Some(Reason::TaskInvalid)
        && status
            .message
            .as_deref()
            .is_some_and(|m| m.contains("is more than available"))
}

/// Judges a status of the task's current attempt.
pub fn classify(status: &TaskStatus, kill_requested: bool) -> Verdict {
    use TaskState::*;
    let Some(s) = state(status) else {
        // A state this build does not know: keep waiting for one it does.
        return Verdict::Progress;
    };
    if s == TaskUnreachable {
        // Partition-aware frameworks: the agent may come back, or never (the master keeps the
        // task unreachable for as long as weeks). The attempt is given up now; should it
        // return, its updates are a stale attempt's and it is killed.
        return if kill_requested {
            Verdict::Killed
        } else {
            Verdict::Retry(describe(status))
        };
    }
    if !is_terminal(s) {
        return Verdict::Progress;
    }
    if s == TaskFinished {
        return Verdict::Finished;
    }
    if s == TaskFailed && is_exception(status) {
        return Verdict::Exception;
    }
    if kill_requested {
        return Verdict::Killed;
    }
    let why = describe(status);
    let r = reason(status);
    match s {
        TaskLost | TaskDropped | TaskGone | TaskGoneByOperator | TaskUnknown => Verdict::Retry(why),
        TaskFailed if r.is_some_and(retryable_reason) => Verdict::Retry(why),
        TaskFailed => Verdict::Failed(why),
        TaskKilled
            if matches!(
                r,
                Some(Reason::AgentDraining | Reason::ContainerPreempted | Reason::AgentRestarted)
            ) =>
        {
            Verdict::Retry(why)
        }
        TaskKilled => Verdict::Failed(format!("killed by someone else: {why}")),
        TaskError if r == Some(Reason::InvalidOffers) || resources_raced(status) => {
            Verdict::Retry(why)
        }
        TaskError => Verdict::Error(why),
        // Not reached: the non-terminal states returned above.
        _ => Verdict::Progress,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mesos::{Label, Labels, TaskId};

    fn status(state: TaskState, reason: Option<Reason>) -> TaskStatus {
        TaskStatus {
            task_id: TaskId { value: "t".into() },
            state: state as i32,
            reason: reason.map(|r| r as i32),
            ..Default::default()
        }
    }

    #[test]
    fn the_users_exception_is_final() {
        let mut s = status(TaskState::TaskFailed, Some(Reason::ExecutorTerminated));
        s.labels = Some(Labels {
            labels: vec![Label {
                key: OUTCOME_LABEL.into(),
                value: Some(EXCEPTION.into()),
            }],
        });
        assert_eq!(classify(&s, false), Verdict::Exception);
        assert_eq!(classify(&s, true), Verdict::Exception);
    }

    #[test]
    fn infrastructure_failures_are_retried() {
        for (state, reason) in [
            (TaskState::TaskLost, None),
            (TaskState::TaskLost, Some(Reason::AgentRemoved)),
            (TaskState::TaskDropped, None),
            (TaskState::TaskUnreachable, None),
            (TaskState::TaskGone, None),
            (TaskState::TaskGoneByOperator, None),
            (TaskState::TaskUnknown, Some(Reason::Reconciliation)),
            (TaskState::TaskFailed, Some(Reason::ExecutorTerminated)),
            (TaskState::TaskFailed, Some(Reason::ContainerLaunchFailed)),
            (TaskState::TaskError, Some(Reason::InvalidOffers)),
            (TaskState::TaskKilled, Some(Reason::AgentDraining)),
        ] {
            assert!(
                matches!(classify(&status(state, reason), false), Verdict::Retry(_)),
                "{state:?} {reason:?}"
            );
        }
    }

    #[test]
    fn other_failures_are_final() {
        let v = classify(
            &status(TaskState::TaskFailed, Some(Reason::CommandExecutorFailed)),
            false,
        );
        assert_eq!(
            v,
            Verdict::Failed("TASK_FAILED (REASON_COMMAND_EXECUTOR_FAILED)".into())
        );
        let v = classify(
            &status(
                TaskState::TaskFailed,
                Some(Reason::ContainerLimitationMemory),
            ),
            false,
        );
        assert!(matches!(v, Verdict::Failed(_)));
        let mut e = status(TaskState::TaskError, Some(Reason::TaskInvalid));
        e.message = Some("no command".into());
        e.source = Some(Source::Master as i32);
        assert_eq!(
            classify(&e, false),
            Verdict::Error("TASK_ERROR (REASON_TASK_INVALID, from the master): no command".into())
        );
        e.message = Some(
            "Total resources cpus(allocated: *):0.1 required by task and its executor is more \
             than available mem(allocated: *):768"
                .into(),
        );
        assert!(matches!(classify(&e, false), Verdict::Retry(_)));
        assert_eq!(
            classify(&status(TaskState::TaskFinished, None), false),
            Verdict::Finished
        );
    }

    #[test]
    fn after_a_kill_request_losses_are_kills() {
        assert_eq!(
            classify(&status(TaskState::TaskLost, None), true),
            Verdict::Killed
        );
        assert_eq!(
            classify(&status(TaskState::TaskKilled, None), true),
            Verdict::Killed
        );
        assert_eq!(
            classify(&status(TaskState::TaskFinished, None), true),
            Verdict::Finished
        );
        assert_eq!(
            classify(&status(TaskState::TaskUnreachable, None), false),
            Verdict::Retry("TASK_UNREACHABLE".into())
        );
        assert_eq!(
            classify(&status(TaskState::TaskUnreachable, None), true),
            Verdict::Killed
        );
        assert_eq!(
            classify(&status(TaskState::TaskRunning, None), false),
            Verdict::Progress
        );
    }
}
