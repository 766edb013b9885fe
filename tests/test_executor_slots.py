"""Executor slots on both clusters: per-call tasks of one executor's settings share a warm
executor process up to one cpu of tasks in all, and tasks holding more run in further processes
(no single GIL for a whole agent); worker tasks always get a process of their own."""

from __future__ import annotations

import os
import socket
import sys

import cloudpickle
import pytest
from conftest import RealMesos
from satyr.apis.futures import MesosPoolExecutor
from satyr.proxies.messages import Cpus, Mem

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def meet(address: tuple[str, int]) -> int:
    """Reports to the test at ``address`` and blocks until it answers, which it does once every
    call it waits for has reported: the calls run at the same time. Returns this process's
    pid."""
    with socket.create_connection(address, timeout=60) as conn:
        conn.sendall(b"here")
        if conn.recv(2) != b"go":
            raise ConnectionError("the test did not answer")
    return os.getpid()


class Rendezvous:
    """Holds calls of :func:`meet` until ``expected`` of them have reported."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(120)
        self.address = self.listener.getsockname()

    def release(self, expected: int) -> None:
        conns = []
        for _ in range(expected):
            conn, _ = self.listener.accept()
            conns.append(conn)
        for conn in conns:
            with conn:
                assert conn.recv(4) == b"here"
                conn.sendall(b"go")


@pytest.fixture(params=["real", "local"])
def cluster(request: pytest.FixtureRequest) -> RealMesos:
    found: RealMesos = request.getfixturevalue(f"{request.param}_mesos")
    return found


@pytest.mark.parametrize(
    ("cpus", "processes"), [(0.9, 2), (0.1, 1)], ids=["a-core-each", "small-tasks"]
)
def test_concurrent_tasks_get_processes_by_their_cpus(
    cluster: RealMesos, cpus: float, processes: int
) -> None:
    meeting = Rendezvous()
    with MesosPoolExecutor(
        name="slots", master=cluster.address, mode="tasks", resources=[Cpus(cpus), Mem(64)]
    ) as ex:
        futures = [ex.submit(meet, meeting.address) for _ in range(2)]
        meeting.release(2)
        pids = {f.result(timeout=120) for f in futures}
        assert len(pids) == processes
        # Done: the next call goes to a warm executor, not a new one.
        later = ex.submit(meet, meeting.address)
        meeting.release(1)
        assert later.result(timeout=120) in pids


def test_workers_run_in_processes_of_their_own(cluster: RealMesos) -> None:
    meeting = Rendezvous()
    with MesosPoolExecutor(
        2, name="slots-workers", master=cluster.address, resources=[Cpus(0.1), Mem(64)]
    ) as ex:
        futures = [ex.submit(meet, meeting.address) for _ in range(2)]
        meeting.release(2)
        assert len({f.result(timeout=120) for f in futures}) == 2
