"""Calls per second for N trivial calls on a real Mesos cluster, in each satyr mode, next to
pymesos launching N command tasks on the same cluster:

- satyr worker mode (the default): calls go to long-running worker tasks over a direct
  connection; max_workers=2.
- satyr per-call tasks (mode='tasks'): each call one Mesos task through QueueScheduler, run by
  a warm satyr executor.
- pymesos 0.3.15: N command tasks (``true``) through its MesosSchedulerDriver, as many per offer
  as fit (pymesos_tasks.py, run in the harness venv's python).

Every call and task asks for 0.01 cpus and 8 MiB. Each figure is timed after a first call/task
finished, so registration and the first offer are not in it; also printed is the CPU time of
the scheduling process per call/task (satyr: this process, pymesos: its own), and map with
chunks in each satyr mode.

    python bench/pools/realmesos_calls.py [N]

Without MESOS_MASTER this starts a fresh real Mesos 1.11 master with one agent
(cpus:2;mem:2048) through tests/realmesos/start-master.sh (run tests/realmesos/setup.sh and
tests/realmesos/tests/install-pymesos.sh once) and stops it at the end; with MESOS_MASTER
(host:port) it uses that cluster, whose agents should then be idle.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from satyr.apis.futures import MesosPoolExecutor
from satyr.proxies.messages import Cpus, Mem

REALMESOS = Path(__file__).resolve().parents[2] / "tests" / "realmesos"
REALMESOS_HOME = Path(
    os.environ.get("REALMESOS_HOME")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "realmesos"
)
PYMESOS_PYTHON = REALMESOS_HOME / "venv" / "bin" / "python"
PYMESOS_TASKS = Path(__file__).resolve().parent / "pymesos_tasks.py"
AGENT_RESOURCES = "cpus:2;mem:2048;disk:4096;ports:[31000-32000]"
CPU_TARGET = 1e-4  # the target for satyr per-call mode: <= 0.1 ms per task


def noop(x: int) -> int:
    return x


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A free loopback port whose successor is free too (the agent listens on master port + 1),
    as tests/conftest.py picks them: the default 5050 may be taken by a test run."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base < 65000 and _port_is_free(base + 1):
            return base
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


@contextlib.contextmanager
def real_mesos() -> Iterator[str]:
    """The master's host:port: MESOS_MASTER's, or a fresh one-agent cluster's, stopped after."""
    if os.environ.get("MESOS_MASTER"):
        yield os.environ["MESOS_MASTER"]
        return
    with tempfile.TemporaryDirectory(prefix="bench-realmesos-") as state:
        port = free_port_pair()
        env = dict(
            os.environ,
            MESOS_MASTER_PORT=str(port),
            MESOS_AGENT_PORT=str(port + 1),
            MESOS_NUM_AGENTS="1",
            MESOS_AGENT_RESOURCES=AGENT_RESOURCES,
            MESOS_SHIM_STATE=state,
        )
        started = subprocess.run(
            [str(REALMESOS / "start-master.sh")], env=env, capture_output=True, text=True
        )
        try:
            if started.returncode != 0:
                raise RuntimeError(f"real Mesos did not start: {started.stderr.strip()}")
            yield started.stdout.split()[-1].removeprefix("http://")
        finally:
            # Also after a failed start: it may have left a master or an agent running.
            subprocess.run([str(REALMESOS / "stop-master.sh")], env=env, check=False)


def wait_until(what: str, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Waits until `predicate()` holds, for what can only be observed by asking the master;
    re-checks after a short growing pause and fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    interval = 0.01
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        pause.wait(interval)
        interval = min(interval * 2, 0.2)


def agents_idle(master: str) -> bool:
    """Whether no agent holds resources for a task or an executor: a run's framework is gone
    only once its executors exited, and the next run should get the whole agent."""
    with urllib.request.urlopen(f"http://{master}/master/slaves", timeout=10) as response:
        agents = json.load(response)["slaves"]
    return bool(agents) and all(
        not a["used_resources"].get("cpus") and not a["used_resources"].get("mem") for a in agents
    )


def time_satyr(master: str, mode: str, n: int) -> dict[str, float]:
    """Calls/s and this process's CPU seconds per call for `n` calls of `noop` in `mode`."""
    workers = 2 if mode == "workers" else None  # tasks: as many as the offers have room for
    with MesosPoolExecutor(
        workers,
        name=f"bench-pools-{mode}",
        master=master,
        mode=mode,
        resources=[Cpus(0.01), Mem(8)],
    ) as ex:
        ex.submit(noop, 0).result(timeout=120)  # executors (and workers) start warm
        # process_time counts every thread of this process: the submitting Python code and
        # the Rust scheduler core, all the scheduling work satyr does for these calls.
        cpu, start = time.process_time(), time.perf_counter()
        futures = [ex.submit(noop, i) for i in range(n)]
        assert [f.result(timeout=600) for f in futures] == list(range(n))
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"satyr {mode}: {n} calls in {took:.2f} s = {n / took:.0f} calls/s, ", end="")
        print(f"scheduler CPU {cpu / n * 1e3:.3f} ms/call", flush=True)
        items = n * 100
        start = time.perf_counter()
        assert list(ex.map(noop, range(items), chunksize=1000)) == list(range(items))
        took_map = time.perf_counter() - start
        print(f"satyr {mode}, map chunksize 1000: {items / took_map:.0f} calls/s", flush=True)
    return {"rate": n / took, "cpu": cpu / n}


def time_pymesos(master: str, n: int) -> dict[str, float]:
    """Tasks/s and pymesos's CPU seconds per task for `n` command tasks (pymesos_tasks.py)."""
    if not PYMESOS_PYTHON.exists():
        raise RuntimeError(f"no {PYMESOS_PYTHON}: run tests/realmesos/tests/install-pymesos.sh")
    out = subprocess.run(
        [str(PYMESOS_PYTHON), str(PYMESOS_TASKS), master, str(n)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if out.returncode != 0:
        raise RuntimeError(f"pymesos_tasks.py failed: {out.stderr.strip()[-2000:]}")
    result = json.loads(out.stdout.splitlines()[-1])
    print(f"pymesos: {n} command tasks in {result['seconds']:.2f} s = ", end="")
    print(f"{result['tasks_per_s']:.1f} tasks/s, ", end="")
    print(f"scheduler CPU {result['cpu_s_per_task'] * 1e3:.3f} ms/task", flush=True)
    return {"rate": result["tasks_per_s"], "cpu": result["cpu_s_per_task"]}


def main(n: int) -> None:
    runs: dict[str, Callable[[str], dict[str, float]]] = {
        "satyr workers": lambda master: time_satyr(master, "workers", n),
        "satyr tasks": lambda master: time_satyr(master, "tasks", n),
        "pymesos": lambda master: time_pymesos(master, n),
    }
    results: dict[str, dict[str, float]] = {}
    with real_mesos() as master:
        print(f"real Mesos at {master}; {n} trivial calls / command tasks each", flush=True)
        for name, run in runs.items():
            wait_until("the agents to be idle", lambda: agents_idle(master))
            try:
                results[name] = run(master)
            except Exception as e:  # one broken run should not cost the others' figures
                print(f"{name}: FAILED: {type(e).__name__}: {e}", flush=True)
    print()
    print(f"{'':15} {'calls/s':>9} {'CPU ms/call':>12} {'x pymesos':>10}")
    pymesos = results.get("pymesos")
    for name in runs:
        if name not in results:
            print(f"{name:15} {'failed':>9}")
            continue
        r = results[name]
        ratio = f"{r['rate'] / pymesos['rate']:.1f}x" if pymesos else "-"
        print(f"{name:15} {r['rate']:9.1f} {r['cpu'] * 1e3:12.3f} {ratio:>10}")
    if "satyr tasks" in results:
        cpu = results["satyr tasks"]["cpu"]
        met = "MET" if cpu <= CPU_TARGET else "MISSED"
        print(f"satyr per-call CPU per task {cpu * 1e3:.3f} ms (target <= 0.1 ms): {met}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
