"""The Rust core's tracing events in Python's ``logging`` under ``satyr``, at the level Python
sets: a driver error reaches caplog, and filtered levels are not even forwarded."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import satyr
from fakemaster import FakeMaster, Recorder, Reply
from satyr import _satyr
from satyr.driver import SchedulerDriver

FRAMEWORK = {"user": "tester", "name": "log-test"}
FAST = {"backoff_min": 0.01, "backoff_max": 0.2}


def satyr_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("satyr.driver.") and r.levelno == level]


@pytest.fixture
def fm() -> Iterator[FakeMaster]:
    with FakeMaster() as master:
        yield master


def test_a_refused_subscribe_is_logged_as_warning_and_error(
    fm: FakeMaster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="satyr")
    fm.script_subscribe(Reply(400, body=b"no such role: nope"))
    driver = SchedulerDriver(Recorder(), FRAMEWORK, fm.url, **FAST)
    error = driver.run()
    assert isinstance(error, satyr.MesosError)
    assert satyr.flush_logs(10)
    (warning,) = satyr_records(caplog, logging.WARNING)
    assert warning.name == "satyr.driver.actor"
    assert "answered SUBSCRIBE with 400" in warning.getMessage()
    assert "no such role: nope" in warning.getMessage()
    assert warning.pathname.endswith("actor.rs") and warning.lineno > 0
    (failure,) = satyr_records(caplog, logging.ERROR)
    assert failure.getMessage().startswith("scheduler driver stopped:")
    assert not satyr_records(caplog, logging.INFO) + satyr_records(caplog, logging.DEBUG)


def refused_port() -> str:
    with FakeMaster() as gone:
        return gone.url


def retry_once(url: str) -> None:
    """Runs a driver against a closed port until it reported one disconnection."""
    driver = SchedulerDriver(Recorder(), FRAMEWORK, url, **FAST)
    driver.start()
    rec = driver.scheduler
    assert isinstance(rec, Recorder)
    rec.expect("disconnected")
    driver.stop()
    assert driver.join(20)
    assert satyr.flush_logs(10)


def test_retries_are_info_records_only_when_info_is_enabled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = refused_port()
    caplog.set_level(logging.WARNING, logger="satyr")
    retry_once(url)
    assert not satyr_records(caplog, logging.INFO)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="satyr")
    retry_once(url)
    retries = [r for r in satyr_records(caplog, logging.INFO) if "not subscribed" in r.message]
    assert retries and retries[0].name == "satyr.driver.actor"
    assert not satyr_records(caplog, logging.DEBUG)


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
def test_debug_records_only_at_debug(
    fm: FakeMaster, caplog: pytest.LogCaptureFixture, level: int
) -> None:
    caplog.set_level(level, logger="satyr")
    driver = SchedulerDriver(Recorder(), FRAMEWORK, fm.url, **FAST)
    driver.start()
    fm.subscribe("fw-1")
    rec = driver.scheduler
    assert isinstance(rec, Recorder)
    rec.expect("registered")
    fm.script_call(Reply(400, body=b"bad revive"))
    with pytest.raises(satyr.MesosError, match="400"):
        driver.revive()
    driver.stop(failover=True)
    assert driver.join(20)
    assert satyr.flush_logs(10)
    debug = [r for r in satyr_records(caplog, logging.DEBUG) if "call failed" in r.message]
    assert satyr_records(caplog, logging.INFO)  # "subscribed to ..."
    if level == logging.DEBUG:
        assert debug and debug[0].name == "satyr.driver.caller"
        assert "bad revive" in debug[0].getMessage()
    else:
        assert not satyr_records(caplog, logging.DEBUG)


def test_the_core_filters_at_the_most_verbose_satyr_level() -> None:
    """The cached threshold follows setLevel on any satyr logger and logging.disable, so the
    core drops filtered events without the GIL."""
    root = logging.getLogger("satyr")
    child = logging.getLogger("satyr.driver.http")
    saved = root.level, child.level
    try:
        root.setLevel(logging.ERROR)
        child.setLevel(logging.NOTSET)
        assert _satyr.log_level() == logging.ERROR
        child.setLevel(logging.DEBUG)
        assert _satyr.log_level() == logging.DEBUG
        logging.disable(logging.INFO)
        assert _satyr.log_level() == logging.INFO + 1
        logging.disable(logging.NOTSET)
        child.setLevel(logging.NOTSET)
        root.setLevel(logging.INFO)
        assert _satyr.log_level() == logging.INFO
    finally:
        logging.disable(logging.NOTSET)
        root.setLevel(saved[0])
        child.setLevel(saved[1])


def test_flush_with_nothing_queued_returns_at_once() -> None:
    assert satyr.flush_logs(0) in (True, False)  # a zero wait may race the forwarder
    assert satyr.flush_logs(10)
    with pytest.raises(ValueError, match="timeout"):
        satyr.flush_logs(-1)
