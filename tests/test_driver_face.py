"""The Python face of the scheduler driver against the scripted fake master (tests/fakemaster.py):
callbacks and their arguments, the call helpers and what they put on the wire, errors, dispatch
on one thread. The protocol itself is tested in Rust (tests/driver_*.rs); §5 case numbers are in
the names where a test covers one."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import satyr
from fakemaster import (
    FakeMaster,
    Recorder,
    Reply,
    error,
    heartbeat,
    offer,
    offers,
    rescind,
    update,
)
from satyr.driver import SchedulerDriver
from satyr.interface import Scheduler
from satyr.proxies import _registry
from satyr.proxies.messages import (
    AgentID,
    CommandInfo,
    FrameworkID,
    MasterInfo,
    Offer,
    OfferID,
    TaskID,
    TaskInfo,
    TaskStatus,
)

FRAMEWORK = {"user": "tester", "name": "face-test", "failover_timeout": 3600.0}
FAST = {"backoff_min": 0.01, "backoff_max": 0.2}
U1 = bytes(range(16))
U2 = bytes(range(16, 32))


@pytest.fixture
def fm() -> Iterator[FakeMaster]:
    with FakeMaster() as master:
        yield master


def start(
    fm: FakeMaster, scheduler: Scheduler | None = None, **kw: Any
) -> tuple[SchedulerDriver, Recorder]:
    rec = scheduler if scheduler is not None else Recorder()
    driver = SchedulerDriver(rec, dict(FRAMEWORK), fm.url, **{**FAST, **kw})
    driver.start()
    return driver, rec  # type: ignore[return-value]


@pytest.fixture
def subscribed(fm: FakeMaster) -> Iterator[tuple[SchedulerDriver, Recorder, Any]]:
    driver, rec = start(fm)
    stream = fm.subscribe("fw-1")
    rec.expect("registered")
    yield driver, rec, stream
    driver.stop(failover=True)
    assert driver.join(20)


def test_case_10_registered_with_framework_id_and_master_info(fm: FakeMaster) -> None:
    driver, rec = start(fm)
    assert driver.state in ("DISCONNECTED", "SUBSCRIBING")
    stream = fm.subscribe("fw-new")
    fid, master = rec.expect("registered")
    assert rec.seen[-1][1][0] is driver
    assert fid == FrameworkID(value="fw-new")
    assert isinstance(master, MasterInfo) and master.port == fm.port
    assert driver.framework_id == FrameworkID(value="fw-new")
    assert driver.connected and driver.master == fm.url
    sub = stream.request.call["subscribe"]["framework_info"]
    assert sub["user"] == "tester" and "id" not in sub
    driver.stop(failover=True)
    assert driver.join(20) and driver.error is None
    assert fm.calls() == []  # failover stop: no TEARDOWN


def test_case_11_reregistered_after_eof_with_the_same_id(subscribed: Any, fm: FakeMaster) -> None:
    driver, rec, stream = subscribed
    stream.close()
    rec.expect("disconnected")
    assert not driver.connected
    again = fm.next_stream()
    call = again.request.call
    assert call["framework_id"] == {"value": "fw-1"}
    assert call["subscribe"]["framework_info"]["id"] == {"value": "fw-1"}
    again.send({"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "fw-1"}}})
    fid, _ = rec.expect("reregistered")
    assert fid.value == "fw-1"


def test_callbacks_get_proxies_in_order_on_one_thread(subscribed: Any, fm: FakeMaster) -> None:
    _, rec, stream = subscribed
    stream.send(offers(offer("o1"), offer("o2", agent="agent-2")))
    stream.send(rescind("o2"))
    stream.send(update("t1", "TASK_RUNNING", uuid=U1))
    stream.send(
        {
            "type": "MESSAGE",
            "message": {"agent_id": {"value": "a"}, "executor_id": {"value": "e"}, "data": b"hi"},
        }
    )
    stream.send({"type": "FAILURE", "failure": {"agent_id": {"value": "a"}}})
    stream.send(
        {
            "type": "FAILURE",
            "failure": {"agent_id": {"value": "a"}, "executor_id": {"value": "e"}, "status": 3},
        }
    )
    inverse = {
        "id": {"value": "i1"},
        "framework_id": {"value": "fw-1"},
        "unavailability": {"start": {"nanoseconds": 0}},
    }
    stream.send({"type": "INVERSE_OFFERS", "inverse_offers": {"inverse_offers": [inverse]}})
    stream.send(
        {
            "type": "RESCIND_INVERSE_OFFER",
            "rescind_inverse_offer": {"inverse_offer_id": {"value": "i1"}},
        }
    )
    (got,) = rec.expect("offers")
    assert [type(o) for o in got] == [Offer, Offer]
    assert [o.id.value for o in got] == ["o1", "o2"]
    assert got[1].slave_id == AgentID(value="agent-2")
    assert rec.next()[0] == "rescinded" and rec.seen[-1][1][1] == OfferID(value="o2")
    name, (_, status) = rec.next()
    assert name == "update" and isinstance(status, TaskStatus) and status.is_running()
    assert rec.next()[1][1:] == (
        satyr.proxies.messages.ExecutorID(value="e"),
        AgentID(value="a"),
        b"hi",
    )
    assert rec.next()[1][1:] == (AgentID(value="a"),)  # on_agent_lost -> on_slave_lost
    assert rec.next()[1][1:] == (
        satyr.proxies.messages.ExecutorID(value="e"),
        AgentID(value="a"),
        3,
    )
    name, (_, inverse_offers) = rec.next()
    assert name == "inverse_offers" and inverse_offers[0].id.value == "i1"
    assert rec.next()[0] == "rescinded_inverse_offer"
    assert rec.names() == [
        "registered", "offers", "rescinded", "update", "message", "slave_lost",
        "executor_lost", "inverse_offers", "rescinded_inverse_offer",
    ]  # fmt: skip
    assert rec.threads == {"satyr-scheduler"}


def test_offer_subclass_templates_dispatch(subscribed: Any) -> None:
    _, rec, stream = subscribed
    state = _registry.snapshot()
    try:

        class Special(Offer):
            proto = Offer(hostname="special")

        stream.send(offers(offer("o1"), offer("o2", hostname="special")))
        (got,) = rec.expect("offers")
        assert [type(o) for o in got] == [Offer, Special]
    finally:
        _registry.restore(state)


def test_a_raising_callback_is_logged_and_the_framework_keeps_running(
    fm: FakeMaster, caplog: pytest.LogCaptureFixture
) -> None:
    class Flaky(Recorder):
        def on_offers(self, driver, offers):  # type: ignore[no-untyped-def]
            super().on_offers(driver, offers)
            raise RuntimeError("boom in on_offers")

    driver, rec = start(fm, Flaky())
    stream = fm.subscribe()
    rec.expect("registered")
    with caplog.at_level(logging.ERROR, logger="satyr.driver"):
        stream.send(offers(offer("o1")))
        rec.expect("offers")
        stream.send(update("t1", "TASK_FINISHED", uuid=U1))
        rec.expect("update")
    assert any("boom in on_offers" in (r.exc_text or "") and r.exc_info for r in caplog.records), (
        caplog.text
    )
    assert driver.connected
    driver.stop(failover=True)


def test_launch_takes_offers_offer_ids_and_dicts(subscribed: Any, fm: FakeMaster) -> None:
    driver, rec, stream = subscribed
    stream.send(offers(offer("o1"), offer("o2"), offer("o3", agent="agent-3")))
    (got,) = rec.expect("offers")
    task = TaskInfo(name="t", command=CommandInfo(value="echo hi"), resources=[])
    driver.launch(got[0], [task])  # the README's form: an Offer
    assert task.agent_id == AgentID(value="agent-1")  # filled from the offer
    driver.launch(got[1].id, [{"name": "d", "task_id": "t-dict", "command": {"value": "true"}}])
    driver.launch("o3", [TaskInfo(name="s", task_id="t-str", slave_id="agent-3")])
    accepts = fm.wait_calls("ACCEPT", 3)
    bodies = [a.call["accept"] for a in accepts]
    assert [b["offer_ids"] for b in bodies] == [
        [{"value": "o1"}],
        [{"value": "o2"}],
        [{"value": "o3"}],
    ]
    launched = [b["operations"][0]["launch"]["task_infos"][0] for b in bodies]
    assert [t["agent_id"]["value"] for t in launched] == ["agent-1", "agent-1", "agent-3"]
    assert launched[0]["task_id"] == task.task_id.to_plain()
    assert launched[1]["task_id"] == {"value": "t-dict"}
    assert all(b["operations"][0]["type"] == "LAUNCH" for b in bodies)
    assert all(a.call["framework_id"] == {"value": "fw-1"} for a in accepts)
    # Used offers are gone: launching on one again is refused locally.
    with pytest.raises(satyr.OfferNotHeldError):
        driver.launch(got[0], [TaskInfo(name="again")])
    assert len(fm.calls("ACCEPT")) == 3


def test_launch_with_no_tasks_declines_and_decline_filters(subscribed: Any, fm: FakeMaster) -> None:
    driver, rec, stream = subscribed
    stream.send(offers(offer("o1"), offer("o2"), offer("o3")))
    (got,) = rec.expect("offers")
    driver.launch(got[0], [])
    driver.decline(got[1].id, refuse_seconds=3600)
    driver.decline(["o3"], filters={"refuse_seconds": 0.0})
    d1, d2, d3 = (c.call["decline"] for c in fm.wait_calls("DECLINE", 3))
    assert d1 == {"offer_ids": [{"value": "o1"}]}
    assert d2 == {"offer_ids": [{"value": "o2"}], "filters": {"refuse_seconds": 3600.0}}
    assert d3 == {"offer_ids": [{"value": "o3"}], "filters": {"refuse_seconds": 0.0}}
    with pytest.raises(satyr.InvalidCallError, match="not both"):
        driver.decline("o1", filters={"refuse_seconds": 1.0}, refuse_seconds=2)


def test_default_on_offers_declines(fm: FakeMaster) -> None:
    class Quiet(Scheduler):
        pass

    driver, _ = start(fm, Quiet())
    stream = fm.subscribe()
    stream.send(offers(offer("o1"), offer("o2")))
    (decline,) = fm.wait_calls("DECLINE")
    assert decline.call["decline"]["offer_ids"] == [{"value": "o1"}, {"value": "o2"}]
    driver.stop(failover=True)


def test_every_other_call_on_the_wire(subscribed: Any, fm: FakeMaster) -> None:
    driver, _, _ = subscribed
    driver.kill("t1")
    driver.kill(TaskID(value="t2"), agent_id="a2")
    driver.kill(TaskInfo(name="t", task_id="t3", agent_id="a3"))
    driver.reconcile()
    driver.reconcile(
        [TaskStatus(task_id="t1", agent_id="a1", state="TASK_RUNNING"), "t2", TaskID(value="t3")]
    )
    driver.revive()
    driver.revive(["a", "b"])
    driver.suppress("a")
    driver.message("e1", "a1", b"hello")
    driver.request([{"agent_id": {"value": "a1"}}])
    driver.shutdown("e1", "a1")
    driver.accept_inverse_offers("i1")
    driver.decline_inverse_offers(["i2"], filters={"refuse_seconds": 5})
    fm.wait_until("13 calls", lambda rs: len(rs) >= 14)
    c = [r.call for r in fm.calls()]
    assert [x["type"] for x in c] == [
        "KILL", "KILL", "KILL", "RECONCILE", "RECONCILE", "REVIVE", "REVIVE", "SUPPRESS",
        "MESSAGE", "REQUEST", "SHUTDOWN", "ACCEPT_INVERSE_OFFERS", "DECLINE_INVERSE_OFFERS",
    ]  # fmt: skip
    assert c[0]["kill"] == {"task_id": {"value": "t1"}}
    assert c[1]["kill"] == {"task_id": {"value": "t2"}, "agent_id": {"value": "a2"}}
    assert c[2]["kill"] == {"task_id": {"value": "t3"}, "agent_id": {"value": "a3"}}
    assert c[3].get("reconcile", {}) == {}  # implicit: no tasks
    assert c[4]["reconcile"]["tasks"] == [
        {"task_id": {"value": "t1"}, "agent_id": {"value": "a1"}},
        {"task_id": {"value": "t2"}},
        {"task_id": {"value": "t3"}},
    ]
    assert c[5].get("revive", {}) == {}
    # case 32: roles go out as the repeated `roles`, never the old `role`.
    assert c[6]["revive"] == {"roles": ["a", "b"]}
    assert c[7]["suppress"] == {"roles": ["a"]}
    assert c[8]["message"] == {
        "agent_id": {"value": "a1"},
        "executor_id": {"value": "e1"},
        "data": b"hello",
    }
    assert c[9]["request"] == {"requests": [{"agent_id": {"value": "a1"}}]}
    assert c[10]["shutdown"] == {"executor_id": {"value": "e1"}, "agent_id": {"value": "a1"}}
    assert c[11]["accept_inverse_offers"] == {"inverse_offer_ids": [{"value": "i1"}]}
    assert c[12]["decline_inverse_offers"]["filters"] == {"refuse_seconds": 5.0}
    assert all(r.headers["content-type"] == "application/x-protobuf" for r in fm.calls())
    assert all(r.headers["mesos-stream-id"] == "S1" for r in fm.calls())


def test_case_24_implicit_acks_iff_uuid(subscribed: Any, fm: FakeMaster) -> None:
    driver, rec, stream = subscribed
    stream.send(update("t1", "TASK_RUNNING", uuid=U1))
    stream.send(update("t1", "TASK_RUNNING", reason="REASON_RECONCILIATION"))
    stream.send(update("t1", "TASK_FINISHED", uuid=U2))
    for _ in range(3):
        rec.expect("update")
    acks = fm.wait_calls("ACKNOWLEDGE", 2)
    assert [a.call["acknowledge"]["uuid"] for a in acks] == [U1, U2]
    assert acks[0].call["acknowledge"]["task_id"] == {"value": "t1"}
    # acknowledge() is a no-op in implicit mode.
    driver.acknowledge(rec.seen[-1][1][1])
    driver.revive()
    fm.wait_calls("REVIVE")
    assert len(fm.calls("ACKNOWLEDGE")) == 2


def test_case_25_explicit_acks(fm: FakeMaster) -> None:
    driver, rec = start(fm, implicit_acknowledgements=False)
    stream = fm.subscribe()
    rec.expect("registered")
    stream.send(update("t1", "TASK_RUNNING", uuid=U1))
    stream.send(update("t1", "TASK_LOST", reason="REASON_RECONCILIATION"))
    (running,) = rec.expect("update")
    (lost,) = rec.expect("update")
    assert fm.calls("ACKNOWLEDGE") == []
    driver.acknowledge(running)
    (ack,) = fm.wait_calls("ACKNOWLEDGE")
    assert ack.call["acknowledge"] == {
        "agent_id": {"value": "agent-1"},
        "task_id": {"value": "t1"},
        "uuid": U1,
    }
    with pytest.raises(satyr.InvalidCallError, match="no uuid"):
        driver.acknowledge(lost)
    driver.revive()
    fm.wait_calls("REVIVE")
    assert len(fm.calls("ACKNOWLEDGE")) == 1
    driver.stop(failover=True)


def test_case_16_calls_while_not_subscribed_raise_and_send_nothing(fm: FakeMaster) -> None:
    fm.script_subscribe(*[Reply(503)] * 1000)
    driver = SchedulerDriver(Recorder(), FRAMEWORK, fm.url, backoff_min=0.05, backoff_max=0.1)
    with pytest.raises(satyr.NotConnectedError, match="not started"):
        driver.revive()
    driver.start()
    fm.wait_until("a SUBSCRIBE", lambda rs: len(rs) >= 1)
    for call in (
        lambda: driver.launch("o1", [TaskInfo(name="t", agent_id="a")]),
        lambda: driver.decline("o1"),
        lambda: driver.kill("t1"),
        driver.revive,
    ):
        with pytest.raises(satyr.NotConnectedError):
            call()
    assert fm.calls() == []
    driver.stop()  # nothing to tear down: stops anyway
    assert driver.join(20) and driver.state == "STOPPED"
    with pytest.raises(satyr.NotConnectedError):
        driver.revive()


def test_case_28_offers_dropped_on_resubscribe(subscribed: Any, fm: FakeMaster) -> None:
    driver, rec, stream = subscribed
    stream.send(offers(offer("o1")))
    (got,) = rec.expect("offers")
    stream.close()
    rec.expect("disconnected")
    fm.subscribe("fw-1")
    rec.expect("reregistered")
    with pytest.raises(satyr.OfferNotHeldError):
        driver.launch(got[0], [TaskInfo(name="t")])
    driver.decline(got[0])  # declining a forgotten offer sends nothing
    driver.revive()
    fm.wait_calls("REVIVE")
    assert fm.calls("ACCEPT") == [] and fm.calls("DECLINE") == []


def test_case_13_error_first_calls_on_error_then_on_failure(fm: FakeMaster) -> None:
    driver, rec = start(fm)
    stream = fm.next_stream()
    stream.send(error("Framework has been removed"))
    stream.close()
    (message,) = rec.expect("error")
    assert message == "Framework has been removed"
    (err,) = rec.expect("failure")
    assert isinstance(err, satyr.FrameworkRemovedError) and isinstance(err, satyr.MesosError)
    assert driver.join(20) and driver.error is err
    assert "registered" not in rec.names()
    assert fm.calls() == [] and len(fm.requests()) == 1  # no resubscription loop


def test_case_23_heartbeats_only_with_the_hook(fm: FakeMaster) -> None:
    driver, rec = start(fm, heartbeats=True)
    stream = fm.subscribe()
    for _ in range(10):
        stream.send(heartbeat())
    stream.send(update("t", "TASK_RUNNING"))
    for _ in range(10):
        rec.expect("heartbeat")
    rec.expect("update")
    driver.stop(failover=True)
    driver2, rec2 = start(fm)
    stream2 = fm.subscribe()
    for _ in range(10):
        stream2.send(heartbeat())
    stream2.send(update("t", "TASK_RUNNING"))
    rec2.expect("update")
    assert "heartbeat" not in rec2.names()
    driver2.stop(failover=True)


def test_case_36_stop_without_failover_tears_down(fm: FakeMaster) -> None:
    driver, rec = start(fm)
    fm.subscribe()
    rec.expect("registered")
    driver.stop()
    (teardown,) = fm.calls("TEARDOWN")
    assert teardown.call["framework_id"] == {"value": "fw-1"}
    assert driver.join(20) and driver.error is None and driver.state == "STOPPED"
    driver.stop()  # idempotent


def test_stop_and_join_from_a_callback(fm: FakeMaster) -> None:
    done = threading.Event()

    class Stopper(Recorder):
        def on_update(self, driver, status):  # type: ignore[no-untyped-def]
            driver.stop(failover=True)
            assert driver.join() is True  # its own thread: no deadlock
            done.set()

    driver, _ = start(fm, Stopper())
    stream = fm.subscribe()
    stream.send(update("t", "TASK_FINISHED", uuid=U1))
    assert done.wait(20)
    assert driver.join(20)


def test_errors_map_to_the_exception_family(fm: FakeMaster) -> None:
    assert issubclass(satyr.MesosConnectionError, ConnectionError)
    assert issubclass(satyr.NotConnectedError, satyr.MesosConnectionError)
    assert issubclass(satyr.InvalidCallError, ValueError)
    assert issubclass(satyr.OfferNotHeldError, satyr.InvalidCallError)
    assert issubclass(satyr.AuthenticationError, satyr.MesosError)
    for cls in (satyr.MesosError, satyr.MesosConnectionError, satyr.InvalidCallError):
        assert issubclass(cls, satyr.SatyrError)
    # A refused SUBSCRIBE (400) stops the driver with MesosError.
    fm.script_subscribe(Reply(400, body=b"Failed to validate scheduler::Call"))
    _, rec = start(fm)
    (err,) = rec.expect("failure")
    assert type(err) is satyr.MesosError and "400" in str(err)
    # 401: AuthenticationError.
    fm.script_subscribe(Reply(401))
    _, rec = start(fm)
    (err,) = rec.expect("failure")
    assert isinstance(err, satyr.AuthenticationError)


def test_connection_refused_is_a_disconnection_not_a_failure() -> None:
    with FakeMaster() as gone:
        url = gone.url
    driver = SchedulerDriver(Recorder(), FRAMEWORK, url, **FAST)
    driver.start()
    rec = driver.scheduler
    assert isinstance(rec, Recorder)
    rec.expect("disconnected")
    assert driver.state in ("DISCONNECTED", "SUBSCRIBING")
    driver.stop()
    assert driver.join(20) and driver.error is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"master": "zk://h1:2181/"}, "bad master address"),
        ({"master": "http://"}, "bad master address"),
        ({"framework": {"name": "x"}}, "user must be set"),
        ({"framework": {"user": "u"}}, "name must be set"),
        ({"principal": "p"}, "without a secret"),
        ({"encoding": "xml"}, "encoding"),
        ({"backoff_min": 2.0, "backoff_max": 1.0}, "backoff_max"),
        ({"backoff_min": -1.0}, "backoff_min"),
        ({"request_timeout": float("nan")}, "request_timeout"),
        ({"heartbeat_misses": 0}, "heartbeat_misses"),
        (
            {
                "framework": {
                    "user": "u",
                    "name": "n",
                    "roles": ["a"],
                    "role": "b",
                    "capabilities": [{"type": "MULTI_ROLE"}],
                }
            },
            "role must not be set",
        ),
        ({"framework": {"user": "u", "name": "n", "roles": ["a"]}}, "MULTI_ROLE"),
        ({"suppressed_roles": ["nope"]}, "suppressed role"),
    ],
)
def test_bad_settings_fail_at_construction(kwargs: dict[str, Any], match: str) -> None:
    args = {"framework": FRAMEWORK, "master": "127.0.0.1:5050", **kwargs}
    framework, master = args.pop("framework"), args.pop("master")
    with pytest.raises(satyr.InvalidCallError, match=match):
        SchedulerDriver(Recorder(), framework, master, **args)


def test_scheduler_must_be_a_scheduler() -> None:
    with pytest.raises(TypeError, match="Scheduler"):
        SchedulerDriver(object(), FRAMEWORK, "127.0.0.1:5050")  # type: ignore[arg-type]


def test_send_call_sends_encoded_calls_as_they_are(subscribed: Any, fm: FakeMaster) -> None:
    driver, _, _ = subscribed
    core = satyr._satyr.SchedulerCore()
    core.subscribed(0.0)
    core.submit(TaskInfo(name="t", task_id="t1", command=CommandInfo(value="true")).to_bytes())
    ops, _ = core.tick(0.1)
    assert [name for name, _ in ops] == ["REVIVE"]
    for _, data in ops:
        driver.send_call(data)
    fm.wait_until("the REVIVE", lambda rs: len(rs) >= 1)
    (rec,) = fm.calls()
    assert rec.call["type"] == "REVIVE"
    assert rec.call["framework_id"] == {"value": "fw-1"}
    with pytest.raises(satyr.ProtocolError):
        driver.send_call(b"\xff\xff not a call")
