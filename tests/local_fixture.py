"""The ``local_mesos`` pytest fixture: the embedded local cluster, shaped like ``real_mesos``.

It yields an object with ``.url`` (``http://127.0.0.1:PORT``) and ``.address`` (``127.0.0.1:PORT``),
one agent with the real harness's resources (``cpus:2;mem:2048;disk:4096;ports:[31000-32000]``),
so tests parametrized over masters assert the same things on both. Use it from a test module or
a conftest with ``from local_fixture import local_mesos``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from satyr.local import LocalCluster

#: The resources of tests/realmesos's agent.
REAL_HARNESS_RESOURCES = "cpus:2;mem:2048;disk:4096;ports:[31000-32000]"


@pytest.fixture(scope="session")
def local_mesos() -> Iterator[LocalCluster]:
    """One local cluster (master and one agent) for the session."""
    with LocalCluster(resources=REAL_HARNESS_RESOURCES) as cluster:
        yield cluster
