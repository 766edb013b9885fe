"""zk:// master detection through the Python face against a REAL ZooKeeper (Debian's zookeeper
package, started here on a free port) whose ``json.info_`` znodes, written by the test as Mesos
writes them, point at REAL Mesos masters; the leader changes from one real cluster to another
(§5 case 20 with real masters)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RealMesos, start_real_mesos
from fakemaster import Recorder
from kazoo.client import KazooClient
from test_driver_realmesos import framework

pytestmark = pytest.mark.realmesos

ZK_JAR = "/usr/share/java/zookeeper.jar"
LOG_JAR = "/usr/share/java/slf4j-simple.jar"


@pytest.fixture(scope="module")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ZooKeeper server; yields ``127.0.0.1:port``."""
    if not Path(ZK_JAR).exists() or shutil.which("java") is None:
        raise RuntimeError(f"{ZK_JAR} or java missing: run scripts/install-test-deps.sh")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path_factory.mktemp("zk")
    proc = subprocess.Popen(
        ["java", "-Dzookeeper.admin.enableServer=false", "-Xmx256m", "-cp",
         f"{ZK_JAR}:{LOG_JAR}", "org.apache.zookeeper.server.ZooKeeperServerMain",
         str(port), str(data)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ready = threading.Event()
    failed: list[str] = []

    def drain() -> None:
        # slf4j-simple logs to stderr; keep draining so the server never blocks on the pipe.
        assert proc.stderr is not None
        for line in proc.stderr:
            if "ERROR" in line and not ready.is_set():
                failed.append(line)
                ready.set()
            if "ZKAuditProvider" in line:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        assert ready.wait(60), "zookeeper did not start within 60 s"
        assert not failed, failed
        yield f"127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def master_info_json(cluster: RealMesos) -> bytes:
    """The JSON MasterInfo Mesos writes into its ``json.info_`` znode, for ``cluster``."""
    with urllib.request.urlopen(f"{cluster.url}/master/state", timeout=30) as r:
        state = json.load(r)
    host, port = cluster.address.split(":")
    info: dict[str, Any] = {
        "address": {"hostname": state["hostname"], "ip": host, "port": int(port)},
        "hostname": state["hostname"],
        "id": state["id"],
        "ip": 16777343,  # 127.0.0.1 in network byte order, read as a little-endian uint32
        "pid": state["pid"],
        "port": int(port),
        "version": state["version"],
        "capabilities": [{"type": "AGENT_UPDATE"}, {"type": "AGENT_DRAINING"}],
    }
    return json.dumps(info).encode()


def test_case_20_zk_detection_and_leader_change_with_real_masters(
    zookeeper: str, real_mesos: RealMesos, tmp_path: Path
) -> None:
    second = start_real_mesos(tmp_path)
    zk = KazooClient(hosts=zookeeper)
    zk.start(timeout=30)
    try:
        zk.ensure_path("/mesos/log_replicas")
        zk.create("/mesos/json.info_0000000002", master_info_json(second))
        zk.create("/mesos/json.info_0000000001", master_info_json(real_mesos))
        first_port = int(real_mesos.address.split(":")[1])
        second_port = int(second.address.split(":")[1])
        url = f"zk://{zookeeper}/mesos"
        with framework(url, framework={"failover_timeout": 1}) as (driver, rec):
            assert isinstance(rec, Recorder)
            fid, master = rec.expect("registered")
            assert master.port == first_port  # the smallest sequence number leads
            assert driver.master == f"http://127.0.0.1:{first_port}"
            zk.delete("/mesos/json.info_0000000001")
            rec.expect("disconnected")
            again, master = rec.expect("reregistered")
            assert again == fid and master.port == second_port
            assert driver.master == f"http://127.0.0.1:{second_port}"
            driver.revive()
    finally:
        zk.stop()
        zk.close()
        second.stop()
