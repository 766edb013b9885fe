//! Placement: many tasks per offer, one ACCEPT per agent, exact resources echoed, waiting,
//! executor resources, custom placers.

use super::*;
use crate::binpack::{Packing, Problem};
use crate::proto::mesos::resource::{AllocationInfo, ReservationInfo};
use crate::scheduler::{Heuristic, LaunchInfo, Placer};
use prost::Message;

#[test]
fn many_tasks_go_into_one_accept_with_offered_resources() {
    let mut core = core();
    for i in 0..3 {
        core.submit(task(&format!("t{i}"), 1.0, 100.0), None)
            .unwrap();
    }
    assert_eq!(ops(&core.tick(1)), ["REVIVE"]);
    let mut o = offer("o1", "a1", 4.0, 1000.0);
    for r in &mut o.resources {
        r.allocation_info = Some(AllocationInfo {
            role: Some("r".into()),
        });
    }
    let out = core.offers(vec![o], 10);
    assert_eq!(ops(&out), ["ACCEPT", "SUPPRESS"]);
    assert_eq!(
        launches(&out),
        [(
            vec!["o1".to_string()],
            vec!["t0".into(), "t1".into(), "t2".into()]
        )]
    );
    let Op::Launch {
        tasks,
        refuse_seconds,
        ..
    } = &out.ops[0]
    else {
        unreachable!()
    };
    let tasks: Vec<_> = tasks.iter().map(LaunchInfo::info).collect();
    // Nothing waits any more: the leftover is refused for long.
    assert_eq!(*refuse_seconds, 300.0);
    for t in &tasks {
        assert_eq!(t.agent_id.value, "a1");
        assert_eq!(t.resources.len(), 2);
        // Echoed from the offer: allocation_info came along.
        assert!(t.resources.iter().all(|r| r.allocation_info.is_some()));
    }
    assert_eq!(
        outcomes(&out),
        [
            ("t0".into(), "launched"),
            ("t1".into(), "launched"),
            ("t2".into(), "launched")
        ]
    );
    assert_eq!(core.state("t1"), Some(TaskState::TaskStarting));
    assert_eq!(core.held_offers(), 0);
}

#[test]
fn offers_of_one_agent_are_combined_and_others_declined() {
    let mut core = core();
    core.submit(task("big", 3.0, 100.0), None).unwrap();
    let out = core.offers(
        vec![
            offer("o1", "a1", 2.0, 100.0),
            offer("o2", "a2", 1.0, 100.0),
            offer("o3", "a1", 2.0, 100.0),
        ],
        0,
    );
    // 2 + 2 cpus of a1 hold the 3-cpu task; a2's offer is declined.
    assert_eq!(
        launches(&out),
        [(vec!["o1".to_string(), "o3".into()], vec!["big".to_string()])]
    );
    let declined: Vec<_> = out
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Decline {
                offer_ids,
                refuse_seconds,
            } => Some((offer_ids[0].value.clone(), *refuse_seconds)),
            _ => None,
        })
        .collect();
    assert_eq!(declined, [("o2".to_string(), 300.0)]);
    let Op::Launch { tasks, .. } = &out.ops[0] else {
        unreachable!()
    };
    let tasks: Vec<_> = tasks.iter().map(LaunchInfo::info).collect();
    let cpus: f64 = tasks[0]
        .resources
        .iter()
        .filter(|r| r.name == "cpus")
        .map(|r| r.scalar.as_ref().unwrap().value)
        .sum();
    assert_eq!(cpus, 3.0);
}

#[test]
fn a_task_that_fits_no_offer_waits_and_offers_are_declined_briefly() {
    let mut core = core();
    core.submit(task("t", 2.0, 100.0), None).unwrap();
    core.tick(0);
    let out = core.offers(vec![offer("o1", "a1", 4.0, 50.0)], 0);
    assert_eq!(ops(&out), ["DECLINE"]);
    let Op::Decline { refuse_seconds, .. } = &out.ops[0] else {
        unreachable!()
    };
    assert_eq!(*refuse_seconds, 5.0);
    assert_eq!(core.state("t"), Some(TaskState::TaskStaging));
    let out = core.offers(vec![offer("o2", "a2", 4.0, 500.0)], 100);
    assert_eq!(
        launches(&out),
        [(vec!["o2".to_string()], vec!["t".to_string()])]
    );
}

#[test]
fn reservations_are_respected_and_echoed() {
    let mut core = core();
    let mut reserved_task = task("r", 1.0, 10.0);
    for r in &mut reserved_task.resources {
        r.reservations = vec![ReservationInfo {
            r#type: Some(1),
            role: Some("a".into()),
            ..Default::default()
        }];
    }
    core.submit(reserved_task, None).unwrap();
    core.submit(task("u", 1.0, 10.0), None).unwrap();
    let mut reserved_cpus = scalar("cpus", 2.0);
    reserved_cpus.reservations = vec![ReservationInfo {
        r#type: Some(2),
        role: Some("a".into()),
        principal: Some("ops".into()),
        ..Default::default()
    }];
    let mut reserved_mem = scalar("mem", 100.0);
    reserved_mem.reservations = reserved_cpus.reservations.clone();
    // Only reserved resources: the unreserved task must wait.
    let out = core.offers(
        vec![offer_with("o1", "a1", vec![reserved_cpus, reserved_mem])],
        0,
    );
    assert_eq!(
        launches(&out),
        [(vec!["o1".to_string()], vec!["r".to_string()])]
    );
    let Op::Launch { tasks, .. } = &out.ops[0] else {
        unreachable!()
    };
    let tasks: Vec<_> = tasks.iter().map(LaunchInfo::info).collect();
    // The dynamic reservation with its principal is echoed, not the task's bare role.
    assert_eq!(
        tasks[0].resources[0].reservations[0].principal.as_deref(),
        Some("ops")
    );
    assert_eq!(core.state("u"), Some(TaskState::TaskStaging));
}

#[test]
fn ports_are_taken_exactly() {
    let mut core = core();
    let mut t = task("p", 0.1, 1.0);
    t.resources.push(ports(31005, 31005));
    core.submit(t, None).unwrap();
    let mut t = task("q", 0.1, 1.0);
    t.resources.push(ports(31005, 31005));
    core.submit(t, None).unwrap();
    let out = core.offers(
        vec![offer_with(
            "o1",
            "a1",
            vec![
                scalar("cpus", 4.0),
                scalar("mem", 100.0),
                ports(31000, 31009),
            ],
        )],
        0,
    );
    // The same port cannot go to both.
    assert_eq!(
        launches(&out),
        [(vec!["o1".to_string()], vec!["p".to_string()])]
    );
    assert_eq!(core.waiting(), 1);
}

#[test]
fn executor_resources_are_paid_once_per_agent() {
    let mut core = core();
    let executor = m::ExecutorInfo {
        executor_id: m::ExecutorId { value: "e".into() },
        resources: vec![scalar("cpus", 0.5), scalar("mem", 32.0)],
        command: Some(m::CommandInfo::default()),
        ..Default::default()
    };
    for i in 0..3 {
        let mut t = task(&format!("t{i}"), 0.5, 10.0);
        t.command = None;
        t.executor = Some(executor.clone());
        core.submit(t, None).unwrap();
    }
    // 2 cpus: the executor's 0.5 plus three tasks of 0.5.
    let out = core.offers(vec![offer("o1", "a1", 2.0, 100.0)], 0);
    assert_eq!(launches(&out)[0].1.len(), 3);
    let Op::Launch { tasks, .. } = &out.ops[0] else {
        unreachable!()
    };
    let tasks: Vec<_> = tasks.iter().map(LaunchInfo::info).collect();
    for t in &tasks {
        let e = t.executor.as_ref().unwrap();
        assert_eq!(e.resources, tasks[0].executor.as_ref().unwrap().resources);
    }
    // A later task for the same executor does not pay again (0.5 cpus offered is enough).
    let mut t = task("t3", 0.5, 10.0);
    t.command = None;
    t.executor = Some(executor.clone());
    core.submit(t, None).unwrap();
    let mut o = offer("o2", "a1", 0.5, 10.0);
    o.executor_ids = vec![m::ExecutorId { value: "e".into() }];
    let out = core.offers(vec![o], 1);
    assert_eq!(
        launches(&out),
        [(vec!["o2".to_string()], vec!["t3".to_string()])]
    );
    // On another agent the executor is new and must be paid for: 0.5 is not enough.
    let mut t = task("t4", 0.5, 10.0);
    t.command = None;
    t.executor = Some(executor.clone());
    core.submit(t, None).unwrap();
    assert_eq!(ops(&core.tick(2)), ["REVIVE"]);
    let out = core.offers(vec![offer("o3", "a2", 0.5, 100.0)], 2);
    assert_eq!(ops(&out), ["DECLINE"]);
    // Once the executor on a1 exited, a task there pays for a new one again.
    core.kill("t4", 3).unwrap();
    core.executor_lost("a1", "e");
    let mut t = task("t5", 0.5, 10.0);
    t.command = None;
    t.executor = Some(executor);
    core.submit(t, None).unwrap();
    core.tick(3);
    let out = core.offers(vec![offer("o4", "a1", 0.5, 100.0)], 3);
    assert_eq!(ops(&out), ["DECLINE"]);
    let out = core.offers(vec![offer("o5", "a1", 1.0, 100.0)], 4);
    assert_eq!(launches(&out)[0].1, ["t5"]);
}

#[test]
fn an_executor_the_offer_does_not_list_is_paid_for_in_case_it_just_exited() {
    let mut core = core();
    let executor = m::ExecutorInfo {
        executor_id: m::ExecutorId { value: "e".into() },
        resources: vec![scalar("cpus", 0.5), scalar("mem", 32.0)],
        command: Some(m::CommandInfo::default()),
        ..Default::default()
    };
    let with_executor = |id: &str| {
        let mut t = task(id, 0.5, 10.0);
        t.command = None;
        t.executor = Some(executor.clone());
        t
    };
    core.submit(with_executor("t0"), None).unwrap();
    let out = core.offers(vec![offer("o1", "a1", 1.0, 100.0)], 0);
    assert_eq!(launches(&out)[0].1, ["t0"]);
    // Just launched, e is not in this offer's executor_ids: had it exited, the master would
    // take its 0.5 cpus from this offer too, so the task's 0.5 alone does not fit.
    core.submit(with_executor("t1"), None).unwrap();
    let out = core.offers(vec![offer("o2", "a1", 0.5, 100.0)], 1);
    assert!(launches(&out).is_empty());
    assert_eq!(ops(&out)[0], "DECLINE");
    // With room for both, it goes, with e's resources as launched (the master compares them).
    let out = core.offers(vec![offer("o3", "a1", 1.0, 100.0)], 2);
    assert_eq!(launches(&out)[0].1, ["t1"]);
    let Op::Launch { tasks, .. } = &out.ops[0] else {
        unreachable!()
    };
    let tasks: Vec<_> = tasks.iter().map(LaunchInfo::info).collect();
    let resources = &tasks[0].executor.as_ref().unwrap().resources;
    assert_eq!(resources.len(), executor.resources.len());
}

/// The executors the tasks of an ACCEPT were launched into, in task order.
fn executor_ids(out: &Output) -> Vec<String> {
    out.ops
        .iter()
        .flat_map(|op| match op {
            Op::Launch { tasks, .. } => tasks
                .iter()
                .map(|t| t.info().executor.unwrap_or_default().executor_id.value)
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn executor_slots_spread_tasks_over_executors_by_cpus_and_reuse_idle_ones() {
    let mut core = core();
    let executor = m::ExecutorInfo {
        executor_id: m::ExecutorId { value: "e".into() },
        resources: vec![scalar("cpus", 0.5), scalar("mem", 32.0)],
        command: Some(m::CommandInfo::default()),
        ..Default::default()
    };
    let slotted = |id: &str, cpus: f64| {
        let mut t = task(id, cpus, 10.0);
        t.command = None;
        t.executor = Some(executor.clone());
        t.encode_to_vec()
    };
    // Up to 1 cpu of tasks per executor: 0.5 + 0.5 share one, the third needs another.
    for id in ["t0", "t1", "t2"] {
        core.submit_with(slotted(id, 0.5), None, Some(1.0)).unwrap();
    }
    let out = core.offers(vec![offer("o1", "a1", 3.0, 200.0)], 0);
    assert_eq!(launches(&out)[0].1, ["t0", "t1", "t2"]);
    assert_eq!(executor_ids(&out), ["e", "e", "e-1"]);
    // t0 and t1 end: executor e is idle and warm, so the next task goes there and pays nothing.
    core.update(&status("t0", TaskState::TaskFinished), 1);
    core.update(&status("t1", TaskState::TaskFinished), 1);
    core.submit_with(slotted("t3", 0.5), None, Some(1.0))
        .unwrap();
    core.tick(2);
    let mut o = offer("o2", "a1", 0.5, 10.0);
    o.executor_ids = vec![
        m::ExecutorId { value: "e".into() },
        m::ExecutorId {
            value: "e-1".into(),
        },
    ];
    let out = core.offers(vec![o], 2);
    assert_eq!(executor_ids(&out), ["e"]);
    // An executor of its own (0): not e (busy with t3), not e-1 (t2), a new e-2.
    core.submit_with(slotted("w", 0.0), None, Some(0.0))
        .unwrap();
    core.tick(3);
    let out = core.offers(vec![offer("o3", "a1", 1.0, 100.0)], 3);
    assert_eq!(executor_ids(&out), ["e-2"]);
    // Without slots, tasks share the one submitted executor.
    for id in ["u0", "u1"] {
        core.submit_encoded(slotted(id, 0.5), None).unwrap();
    }
    core.tick(4);
    let mut o = offer("o4", "a1", 1.0, 100.0);
    o.executor_ids = vec![m::ExecutorId { value: "e".into() }];
    let out = core.offers(vec![o], 4);
    assert_eq!(executor_ids(&out), ["e", "e"]);
    // A task queued again (its launch failed) leaves its slot: its retry may take it.
    core.submit_with(slotted("t4", 1.0), None, Some(1.0))
        .unwrap();
    core.tick(5);
    let out = core.offers(vec![offer("o5", "a1", 2.0, 100.0)], 5);
    assert_eq!(executor_ids(&out), ["e-3"]);
    let out = core.launch_failed(&["o5".to_string()], 6);
    assert!(launches(&out).is_empty());
    let out = core.offers(vec![offer("o6", "a1", 2.0, 100.0)], 7);
    assert_eq!(executor_ids(&out), ["e-3"]);
    assert!(core
        .submit_with(slotted("bad", 0.5), None, Some(-1.0))
        .is_err());
}

/// Puts every item into bin 0 (too many: the exact check refuses the excess).
struct AllInFirst;

impl Placer for AllInFirst {
    fn place(&mut self, problem: &Problem) -> crate::Result<Packing> {
        let n = problem.item_count();
        Ok(Packing {
            assignment: vec![Some(0); n],
            order: (0..n).collect(),
        })
    }
}

/// Always fails.
struct Broken;

impl Placer for Broken {
    fn place(&mut self, _: &Problem) -> crate::Result<Packing> {
        Err(crate::Error::InvalidArgument("no idea".into()))
    }
}

#[test]
fn a_custom_placer_proposes_and_the_core_checks() {
    let mut core = SchedulerCore::with_placer(Config::default(), Box::new(AllInFirst)).unwrap();
    core.subscribed(0);
    for i in 0..3 {
        core.submit(task(&format!("t{i}"), 1.0, 10.0), None)
            .unwrap();
    }
    let out = core.offers(
        vec![offer("o1", "a1", 2.0, 100.0), offer("o2", "a2", 2.0, 100.0)],
        0,
    );
    // Two fit where the placer said; the third goes to the next bin that fits exactly.
    assert_eq!(
        launches(&out),
        [
            (vec!["o1".to_string()], vec!["t0".into(), "t1".into()]),
            (vec!["o2".to_string()], vec!["t2".into()])
        ]
    );
}

#[test]
fn a_failing_placer_is_reported_and_replaced_for_the_round() {
    let mut core = SchedulerCore::with_placer(Config::default(), Box::new(Broken)).unwrap();
    core.subscribed(0);
    core.submit(task("t", 1.0, 10.0), None).unwrap();
    let out = core.offers(vec![offer("o1", "a1", 2.0, 100.0)], 0);
    assert_eq!(out.outcomes[0].kind, OutcomeKind::PlacerError);
    assert_eq!(out.outcomes[0].detail.as_deref(), Some("no idea"));
    assert_eq!(
        launches(&out),
        [(vec!["o1".to_string()], vec!["t".to_string()])]
    );
}

#[test]
fn every_heuristic_and_the_portfolio_place() {
    use crate::binpack::Method;
    let mut heuristics: Vec<Heuristic> =
        Method::ALL.iter().map(|m| Heuristic::Method(*m)).collect();
    heuristics.push(Heuristic::Best(vec![Method::Ff, Method::Bfd]));
    for heuristic in heuristics {
        let mut core = core_with(Config {
            heuristic: heuristic.clone(),
            ..Config::default()
        });
        for i in 0..4 {
            core.submit(task(&format!("t{i}"), 1.0, 10.0), None)
                .unwrap();
        }
        let out = core.offers(
            vec![offer("o1", "a1", 2.0, 100.0), offer("o2", "a2", 2.0, 100.0)],
            0,
        );
        let placed: usize = launches(&out).iter().map(|l| l.1.len()).sum();
        assert_eq!(placed, 4, "{heuristic:?}");
    }
}

#[test]
fn bfd_prefers_the_tightest_offer() {
    let mut core = core();
    core.submit(task("t", 1.0, 100.0), None).unwrap();
    let out = core.offers(
        vec![
            offer("roomy", "a1", 8.0, 8000.0),
            offer("snug", "a2", 1.0, 128.0),
        ],
        0,
    );
    assert_eq!(
        launches(&out),
        [(vec!["snug".to_string()], vec!["t".to_string()])]
    );
}

#[test]
fn a_round_takes_only_what_the_offers_could_hold() {
    let mut core = core_with(Config {
        max_candidates: 1_000_000,
        ..Config::default()
    });
    for i in 0..10_000 {
        core.submit(task(&format!("t{i}"), 0.5, 10.0), None)
            .unwrap();
    }
    let out = core.offers(vec![offer("o1", "a1", 2.0, 1000.0)], 0);
    assert_eq!(launches(&out)[0].1, ["t0", "t1", "t2", "t3"]);
    assert_eq!(core.waiting(), 9_996);
    // The rest keep their order.
    let out = core.offers(vec![offer("o2", "a1", 1.0, 1000.0)], 1);
    assert_eq!(launches(&out)[0].1, ["t4", "t5"]);
}

#[test]
fn bad_submissions_are_refused_with_the_reason() {
    let mut core = core();
    let err = core.submit(task("a/b", 1.0, 1.0), None).unwrap_err();
    assert!(err.to_string().contains("'/'"), "{err}");
    core.submit(task("t", 1.0, 1.0), None).unwrap();
    let err = core.submit(task("t", 1.0, 1.0), None).unwrap_err();
    assert!(err.to_string().contains("already in use"), "{err}");
    let mut neither = task("n", 1.0, 1.0);
    neither.command = None;
    let err = core.submit(neither, None).unwrap_err();
    assert!(err
        .to_string()
        .contains("exactly one of command or executor"));
    let err = core.submit(task("neg", -1.0, 1.0), None).unwrap_err();
    assert!(err.to_string().contains("resources[0] (cpus)"), "{err}");
    assert!(core.submit(task("z", 1.0, 1.0), Some(0)).is_err());
    assert_eq!(core.len(), 1);
}
