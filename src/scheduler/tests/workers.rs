//! Worker mode: keep N alive, replace lost ones, release idle ones, give up on crash loops.

use super::*;

fn template() -> m::TaskInfo {
    task("w", 1.0, 100.0)
}

fn pool(n: usize) -> (SchedulerCore, Output) {
    let mut core = core();
    core.set_workers(template(), 30_000, 3).unwrap();
    let out = core.want_workers(n, 0);
    (core, out)
}

#[test]
fn workers_are_launched_and_kept_alive() {
    let (mut core, out) = pool(2);
    assert_eq!(ops(&out), ["REVIVE"]);
    assert_eq!(core.waiting(), 2);
    assert!(core.is_empty(), "workers are not per-call tasks");
    let out = core.offers(vec![offer("o1", "a1", 4.0, 1000.0)], 1);
    assert_eq!(launches(&out)[0].1, ["w-1", "w-2"]);
    assert!(out.outcomes.iter().all(|o| o.worker));
    assert!(core.is_worker("w-1"));
    core.update(&status("w-1", TaskState::TaskRunning), 2);
    // A lost worker is replaced by a new one, not retried.
    let out = core.update(&status("w-2", TaskState::TaskLost), 3);
    assert_eq!(terminal(&out), [("w-2".into(), OutcomeKind::Failed)]);
    assert_eq!(ops(&out), ["REVIVE"]);
    assert_eq!(core.waiting(), 1);
    let out = core.offers(vec![offer("o2", "a1", 4.0, 1000.0)], 4);
    assert_eq!(launches(&out)[0].1, ["w-3"]);
    assert_eq!(
        core.worker_counts(),
        [(TaskState::TaskStarting, 1), (TaskState::TaskRunning, 1)]
    );
}

#[test]
fn idle_workers_beyond_demand_are_released_after_the_timeout() {
    let (mut core, _) = pool(2);
    core.offers(vec![offer("o1", "a1", 4.0, 1000.0)], 0);
    core.update(&status("w-1", TaskState::TaskRunning), 1000);
    core.update(&status("w-2", TaskState::TaskRunning), 1000);
    assert!(core.worker_busy("w-1"));
    assert!(!core.worker_busy("nobody"));
    // Demand drops to 0: only the idle one goes, and only after 30 s idle.
    core.want_workers(0, 2000);
    assert!(core.tick(30_999).ops.is_empty());
    let out = core.tick(31_000);
    assert_eq!(
        out.ops,
        [Op::Kill {
            task_id: m::TaskId {
                value: "w-2".into()
            },
            agent_id: Some(m::AgentId { value: "a1".into() })
        }]
    );
    let out = core.update(&status("w-2", TaskState::TaskKilled), 31_100);
    assert_eq!(terminal(&out), [("w-2".into(), OutcomeKind::Killed)]);
    // The busy one stays until it is idle long enough.
    core.worker_idle("w-1", 40_000);
    assert!(core.tick(69_999).ops.is_empty());
    assert_eq!(ops(&core.tick(70_000)), ["KILL"]);
    // No replacement: demand is 0.
    core.update(&status("w-1", TaskState::TaskKilled), 70_100);
    assert_eq!(core.waiting(), 0);
    assert!(core.workers_failed().is_none());
}

#[test]
fn queued_workers_beyond_demand_are_cancelled_at_once() {
    let (mut core, _) = pool(3);
    let out = core.want_workers(1, 1);
    assert_eq!(
        terminal(&out),
        [
            ("w-3".into(), OutcomeKind::Killed),
            ("w-2".into(), OutcomeKind::Killed)
        ]
    );
    assert_eq!(core.waiting(), 1);
    // Cancelling is not failing.
    core.want_workers(0, 2);
    core.want_workers(3, 3);
    core.want_workers(0, 4);
    assert!(core.workers_failed().is_none());
}

#[test]
fn workers_that_keep_failing_stop_being_launched() {
    let (mut core, _) = pool(1);
    let mut failed_at = Vec::new();
    for i in 1..=3 {
        let out = core.offers(vec![offer(&format!("o{i}"), "a1", 4.0, 1000.0)], i);
        let id = launches(&out)[0].1[0].clone();
        let out = core.update(&status(&id, TaskState::TaskFailed), i);
        failed_at.push(out);
    }
    let last = failed_at.pop().unwrap();
    assert_eq!(last.outcomes[1].kind, OutcomeKind::WorkersFailed);
    assert_eq!(last.outcomes[1].task_id, "");
    assert!(core
        .workers_failed()
        .unwrap()
        .contains("3 worker tasks in a row"));
    assert_eq!(core.waiting(), 0);
    // Reconfiguring starts afresh.
    core.set_workers(template(), 30_000, 3).unwrap();
    core.want_workers(1, 10);
    assert_eq!(core.waiting(), 1);
}

#[test]
fn a_worker_too_big_for_every_agent_fails_the_pool() {
    let mut core = core_with(Config {
        too_big_after_ms: 0,
        ..Config::default()
    });
    core.set_workers(task("w", 64.0, 1.0), 1000, 5).unwrap();
    core.want_workers(2, 0);
    let out = core.offers(vec![offer("o1", "a1", 4.0, 1000.0)], 0);
    let kinds: Vec<_> = out.outcomes.iter().map(|o| o.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            OutcomeKind::Error,
            OutcomeKind::WorkersFailed,
            OutcomeKind::Error
        ]
    );
    assert_eq!(core.waiting(), 0);
}

#[test]
fn bad_worker_templates_are_refused() {
    let mut core = core();
    let mut t = template();
    t.command = None;
    assert!(core.set_workers(t, 1, 1).is_err());
    assert!(core.set_workers(task("a/b", 1.0, 1.0), 1, 1).is_err());
}
