"""Every README example is a script in examples/ and runs unchanged on the real Mesos cluster
(``MESOS_MASTER`` set) and on the embedded local cluster (``MESOS_MASTER`` unset)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RealMesos

EXAMPLES = Path(__file__).parent.parent / "examples"


def run(script: str, master: RealMesos | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("MESOS_MASTER", None)
    if master is not None:
        env["MESOS_MASTER"] = master.address
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )


@pytest.fixture(params=["real", "local"])
def master(request: pytest.FixtureRequest) -> RealMesos | None:
    """The real cluster, or None: no MESOS_MASTER, so the example starts the embedded one."""
    if request.param == "real":
        cluster: RealMesos = request.getfixturevalue("real_mesos")
        return cluster
    return None


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
def test_readme_example(script: str, expected: str, master: RealMesos | None) -> None:
    assert expected in run(script, master).stdout


def test_readme_queue_scheduler_subclass_logs_updates(master: RealMesos | None) -> None:
    out = run("queue_scheduler_subclass.py", master)
    assert out.stdout == "36\n"
    assert "Status update received for task" in out.stderr and "TASK_FINISHED" in out.stderr
