"""The ``local_mesos`` fixture gives what ``real_mesos`` gives: ``.url`` and ``.address`` of a
master with one agent offering the real harness's resources."""

from __future__ import annotations

from local_fixture import local_mesos  # noqa: F401 (the fixture)
from local_helpers import JsonScheduler
from satyr.local import LocalCluster


def test_local_mesos_looks_like_real_mesos(local_mesos: LocalCluster) -> None:  # noqa: F811
    assert local_mesos.url == f"http://{local_mesos.address}"
    sched = JsonScheduler(local_mesos.address, "fixture")
    offer = sched.next("OFFERS")["offers"]["offers"][0]
    got = {r["name"]: r.get("scalar", {}).get("value") for r in offer["resources"]}
    assert got == {"cpus": 2.0, "mem": 2048.0, "disk": 4096.0, "ports": None}
    assert sched.call({"type": "TEARDOWN"}) == 202
