"""PythonTask round trips through satyr-executor on real Mesos 1.11 (tests/realmesos): the
first task (starts the executor), warm tasks one after another, a batch of tasks at once, and
a 100 MB argument + 100 MB result. Run from the repository root after
``maturin develop --release``: ``python bench/executor/run.py``."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cloudpickle

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from satyr.messages import PythonTask

from tests.conftest import start_real_mesos
from tests.executor_harness import MiniScheduler

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def reverse(data: bytes) -> bytes:
    return data[::-1]


def once(sched: MiniScheduler, task: PythonTask) -> float:
    began = time.perf_counter()
    status = sched.submit(task).result(timeout=120)
    task.outcome(status)
    return time.perf_counter() - began


def main() -> None:
    os.environ.setdefault("SATYR_PAYLOAD_HOST", "127.0.0.1")
    with tempfile.TemporaryDirectory() as state:
        cluster = start_real_mesos(Path(state))
        sched = MiniScheduler(cluster.address, name="satyr-bench")
        try:
            envs = {"BENCH": "1"}
            cold = once(sched, PythonTask(sum, [[1, 2]], envs=envs))
            warm = [once(sched, PythonTask(sum, [[1, 2]], envs=envs)) for _ in range(20)]
            n = 50
            began = time.perf_counter()
            tasks = [PythonTask(sum, [[i]], envs=envs) for i in range(n)]
            futs = [sched.submit(t) for t in tasks]
            for t, f in zip(tasks, futs, strict=True):
                t.outcome(f.result(timeout=120))
            batch = time.perf_counter() - began
            blob = os.urandom(1 << 20) * 100
            big = [once(sched, PythonTask(reverse, [blob], envs=envs)) for _ in range(3)]
        finally:
            sched.teardown()
            cluster.stop()
    print(f"first task (executor start):        {cold * 1000:7.0f} ms")
    print(
        f"warm task, sequential (median of 20): {statistics.median(warm) * 1000:7.1f} ms "
        f"(min {min(warm) * 1000:.1f})"
    )
    print(f"{n} tasks submitted at once:          {batch:7.2f} s ({n / batch:.0f} tasks/s)")
    print(f"100 MB argument + 100 MB result:      {min(big):7.2f} s (best of 3)")


if __name__ == "__main__":
    main()
