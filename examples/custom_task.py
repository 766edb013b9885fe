"""The README's custom task: a `TaskInfo` subclass matched by its template (the `custom` label),
with its own properties and an `on_update` hook, run by a `QueueScheduler`.

    MESOS_MASTER=127.0.0.1:5050 python examples/custom_task.py
"""

import logging

from satyr.proxies.messages import CommandInfo, Cpus, Label, Labels, Mem, TaskInfo
from satyr.scheduler import QueueScheduler, Running


class CustomTask(TaskInfo):
    # The template statuses and tasks are matched against (here: carrying the `custom` label).
    proto = TaskInfo(labels=Labels(labels=[Label(key="custom")]))

    @property
    def uppercase_task_name(self):
        return self.name.upper()

    def on_update(self, status):
        logging.info("Custom task has received a status update: %s", status.state)

    def custom_method(self):
        print("Arbitrary stuff")


logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
task = CustomTask(name="custom-task", command=CommandInfo(value="true"))
task.resources = [Cpus(0.1), Mem(32)]
assert isinstance(TaskInfo.from_bytes(task.to_bytes()), CustomTask)  # the template matches
task.custom_method()
scheduler = QueueScheduler()
with Running(scheduler, name="satyr-custom-task"):
    print(task.uppercase_task_name, scheduler.submit(task).get(timeout=60).state)
