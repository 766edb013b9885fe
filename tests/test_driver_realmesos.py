"""The scheduler driver's Python face against REAL Mesos 1.11 (tests/realmesos): the §5 cases
marked R, numbered in the test names (``[real]``). Where a case is about what the master does
with a malformed request (5, 6, 9, 12, 33) the test sends that request itself over raw HTTP and
checks the driver never produces it.

Frameworks share the session's one-agent cluster (`real_mesos`) and tear themselves down at the
end of each test, so they do not compete for offers; cases that need more (two agents, a master
restart) start their own."""

from __future__ import annotations

import contextlib
import getpass
import http.client
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import satyr
from conftest import RealMesos, start_real_mesos, wait_until
from fakemaster import Recorder
from satyr.driver import SchedulerDriver
from satyr.proxies.messages import CommandInfo, SchedulerCall, TaskInfo

pytestmark = pytest.mark.realmesos

REAL = pytest.mark.parametrize("where", ["real"])
#: Cases run against real Mesos 1.11 and the embedded local cluster, with the same assertions.
BOTH = pytest.mark.parametrize("where", ["real", "local"])


@pytest.fixture
def real_mesos(where: str, real_mesos: RealMesos, request: pytest.FixtureRequest) -> RealMesos:
    """The master a case runs against: the real cluster, or the local one for ``[local]``."""
    if where == "local":
        local: RealMesos = request.getfixturevalue("local_mesos")
        return local
    return real_mesos


USER = getpass.getuser()
FAST = {"backoff_min": 0.05, "backoff_max": 1.0}
WAIT = 30.0


# -- helpers ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def framework(
    url: str,
    scheduler: Recorder | None = None,
    *,
    name: str = "real-test",
    failover: bool = False,
    **kw: Any,
) -> Iterator[tuple[SchedulerDriver, Recorder]]:
    """A started driver; stopped at the end (torn down unless ``failover``)."""
    rec = scheduler if scheduler is not None else Recorder()
    info = {"user": USER, "name": name, **kw.pop("framework", {})}
    driver = SchedulerDriver(rec, info, url, **{**FAST, **kw}).start()
    try:
        yield driver, rec
    finally:
        if driver.state != "STOPPED":
            with contextlib.suppress(satyr.SatyrError):
                driver.stop(failover=failover)
        assert driver.join(WAIT)


def state(cluster: RealMesos) -> dict[str, Any]:
    with urllib.request.urlopen(f"{cluster.url}/master/state", timeout=WAIT) as r:
        return dict(json.load(r))


def find_framework(cluster: RealMesos, framework_id: str) -> dict[str, Any] | None:
    s = state(cluster)
    for f in s["frameworks"] + s["completed_frameworks"]:
        if f["id"] == framework_id:
            return dict(f)
    return None


def post(
    cluster: RealMesos, body: bytes, headers: dict[str, str]
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """POSTs to /api/v1/scheduler; returns the connection and the response (unread)."""
    host, port = cluster.address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    conn.request("POST", "/api/v1/scheduler", body=body, headers=headers)
    return conn, conn.getresponse()


def call_bytes(**fields: Any) -> bytes:
    return bytes(SchedulerCall(**fields).to_bytes())


def first_record(resp: http.client.HTTPResponse) -> bytes:
    """The first RecordIO record of an event stream."""
    size = int(resp.readline().strip())
    return resp.read(size)


def subscribe_call(framework_id: str | None = None, **info: Any) -> bytes:
    fi: dict[str, Any] = {"user": USER, "name": "raw", **info}
    fields: dict[str, Any] = {"type": "SUBSCRIBE", "subscribe": {"framework_info": fi}}
    if framework_id is not None:
        fields["framework_id"] = {"value": framework_id}
        fi["id"] = {"value": framework_id}
    return call_bytes(**fields)


PROTOBUF = {"Content-Type": "application/x-protobuf", "Accept": "application/x-protobuf"}


def take_offers(rec: Recorder, agent: str | None = None) -> list[Any]:
    """The next offers (of ``agent``)."""
    while True:
        (offers,) = rec.expect("offers")
        offers = [o for o in offers if agent is None or o.agent_id.value == agent]
        if offers:
            return offers


def command_task(
    offer: Any, name: str, command: str, cpus: float = 0.1, mem: float = 32.0, **fields: Any
) -> TaskInfo:
    resources = [
        {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
        {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}},
    ]
    return TaskInfo(
        name=name,
        task_id=fields.pop("task_id", name),
        agent_id=offer.agent_id,
        resources=resources,
        command=CommandInfo(value=command),
        **fields,
    )


def updates_until(rec: Recorder, task: str, done: Any) -> list[Any]:
    """Statuses of ``task`` until ``done(status)``; updates of other tasks are skipped."""
    got = []
    while True:
        (status,) = rec.expect("update")
        if status.task_id.value == task:
            got.append(status)
            if done(status):
                return got


# -- framing and encoding ----------------------------------------------------------------------


@BOTH
def test_case_05_content_type_exactness(where: str, real_mesos: RealMesos) -> None:
    body = subscribe_call()
    conn, resp = post(
        real_mesos,
        body,
        {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"},
    )
    assert resp.status == 415, resp.read()
    conn.close()
    # The driver's exact types get through, in both encodings.
    for encoding in ("protobuf", "json"):
        with framework(real_mesos.url, encoding=encoding) as (driver, rec):
            rec.expect("registered")
            driver.revive()


@BOTH
def test_case_06_accept_negotiation(where: str, real_mesos: RealMesos) -> None:
    conn, resp = post(real_mesos, subscribe_call(), PROTOBUF)
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/x-protobuf"
    event = satyr._satyr.decode("mesos.v1.scheduler.Event", first_record(resp))
    assert event["type"] == "SUBSCRIBED"
    conn.close()
    conn, resp = post(real_mesos, subscribe_call(), {"Content-Type": "application/x-protobuf"})
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/json"
    assert json.loads(first_record(resp))["type"] == "SUBSCRIBED"
    conn.close()


@BOTH
def test_case_07_json_mode_sends_snake_case_fields(where: str, real_mesos: RealMesos) -> None:
    info = {"failover_timeout": 1234.5}
    with framework(real_mesos.url, encoding="json", framework=info) as (_, rec):
        fid, _ = rec.expect("registered")
        f = find_framework(real_mesos, fid.value)
        assert f is not None and f["failover_timeout"] == 1234.5


# -- subscribe and stream id -------------------------------------------------------------------


@BOTH
def test_case_09_stream_id_rotates(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url, failover=True, framework={"failover_timeout": 60}) as (_, rec_a):
        fid, _ = rec_a.expect("registered")
    # The master knows the framework (disconnected, within its failover timeout). Two raw
    # subscriptions get two stream ids, and a call with the first is refused.
    conn1, r1 = post(real_mesos, subscribe_call(fid.value, failover_timeout=60), PROTOBUF)
    s1 = r1.getheader("Mesos-Stream-Id")
    conn2, r2 = post(real_mesos, subscribe_call(fid.value, failover_timeout=60), PROTOBUF)
    s2 = r2.getheader("Mesos-Stream-Id")
    assert r1.status == r2.status == 200 and s1 and s2 and s1 != s2
    revive = call_bytes(type="REVIVE", framework_id={"value": fid.value})
    for stream_id, status in ((s1, 400), (s2, 202), (None, 400)):
        headers = dict(PROTOBUF)
        if stream_id:
            headers["Mesos-Stream-Id"] = stream_id
        c, resp = post(real_mesos, revive, headers)
        assert resp.status == status, (stream_id, resp.read())
        c.close()
    conn1.close()
    conn2.close()
    # A driver resubscribing the same framework gets its own stream id and its calls pass.
    with framework(real_mesos.url, framework={"id": fid.to_plain(), "failover_timeout": 60}) as (
        b,
        rec_b,
    ):
        fid_b, _ = rec_b.expect("registered")
        assert fid_b == fid
        b.revive()
        b.suppress()


@REAL
def test_case_11_resubscribe_after_master_restart(where: str, tmp_path: Path) -> None:
    cluster = start_real_mesos(tmp_path / "a")
    try:
        with framework(cluster.url, framework={"failover_timeout": 300}, backoff_max=0.5) as (
            driver,
            rec,
        ):
            fid, _ = rec.expect("registered")
            cluster.stop()
            rec.expect("disconnected")
            # Same ports, fresh master: the framework comes back under its own id.
            restarted = start_real_mesos(tmp_path / "b", **_ports(cluster))
            try:
                again, master = rec.expect("reregistered")
                assert again == fid
                assert master.port == int(cluster.address.split(":")[1])
                assert driver.framework_id == fid
                assert find_framework(restarted, fid.value)["active"] is True  # type: ignore[index]
            finally:
                restarted.stop()
    finally:
        cluster.stop()


def _ports(cluster: RealMesos) -> dict[str, str]:
    return {k: cluster.env[k] for k in ("MESOS_MASTER_PORT", "MESOS_AGENT_PORT")}


@BOTH
def test_case_12_framework_id_mismatch_is_refused(where: str, real_mesos: RealMesos) -> None:
    body = call_bytes(
        type="SUBSCRIBE",
        subscribe={"framework_info": {"user": USER, "name": "raw", "id": {"value": "x-0001"}}},
    )
    conn, resp = post(real_mesos, body, PROTOBUF)
    assert resp.status == 400, resp.status
    conn.close()
    # The driver sets both ids whenever it has one (here from FrameworkInfo.id).
    with framework(real_mesos.url, failover=True, framework={"failover_timeout": 60}) as (_, r):
        fid, _ = r.expect("registered")
    with framework(real_mesos.url, framework={"id": fid.to_plain()}) as (_, rec):
        assert rec.expect("registered")[0] == fid


@BOTH
def test_case_14_removed_framework_is_not_resubscribed(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url, failover=True, framework={"failover_timeout": 0}) as (_, r):
        fid, _ = r.expect("registered")
    # The master removes the framework once it notices the closed connection: wait for that.
    wait_until(
        "the master to remove the framework",
        lambda: any(f["id"] == fid.value for f in state(real_mesos)["completed_frameworks"]),
    )
    with framework(real_mesos.url, framework={"id": fid.to_plain()}) as (driver, rec):
        (message,) = rec.expect("error")
        assert "Framework has been removed" in message
        (err,) = rec.expect("failure")
        assert isinstance(err, satyr.FrameworkRemovedError)
        assert driver.join(WAIT) and driver.state == "STOPPED"
        assert "registered" not in rec.names() and "reregistered" not in rec.names()


@BOTH
def test_case_15_two_instances(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url, framework={"failover_timeout": 60}) as (a, rec_a):
        fid, _ = rec_a.expect("registered")
        with framework(
            real_mesos.url, framework={"id": fid.to_plain(), "failover_timeout": 60}
        ) as (b, rec_b):
            assert rec_b.expect("registered")[0] == fid
            (message,) = rec_a.expect("error")
            assert "Framework failed over" in message
            (err,) = rec_a.expect("failure")
            assert type(err) is satyr.MesosError
            assert a.join(WAIT) and a.state == "STOPPED"
            # B stays subscribed and gets offers.
            offers = take_offers(rec_b)
            assert offers and b.connected
            b.decline(offers)


@BOTH
def test_case_16_calls_when_not_subscribed(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url, failover=True, framework={"failover_timeout": 60}) as (d, r):
        fid, _ = r.expect("registered")
        (offers,) = r.expect("offers")
    # The master deactivates the framework once it notices the closed connection: wait for that.
    wait_until(
        "the master to deactivate the framework",
        lambda: (find_framework(real_mesos, fid.value) or {}).get("active") is False,
    )
    # What the master does with a call outside a subscription: 403.
    body = call_bytes(
        type="DECLINE",
        framework_id={"value": fid.value},
        decline={"offer_ids": [offers[0].id]},
    )
    conn, resp = post(real_mesos, body, PROTOBUF)
    assert resp.status == 403, (resp.status, resp.read())
    conn.close()
    # The driver refuses locally instead.
    with pytest.raises(satyr.NotConnectedError):
        d.decline(offers)
    with framework(real_mesos.url, framework={"id": fid.to_plain()}) as (_, rec):
        rec.expect("registered")  # tear the framework down


# -- acknowledgements and updates --------------------------------------------------------------


@BOTH
def test_case_26_stream_blocked_without_ack(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url, implicit_acknowledgements=False) as (driver, rec):
        rec.expect("registered")
        offer = take_offers(rec)[0]
        driver.launch(offer, [command_task(offer, "t26", "echo hi")])
        (first,) = rec.expect("update")
        assert first.has_field("uuid") and not first.has_terminated()
        # Not acknowledged: the agent holds the rest back and resends this one (~10 s).
        name, (_, again) = rec.next(timeout=WAIT)
        while name == "offers":
            name, (_, again) = rec.next(timeout=WAIT)
        assert name == "update"
        assert again.state == first.state and again.uuid == first.uuid
        driver.acknowledge(again)
        statuses = updates_until(rec, "t26", lambda s: s.has_terminated() or driver.acknowledge(s))
        assert statuses[-1].state == "TASK_FINISHED"
        driver.acknowledge(statuses[-1])


@REAL
def test_case_27_invalid_offers(where: str, tmp_path: Path) -> None:
    cluster = start_real_mesos(tmp_path, agents=2)
    try:
        with framework(cluster.url) as (driver, rec):
            rec.expect("registered")
            held: dict[str, Any] = {}
            while len(held) < 2:
                for o in take_offers(rec):
                    held[o.agent_id.value] = o
            a, b = held.values()
            # Offers of two agents in one ACCEPT: the master rejects them as invalid offers.
            driver.launch([a, b], [command_task(a, "t27", "echo hi")])
            (status,) = rec.expect("update")
            assert status.state in ("TASK_LOST", "TASK_DROPPED")
            assert status.reason == "REASON_INVALID_OFFERS"
            assert status.source == "SOURCE_MASTER"
            assert not status.has_field("uuid")  # so never acknowledged
            # A used offer is refused locally.
            with pytest.raises(satyr.OfferNotHeldError):
                driver.launch(a, [command_task(a, "t27b", "echo hi")])
    finally:
        cluster.stop()


# -- reconciliation ------------------------------------------------------------------------------


@BOTH
def test_case_29_explicit_reconciliation(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url) as (driver, rec):
        rec.expect("registered")
        offer = take_offers(rec)[0]
        driver.decline(offer)
        driver.reconcile([{"task_id": {"value": "nope"}, "agent_id": offer.agent_id}])
        status = updates_until(rec, "nope", lambda s: True)[0]
        assert status.state == "TASK_LOST"
        assert status.reason == "REASON_RECONCILIATION"
        assert not status.has_field("uuid")


@BOTH
def test_case_30_implicit_reconciliation_and_kill(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url) as (driver, rec):
        rec.expect("registered")
        offer = take_offers(rec)[0]
        tasks = [command_task(offer, f"t30-{i}", "sleep 60") for i in range(2)]
        driver.launch(offer, tasks)
        running: set[str] = set()
        while len(running) < 2:
            (status,) = rec.expect("update")
            assert not status.has_terminated(), status
            if status.is_running():
                running.add(status.task_id.value)
        driver.reconcile()
        got = {}
        while len(got) < 2:
            (status,) = rec.expect("update")
            if status.reason == "REASON_RECONCILIATION":
                got[status.task_id.value] = status
        assert set(got) == running
        for s in got.values():
            assert s.state == "TASK_RUNNING" and not s.has_field("uuid")
            assert not s.has_field("data")
        for t in tasks:
            driver.kill(t.task_id, t.agent_id)
        killed = set()
        while len(killed) < 2:
            (status,) = rec.expect("update")
            if status.has_terminated():
                assert status.state == "TASK_KILLED", status
                killed.add(status.task_id.value)


# -- offers and roles ----------------------------------------------------------------------------


@BOTH
def test_case_31_decline_filters_and_revive(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url) as (driver, rec):
        rec.expect("registered")
        offer = take_offers(rec)[0]
        agent = offer.agent_id.value
        driver.decline(offer, refuse_seconds=3600)
        # Three allocation cycles (1 s each) without an offer for that agent.
        with pytest.raises(AssertionError, match="no callback"):
            rec.expect("offers", timeout=3.0)
        driver.revive()
        offer = take_offers(rec, agent)[0]
        driver.decline(offer, refuse_seconds=0)
        take_offers(rec, agent)


@BOTH
def test_case_32_suppress_and_revive_by_role(where: str, real_mesos: RealMesos) -> None:
    info = {"roles": ["a", "b"], "capabilities": [{"type": "MULTI_ROLE"}]}
    with framework(real_mesos.url, framework=info) as (driver, rec):
        rec.expect("registered")
        driver.suppress(["a"])
        for offer in take_offers(rec):
            driver.decline(offer, refuse_seconds=0)
        # Offers keep coming, for b only.
        roles = []
        for _ in range(3):
            for offer in take_offers(rec):
                roles.append(offer.allocation_info.role)
                driver.decline(offer, refuse_seconds=0)
        assert set(roles[1:]) == {"b"}, roles  # the first may predate the SUPPRESS
        driver.revive(["a"])
        driver.suppress(["b"])
        for _ in range(5):
            offers = take_offers(rec)
            role = offers[0].allocation_info.role
            driver.decline(offers, refuse_seconds=0)
            if role == "a":
                break
        else:
            raise AssertionError("no offer for role a after REVIVE")


@BOTH
def test_case_33_multi_role_validation(where: str, real_mesos: RealMesos) -> None:
    multi = [{"type": "MULTI_ROLE"}]
    bad = [
        {"roles": ["a"], "role": "b", "capabilities": multi},
        {"roles": ["a"]},
    ]
    for info in bad:
        # The master answers with an ERROR event...
        conn, resp = post(real_mesos, subscribe_call(**info), PROTOBUF)
        assert resp.status == 200
        event = satyr._satyr.decode("mesos.v1.scheduler.Event", first_record(resp))
        assert event["type"] == "ERROR", event
        conn.close()
        # ... which the driver never provokes: the settings are refused at construction.
        with pytest.raises(satyr.InvalidCallError, match="role"):
            SchedulerDriver(Recorder(), {"user": USER, "name": "x", **info}, real_mesos.url)


@BOTH
def test_case_34_launch_echoing_offered_resources(where: str, real_mesos: RealMesos) -> None:
    info = {"roles": ["r34"], "capabilities": [{"type": "MULTI_ROLE"}]}
    with framework(real_mesos.url, framework=info) as (driver, rec):
        rec.expect("registered")
        offer = take_offers(rec)[0]
        resources = [r for r in offer.resources if r.name in ("cpus", "mem")]
        assert all(r.allocation_info.role == "r34" for r in resources)
        task = TaskInfo(
            name="t34",
            task_id="t34",
            resources=resources,  # unmodified, allocation_info included
            command=CommandInfo(value="echo hi"),
        )
        driver.launch(offer, [task])
        states = [s.state for s in updates_until(rec, "t34", lambda s: s.has_terminated())]
        assert "TASK_RUNNING" in states and states[-1] == "TASK_FINISHED", states


@BOTH
def test_case_35_invalid_task_id(where: str, real_mesos: RealMesos) -> None:
    with framework(real_mesos.url) as (driver, rec):
        rec.expect("registered")
        offer = take_offers(rec)[0]
        driver.launch(offer, [command_task(offer, "bad", "echo hi", task_id="a/b")])
        status = updates_until(rec, "a/b", lambda s: True)[0]
        assert status.state == "TASK_ERROR"
        assert status.reason == "REASON_TASK_INVALID"
        assert status.source == "SOURCE_MASTER"
        assert not status.has_field("uuid")


@BOTH
def test_case_36_teardown_and_failover_stop(where: str, real_mesos: RealMesos) -> None:
    # stop(failover=True): no TEARDOWN; the same id subscribes again within failover_timeout.
    with framework(real_mesos.url, failover=True, framework={"failover_timeout": 60}) as (_, r):
        fid, _ = r.expect("registered")
    # The master marks it inactive once it sees the event stream close, which takes a moment.
    wait_until(
        "the master to mark the framework inactive",
        lambda: find_framework(real_mesos, fid.value)["active"] is False,  # type: ignore[index]
    )
    with framework(real_mesos.url, framework={"id": fid.to_plain()}) as (driver, rec):
        assert rec.expect("registered")[0] == fid
        driver.stop()  # TEARDOWN
        assert driver.join(WAIT) and driver.error is None
    f = find_framework(real_mesos, fid.value)
    assert f is not None and f in state(real_mesos)["completed_frameworks"]
    with framework(real_mesos.url, framework={"id": fid.to_plain()}) as (_, rec):
        (err,) = rec.expect("failure")
        assert isinstance(err, satyr.FrameworkRemovedError)
