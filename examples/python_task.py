"""Python functions on Mesos through satyr-executor, with the plain `Scheduler` interface:
`PythonTask`s are launched into offers, their statuses give back results and exceptions.

    MESOS_MASTER=127.0.0.1:5050 python examples/python_task.py

Runs `sum(range(10))` and a function that raises; both tasks share one warm executor process.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from satyr.driver import SchedulerDriver
from satyr.interface import Scheduler
from satyr.messages import PythonTask
from satyr.proxies.messages import Cpus, Mem, Offer, TaskStatus
from satyr.scheduler import Running


def fails(x: int) -> int:
    raise ValueError(f"no luck with {x}")


class PythonTasks(Scheduler):
    """Launches its tasks into the first offer with room for them and their executor."""

    def __init__(self, tasks: list[PythonTask]) -> None:
        self.pending = list(tasks)
        self.tasks = {t.task_id.value: t for t in tasks}
        self.outcomes: dict[str, Any] = {}
        self.done = threading.Event()

    def on_offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        for offer in offers:
            running = {e.value for e in offer.executor_ids}
            batch, room = [], offer
            for task in list(self.pending):
                need = list(task.resources)
                if task.executor.executor_id.value not in running:
                    need += list(task.executor.resources)  # the executor's own, once per agent
                    running.add(task.executor.executor_id.value)
                try:
                    room = room - need
                except ValueError:
                    break
                task.agent_id = offer.agent_id
                batch.append(task)
                self.pending.remove(task)
            driver.launch(offer, batch, filters={"refuse_seconds": 0})

    def on_update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        task = self.tasks[status.task_id.value]
        task.update(status)  # fetches out-of-band results at once
        if status.has_terminated():
            try:
                self.outcomes[task.name] = task.outcome(status)
            except Exception as e:
                self.outcomes[task.name] = e
            if len(self.outcomes) == len(self.tasks):
                self.done.set()


def main(master: str | None = None, timeout: float = 60.0) -> dict[str, Any]:
    """Runs the two tasks; returns each one's result or exception."""
    resources = [Cpus(0.1), Mem(64)]
    tasks = [
        PythonTask(sum, [range(10)], name="sum", resources=resources),
        PythonTask(fails, [3], name="fails", resources=resources),
    ]
    scheduler = PythonTasks(tasks)
    with Running(scheduler, name="satyr-python-tasks", master=master):
        if not scheduler.done.wait(timeout):
            raise TimeoutError(f"tasks did not end within {timeout} s")
    return scheduler.outcomes


if __name__ == "__main__":
    for name, outcome in main().items():
        print(f"{name}: {outcome!r}")
        if isinstance(outcome, BaseException):
            print(f"remote traceback:\n{outcome.__cause__}", file=sys.stderr)
