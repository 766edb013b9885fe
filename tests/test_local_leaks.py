"""Nothing leaks: when the process running a local cluster ends (normally, by an exception, by
SIGTERM, even by SIGKILL), its executors, their children and its command tasks end too, even
those that ignore SIGTERM, and its temporary sandbox folder is removed. Processes are found by a
marker in their environment and waited on with pidfds (they are not our children)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from local_helpers import processes_with, wait_all_exit

HERE = Path(__file__).parent


def watchdogs_of(pid: int) -> list[int]:
    """The local cluster's watchdog processes started by ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        ppid = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")
        )
        if b"satyr-local-watchdog" in cmdline and ppid == pid:
            found.append(int(entry))
    return found


@pytest.mark.parametrize("mode", ["exit", "exception", "sigterm", "sigkill"])
def test_nothing_survives_the_parent(mode: str) -> None:
    marker = f"satyr-leak-{uuid.uuid4().hex}"
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "local_leak_parent.py"), marker, mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "the parent printed nothing"
        word, work_dir = proc.stdout.readline().split()
        assert word == "READY"
        assert Path(work_dir).is_dir()
        # The command task, the executor and the executor's child.
        pids = processes_with(marker)
        assert len(pids) >= 3, pids
        watchdogs = watchdogs_of(proc.pid)
        assert len(watchdogs) == 1
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        if mode == "sigterm":
            proc.send_signal(signal.SIGTERM)
        elif mode == "sigkill":
            proc.kill()
        code = proc.wait(timeout=60)
        expected = {
            "exit": 0,
            "exception": 1,
            "sigterm": -signal.SIGTERM,
            "sigkill": -signal.SIGKILL,
        }
        assert code == expected[mode]
        assert wait_all_exit(pids + watchdogs, timeout=20) == []
        assert processes_with(marker) == []
        # The temporary sandboxes went too (removed by the cluster, or by its watchdog).
        assert not Path(work_dir).exists()
    finally:
        proc.kill()
        proc.wait()
