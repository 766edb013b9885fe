//! Offer control: SUPPRESS/REVIVE, declines, holding, rescinds, too-big tasks.

use super::*;

#[test]
fn suppress_when_idle_revive_on_new_work() {
    let mut core = SchedulerCore::new(Config::default()).unwrap();
    // Nothing is sent before the first subscription.
    core.submit(task("t", 1.0, 10.0), None).unwrap();
    assert!(core.tick(0).ops.is_empty());
    // Subscribed with work waiting: offers wanted.
    assert_eq!(ops(&core.subscribed(0)), ["REVIVE"]);
    let out = core.offers(vec![offer("o1", "a1", 2.0, 100.0)], 1);
    assert_eq!(ops(&out), ["ACCEPT", "SUPPRESS"]);
    // More work: revive once, however many tasks.
    core.submit(task("u", 1.0, 10.0), None).unwrap();
    core.submit(task("v", 1.0, 10.0), None).unwrap();
    assert_eq!(ops(&core.tick(2)), ["REVIVE"]);
    assert!(core.tick(3).ops.is_empty());
    // Idle after subscribing: suppress.
    let mut idle = SchedulerCore::new(Config::default()).unwrap();
    assert_eq!(ops(&idle.subscribed(0)), ["SUPPRESS"]);
    assert!(idle.tick(1).ops.is_empty());
}

#[test]
fn revive_after_filtered_declines_when_new_work_comes() {
    let mut core = core();
    core.submit(task("big", 8.0, 10.0), None).unwrap();
    core.tick(0);
    // Declined with a short filter while big waits.
    assert_eq!(
        ops(&core.offers(vec![offer("o1", "a1", 2.0, 100.0)], 1)),
        ["DECLINE"]
    );
    // New small work: the filter might hide offers it fits, so revive.
    core.submit(task("small", 1.0, 10.0), None).unwrap();
    assert_eq!(ops(&core.tick(2)), ["REVIVE"]);
    // Without filters since, new work needs no revive.
    core.submit(task("more", 1.0, 10.0), None).unwrap();
    assert!(core.tick(3).ops.is_empty());
}

#[test]
fn roles_are_named_in_revive_and_suppress() {
    let mut core = core_with(Config {
        roles: vec!["batch".into()],
        ..Config::default()
    });
    core.submit(task("t", 1.0, 10.0), None).unwrap();
    assert_eq!(
        core.tick(0).ops,
        [Op::Revive {
            roles: vec!["batch".into()]
        }]
    );
}

#[test]
fn held_offers_serve_later_work_then_expire() {
    let mut core = core_with(Config {
        hold_offers_ms: 1000,
        ..Config::default()
    });
    // Nothing to do: the offer is held, not declined.
    let out = core.offers(vec![offer("o1", "a1", 2.0, 100.0)], 0);
    assert!(out.ops.is_empty(), "{out:?}");
    assert_eq!(core.held_offers(), 1);
    // Work submitted meanwhile launches at once, without a new offer.
    core.submit(task("t", 1.0, 10.0), None).unwrap();
    let out = core.tick(500);
    assert_eq!(
        launches(&out),
        [(vec!["o1".to_string()], vec!["t".to_string()])]
    );
    // Another held offer expires and is declined.
    core.offers(vec![offer("o2", "a1", 2.0, 100.0)], 600);
    assert!(core.tick(1599).ops.is_empty());
    let out = core.tick(1600);
    assert_eq!(ops(&out), ["DECLINE"]);
    assert_eq!(core.held_offers(), 0);
}

#[test]
fn rescinded_and_stale_offers_are_forgotten() {
    let mut core = core_with(Config {
        hold_offers_ms: 10_000,
        ..Config::default()
    });
    core.offers(
        vec![offer("o1", "a1", 2.0, 100.0), offer("o2", "a2", 2.0, 100.0)],
        0,
    );
    core.rescind("o1", 1);
    assert_eq!(core.held_offers(), 1);
    // Duplicate delivery is held once.
    core.offers(vec![offer("o2", "a2", 2.0, 100.0)], 2);
    assert_eq!(core.held_offers(), 1);
    core.subscribed(3);
    assert_eq!(core.held_offers(), 0);
    core.submit(task("t", 1.0, 10.0), None).unwrap();
    let out = core.tick(4);
    assert!(launches(&out).is_empty());
}

#[test]
fn a_task_larger_than_every_agent_is_an_error() {
    let mut core = core();
    core.submit(task("huge", 64.0, 10.0), None).unwrap();
    core.submit(task("fine", 1.0, 10.0), None).unwrap();
    // No agent known: it waits, however long.
    assert!(terminal(&core.tick(1_000_000)).is_empty());
    let out = core.offers(
        vec![
            offer("o1", "a1", 8.0, 1000.0),
            offer("o2", "a2", 16.0, 1000.0),
        ],
        1_000_000,
    );
    assert_eq!(launches(&out)[0].1, ["fine"]);
    assert!(terminal(&out).is_empty());
    // A bigger agent showing up in time saves it.
    let mut second = core_with(Config::default());
    second.submit(task("huge", 64.0, 10.0), None).unwrap();
    second.offers(vec![offer("o1", "a1", 8.0, 1000.0)], 0);
    let out = second.offers(vec![offer("o2", "a3", 64.0, 1000.0)], 9_000);
    assert_eq!(launches(&out)[0].1, ["huge"]);
    // Otherwise it ends with an error after `too_big_after_ms`.
    assert!(terminal(&core.tick(1_009_999)).is_empty());
    let out = core.tick(1_010_000);
    assert_eq!(terminal(&out), [("huge".into(), OutcomeKind::Error)]);
    assert_eq!(
        out.outcomes[0].detail.as_deref(),
        Some(
            "the task needs cpus:64; mem:10, more than any of the 2 known agents has \
             (at most cpus 16, mem 1000); it can never run"
        )
    );
    assert_eq!(core.stats().errors, 1);
    assert_eq!(core.waiting(), 0);
}

#[test]
fn a_known_agent_total_decides_at_once() {
    let mut core = core_with(Config {
        too_big_after_ms: 0,
        ..Config::default()
    });
    core.set_agent_total("a1", &[scalar("cpus", 4.0), scalar("mem", 100.0)])
        .unwrap();
    core.submit(task("ok", 4.0, 100.0), None).unwrap();
    core.submit(task("no", 4.5, 100.0), None).unwrap();
    let out = core.tick(0);
    assert_eq!(terminal(&out), [("no".into(), OutcomeKind::Error)]);
    assert_eq!(core.state("ok"), Some(TaskState::TaskStaging));
}

#[test]
fn counts_by_state() {
    let mut core = core();
    for i in 0..3 {
        core.submit(task(&format!("t{i}"), 1.0, 10.0), None)
            .unwrap();
    }
    core.offers(vec![offer("o1", "a1", 2.0, 100.0)], 0);
    core.update(&status("t0", TaskState::TaskRunning), 1);
    assert_eq!(
        core.counts(),
        [
            (TaskState::TaskStarting, 1),
            (TaskState::TaskRunning, 1),
            (TaskState::TaskStaging, 1)
        ]
    );
    assert_eq!(core.len(), 3);
    assert_eq!(core.stats().submitted, 3);
}
