//! A task's life: updates, retries, the user's exception, kills, stale attempts, reconciliation.

use super::*;
use crate::proto::mesos::task_status::Reason;
use crate::proto::mesos::{Label, Labels};
use crate::scheduler::{EXCEPTION, OUTCOME_LABEL};

/// A core with `t` launched on a1 (as `t`).
fn launched(max_attempts: Option<u32>) -> SchedulerCore {
    let mut core = core();
    core.submit(task("t", 1.0, 10.0), max_attempts).unwrap();
    core.tick(0);
    let out = core.offers(vec![offer("o1", "a1", 1.0, 10.0)], 0);
    assert_eq!(launches(&out)[0].1, ["t"]);
    core
}

fn exception(id: &str) -> m::TaskStatus {
    let mut s = status(id, TaskState::TaskFailed);
    s.message = Some("ZeroDivisionError: division by zero".into());
    s.labels = Some(Labels {
        labels: vec![Label {
            key: OUTCOME_LABEL.into(),
            value: Some(EXCEPTION.into()),
        }],
    });
    s
}

#[test]
fn running_then_finished() {
    let mut core = launched(None);
    let out = core.update(&status("t", TaskState::TaskRunning), 1);
    assert_eq!(outcomes(&out), [("t".into(), "update")]);
    assert_eq!(out.outcomes[0].detail.as_deref(), Some("TASK_RUNNING"));
    assert_eq!(core.state("t"), Some(TaskState::TaskRunning));
    assert_eq!(core.counts(), [(TaskState::TaskRunning, 1)]);
    let out = core.update(&status("t", TaskState::TaskFinished), 2);
    assert_eq!(outcomes(&out), [("t".into(), "finished")]);
    assert_eq!(core.state("t"), None);
    assert!(core.is_empty());
    assert_eq!(core.stats().finished, 1);
    // A duplicate of the final update changes nothing and sends nothing.
    let out = core.update(&status("t", TaskState::TaskFinished), 3);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn the_users_exception_ends_the_task_once_and_is_not_retried() {
    let mut core = launched(Some(5));
    let out = core.update(&exception("t"), 1);
    assert_eq!(terminal(&out), [("t".into(), OutcomeKind::Exception)]);
    assert_eq!(
        out.outcomes[0].detail.as_deref(),
        Some("ZeroDivisionError: division by zero")
    );
    assert_eq!(core.stats().exceptions, 1);
    assert_eq!(core.waiting(), 0);
}

#[test]
fn lost_tasks_are_retried_under_new_ids_up_to_the_limit() {
    let mut core = launched(Some(3));
    let mut lost = status("t", TaskState::TaskLost);
    lost.reason = Some(Reason::AgentRemoved as i32);
    let out = core.update(&lost, 1);
    assert_eq!(outcomes(&out), [("t".into(), "retry")]);
    assert_eq!(
        out.outcomes[0].detail.as_deref(),
        Some("attempt 2 of 3 after TASK_LOST (REASON_AGENT_REMOVED)")
    );
    // New work: offers are wanted again.
    assert_eq!(ops(&out), ["REVIVE"]);
    assert_eq!(core.state("t"), Some(TaskState::TaskStaging));
    let out = core.offers(vec![offer("o2", "a2", 1.0, 10.0)], 2);
    assert_eq!(launches(&out)[0].1, ["t.retry1"]);
    // The first attempt's late updates are ignored; if it still runs, it is killed.
    let out = core.update(&status("t", TaskState::TaskLost), 3);
    assert!(out.is_empty());
    let out = core.update(&status("t", TaskState::TaskRunning), 3);
    assert_eq!(out.ops.len(), 1);
    assert!(matches!(&out.ops[0], Op::Kill { task_id, .. } if task_id.value == "t"));
    assert!(out.outcomes.is_empty());
    // Second failure, a dead executor: attempt 3.
    let mut dead = status("t.retry1", TaskState::TaskFailed);
    dead.reason = Some(Reason::ExecutorTerminated as i32);
    let out = core.update(&dead, 4);
    assert_eq!(outcomes(&out), [("t".into(), "retry")]);
    core.offers(vec![offer("o3", "a2", 1.0, 10.0)], 5);
    let out = core.update(&status("t.retry2", TaskState::TaskGone), 6);
    assert_eq!(terminal(&out), [("t".into(), OutcomeKind::Failed)]);
    assert_eq!(
        out.outcomes[0].detail.as_deref(),
        Some("gave up after 3 failed attempts; the last: TASK_GONE")
    );
    assert_eq!(core.stats().retries, 2);
    assert_eq!(core.stats().launches, 3);
    // Every attempt id is now unknown-but-remembered: a zombie gets killed, quietly.
    let out = core.update(&status("t.retry1", TaskState::TaskRunning), 7);
    assert_eq!(ops(&out), ["KILL"]);
    assert!(out.outcomes.is_empty());
}

#[test]
fn a_failed_command_is_final() {
    let mut core = launched(None);
    let mut failed = status("t", TaskState::TaskFailed);
    failed.reason = Some(Reason::CommandExecutorFailed as i32);
    failed.message = Some("exited with status 1".into());
    let out = core.update(&failed, 1);
    assert_eq!(terminal(&out), [("t".into(), OutcomeKind::Failed)]);
    assert_eq!(
        out.outcomes[0].detail.as_deref(),
        Some("TASK_FAILED (REASON_COMMAND_EXECUTOR_FAILED): exited with status 1")
    );
}

#[test]
fn invalid_tasks_are_errors() {
    let mut core = launched(None);
    let mut error = status("t", TaskState::TaskError);
    error.reason = Some(Reason::TaskInvalid as i32);
    let out = core.update(&error, 1);
    assert_eq!(terminal(&out), [("t".into(), OutcomeKind::Error)]);
}

#[test]
fn kill_of_a_queued_task_needs_no_mesos() {
    let mut core = core();
    core.submit(task("q", 1.0, 10.0), None).unwrap();
    core.submit(task("r", 1.0, 10.0), None).unwrap();
    let out = core.kill("q", 0).unwrap();
    assert_eq!(terminal(&out), [("q".into(), OutcomeKind::Killed)]);
    assert!(out.ops.iter().all(|op| !matches!(op, Op::Kill { .. })));
    assert!(core.kill("q", 0).is_none());
    assert_eq!(core.waiting(), 1);
    let out = core.offers(vec![offer("o", "a1", 4.0, 100.0)], 1);
    assert_eq!(launches(&out)[0].1, ["r"]);
}

#[test]
fn kill_of_a_launched_task_goes_through_mesos() {
    let mut core = launched(None);
    let out = core.kill("t", 1).unwrap();
    assert_eq!(
        out.ops,
        [Op::Kill {
            task_id: m::TaskId { value: "t".into() },
            agent_id: Some(m::AgentId { value: "a1".into() }),
        }]
    );
    assert!(out.outcomes.is_empty());
    assert_eq!(core.state("t"), Some(TaskState::TaskStarting));
    // Still running: the KILL is repeated.
    let out = core.update(&status("t", TaskState::TaskRunning), 2);
    assert_eq!(ops(&out), ["KILL"]);
    // A loss after the kill is not retried.
    let out = core.update(&status("t", TaskState::TaskLost), 3);
    assert_eq!(terminal(&out), [("t".into(), OutcomeKind::Killed)]);
    assert_eq!(core.stats().killed, 1);
}

#[test]
fn a_task_that_finished_before_the_kill_finished() {
    let mut core = launched(None);
    core.kill("t", 1).unwrap();
    let out = core.update(&status("t", TaskState::TaskFinished), 2);
    assert_eq!(terminal(&out), [("t".into(), OutcomeKind::Finished)]);
}

#[test]
fn updates_for_unknown_tasks_change_nothing() {
    let mut core = launched(None);
    for state in [
        TaskState::TaskRunning,
        TaskState::TaskFinished,
        TaskState::TaskLost,
    ] {
        let out = core.update(&status("stranger", state), 1);
        assert!(out.is_empty(), "{state:?}: {out:?}");
    }
    let mut weird = status("t", TaskState::TaskRunning);
    weird.state = 99;
    assert!(core.update(&weird, 1).outcomes.is_empty());
    assert_eq!(core.state("t"), Some(TaskState::TaskStarting));
}

#[test]
fn resubscribing_reconciles_launched_tasks_until_heard_of() {
    let mut core = launched(None);
    core.disconnected();
    assert_eq!(core.held_offers(), 0);
    let out = core.subscribed(1000);
    assert_eq!(
        out.ops[0],
        Op::Reconcile {
            tasks: vec![(
                m::TaskId { value: "t".into() },
                Some(m::AgentId { value: "a1".into() })
            )]
        }
    );
    assert_eq!(ops(&out), ["RECONCILE", "SUPPRESS"]);
    // No answer yet: asked again after the retry delay (1 s), then after 2 s.
    assert!(core.tick(1500).ops.is_empty());
    assert_eq!(ops(&core.tick(2000)), ["RECONCILE"]);
    assert!(core.tick(3000).ops.is_empty());
    assert_eq!(ops(&core.tick(4000)), ["RECONCILE"]);
    // An answer: done.
    core.update(&status("t", TaskState::TaskRunning), 4100);
    assert!(core.tick(100_000).ops.is_empty());
    // Implicit reconciliation every 15 minutes.
    assert_eq!(
        core.tick(1000 + 15 * 60 * 1000).ops,
        [Op::Reconcile { tasks: vec![] }]
    );
}

#[test]
fn a_silent_launch_is_reconciled_and_a_failed_send_requeues() {
    let mut core = launched(None);
    assert!(core.tick(59_999).ops.is_empty());
    assert_eq!(
        core.tick(60_000).ops,
        [Op::Reconcile {
            tasks: vec![(
                m::TaskId { value: "t".into() },
                Some(m::AgentId { value: "a1".into() })
            )]
        }]
    );
    // Again a timeout later, while it stays silent.
    assert_eq!(ops(&core.tick(120_000)), ["RECONCILE"]);

    let mut core = launched(None);
    let out = core.launch_failed(&["o1".to_string()], 5);
    assert_eq!(ops(&out), ["REVIVE"]);
    assert_eq!(core.state("t"), Some(TaskState::TaskStaging));
    let out = core.offers(vec![offer("o2", "a1", 1.0, 10.0)], 6);
    // Not counted as a failure, but a new attempt id.
    assert_eq!(launches(&out)[0].1, ["t.retry1"]);
    assert_eq!(core.stats().retries, 0);
}

#[test]
fn kills_while_disconnected_are_sent_when_the_task_shows_up() {
    let mut core = launched(None);
    core.disconnected();
    let out = core.kill("t", 1).unwrap();
    assert!(out.ops.is_empty());
    core.subscribed(2);
    let out = core.update(&status("t", TaskState::TaskRunning), 3);
    assert_eq!(ops(&out), ["KILL"]);
}

#[test]
fn unreachable_tasks_are_retried_and_their_return_is_killed() {
    let mut core = launched(None);
    let out = core.update(&status("t", TaskState::TaskUnreachable), 1);
    assert_eq!(outcomes(&out), [("t".into(), "retry")]);
    let out = core.update(&status("t", TaskState::TaskRunning), 2);
    assert_eq!(ops(&out), ["KILL"]);
}
