"""Calls per second for N trivial calls on a real Mesos cluster, per-call tasks (each call one
Mesos task through QueueScheduler), via MesosPoolExecutor.submit and via map with chunks.

    MESOS_MASTER=127.0.0.1:5050 python bench/pools/realmesos_calls.py [N]
"""

from __future__ import annotations

import sys
import time

from satyr.apis.futures import MesosPoolExecutor
from satyr.proxies.messages import Cpus, Mem


def noop(x: int) -> int:
    return x


def main(n: int) -> None:
    with MesosPoolExecutor(name="bench-pools", resources=[Cpus(0.01), Mem(8)]) as ex:
        ex.submit(noop, 0).result(timeout=120)  # the executor starts warm
        start = time.perf_counter()
        futures = [ex.submit(noop, i) for i in range(n)]
        assert [f.result(timeout=600) for f in futures] == list(range(n))
        took = time.perf_counter() - start
        print(f"per-call tasks: {n} calls in {took:.2f} s = {n / took:.0f} calls/s")
        start = time.perf_counter()
        assert list(ex.map(noop, range(n * 100), chunksize=1000)) == list(range(n * 100))
        took = time.perf_counter() - start
        print(
            f"map, chunksize 1000: {n * 100} calls in {took:.2f} s = {n * 100 / took:.0f} calls/s"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
