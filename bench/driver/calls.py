"""Scheduler driver, Python face: calls per second to a REAL Mesos 1.11 master (tests/realmesos)
and memory per held offer.

    maturin develop --release && python bench/driver/calls.py

- REVIVE calls/s: the full round trip of one call (Python -> Rust driver -> master's 202), one
  caller thread and four;
- DECLINE / ACCEPT: real offers of an 8-agent cluster allocating every 20 ms, each answered from
  on_offers (DECLINE with refuse_seconds=0, or ACCEPT with no operation); offers answered per
  second;
- memory per held offer: Python heap (tracemalloc) per Offer proxy decoded from an OFFERS event
  of 2,000 offers cloned from the captured real ones, lazily held and after reading every
  resource; the Rust driver itself keeps only each held offer's id.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import start_real_mesos  # noqa: E402
from satyr import NotConnectedError, _satyr  # noqa: E402
from satyr.driver import SchedulerDriver  # noqa: E402
from satyr.interface import Scheduler  # noqa: E402
from satyr.proxies.messages import SchedulerEvent  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "scheduler_stream.recordio"
EVENT = "mesos.v1.scheduler.Event"


class Answering(Scheduler):
    """Answers every offer at once: DECLINE (refuse 0 s) or ACCEPT without operations."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.answered = 0
        self.registered = threading.Event()

    def on_registered(self, driver, framework_id, master):  # type: ignore[no-untyped-def]
        self.registered.set()

    def on_offers(self, driver, offers):  # type: ignore[no-untyped-def]
        try:
            if self.mode == "decline":
                driver.decline(offers, refuse_seconds=0)
            else:
                driver.accept(offers, [], filters={"refuse_seconds": 0})
        except NotConnectedError:
            return  # the bench stopped the driver meanwhile
        self.answered += len(offers)


def driver_for(url: str, scheduler: Scheduler) -> SchedulerDriver:
    info = {"user": "root", "name": "bench"}
    d = SchedulerDriver(scheduler, info, url, backoff_min=0.05, backoff_max=1.0).start()
    return d


def bench_revive(url: str) -> None:
    s = Answering("decline")
    d = driver_for(url, s)
    assert s.registered.wait(30)
    for threads in (1, 4):
        n = 2000 // threads
        t = time.perf_counter()

        def revive(count: int = n) -> None:
            for _ in range(count):
                d.revive()

        workers = [threading.Thread(target=revive) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        secs = time.perf_counter() - t
        print(f"REVIVE round trips, {threads} caller thread(s): {n * threads / secs:,.0f} calls/s")
    d.stop()
    d.join(30)


def bench_offers(url: str, mode: str, seconds: float = 5.0) -> None:
    s = Answering(mode)
    d = driver_for(url, s)
    assert s.registered.wait(30)
    time.sleep(1.0)  # let the offer flow settle
    start_count, t = s.answered, time.perf_counter()
    time.sleep(seconds)
    rate = (s.answered - start_count) / (time.perf_counter() - t)
    print(f"{mode.upper()} from on_offers, 8 agents, 20 ms allocation: {rate:,.0f} offers/s")
    d.stop()
    d.join(30)


def captured_offers() -> list[dict]:
    data = FIXTURE.read_bytes()
    offers, i = [], 0
    while i < len(data):
        nl = data.index(b"\n", i)
        size = int(data[i:nl])
        event = _satyr.decode(EVENT, data[nl + 1 : nl + 1 + size])
        i = nl + 1 + size
        if event.get("type") == "OFFERS":
            offers.extend(event["offers"]["offers"])
    return offers


def bench_memory(n: int = 2000) -> None:
    base = captured_offers()
    offers = []
    for k in range(n):
        o = dict(base[k % len(base)])
        o["id"] = {"value": f"{o['id']['value']}-{k}"}
        offers.append(o)
    raw = _satyr.encode(EVENT, {"type": "OFFERS", "offers": {"offers": offers}})
    del offers
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    held = list(SchedulerEvent.from_bytes(raw).offers.offers)
    lazily = tracemalloc.take_snapshot()
    for o in held:
        for r in o.resources:
            _ = (r.name, r.scalar.value, r.ranges, r.role)
        _ = (o.hostname, o.agent_id.value, o.attributes)
    touched = tracemalloc.take_snapshot()
    tracemalloc.stop()

    def per_offer(a: tracemalloc.Snapshot, b: tracemalloc.Snapshot) -> float:
        return sum(s.size_diff for s in b.compare_to(a, "filename")) / n

    print(
        f"memory per held offer ({len(raw) / n:.0f} B on the wire): "
        f"{per_offer(before, lazily):,.0f} B as decoded, "
        f"{per_offer(before, touched):,.0f} B after reading every field"
    )
    assert len(held) == n


def main() -> None:
    bench_memory()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = start_real_mesos(Path(tmp), agents=8, MESOS_ALLOCATION_INTERVAL="20ms")
        try:
            bench_revive(cluster.url)
            bench_offers(cluster.url, "decline")
            bench_offers(cluster.url, "accept")
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
