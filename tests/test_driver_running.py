"""`satyr.scheduler.Running` against the scripted fake master: settings checked at construction,
MESOS_MASTER read at construction, start/stop/join, signal handlers installed and restored."""

from __future__ import annotations

import getpass
import json
import os
import signal
import threading
import urllib.request
from collections.abc import Iterator

import pytest
import satyr
from fakemaster import FakeMaster, Recorder, error
from satyr.driver import LocalMasterUnavailableError, local_agents, resolve_master
from satyr.scheduler import Running

FAST = {"backoff_min": 0.01, "backoff_max": 0.2}


@pytest.fixture
def fm() -> Iterator[FakeMaster]:
    with FakeMaster() as master:
        yield master


def test_master_defaults_to_mesos_master_read_at_construction(
    fm: FakeMaster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESOS_MASTER", fm.url)
    running = Running(Recorder(), name="env")
    monkeypatch.setenv("MESOS_MASTER", "127.0.0.1:1")  # later changes do not matter
    assert running.master == fm.url
    monkeypatch.delenv("MESOS_MASTER")
    # No master anywhere: the process's embedded local cluster.
    running = Running(Recorder(), name="no-master")
    assert running.master == resolve_master("local")
    assert running.master.startswith("http://127.0.0.1:")
    assert issubclass(LocalMasterUnavailableError, satyr.SatyrError)


def test_local_master_hook() -> None:
    assert local_agents("local") == 1
    assert local_agents("local:3") == 3
    assert local_agents("zk://h:2181/mesos") is None
    with pytest.raises(satyr.InvalidCallError):
        local_agents("local:0")
    one, two = resolve_master("local"), resolve_master("local:2")
    assert one.startswith("http://127.0.0.1:") and two.startswith("http://127.0.0.1:")
    assert one != two and resolve_master("local") == one  # one cluster per spec and process
    state = json.load(urllib.request.urlopen(f"{two}/master/state", timeout=10))
    assert len(state["slaves"]) == 2
    assert resolve_master("h:5050") == "h:5050"


def test_framework_info_from_settings(fm: FakeMaster) -> None:
    running = Running(
        Recorder(),
        name="fw",
        master=fm.url,
        roles=["a", "b"],
        failover_timeout=60,
        checkpoint=True,
        webui_url="http://ui",
        driver_options=FAST,
    )
    info = running.driver.framework
    assert info.user == getpass.getuser()
    assert info.name == "fw" and list(info.roles) == ["a", "b"]
    assert [c.type for c in info.capabilities] == ["MULTI_ROLE"]
    assert info.failover_timeout == 60.0 and info.checkpoint is True
    assert info.webui_url == "http://ui"
    with running as driver:
        stream = fm.subscribe()
        running.scheduler.expect("registered")  # type: ignore[attr-defined]
        sent = stream.request.call["subscribe"]["framework_info"]
        assert sent["roles"] == ["a", "b"] and "role" not in sent
        assert driver is running.driver and driver.connected
    assert driver.state == "STOPPED"
    assert [c.type for c in fm.calls()] == ["TEARDOWN"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": ""}, "name"),
        ({"user": ""}, "user"),
        ({"role": "a", "roles": ["b"]}, "role .* or roles"),
        ({"roles": []}, "roles"),
        ({"failover_timeout": -1}, "failover_timeout"),
        ({"failover_timeout": float("inf")}, "failover_timeout"),
        ({"checkpoint": "yes"}, "checkpoint"),
        ({"no_such_field": 1}, "no_such_field"),
        ({"master": "zk://h1:2181/"}, "bad master address"),
        ({"principal": "p"}, "without a secret"),
        ({"driver_options": {"encoding": "xml"}}, "encoding"),
    ],
)
def test_bad_settings_name_the_setting(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"name": "x", "master": "127.0.0.1:5050", **kwargs}
    with pytest.raises(satyr.InvalidCallError, match=match):
        Running(Recorder(), **args)  # type: ignore[arg-type]


def test_signal_handlers_are_installed_and_restored(fm: FakeMaster) -> None:
    def mine(signum: int, frame: object) -> None:
        raise RuntimeError("not expected")

    old_int = signal.getsignal(signal.SIGINT)
    old_term = signal.signal(signal.SIGTERM, mine)
    try:
        running = Running(Recorder(), name="sig", master=fm.url, driver_options=FAST)
        with running:
            assert signal.getsignal(signal.SIGINT) == running._on_signal
            assert signal.getsignal(signal.SIGTERM) == running._on_signal
        assert signal.getsignal(signal.SIGINT) == old_int
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, old_term)


def test_sigint_stops_the_framework(fm: FakeMaster) -> None:
    old_int = signal.getsignal(signal.SIGINT)
    running = Running(Recorder(), name="sigint", master=fm.url, driver_options=FAST)
    with pytest.raises(KeyboardInterrupt):
        with running:
            fm.subscribe()
            running.scheduler.expect("registered")  # type: ignore[attr-defined]
            os.kill(os.getpid(), signal.SIGINT)
            running.join(20)  # interrupted by the handler's KeyboardInterrupt
    assert running.driver.state == "STOPPED"
    assert [c.type for c in fm.calls()] == ["TEARDOWN"]
    assert signal.getsignal(signal.SIGINT) == old_int


def test_sigterm_with_default_handler_exits_after_stopping(fm: FakeMaster) -> None:
    old_term = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        running = Running(
            Recorder(), name="sigterm", master=fm.url, failover=True, driver_options=FAST
        )
        with pytest.raises(SystemExit) as exit_info:
            with running:
                fm.subscribe()
                running.scheduler.expect("registered")  # type: ignore[attr-defined]
                os.kill(os.getpid(), signal.SIGTERM)
                running.join(20)
        assert exit_info.value.code == 128 + signal.SIGTERM
        assert running.driver.state == "STOPPED"
        assert fm.calls() == []  # failover=True: no TEARDOWN
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, old_term)


def test_exit_raises_the_drivers_fatal_error(fm: FakeMaster) -> None:
    running = Running(Recorder(), name="removed", master=fm.url, driver_options=FAST)
    with pytest.raises(satyr.FrameworkRemovedError, match="removed"):
        with running:
            stream = fm.next_stream()
            stream.send(error("Framework has been removed"))
            running.join(20)
    rec = running.scheduler
    assert isinstance(rec, Recorder)
    assert rec.expect("error") == ("Framework has been removed",)
    (err,) = rec.expect("failure")
    assert err is running.driver.error


def test_run_returns_after_a_callback_stops_the_driver(fm: FakeMaster) -> None:
    class StopOnRegistered(Recorder):
        def on_registered(self, driver, framework_id, master):  # type: ignore[no-untyped-def]
            driver.stop(failover=True)

    running = Running(StopOnRegistered(), name="run", master=fm.url, driver_options=FAST)
    server = threading.Thread(target=fm.subscribe)
    server.start()
    assert running.run() is None
    server.join()
    assert running.driver.state == "STOPPED"
    assert fm.calls() == []
