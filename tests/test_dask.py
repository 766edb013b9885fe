"""dask on MesosPoolExecutor: ``dask.compute(..., scheduler=executor)`` runs a graph's tasks as
Mesos tasks on the real cluster (dask's delayed and bag collections, which need no numpy)."""

from __future__ import annotations

import operator
import sys
from collections.abc import Iterator

import cloudpickle
import dask
import dask.bag
import pytest
from conftest import RealMesos
from satyr.apis.futures import MesosPoolExecutor
from satyr.proxies.messages import Cpus, Mem

cloudpickle.register_pickle_by_value(sys.modules[__name__])

SMALL = [Cpus(0.1), Mem(64)]


def inc(x: int) -> int:
    return x + 1


def where() -> str:
    """The executor's sandbox, to show a task ran on Mesos (MESOS_SANDBOX is set by the agent)."""
    import os

    return os.environ.get("MESOS_SANDBOX", "")


def fail(x: int) -> int:
    raise KeyError(f"bad {x}")


@pytest.fixture(scope="module")
def executor(real_mesos: RealMesos) -> Iterator[MesosPoolExecutor]:
    with MesosPoolExecutor(4, name="dask-test", master=real_mesos.address, resources=SMALL) as ex:
        yield ex


def test_a_delayed_graph_computes_on_mesos(executor: MesosPoolExecutor) -> None:
    parts = [dask.delayed(inc)(i) for i in range(6)]
    total = dask.delayed(sum)(parts)
    doubled = dask.delayed(operator.mul)(total, 2)
    sandbox = dask.delayed(where)()
    (value, ran_in), (first,) = dask.compute((doubled, sandbox), (parts[0],), scheduler=executor)
    assert value == 2 * sum(range(1, 7))
    assert first == 1
    assert ran_in and ran_in != where()  # the call ran in a Mesos sandbox, not here


def test_dask_runs_as_many_calls_at_once_as_max_workers(executor: MesosPoolExecutor) -> None:
    scheduler = dask.base.get_scheduler(scheduler=executor)
    assert scheduler is not None and scheduler.args[1] == 4


def test_a_bag_reduction_computes_on_mesos(executor: MesosPoolExecutor) -> None:
    bag = dask.bag.from_sequence(range(20), npartitions=4)
    squares = bag.map(lambda x: x * x).filter(lambda x: x % 2 == 0)
    (total, count) = dask.compute(squares.sum(), squares.count(), scheduler=executor)
    assert total == sum(x * x for x in range(20) if x % 2 == 0)
    assert count == 10


def test_a_failing_task_raises_its_exception(executor: MesosPoolExecutor) -> None:
    with pytest.raises(KeyError, match="bad 3"):
        dask.compute(dask.delayed(fail)(3), scheduler=executor)


def test_dask_config_scheduler_uses_the_executor(executor: MesosPoolExecutor) -> None:
    with dask.config.set(scheduler=executor):
        assert dask.delayed(inc)(41).compute() == 42
