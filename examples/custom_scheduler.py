"""The README's custom scheduler, runnable: a `Scheduler` subclass that places command tasks on
offers with `task < offer` and `driver.launch(offer, [task])`, and follows them to their end.

    MESOS_MASTER=127.0.0.1:5050 python examples/custom_scheduler.py

Three tasks: `echo` finishes, `exit 3` fails, and a `sleep` is killed once it runs.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable

from satyr.driver import SchedulerDriver
from satyr.interface import Scheduler
from satyr.proxies.messages import CommandInfo, Cpus, Mem, Offer, TaskInfo, TaskStatus
from satyr.scheduler import Running

log = logging.getLogger("custom_scheduler")


class CustomScheduler(Scheduler):
    """Launches its tasks one per offer, kills the ones named in `kill` once they run, and sets
    `done` when every task has ended."""

    def __init__(self, tasks: list[TaskInfo], kill: Iterable[str] = ()) -> None:
        self.pending = list(tasks)
        self.kill = set(kill)
        self.statuses: dict[str, TaskStatus] = {}
        self.done = threading.Event()
        self._total = len(tasks)

    def get_next_task(self) -> TaskInfo | None:
        return self.pending[0] if self.pending else None

    def on_offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        for offer in offers:
            task = self.get_next_task()
            if task is not None and task < offer:
                task.slave_id = offer.slave_id
                # Leftover resources come back at the next allocation (no refusal filter).
                driver.launch(offer, [task], filters={"refuse_seconds": 0})
                self.pending.pop(0)
            else:
                driver.launch(offer, [])  # an empty task list declines the offer

    def on_update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        name = status.task_id.value
        log.info("task %s is %s", name, status.state)
        self.statuses[name] = status
        if status.is_running() and name in self.kill:
            driver.kill(status.task_id, status.agent_id)
        ended = [s for s in self.statuses.values() if s.has_terminated()]
        if not self.pending and len(ended) == self._total:
            self.done.set()


def command(name: str, line: str) -> TaskInfo:
    return TaskInfo(
        name=name,
        task_id=name,
        command=CommandInfo(value=line),
        resources=[Cpus(0.1), Mem(32)],
    )


def main(master: str | None = None, timeout: float = 60.0) -> dict[str, str]:
    """Runs the three tasks on `master` (default: MESOS_MASTER); returns each one's final state."""
    scheduler = CustomScheduler(
        [command("echo", "echo hello"), command("fail", "exit 3"), command("sleep", "sleep 60")],
        kill={"sleep"},
    )
    with Running(scheduler, name="satyr-custom-scheduler", master=master):
        if not scheduler.done.wait(timeout):
            raise TimeoutError(f"tasks did not end within {timeout} s: {scheduler.statuses}")
    return {name: status.state for name, status in sorted(scheduler.statuses.items())}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for task, state in main(sys.argv[1] if len(sys.argv) > 1 else None).items():
        print(f"{task}: {state}")
