"""The embedded local cluster: a Mesos-compatible master and agents on 127.0.0.1.

It speaks the real Mesos v1 scheduler and executor HTTP APIs (protobuf and JSON), so code written
for a Mesos cluster runs against it unchanged, and any Mesos client (pymesos, the satyr driver)
can use it. Executors and command tasks run as local child processes in sandbox folders; they
never outlive the Python process, however it ends.

    from satyr.local import LocalCluster

    with LocalCluster(agents=2, resources="cpus:2;mem:2048;ports:[31000-32000]") as cluster:
        run_my_framework(cluster.url)   # http://127.0.0.1:PORT

``python -m satyr.local`` serves one for other programs.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from satyr import _satyr

__all__ = ["LocalAgent", "LocalCluster", "format_resources", "parse_spec", "start_local"]

ResourceValue = float | int | Sequence[tuple[int, int]] | Sequence[str]


def format_resources(resources: str | Mapping[str, ResourceValue]) -> str:
    """Mesos's text form of agent resources.

    ``{"cpus": 2, "mem": 2048, "ports": [(31000, 32000)]}`` gives
    ``"cpus:2;mem:2048;ports:[31000-32000]"``; a string is returned unchanged. Set resources are
    lists of strings.
    """
    if isinstance(resources, str):
        return resources
    parts = []
    for name, value in resources.items():
        if isinstance(value, bool):
            raise TypeError(f"resource {name!r}: expected a number, ranges or items, got a bool")
        if isinstance(value, int | float):
            parts.append(f"{name}:{value:g}")
            continue
        items: list[Any] = list(value)
        if all(isinstance(v, str) for v in items):
            parts.append(f"{name}:{{{','.join(str(v) for v in items)}}}")
            continue
        ranges = []
        for item in items:
            if isinstance(item, str) or len(item) != 2:
                raise TypeError(
                    f"resource {name!r}: expected (begin, end) pairs or strings, got {item!r}"
                )
            ranges.append(f"{int(item[0])}-{int(item[1])}")
        parts.append(f"{name}:[{','.join(ranges)}]")
    return ";".join(parts)


def parse_spec(spec: str) -> int:
    """Number of agents of a ``MESOS_MASTER`` value ``local`` (1) or ``local:N``."""
    text = spec.strip()
    if text == "local":
        return 1
    head, sep, count = text.partition(":")
    if head != "local" or not sep or not count.isdigit() or int(count) < 1:
        raise ValueError(f"expected 'local' or 'local:N' with N >= 1 agents, got {spec!r}")
    return int(count)


@dataclass(frozen=True)
class LocalAgent:
    """One agent of a local cluster."""

    id: str
    url: str
    port: int
    work_dir: str
    resources: dict[str, Any] = field(default_factory=dict)


class LocalCluster:
    """A Mesos-compatible master with ``agents`` agents on 127.0.0.1, started at construction.

    ``resources`` are each agent's (Mesos text form or a mapping, see :func:`format_resources`);
    the default is this machine's cpus, memory and free disk, with ports 31000-32000. ``port`` 0
    picks a free port. ``work_dir`` holds the sandboxes (default: a temporary folder removed at
    stop). Timing settings are in seconds; ``allocation_interval`` is the period of offer cycles
    (offers are made at once when resources are freed or a framework subscribes or revives).
    ``inherit_env`` gives executors this process's environment under the ``MESOS_*`` variables a
    Mesos agent sets (a real agent gives a clean one).

    A bad setting raises ``ValueError``; a taken port or an unusable work folder raises
    :class:`satyr.SatyrError`. Use it as a context manager, or call :meth:`stop`; it is also
    stopped when garbage collected and at interpreter exit.
    """

    def __init__(
        self,
        agents: int = 1,
        resources: str | Mapping[str, ResourceValue] | None = None,
        *,
        port: int = 0,
        work_dir: str | os.PathLike[str] | None = None,
        allocation_interval: float = 1.0,
        heartbeat_interval: float = 15.0,
        status_update_retry: float = 10.0,
        executor_registration_timeout: float = 60.0,
        executor_shutdown_grace_period: float = 5.0,
        kill_grace_period: float = 3.0,
        stop_grace_period: float = 2.0,
        inherit_env: bool = True,
    ) -> None:
        self._native = _satyr.LocalCluster(
            agents=agents,
            resources=None if resources is None else format_resources(resources),
            port=port,
            work_dir=None if work_dir is None else os.fspath(work_dir),
            allocation_interval=allocation_interval,
            heartbeat_interval=heartbeat_interval,
            status_update_retry=status_update_retry,
            executor_registration_timeout=executor_registration_timeout,
            executor_shutdown_grace_period=executor_shutdown_grace_period,
            kill_grace_period=kill_grace_period,
            stop_grace_period=stop_grace_period,
            inherit_env=inherit_env,
        )
        self._finalizer = weakref.finalize(self, self._native.stop)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: give it to a scheduler driver as the master."""
        return self._native.url

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``."""
        return self._native.address

    @property
    def port(self) -> int:
        """The master's port."""
        return self._native.port

    @property
    def work_dir(self) -> str:
        """The folder holding the sandboxes."""
        return self._native.work_dir

    @property
    def agents(self) -> list[LocalAgent]:
        """The agents, with their URLs, sandbox folders and resources."""
        return [LocalAgent(**a) for a in self._native.agents]

    @property
    def resources(self) -> dict[str, Any]:
        """Total resources over all agents (scalars summed; ranges and sets of the first)."""
        total: dict[str, Any] = {}
        for agent in self.agents:
            for name, value in agent.resources.items():
                if isinstance(value, float) and isinstance(total.get(name, 0.0), float):
                    total[name] = total.get(name, 0.0) + value
                else:
                    total.setdefault(name, value)
        return total

    def live_processes(self) -> int:
        """Executors and command tasks alive now."""
        return self._native.live_processes()

    def stop(self) -> None:
        """Stops the cluster: every executor and task is terminated (idempotent)."""
        self._finalizer()

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalCluster(url={self.url!r}, agents={len(self.agents)})"


def start_local(spec: str = "local", **settings: Any) -> LocalCluster:
    """Starts the cluster a ``MESOS_MASTER`` of ``local`` or ``local:N`` (N agents) stands for.

    ``settings`` are :class:`LocalCluster`'s keyword arguments.
    """
    return LocalCluster(agents=parse_spec(spec), **settings)


_shared: dict[int, LocalCluster] = {}
_shared_lock = threading.Lock()


def shared_cluster(agents: int = 1) -> LocalCluster:
    """The process's embedded cluster with ``agents`` agents, started on first use and stopped
    when the interpreter exits (its executors and tasks end with it, however it ends).

    This is what an unset ``MESOS_MASTER`` (or ``local`` / ``local:N``) connects to, so every
    framework of the process shares one cluster, as they would share a real one.
    """
    with _shared_lock:
        cluster = _shared.get(agents)
        if cluster is None:
            cluster = _shared[agents] = LocalCluster(agents=agents)
            if len(_shared) == 1:
                atexit.register(_stop_shared)
        return cluster


def _stop_shared() -> None:
    with _shared_lock:
        clusters = list(_shared.values())
        _shared.clear()
    for cluster in clusters:
        cluster.stop()
