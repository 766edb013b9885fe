"""Scheduler CPU of the queue scheduler core, through its Python binding (what QueueScheduler
and the pools pay): bytes in, encoded calls out.

    maturin develop --release && python bench/scheduler/run.py

Scenarios (each the best of a few runs, CPU time of this process):

1. placement: 10,000 queued tasks (mixed sizes) into 1,000 offers, one ``offers()`` call
   (target: well under 1 s);
2. steady state: 100,000 queued tasks, 1,000 agents: every round offers the freed resources of
   every agent and reports RUNNING and FINISHED for every launched task, until all ran; CPU
   per task covers submit, placement, the ACCEPT's encoding and both updates
   (target: <= 0.1 ms per task);
3. an offer event that changes nothing (100,000 queued, an offer too small for any) — must
   not scan the queue;
4. 10,000 tasks with 10,000 different demands into 1,000 offers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from satyr import _satyr
from satyr._satyr import SchedulerCore

TARGET_PER_TASK_MS = 0.1


def enc(type_name: str, plain: dict[str, Any]) -> bytes:
    return _satyr.encode(type_name, plain)


def scalar(name: str, value: float) -> dict[str, Any]:
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}}


def task(task_id: str, cpus: float, mem: float) -> bytes:
    return enc(
        "mesos.v1.TaskInfo",
        {
            "name": task_id,
            "task_id": {"value": task_id},
            "resources": [scalar("cpus", cpus), scalar("mem", mem)],
            "executor": {
                "executor_id": {"value": "satyr"},
                "command": {"value": "python -m satyr.executor"},
            },
            "data": b"x" * 200,
        },
    )


def offer(offer_id: str, agent: str, cpus: float, mem: float) -> bytes:
    return enc(
        "mesos.v1.Offer",
        {
            "id": {"value": offer_id},
            "framework_id": {"value": "fw"},
            "agent_id": {"value": agent},
            "hostname": agent,
            "resources": [
                scalar("cpus", cpus),
                scalar("mem", mem),
                {
                    "name": "ports",
                    "type": "RANGES",
                    "ranges": {"range": [{"begin": 31000, "end": 32000}]},
                },
            ],
        },
    )


def status(task_id: str, agent: str, state: str) -> bytes:
    return enc(
        "mesos.v1.TaskStatus",
        {"task_id": {"value": task_id}, "state": state, "agent_id": {"value": agent}},
    )


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def launched(ops: list[tuple[str, bytes]]) -> list[tuple[str, str]]:
    """(task id, agent id) of every launched task, decoding the ACCEPTs (outside the timing)."""
    out = []
    for name, data in ops:
        if name != "ACCEPT":
            continue
        call = _satyr.decode("mesos.v1.scheduler.Call", data)
        for t in call["accept"]["operations"][0]["launch"]["task_infos"]:
            out.append((t["task_id"]["value"], t["agent_id"]["value"]))
    return out


def placement(repeat: int = 3) -> None:
    rng = random.Random(1)
    tasks = [
        task(f"t{i}", rng.choice([0.1, 0.25, 0.5, 1.0]), rng.choice([128, 256, 512, 1024]))
        for i in range(10_000)
    ]
    offers = [offer(f"o{i}", f"a{i}", 8.0, 16384.0) for i in range(1_000)]
    best = float("inf")
    placed = 0
    for _ in range(repeat):
        core = SchedulerCore()
        core.subscribed(0.0)
        core.submit_many(tasks)
        seconds, (ops, outcomes) = cpu(lambda core=core: core.offers(offers, 1.0))
        best = min(best, seconds)
        placed = sum(1 for o in outcomes if o[1] == "launched")
    accepts = sum(1 for name, _ in ops if name == "ACCEPT")
    print(
        f"placement: 10,000 tasks into 1,000 offers: {best * 1000:.1f} ms "
        f"({placed} placed, {accepts} ACCEPTs, {best / placed * 1e6:.1f} us per task)"
    )


def steady_state(n_tasks: int = 100_000, n_agents: int = 1_000) -> float:
    agents = [f"a{i}" for i in range(n_agents)]
    tasks = [task(f"t{i}", 1.0, 1024.0) for i in range(n_tasks)]
    # Statuses are built ahead (not timed): the driver hands them over as bytes anyway.
    running = {f"t{i}": None for i in range(n_tasks)}
    core = SchedulerCore()
    total = 0.0
    seconds, _ = cpu(lambda: core.subscribed(0.0))
    total += seconds
    seconds, _ = cpu(lambda: core.submit_many(tasks))
    total += seconds
    seconds, _ = cpu(lambda: core.tick(0.0))
    total += seconds
    now = 1.0
    rounds = 0
    free = {a: 8.0 for a in agents}
    next_offer = 0
    while running:
        offers = []
        for a in agents:
            if free[a] > 0:
                offers.append(offer(f"o{next_offer}", a, free[a], free[a] * 2048.0))
                next_offer += 1
        seconds, (ops, _) = cpu(lambda offers=offers, now=now: core.offers(offers, now))
        total += seconds
        started = launched(ops)
        for _, a in started:
            free[a] -= 1.0
        updates = [status(t, a, "TASK_RUNNING") for t, a in started]
        updates += [status(t, a, "TASK_FINISHED") for t, a in started]
        seconds, _ = cpu(lambda updates=updates, now=now: [core.update(u, now) for u in updates])
        total += seconds
        for t, a in started:
            free[a] += 1.0
            running.pop(t, None)
        now += 1.0
        rounds += 1
        if rounds > 1000:
            raise RuntimeError("no progress")
    stats = core.stats()
    assert stats["finished"] == n_tasks, stats
    per_task = total / n_tasks * 1000
    verdict = "ok" if per_task <= TARGET_PER_TASK_MS else "ABOVE TARGET"
    print(
        f"steady state: {n_tasks:,} tasks on {n_agents:,} agents in {rounds} offer rounds: "
        f"{total:.2f} s CPU, {per_task * 1000:.1f} us per task "
        f"(target <= {TARGET_PER_TASK_MS * 1000:.0f} us: {verdict})"
    )
    return per_task


def idle_offer_event(repeat: int = 1000) -> None:
    core = SchedulerCore()
    core.subscribed(0.0)
    core.submit_many([task(f"t{i}", 1.0, 1024.0) for i in range(100_000)])
    core.tick(0.0)
    small = [offer(f"o{i}", "a1", 0.5, 100.0) for i in range(repeat)]
    seconds, _ = cpu(lambda: [core.offers([o], 1.0) for o in small])
    print(
        f"offer event that places nothing, 100,000 queued: {seconds / repeat * 1e6:.1f} us "
        f"per event"
    )


def heterogeneous() -> None:
    rng = random.Random(2)
    tasks = [
        task(f"t{i}", round(rng.uniform(0.1, 4.0), 3), float(rng.randint(64, 4096)))
        for i in range(10_000)
    ]
    offers = [offer(f"o{i}", f"a{i}", 16.0, 32768.0) for i in range(1_000)]
    core = SchedulerCore()
    core.subscribed(0.0)
    core.submit_many(tasks)
    seconds, (_, outcomes) = cpu(lambda: core.offers(offers, 1.0))
    placed = sum(1 for o in outcomes if o[1] == "launched")
    print(
        f"10,000 tasks with distinct demands into 1,000 offers: {seconds * 1000:.1f} ms "
        f"({placed} placed)"
    )


def main() -> None:
    placement()
    idle_offer_event()
    heterogeneous()
    steady_state()


if __name__ == "__main__":
    main()
