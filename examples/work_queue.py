"""The README's work queue: a `PythonTask` submitted to a `QueueScheduler`.

MESOS_MASTER=127.0.0.1:5050 python examples/work_queue.py
"""

from satyr.messages import PythonTask
from satyr.proxies.messages import Cpus, Disk, Mem
from satyr.scheduler import QueueScheduler, Running

scheduler = QueueScheduler()
task = PythonTask(
    fn=sum, args=[range(10)], name="satyr-task", resources=[Cpus(0.1), Mem(128), Disk(512)]
)

with Running(scheduler, name="satyr-scheduler"):
    res = scheduler.submit(task)  # returns an AsyncResult
    print(res.get(timeout=30))
