"""Every README example is a script in examples/ and runs on the real Mesos cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RealMesos

EXAMPLES = Path(__file__).parent.parent / "examples"


def run(script: str, real_mesos: RealMesos) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MESOS_MASTER": real_mesos.address}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("futures.py", "futures: ok 15"),
        ("multiprocessing_pool.py", "3\n6\n"),
        ("work_queue.py", "45\n"),
        ("command_task.py", "command-task TASK_FINISHED"),
        ("custom_task.py", "Arbitrary stuff\nCUSTOM-TASK TASK_FINISHED"),
        ("one_off_executor.py", "one-off result: 10"),
        ("python_task.py", "sum: 45"),
    ],
)
def test_readme_example(script: str, expected: str, real_mesos: RealMesos) -> None:
    assert expected in run(script, real_mesos).stdout


def test_readme_queue_scheduler_subclass_logs_updates(real_mesos: RealMesos) -> None:
    out = run("queue_scheduler_subclass.py", real_mesos)
    assert out.stdout == "36\n"
    assert "Status update received for task" in out.stderr and "TASK_FINISHED" in out.stderr
