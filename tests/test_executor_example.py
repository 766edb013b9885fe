"""examples/python_task.py against REAL Mesos: PythonTasks launched by a plain `Scheduler` on the
driver's Python face come back as a result and as the task's own exception."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import cloudpickle
import pytest
from conftest import RealMesos
from satyr.messages import RemoteTraceback

pytestmark = pytest.mark.realmesos

EXAMPLE = Path(__file__).parent.parent / "examples" / "python_task.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("python_task_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    # Run as a script its functions travel by value; imported here, tell cloudpickle so.
    cloudpickle.register_pickle_by_value(module)
    return module


def test_python_tasks_through_the_scheduler_interface(real_mesos: RealMesos) -> None:
    outcomes = load_example().main(real_mesos.url, timeout=60)
    assert outcomes["sum"] == 45
    err = outcomes["fails"]
    assert isinstance(err, ValueError) and str(err) == "no luck with 3"
    assert isinstance(err.__cause__, RemoteTraceback) and "in fails" in str(err.__cause__)
