"""Shared fixtures: the real Apache Mesos 1.11 cluster of tests/realmesos, on free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REALMESOS = Path(__file__).parent / "realmesos"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int) -> int:
    """First port of `size` consecutive free loopback ports (the agents use master port + 1 + i)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + size < 65000 and all(_port_is_free(base + i) for i in range(size)):
            return base
    raise RuntimeError(f"no block of {size} free ports on 127.0.0.1")


@dataclass
class RealMesos:
    """A running real Mesos master and its agents."""

    url: str
    state_dir: Path
    env: dict[str, str]

    @property
    def address(self) -> str:
        return self.url.removeprefix("http://")

    def stop(self) -> None:
        subprocess.run([str(REALMESOS / "stop-master.sh")], env=self.env, check=False)


def start_real_mesos(state_dir: Path, agents: int = 1, **flags: str) -> RealMesos:
    """Start a fresh real Mesos cluster; `flags` become MESOS_* settings (master/agent flags)."""
    home = Path(os.environ.get("REALMESOS_HOME", Path.home() / ".cache/realmesos"))
    if not (home / "bin").is_dir():
        raise RuntimeError("real Mesos is not built: run scripts/install-test-deps.sh")
    base = free_port_block(agents + 1)
    env = dict(os.environ)
    env.update(
        MESOS_MASTER_PORT=str(base),
        MESOS_AGENT_PORT=str(base + 1),
        MESOS_NUM_AGENTS=str(agents),
        MESOS_SHIM_STATE=str(state_dir),
    )
    env.update(flags)
    out = subprocess.run(
        [str(REALMESOS / "start-master.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    if out.returncode != 0:
        raise RuntimeError(f"real Mesos did not start: {out.stderr.strip()}")
    return RealMesos(url=out.stdout.strip().splitlines()[-1], state_dir=state_dir, env=env)


@pytest.fixture(scope="session")
def real_mesos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealMesos]:
    """One real Mesos master with one agent (cpus:2;mem:2048;disk:4096;ports:[31000-32000])."""
    cluster = start_real_mesos(tmp_path_factory.mktemp("realmesos"))
    try:
        yield cluster
    finally:
        cluster.stop()


def wait_until(what: str, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Waits until `predicate()` holds, for things only observable by asking (e.g. the master's
    state); fails naming `what` after `timeout` seconds. Re-checks with a short growing pause."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    interval = 0.01
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        pause.wait(interval)
        interval = min(interval * 2, 0.2)


from local_fixture import local_mesos  # noqa: E402, F401  (the embedded local cluster, same shape)
