"""The examples run as scripts and print what they promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import RealMesos

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_placement_example_places_and_reports() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "placement.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "cluster: 4 cpus, 5632 MB, 1001 ports" in out
    assert "0.1 + 0.2 cpus fit an offer of 0.3: True" in out
    assert "offer-0: task-1 " in out
    assert "not placed: task-6, task-3, task-2" in out


def test_readme_framework_snippet_runs_on_real_mesos(real_mesos: RealMesos, tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    snippet = readme.split("## A framework in a few lines", 1)[1].split("```python", 1)[1]
    snippet = snippet.split("```", 1)[0].replace("127.0.0.1:5050", real_mesos.address)
    script = tmp_path / "snippet.py"
    script.write_text(snippet)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "hello TASK_FINISHED" in out


def test_readme_futures_snippet_runs_on_the_embedded_cluster(tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    snippet = readme.split("## What works today", 1)[1].split("```python", 1)[1]
    script = tmp_path / "snippet.py"
    script.write_text(snippet.split("```", 1)[0] + "\nprint('snippet ok')\n")
    env = {k: v for k, v in os.environ.items() if k != "MESOS_MASTER"}
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    ).stdout
    assert "snippet ok" in out
