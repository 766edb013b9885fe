"""The README's command task (`echo 100`) run by a `QueueScheduler`; with `--docker` it runs in
the README's image (the agent needs the Docker containerizer for that).

    MESOS_MASTER=127.0.0.1:5050 python examples/command_task.py
"""

import sys

from satyr.proxies.messages import CommandInfo, Cpus, Mem, TaskInfo
from satyr.scheduler import QueueScheduler, Running

task = TaskInfo(name="command-task", command=CommandInfo(value="echo 100"))
task.resources = [Cpus(0.1), Mem(32)]
if "--docker" in sys.argv:
    task.container.type = "DOCKER"
    task.container.docker.image = "lensacom/satyr:latest"

scheduler = QueueScheduler()
with Running(scheduler, name="satyr-command-task"):
    status = scheduler.submit(task).get(timeout=60)
    print(task.name, status.state)
