"""satyr.local: the LocalCluster context manager, start_local, resources, errors at start, and
``python -m satyr.local`` (URL on the first line, clean exit on SIGTERM and SIGINT)."""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from local_helpers import JsonScheduler, task
from satyr import SatyrError
from satyr.local import LocalCluster, format_resources, parse_spec, start_local

RESOURCES = "cpus:2;mem:2048;disk:4096;ports:[31000-32000]"


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def test_context_manager_runs_a_command_task() -> None:
    with LocalCluster(agents=2, resources=RESOURCES) as cluster:
        assert cluster.url == f"http://{cluster.address}"
        assert cluster.url.startswith("http://127.0.0.1:")
        assert len(cluster.agents) == 2
        agent = cluster.agents[0]
        assert agent.resources["cpus"] == 2.0
        assert agent.resources["ports"] == [(31000, 32000)]
        assert cluster.resources["cpus"] == 4.0
        assert get_json(f"{cluster.url}/version")["version"] == "1.11.0"
        sched = JsonScheduler(cluster.address, "ctx")
        offer = sched.next("OFFERS")["offers"]["offers"][0]
        sched.launch(offer, [task("echo", offer, command={"value": "echo hi"})])
        states = []
        while not states or states[-1] in ("TASK_STARTING", "TASK_RUNNING"):
            states.append(sched.update()["state"])
        assert states[-1] == "TASK_FINISHED"
        state = get_json(f"{cluster.url}/master/state")
        assert state["frameworks"][0]["id"] == sched.framework_id
        assert cluster.live_processes() == 0
        work_dir = Path(cluster.work_dir)
        assert work_dir.is_dir()
    # A temporary work folder goes with the cluster.
    assert not work_dir.exists()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{cluster.url}/version", timeout=5)


def test_stop_is_idempotent_and_repr() -> None:
    cluster = LocalCluster(resources=RESOURCES)
    assert "LocalCluster(url='http://127.0.0.1:" in repr(cluster)
    cluster.stop()
    cluster.stop()


def test_start_local_and_specs() -> None:
    assert parse_spec("local") == 1
    assert parse_spec(" local:3 ") == 3
    for bad in ("local:0", "local:x", "locals", "zk://h/mesos", "local:"):
        with pytest.raises(ValueError, match="local:N"):
            parse_spec(bad)
    with start_local("local:2", resources=RESOURCES) as cluster:
        assert len(cluster.agents) == 2


def test_resources_from_a_mapping() -> None:
    text = format_resources({"cpus": 1.5, "mem": 512, "ports": [(1, 2), (5, 6)], "x": ["a", "b"]})
    assert text == "cpus:1.5;mem:512;ports:[1-2,5-6];x:{a,b}"
    assert format_resources("cpus:1") == "cpus:1"
    with pytest.raises(TypeError):
        format_resources({"cpus": True})
    with LocalCluster(resources={"cpus": 3, "mem": 100}) as cluster:
        assert cluster.agents[0].resources == {"cpus": 3.0, "mem": 100.0}


def test_default_resources_are_this_machines() -> None:
    with LocalCluster() as cluster:
        res = cluster.agents[0].resources
        assert res["cpus"] >= 1
        assert res["mem"] > 0
        assert res["ports"] == [(31000, 32000)]


def test_bad_settings_fail_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="resources"):
        LocalCluster(resources="cpus:lots")
    with pytest.raises(ValueError, match="agents"):
        LocalCluster(agents=0)
    with pytest.raises(ValueError, match="allocation_interval"):
        LocalCluster(allocation_interval=-1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SatyrError, match=f"127.0.0.1:{port}"):
            LocalCluster(port=port)
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(SatyrError, match="work folder"):
        LocalCluster(work_dir=afile / "sandboxes")


def read_line(proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no output in time"
    return proc.stdout.readline().strip()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_module_serves_until_signalled(sig: signal.Signals, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satyr.local",
            "--agents",
            "2",
            "--resources",
            RESOURCES,
            "--work-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = read_line(proc)
        assert url.startswith("http://127.0.0.1:")
        state = get_json(f"{url}/master/state")
        assert len(state["slaves"]) == 2
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()


def test_module_reports_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "satyr.local", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 2
    assert out.stdout == ""
    assert f"127.0.0.1:{port}" in out.stderr
