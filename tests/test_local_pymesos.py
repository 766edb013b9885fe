"""A third-party client: pymesos 0.3.15 runs a command task and a custom executor (its own v1
executor driver) against ``python -m satyr.local``, with the probe it runs against real Mesos
(tests/realmesos/tests/pymesos_probe.py). pymesos is installed into $REALMESOS_HOME/venv by
tests/realmesos/tests/install-pymesos.sh when missing."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent / "realmesos" / "tests"
HOME = Path(os.environ.get("REALMESOS_HOME", Path.home() / ".cache" / "realmesos"))


@pytest.fixture(scope="module")
def pymesos_python() -> Path:
    python = HOME / "venv" / "bin" / "python"
    probe = [str(python), "-c", "import pymesos, addict"]
    if not python.exists() or subprocess.run(probe, capture_output=True).returncode != 0:
        subprocess.run(["bash", str(HARNESS / "install-pymesos.sh")], check=True, timeout=600)
    return python


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "satyr.local", "--resources", "cpus:2;mem:2048;ports:[31000-32000]"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "python -m satyr.local printed nothing"
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        yield url.removeprefix("http://")
        proc.terminate()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    ("mode", "finished"),
    [("command", "Command exited with status 0"), ("executor", "done by pymesos executor")],
)
def test_pymesos_probe(pymesos_python: Path, served: str, mode: str, finished: str) -> None:
    out = subprocess.run(
        [str(pymesos_python), str(HARNESS / "pymesos_probe.py"), served, mode],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("REGISTERED ") and line.endswith(" 1.11.0") for line in lines)
    updates = [line for line in lines if line.startswith("UPDATE ")]
    assert updates[-1].split(" ", 3)[2:] == ["TASK_FINISHED", finished], lines
    if mode == "command":
        assert [u.split()[2] for u in updates] == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    assert "RESULT TASK_FINISHED" in lines
