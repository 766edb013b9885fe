"""satyr-executor keeps freed memory for the next big argument (``retain_freed_memory``), set
from ``SATYR_EXECUTOR_RETAINED_MEMORY`` before any thread starts."""

from __future__ import annotations

import subprocess
import sys

import pytest
from satyr import executor

# A thread receives 64 MiB, touches it and frees it, as a worker's inbox does with a big
# argument, while a small block allocated after it stays (so the heap cannot shrink from the
# top); the process reports how much of it is still resident, then again once it has given
# freed memory back.
_PROBE = """
import os, sys, threading
from satyr import _satyr
applied = _satyr.retain_freed_memory(int(sys.argv[1]))
page = os.sysconf("SC_PAGE_SIZE")
def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
before = resident()
kept = []
def receive():
    block = bytearray(64 << 20)
    block[::4096] = b"x" * len(range(0, len(block), 4096))
    kept.append(bytearray(4000))
    del block
worker = threading.Thread(target=receive)
worker.start()
worker.join()
held = (resident() - before) >> 20
released = _satyr.release_freed_memory()
print(applied, held, released, (resident() - before) >> 20)
"""


def _probe(limit: int) -> tuple[bool, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(limit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    return out[0] == "True", int(out[1]), int(out[3])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator, /proc")
def test_freed_memory_is_kept_for_reuse_only_when_asked_and_given_back() -> None:
    applied, held_mib, after_release_mib = _probe(256 << 20)
    assert applied
    assert held_mib >= 60, f"only {held_mib} MiB of the freed 64 MiB stayed resident"
    assert after_release_mib < 16, f"{after_release_mib} MiB stayed after release_freed_memory"
    applied, held_mib, _ = _probe(0)
    assert not applied
    assert held_mib < 16, f"{held_mib} MiB stayed resident with the default allocator"


def test_a_limit_beyond_the_allocator_is_a_value_error() -> None:
    from satyr import _satyr

    with pytest.raises(ValueError, match="more than the allocator takes"):
        _satyr.retain_freed_memory(1 << 40)


def test_retained_memory_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(executor.RETAINED_MEMORY_ENV, raising=False)
    assert executor.retained_memory() == 256 << 20
    monkeypatch.setenv(executor.RETAINED_MEMORY_ENV, "0")
    assert executor.retained_memory() == 0
    monkeypatch.setenv(executor.RETAINED_MEMORY_ENV, "lots")
    with pytest.raises(ValueError, match="SATYR_EXECUTOR_RETAINED_MEMORY must be a number"):
        executor.retained_memory()
    monkeypatch.setenv(executor.RETAINED_MEMORY_ENV, "-1")
    with pytest.raises(ValueError, match=">= 0"):
        executor.retained_memory()


def test_a_bad_setting_stops_the_executor_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(executor.RETAINED_MEMORY_ENV, "lots")
    assert executor.main([]) == 2
    assert "SATYR_EXECUTOR_RETAINED_MEMORY must be a number of bytes" in capsys.readouterr().err
