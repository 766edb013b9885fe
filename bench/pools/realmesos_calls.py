"""Calls per second for N trivial calls on a real Mesos cluster: worker mode (the default; calls
go to long-running worker tasks over a direct connection) next to per-call tasks (each call one
Mesos task through QueueScheduler), plus map with chunks.

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
    rates = {}
    for mode, workers in (("workers", 2), ("tasks", None)):
        with MesosPoolExecutor(
            workers, name=f"bench-pools-{mode}", mode=mode, resources=[Cpus(0.01), Mem(8)]
        ) as ex:
            ex.submit(noop, 0).result(timeout=120)  # executors (and workers) start warm
            start = time.perf_counter()
            futures = [ex.submit(noop, i) for i in range(n)]
            assert [f.result(timeout=600) for f in futures] == list(range(n))
            took = time.perf_counter() - start
            rates[mode] = n / took
            print(f"{mode}: {n} calls in {took:.2f} s = {rates[mode]:.0f} calls/s")
            start = time.perf_counter()
            assert list(ex.map(noop, range(n * 100), chunksize=1000)) == list(range(n * 100))
            took = time.perf_counter() - start
            print(f"{mode}, map chunksize 1000: {n * 100} calls = {n * 100 / took:.0f} calls/s")
    print(f"worker mode / per-call tasks: {rates['workers'] / rates['tasks']:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
