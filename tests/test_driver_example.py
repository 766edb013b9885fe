"""The README's custom-scheduler example (examples/custom_scheduler.py) against REAL Mesos: its
command tasks reach their real outcomes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from conftest import RealMesos

pytestmark = pytest.mark.realmesos

EXAMPLE = Path(__file__).parent.parent / "examples" / "custom_scheduler.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("custom_scheduler", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_custom_scheduler_tasks_reach_their_real_outcomes(real_mesos: RealMesos) -> None:
    outcomes = load_example().main(real_mesos.url, timeout=60)
    assert outcomes == {"echo": "TASK_FINISHED", "fail": "TASK_FAILED", "sleep": "TASK_KILLED"}
