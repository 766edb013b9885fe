"""The parent process of test_local_leaks.py: runs a local cluster with a command task and a
resisting custom executor (both carrying a marker in their environment), prints READY and the
sandboxes' temporary folder once both run, reads a line, then ends as told: ``exit`` (normal end
without stop()), ``exception``, or waits to be killed (``sigterm``, ``sigkill``).
Usage: local_leak_parent.py MARKER MODE"""

import sys
import threading
from pathlib import Path

from local_helpers import JsonScheduler, task
from satyr.local import LocalCluster

marker, mode = sys.argv[1], sys.argv[2]
executor = Path(__file__).with_name("local_leak_executor.py")
cluster = LocalCluster(resources="cpus:4;mem:4096", stop_grace_period=1.0)
sched = JsonScheduler(cluster.address, "leaky")
offer = sched.next("OFFERS")["offers"]["offers"][0]
env = {"variables": [{"name": "SATYR_LEAK_MARKER", "value": marker}]}
scalar = {"type": "SCALAR"}
tasks = [
    task("cmd", offer, command={"value": "trap '' TERM; exec sleep 300", "environment": env}),
    task(
        "exe",
        offer,
        executor={
            "executor_id": {"value": "resisting-executor"},
            "command": {"value": f"{sys.executable} {executor}", "environment": env},
            "resources": [{"name": "cpus", **scalar, "scalar": {"value": 0.1}}],
        },
    ),
]
sched.launch(offer, tasks)
running = set()
while running != {"cmd", "exe"}:
    status = sched.update()
    assert status["state"] in ("TASK_STARTING", "TASK_RUNNING"), status
    if status["state"] == "TASK_RUNNING":
        running.add(status["task_id"]["value"])
print("READY", cluster.work_dir, flush=True)
sys.stdin.readline()  # the test has seen the processes; end as told
if mode == "exit":
    sys.exit(0)
if mode == "exception":
    raise RuntimeError("the parent fails")
threading.Event().wait()
