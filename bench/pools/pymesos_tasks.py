"""pymesos 0.3.15 launching N command tasks (``true``, 0.01 cpus and 8 MiB each) on a Mesos
cluster through its own scheduler API: MesosSchedulerDriver, with resourceOffers packing as many
tasks into each offer as fit, and statusUpdate counting TASK_FINISHED. The reference figure for
realmesos_calls.py, which runs this file in the harness venv's python (pymesos does not install
next to satyr: see tests/realmesos/tests/install-pymesos.sh).

    $REALMESOS_HOME/venv/bin/python bench/pools/pymesos_tasks.py 127.0.0.1:5050 [N]

One task runs first and the clock starts when it finished, as satyr's calls are timed after a
first call: neither figure includes registering and the first offer. Prints one JSON line:
tasks, seconds, tasks_per_s, and this process's CPU seconds per task over the timed part.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid

from addict import Dict
from pymesos import MesosSchedulerDriver, Scheduler

CPUS, MEM = 0.01, 8.0
TERMINAL = {"TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE"}
# Leftovers of an offer are offered again at the next allocation (refuse_seconds 0; the default
# filter would hide them for 5 s); once all tasks are out, the offers are refused for good.
AGAIN = {"refuse_seconds": 0.0}
NEVER = {"refuse_seconds": 3600.0}


def scalar(resource: Dict, want: str) -> float:
    """The value of `resource` if it is the scalar named `want`, else 0."""
    return resource.scalar.value if resource.name == want else 0.0


class TaskScheduler(Scheduler):
    """Launches one task, then `n` more once it finished, and records when the last did."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.to_launch = 1  # the warm-up task; `n` more once it finished
        self.finished = -1  # the warm-up task does not count
        self.start = self.end = 0.0
        self.cpu_start = self.cpu_end = 0.0
        self.failure: str | None = None
        self.done = threading.Event()

    def resourceOffers(self, driver, offers):  # pymesos names its callbacks
        for offer in offers:
            cpus = sum(scalar(r, "cpus") for r in offer.resources)
            mem = sum(scalar(r, "mem") for r in offer.resources)
            # round() first: 2.0 / 0.01 is 199.99999999999997 in floats.
            fit = min(int(round(cpus / CPUS, 6)), int(round(mem / MEM, 6)), self.to_launch)
            if fit == 0:
                driver.declineOffer(offer.id, NEVER if self.launched_all() else AGAIN)
                continue
            self.to_launch -= fit
            driver.launchTasks(offer.id, [self.task(offer) for _ in range(fit)], AGAIN)

    def launched_all(self) -> bool:
        return self.to_launch == 0 and self.finished >= 0

    def task(self, offer: Dict) -> Dict:
        task = Dict()
        task.task_id.value = f"pymesos-{uuid.uuid4().hex}"
        task.agent_id.value = offer.agent_id.value
        task.name = "pymesos-bench"
        task.command.value = "true"
        task.resources = [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": CPUS}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": MEM}},
        ]
        return task

    def statusUpdate(self, driver, update):  # pymesos names its callbacks
        if update.state in TERMINAL:
            self.failure = f"{update.task_id.value}: {update.state} {update.get('message', '')}"
            self.done.set()
        elif update.state == "TASK_FINISHED":
            self.finished += 1
            if self.finished == 0:  # the warm-up task: the timed part starts now
                self.start, self.cpu_start = time.perf_counter(), time.process_time()
                self.to_launch = self.n
                # Its resources come back at the next allocation anyway; reviving asks for
                # them (and whatever the first offer left) without waiting for that.
                driver.reviveOffers()
            elif self.finished == self.n:
                self.end, self.cpu_end = time.perf_counter(), time.process_time()
                self.done.set()

    def error(self, driver, message):
        self.failure = f"error from the master: {message}"
        self.done.set()


def main(master: str, n: int) -> None:
    sched = TaskScheduler(n)
    framework = Dict(user="root", name="bench-pools-pymesos", hostname="127.0.0.1")
    driver = MesosSchedulerDriver(sched, framework, master, use_addict=True)
    driver.start()
    try:
        if not sched.done.wait(timeout=600):
            raise SystemExit(f"pymesos: {sched.finished} of {n} tasks finished in 600 s")
    finally:
        driver.stop()  # not a failover: tears the framework down, freeing the agent
        driver.join()
    if sched.failure:
        raise SystemExit(f"pymesos: a task did not finish: {sched.failure}")
    took = sched.end - sched.start
    cpu = (sched.cpu_end - sched.cpu_start) / n
    print(json.dumps({"tasks": n, "seconds": took, "tasks_per_s": n / took, "cpu_s_per_task": cpu}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
