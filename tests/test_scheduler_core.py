"""The queue scheduler core through its Python binding (``satyr._satyr.SchedulerCore``):
protobuf bytes in, calls and outcomes out."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from satyr import ResourceError, _satyr
from satyr._satyr import SchedulerCore


def enc(type_name: str, plain: dict[str, Any]) -> bytes:
    return _satyr.encode(type_name, plain)


def scalar(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}}


def task(task_id: str, cpus: float = 1.0, mem: float = 64.0, **extra: Any) -> bytes:
    plain = {
        "name": task_id,
        "task_id": {"value": task_id},
        "resources": [scalar("cpus", cpus), scalar("mem", mem)],
        "command": {"value": "echo hi"},
        **extra,
    }
    return enc("mesos.v1.TaskInfo", plain)


def offer(offer_id: str, agent: str, cpus: float, mem: float) -> bytes:
    return enc(
        "mesos.v1.Offer",
        {
            "id": {"value": offer_id},
            "framework_id": {"value": "fw"},
            "agent_id": {"value": agent},
            "hostname": agent,
            "resources": [scalar("cpus", cpus), scalar("mem", mem)],
        },
    )


def status(task_id: str, state: str, agent: str = "a1", **extra: Any) -> bytes:
    plain = {"task_id": {"value": task_id}, "state": state, "agent_id": {"value": agent}, **extra}
    return enc("mesos.v1.TaskStatus", plain)


def calls(ops: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    out = []
    for name, data in ops:
        call = _satyr.decode("mesos.v1.scheduler.Call", data)
        assert call["type"] == name
        out.append(call)
    return out


def names(ops: list[tuple[str, bytes]]) -> list[str]:
    return [name for name, _ in ops]


def launched_tasks(ops: list[tuple[str, bytes]]) -> list[list[str]]:
    return [
        [t["task_id"]["value"] for t in c["accept"]["operations"][0]["launch"]["task_infos"]]
        for c in calls(ops)
        if c["type"] == "ACCEPT"
    ]


@pytest.fixture
def core() -> SchedulerCore:
    c = SchedulerCore()
    c.subscribed(0.0)
    return c


def test_submit_place_run_finish(core: SchedulerCore) -> None:
    for i in range(3):
        assert core.submit(task(f"t{i}")) == f"t{i}"
    assert core.state("t0") == "TASK_STAGING"
    ops, outcomes = core.tick(0.1)
    assert names(ops) == ["REVIVE"] and outcomes == []
    ops, outcomes = core.offers([offer("o1", "a1", 2.0, 1024.0)], 0.2)
    assert names(ops) == ["ACCEPT"]
    accept = calls(ops)[0]["accept"]
    assert accept["offer_ids"] == [{"value": "o1"}]
    assert accept["filters"] == {"refuse_seconds": 5.0}  # t2 still waits
    infos = accept["operations"][0]["launch"]["task_infos"]
    assert [t["task_id"]["value"] for t in infos] == ["t0", "t1"]
    assert all(t["agent_id"] == {"value": "a1"} for t in infos)
    assert outcomes == [("t0", "launched", "a1", False), ("t1", "launched", "a1", False)]
    assert core.counts() == {"TASK_STARTING": 2, "TASK_STAGING": 1}
    assert len(core) == 3 and core.waiting == 1

    ops, outcomes = core.update(status("t0", "TASK_RUNNING"), 0.3)
    assert ops == [] and outcomes == [("t0", "update", "TASK_RUNNING", False)]
    ops, outcomes = core.update(status("t0", "TASK_FINISHED"), 0.4)
    assert outcomes == [("t0", "finished", None, False)]
    assert core.state("t0") is None
    # A duplicate is ignored.
    assert core.update(status("t0", "TASK_FINISHED"), 0.5) == ([], [])
    assert core.stats()["finished"] == 1


def test_the_users_exception_is_final_and_losses_are_retried(core: SchedulerCore) -> None:
    core.submit(task("boom"))
    core.submit(task("lost"), max_attempts=2)
    core.offers([offer("o1", "a1", 4.0, 1024.0)], 1.0)
    label = {"labels": [{"key": SchedulerCore.OUTCOME_LABEL, "value": SchedulerCore.EXCEPTION}]}
    _, outcomes = core.update(
        status("boom", "TASK_FAILED", message="ValueError: no", labels=label), 2.0
    )
    assert outcomes == [("boom", "exception", "ValueError: no", False)]

    ops, outcomes = core.update(status("lost", "TASK_LOST", reason="REASON_AGENT_REMOVED"), 3.0)
    assert outcomes == [
        ("lost", "retry", "attempt 2 of 2 after TASK_LOST (REASON_AGENT_REMOVED)", False)
    ]
    assert names(ops) == ["REVIVE"]
    ops, _ = core.offers([offer("o2", "a2", 4.0, 1024.0)], 4.0)
    assert launched_tasks(ops) == [["lost.retry1"]]
    _, outcomes = core.update(status("lost.retry1", "TASK_GONE", agent="a2"), 5.0)
    assert outcomes == [
        ("lost", "failed", "gave up after 2 failed attempts; the last: TASK_GONE", False)
    ]
    assert core.stats() == {
        "finished": 0,
        "exception": 1,
        "failed": 1,
        "killed": 0,
        "error": 0,
        "submitted": 2,
        "launches": 3,
        "retries": 1,
    }
    assert core.is_idle()


def test_kills(core: SchedulerCore) -> None:
    core.submit(task("queued", cpus=8.0))
    core.submit(task("running"))
    core.offers([offer("o1", "a1", 1.0, 1024.0)], 1.0)
    _, outcomes = core.kill("queued", 2.0)
    assert outcomes == [("queued", "killed", "killed before it was launched", False)]
    ops, outcomes = core.kill("running", 2.0)
    assert calls(ops)[0]["kill"] == {"task_id": {"value": "running"}, "agent_id": {"value": "a1"}}
    assert outcomes == []
    _, outcomes = core.update(status("running", "TASK_KILLED"), 3.0)
    assert [o[:2] for o in outcomes] == [("running", "killed")]
    with pytest.raises(KeyError):
        core.kill("running")


def test_a_task_too_big_for_every_agent_is_an_error() -> None:
    core = SchedulerCore(too_big_after=5.0)
    core.subscribed(0.0)
    core.submit(task("huge", cpus=100.0))
    assert core.tick(1000.0)[1] == []  # no agent known: it waits
    core.offers([offer("o1", "a1", 8.0, 1024.0)], 1000.0)
    assert core.tick(1004.9)[1] == []
    _, outcomes = core.tick(1005.0)
    assert outcomes == [
        (
            "huge",
            "error",
            "the task needs cpus:100; mem:64, more than any of the 1 known agents has "
            "(at most cpus 8, mem 1024); it can never run",
            False,
        )
    ]


def test_whole_events() -> None:
    core = SchedulerCore()
    core.submit(task("t"))
    subscribed = enc(
        "mesos.v1.scheduler.Event",
        {"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "fw"}}},
    )
    assert names(core.event(subscribed, 0.0)[0]) == ["REVIVE"]
    offers = enc(
        "mesos.v1.scheduler.Event",
        {
            "type": "OFFERS",
            "offers": {"offers": [_satyr.decode("mesos.v1.Offer", offer("o1", "a1", 1.0, 64.0))]},
        },
    )
    ops, outcomes = core.event(offers, 1.0)
    assert launched_tasks(ops) == [["t"]] and outcomes[0][:2] == ("t", "launched")
    update = enc(
        "mesos.v1.scheduler.Event",
        {
            "type": "UPDATE",
            "update": {
                "status": _satyr.decode("mesos.v1.TaskStatus", status("t", "TASK_FINISHED"))
            },
        },
    )
    assert core.event(update, 2.0)[1] == [("t", "finished", None, False)]
    failure = enc(
        "mesos.v1.scheduler.Event",
        {
            "type": "FAILURE",
            "failure": {"agent_id": {"value": "a1"}, "executor_id": {"value": "e"}, "status": 1},
        },
    )
    assert core.event(failure, 3.0) == ([], [])
    heartbeat = enc("mesos.v1.scheduler.Event", {"type": "HEARTBEAT"})
    assert core.event(heartbeat, 3.0) == ([], [])
    with pytest.raises(_satyr.ProtocolError):
        core.event(b"\xff\xff", 3.0)


def test_a_callable_placer_and_its_failure() -> None:
    seen: list[tuple[list[list[float]], list[list[float]]]] = []

    def last_offer(items: list[list[float]], capacities: list[list[float]]) -> list[int | None]:
        seen.append((items, capacities))
        return [len(capacities) - 1] * len(items)

    core = SchedulerCore(method=last_offer, dimensions=["cpus", "mem"])
    core.subscribed(0.0)
    core.submit(task("t", cpus=1.0, mem=64.0))
    ops, _ = core.offers([offer("o1", "a1", 2.0, 1024.0), offer("o2", "a2", 2.0, 1024.0)], 1.0)
    assert seen == [([[1.0, 64.0]], [[2.0, 1024.0], [2.0, 1024.0]])]
    assert calls(ops)[0]["accept"]["offer_ids"] == [{"value": "o2"}]

    def broken(items: list[list[float]], capacities: list[list[float]]) -> list[int | None]:
        raise RuntimeError("nope")

    core = SchedulerCore(method=broken)
    core.subscribed(0.0)
    core.submit(task("t"))
    ops, outcomes = core.offers([offer("o1", "a1", 2.0, 1024.0)], 1.0)
    assert outcomes[0][:2] == ("", "placer_error") and "RuntimeError: nope" in outcomes[0][2]
    assert launched_tasks(ops) == [["t"]]  # bfd stood in

    # A placer must not call its own core (that would wait for itself): it gets an error.
    def nosy(items: list[list[float]], capacities: list[list[float]]) -> list[int | None]:
        len(core)
        return [0] * len(items)

    core = SchedulerCore(method=nosy)
    core.subscribed(0.0)
    core.submit(task("t"))
    ops, outcomes = core.offers([offer("o1", "a1", 2.0, 1024.0)], 1.0)
    assert "cannot be used from inside its own placer" in outcomes[0][2]
    assert launched_tasks(ops) == [["t"]]
    assert len(core) == 1


def test_workers(core: SchedulerCore) -> None:
    core.set_workers(task("worker", cpus=0.5), idle_timeout=10.0, max_failures=3)
    ops, _ = core.want_workers(2, 1.0)
    assert names(ops) == ["REVIVE"] and core.waiting == 2
    ops, outcomes = core.offers([offer("o1", "a1", 2.0, 1024.0)], 2.0)
    assert launched_tasks(ops) == [["worker-1", "worker-2"]]
    assert all(o[3] for o in outcomes) and core.is_worker("worker-1")
    assert len(core) == 0 and core.worker_counts() == {"TASK_STARTING": 2}
    core.update(status("worker-1", "TASK_RUNNING"), 3.0)
    core.update(status("worker-2", "TASK_RUNNING"), 3.0)
    assert core.worker_busy("worker-1") and not core.worker_busy("nope")
    core.want_workers(0, 4.0)
    assert core.tick(12.9)[0] == []
    ops, _ = core.tick(13.0)
    assert [c["kill"]["task_id"]["value"] for c in calls(ops)] == ["worker-2"]
    assert core.workers_failed is None


def test_bad_input_is_refused_clearly(core: SchedulerCore) -> None:
    core.submit(task("t"))
    with pytest.raises(ValueError, match="already in use"):
        core.submit(task("t"))
    with pytest.raises(ResourceError, match=r"resources\[0\] \(cpus\)"):
        core.submit(task("neg", cpus=-1.0))
    with pytest.raises(_satyr.ProtocolError, match="TaskInfo"):
        core.submit(b"\xff\xff\xff")
    with pytest.raises(ValueError, match=r"tasks\[1\] \(the 1 before it were queued\)"):
        core.submit_many([task("a"), task("a")])
    assert core.state("a") == "TASK_STAGING"
    with pytest.raises(ValueError, match="unknown packing method"):
        SchedulerCore(method="worst")
    with pytest.raises(ValueError, match="now must be"):
        core.tick(-1.0)
    with pytest.raises(ValueError, match="not one of the dimensions"):
        SchedulerCore(weights=[("gpus", 1.0)], dimensions=["cpus", "mem"])


def test_own_clock_and_threads() -> None:
    core = SchedulerCore()
    core.subscribed()

    def submit(prefix: str) -> None:
        core.submit_many([task(f"{prefix}{i}", cpus=0.01) for i in range(200)])

    threads = [threading.Thread(target=submit, args=(p,)) for p in "abcd"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(core) == 800
    ops, outcomes = core.offers([offer("o1", "a1", 100.0, 1e9)])
    assert sum(len(t) for t in launched_tasks(ops)) == 800
    assert len(outcomes) == 800


def update_event(task_id: str, state: str, **extra: Any) -> bytes:
    plain = _satyr.decode("mesos.v1.TaskStatus", status(task_id, state, **extra))
    return enc("mesos.v1.scheduler.Event", {"type": "UPDATE", "update": {"status": plain}})


def python_template() -> bytes:
    return enc(
        "mesos.v1.TaskInfo",
        {
            "name": "template",
            "task_id": {"value": "template"},
            "resources": [scalar("cpus", 0.5), scalar("mem", 32.0)],
            "executor": {
                "executor_id": {"value": "satyr-e"},
                "command": {"value": "python"},
            },
            "labels": {"labels": [{"key": "python"}]},
        },
    )


def test_template_copies_launch_as_their_own_tasks(core: SchedulerCore) -> None:
    number = core.add_template(python_template())
    assert core.submit_call(number, "c1", "f", b"call one") == "c1"
    assert core.submit_call(number, "c2", "g", b"") == "c2"
    ops, _ = core.offers([offer("o1", "a1", 2.0, 1024.0)], 0.1)
    infos = calls(ops)[0]["accept"]["operations"][0]["launch"]["task_infos"]
    assert [(t["task_id"]["value"], t["name"]) for t in infos] == [("c1", "f"), ("c2", "g")]
    assert infos[0]["data"] == b"call one" and infos[1].get("data", b"") == b""
    assert all(t["executor"]["command"]["value"] == "python" for t in infos)
    assert all(t["labels"] == {"labels": [{"key": "python"}]} for t in infos)
    assert all(t["agent_id"] == {"value": "a1"} for t in infos)
    assert [[(r["name"], r["scalar"]["value"]) for r in t["resources"]] for t in infos] == [
        [("cpus", 0.5), ("mem", 32.0)]
    ] * 2
    with pytest.raises(ValueError, match="no task template number 7"):
        core.submit_call(7, "c3", "f", b"")
    with pytest.raises(ValueError, match="already in use"):
        core.submit_call(number, "c1", "f", b"")


def test_settle_updates_takes_a_burst_of_template_calls_in_one_input(core: SchedulerCore) -> None:
    number = core.add_template(python_template())
    for i in range(3):
        core.submit_call(number, f"c{i}", "f", b"call")
    core.submit(task("plain", cpus=0.5))
    core.offers([offer("o1", "a1", 4.0, 1024.0)], 0.1)
    python = {"labels": {"labels": [{"key": "python"}]}}
    finished = update_event("c0", "TASK_FINISHED", data=b"result 0", **python)
    running = update_event("c1", "TASK_RUNNING")
    failed = update_event("c2", "TASK_FAILED", message="lost", reason="REASON_EXECUTOR_TERMINATED")

    # Not only template copies: nothing is done, the caller takes them one by one.
    assert core.settle_updates([finished, update_event("plain", "TASK_RUNNING")], 0.2) is None
    # A finished call whose result is not inline (out of band, or no data) neither.
    assert core.settle_updates([update_event("c0", "TASK_FINISHED", **python)], 0.2) is None
    assert core.counts() == {"TASK_STARTING": 4}

    out = core.settle_updates([finished, running, failed], 0.3)
    assert out is not None
    ops, outcomes, digests = out
    assert names(ops) == ["REVIVE"]  # c2 waits again, and offers were suppressed
    assert [d[0] for d in digests] == ["c0", "c1", "c2"]
    assert digests[0][2] == b"result 0" and digests[1][2] is None and digests[2][2] is None
    assert _satyr.decode("mesos.v1.TaskStatus", digests[1][1])["state"] == "TASK_RUNNING"
    assert ("c0", "finished", None, False) in outcomes
    assert ("c1", "update", "TASK_RUNNING", False) in outcomes
    assert any(o[0] == "c2" and o[1] == "retry" for o in outcomes)  # a lost executor: again
    assert core.state("c0") is None and core.state("c1") == "TASK_RUNNING"
    assert core.stats()["finished"] == 1
    # Not an UPDATE at all.
    heartbeat = enc("mesos.v1.scheduler.Event", {"type": "HEARTBEAT"})
    assert core.settle_updates([heartbeat], 0.4) is None


def test_launched_outcomes_can_be_left_out(core: SchedulerCore) -> None:
    assert core.report_launches
    core.submit(task("a"))
    core.report_launches = False
    core.submit(task("b"))
    ops, outcomes = core.offers([offer("o1", "a1", 4.0, 1024.0)], 0.1)
    assert launched_tasks(ops) == [["a", "b"]] and outcomes == []
    core.report_launches = True
    core.submit(task("c"))
    ops, outcomes = core.offers([offer("o2", "a1", 4.0, 1024.0)], 0.2)
    assert launched_tasks(ops) == [["c"]] and outcomes == [("c", "launched", "a1", False)]
