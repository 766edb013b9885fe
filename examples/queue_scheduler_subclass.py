"""The README's custom scheduler built on `QueueScheduler`: a hook that logs every status update
and hands it on with `super()`.

    MESOS_MASTER=127.0.0.1:5050 python examples/queue_scheduler_subclass.py
"""

import logging

from satyr.messages import PythonTask
from satyr.proxies.messages import Cpus, Disk, Mem
from satyr.scheduler import QueueScheduler, Running


class CustomScheduler(QueueScheduler):
    def on_update(self, driver, status):
        """Hooks on the Scheduler interface's events add custom logic to the framework."""
        logging.info("Status update received for task %s: %s", status.task_id.value, status.state)
        super().on_update(driver, status)


logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
scheduler = CustomScheduler()
task = PythonTask(
    fn=sum, args=[range(9)], name="satyr-task", resources=[Cpus(0.1), Mem(128), Disk(512)]
)

with Running(scheduler, name="satyr-custom-scheduler"):
    res = scheduler.submit(task)
    print(res.get(timeout=60))
