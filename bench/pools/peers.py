"""satyr's local mode next to the pools a Python user would use instead, in one run on one
machine: ``concurrent.futures.ProcessPoolExecutor``, ``multiprocessing.Pool``, loky,
``dask.distributed`` (LocalCluster + Client) and ray. A peer that is not installed is skipped and
the table says why.

    python bench/pools/peers.py [--quick] [--workers N] [--only satyr,processpool,...]

Figures (medians over a few repetitions): submit+gather of trivial calls (tasks/s), round trip
of one call (p50, ms), map over 100k trivial items with chunks (items/s), 8 CPU-bound tasks of
0.5 s (speedup over running them serially here), 100 MB argument and result (ms), and import +
create + first result in a fresh interpreter (s). satyr runs with ``MESOS_MASTER`` unset, i.e.
on the embedded local cluster, in worker mode (the default); ``satyr-tasks`` is per-call tasks
(``mode='tasks'``) for the trivial-call and CPU figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

os.environ.pop("MESOS_MASTER", None)  # satyr's local mode: the embedded cluster


def noop(x: Any) -> Any:
    return x


def spin(n: int) -> int:
    """CPU-bound: a fixed number of loop iterations (calibrated to about 0.5 s here)."""
    total = 0
    for i in range(n):
        total += i & 7
    return total


def run_chunk(items: Sequence[Any]) -> list[Any]:
    """A chunk of trivial calls as one call, for the peers without a chunked map."""
    return [noop(x) for x in items]


class Peer:
    """One pool behind the few operations the figures need."""

    name = ""
    cold = ""  # import + create + first result, as a script
    cold_stop = ""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError

    def result(self, handle: Any) -> Any:
        return handle.result()

    def gather(self, handles: list[Any]) -> list[Any]:
        return [self.result(h) for h in handles]

    def map_chunked(self, items: Sequence[Any], chunksize: int) -> list[Any]:
        parts = [items[i : i + chunksize] for i in range(0, len(items), chunksize)]
        out: list[Any] = []
        for chunk in self.gather([self.submit(run_chunk, part) for part in parts]):
            out.extend(chunk)
        return out


class Satyr(Peer):
    name = "satyr"
    mode = "workers"
    cold = (
        "from satyr.apis.futures import MesosPoolExecutor\n"
        "ex = MesosPoolExecutor({w}, name='cold')\n"
        "ex.submit(abs, -1).result()\n"
    )
    cold_stop = "ex.shutdown()\n"

    def start(self) -> None:
        from satyr.apis.futures import MesosPoolExecutor

        self.ex = MesosPoolExecutor(self.workers, name=f"bench-{self.name}", mode=self.mode)

    def stop(self) -> None:
        self.ex.shutdown()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.ex.submit(fn, *args)

    def map_chunked(self, items: Sequence[Any], chunksize: int) -> list[Any]:
        return list(self.ex.map(noop, items, chunksize=chunksize))


class SatyrTasks(Satyr):
    name = "satyr-tasks"
    mode = "tasks"
    cold = ""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        if fn is spin:
            # A per-call task that needs a core says so (0.9 + the executor's 0.1 = one cpu):
            # then each runs in an executor process of its own.
            from satyr.proxies.messages import Cpus, Mem

            return self.ex.submit(fn, *args, resources=[Cpus(0.9), Mem(64)])
        return self.ex.submit(fn, *args)


class ProcessPool(Peer):
    name = "processpool"
    cold = (
        "from concurrent.futures import ProcessPoolExecutor\n"
        "ex = ProcessPoolExecutor({w})\n"
        "ex.submit(abs, -1).result()\n"
    )
    cold_stop = "ex.shutdown()\n"

    def start(self) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self.ex = ProcessPoolExecutor(self.workers)

    def stop(self) -> None:
        self.ex.shutdown()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.ex.submit(fn, *args)

    def map_chunked(self, items: Sequence[Any], chunksize: int) -> list[Any]:
        return list(self.ex.map(noop, items, chunksize=chunksize))


class MpPool(Peer):
    name = "mp.Pool"
    cold = "import multiprocessing\npool = multiprocessing.Pool({w})\npool.apply(abs, (-1,))\n"
    cold_stop = "pool.close()\npool.join()\n"

    def start(self) -> None:
        import multiprocessing

        self.pool = multiprocessing.Pool(self.workers)

    def stop(self) -> None:
        self.pool.close()
        self.pool.join()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.pool.apply_async(fn, args)

    def result(self, handle: Any) -> Any:
        return handle.get()

    def map_chunked(self, items: Sequence[Any], chunksize: int) -> list[Any]:
        return self.pool.map(noop, items, chunksize=chunksize)


class Loky(Peer):
    name = "loky"
    cold = (
        "from loky import get_reusable_executor\n"
        "ex = get_reusable_executor({w})\n"
        "ex.submit(abs, -1).result()\n"
    )
    cold_stop = "ex.shutdown()\n"

    def start(self) -> None:
        from loky import get_reusable_executor

        self.ex = get_reusable_executor(self.workers)

    def stop(self) -> None:
        self.ex.shutdown()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.ex.submit(fn, *args)

    def map_chunked(self, items: Sequence[Any], chunksize: int) -> list[Any]:
        return list(self.ex.map(noop, items, chunksize=chunksize))


class Dask(Peer):
    name = "dask"
    cold = (
        "from dask.distributed import Client, LocalCluster\n"
        "cluster = LocalCluster(n_workers={w}, threads_per_worker=1, dashboard_address=None)\n"
        "client = Client(cluster)\n"
        "client.submit(abs, -1).result()\n"
    )
    cold_stop = "client.close()\ncluster.close()\n"

    def start(self) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=self.workers, threads_per_worker=1, dashboard_address=None
        )
        self.client = Client(self.cluster)

    def stop(self) -> None:
        self.client.close()
        self.cluster.close()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def gather(self, handles: list[Any]) -> list[Any]:
        return self.client.gather(handles)


class Ray(Peer):
    name = "ray"
    cold = (
        "import ray\n"
        "ray.init(num_cpus={w}, include_dashboard=False, log_to_driver=False)\n"
        "ray.get(ray.remote(lambda x: abs(x)).remote(-1))\n"
    )
    cold_stop = "ray.shutdown()\n"

    def start(self) -> None:
        import ray

        self.ray = ray
        ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        self.remotes: dict[Callable[..., Any], Any] = {}

    def stop(self) -> None:
        self.ray.shutdown()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        remote = self.remotes.get(fn)
        if remote is None:
            remote = self.remotes[fn] = self.ray.remote(fn)
        return remote.remote(*args)

    def result(self, handle: Any) -> Any:
        return self.ray.get(handle)

    def gather(self, handles: list[Any]) -> list[Any]:
        return self.ray.get(handles)


PEERS: dict[str, tuple[type[Peer], str | None]] = {
    "satyr": (Satyr, "satyr"),
    "satyr-tasks": (SatyrTasks, "satyr"),
    "processpool": (ProcessPool, None),
    "mp.Pool": (MpPool, None),
    "loky": (Loky, "loky"),
    "dask": (Dask, "distributed"),
    "ray": (Ray, "ray"),
}

# figure -> (unit, higher is better)
FIGURES = {
    "submit+gather": ("tasks/s", True),
    "round trip p50": ("ms", False),
    "map 100k chunked": ("items/s", True),
    "8 CPU tasks speedup": ("x serial", True),
    # The same 8 tasks on bare processes, right after each of the pool's batches.
    "8 CPU tasks, bare": ("x serial", True),
    "100 MB round trip": ("ms", False),
    "cold start": ("s", False),
}
# satyr local mode targets (issue 6, item 8): (bound, higher is better)
TARGETS = {
    "submit+gather": 5_000.0,
    "round trip p50": 1.0,
    "map 100k chunked": 500_000.0,
    "8 CPU tasks speedup": 1.8,
    "100 MB round trip": 260.0,
    "cold start": 0.5,
}


def median_of(reps: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(reps))


@contextmanager
def timer() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    yield box
    box.append(time.perf_counter() - start)


def spin_share(n: int, times: int) -> None:
    for _ in range(times):
        spin(n)


def bare_seconds(ctx: Any, spin_n: int, workers: int) -> float:
    """Seconds the 8 CPU tasks take split over ``workers`` bare processes (no pool, no
    messages): on a VM whose cores slow down when both are busy, no pool beats it."""
    shares = [8 // workers + (1 if i < 8 % workers else 0) for i in range(workers)]
    with timer() as t:
        procs = [ctx.Process(target=spin_share, args=(spin_n, k)) for k in shares if k]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
    return t[0]


def calibrate_spin(seconds: float) -> tuple[int, float]:
    """Iterations of :func:`spin` taking about ``seconds`` here, and the measured time."""
    n = 200_000
    while True:
        start = time.perf_counter()
        spin(n)
        took = time.perf_counter() - start
        if took > 0.05:
            break
        n *= 4
    n = int(n * seconds / took)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        spin(n)
        times.append(time.perf_counter() - start)
    return n, statistics.median(times)


def measure(peer: Peer, args: argparse.Namespace, spin_n: int) -> dict[str, float]:
    reps = args.reps
    out: dict[str, float] = {}
    peer.result(peer.submit(noop, 0))  # warm: workers up
    peer.gather([peer.submit(noop, i) for i in range(2 * peer.workers)])
    peer.gather([peer.submit(spin, 1) for _ in range(2 * peer.workers)])

    n = args.calls if peer.name != "satyr-tasks" else max(args.calls // 10, 50)

    def submit_gather() -> float:
        with timer() as t:
            got = peer.gather([peer.submit(noop, i) for i in range(n)])
        assert got == list(range(n))
        return n / t[0]

    out["submit+gather"] = median_of(reps, submit_gather)

    def round_trip() -> float:
        times = []
        for i in range(args.latency_calls):
            start = time.perf_counter()
            peer.result(peer.submit(noop, i))
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e3

    out["round trip p50"] = median_of(reps, round_trip)

    ctx = multiprocessing.get_context("fork")
    bare: list[float] = []

    def cpu() -> float:
        # The serial time is taken again right before (median of 3): the machine's load drifts
        # over a run, and one 0.5 s sample is as noisy as the figure itself. Bare processes run
        # the same tasks right after: what the machine's cores gave at that moment.
        alone = []
        for _ in range(3):
            with timer() as once:
                spin(spin_n)
            alone.append(once[0])
        with timer() as t:
            peer.gather([peer.submit(spin, spin_n) for _ in range(8)])
        bare.append(statistics.median(alone) * 8 / bare_seconds(ctx, spin_n, peer.workers))
        return statistics.median(alone) * 8 / t[0]

    out["8 CPU tasks speedup"] = median_of(reps, cpu)
    out["8 CPU tasks, bare"] = statistics.median(bare)
    if peer.name == "satyr-tasks":
        return out

    items = range(args.items)  # slices are ranges: cheap to send, nothing for dask to scan
    chunksize = max(1, args.items // (peer.workers * 4))

    def mapped() -> float:
        with timer() as t:
            got = peer.map_chunked(items, chunksize)
        assert got == list(items)
        return args.items / t[0]

    out["map 100k chunked"] = median_of(reps, mapped)

    payload = os.urandom(1 << 20) * 100  # 100 MiB, cheap to build

    def big() -> float:
        with timer() as t:
            got = peer.result(peer.submit(noop, payload))
        assert len(got) == len(payload)
        return t[0] * 1e3

    # One unmeasured round trip first, for every peer: on a VM the first touch of memory the
    # host has not backed yet is slower than a later one, which would measure the machine.
    big()
    out["100 MB round trip"] = median_of(reps, big)
    return out


def cold_start(peer_cls: type[Peer], args: argparse.Namespace) -> float | None:
    """import + create + first result, timed inside a fresh interpreter (its own startup and the
    pool's shutdown excluded)."""
    if not peer_cls.cold:
        return None
    body = peer_cls.cold + "print(time.perf_counter() - start, flush=True)\n" + peer_cls.cold_stop
    script = (
        "import os, time\n"
        "os.environ.pop('MESOS_MASTER', None)\n"
        "if __name__ == '__main__':\n"
        "    start = time.perf_counter()\n"
        + "".join(f"    {line}\n" for line in body.format(w=args.workers).splitlines())
    )

    def once() -> float:
        with tempfile.TemporaryFile() as err:
            # its own session: if it hangs, its pool's processes go with it
            proc = subprocess.Popen(
                [sys.executable, "-c", script],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                start_new_session=True,
            )
            try:
                line = proc.stdout.readline() if proc.stdout else ""
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            finally:
                if proc.stdout:
                    proc.stdout.close()
            if not line.strip():
                err.seek(0)
                tail = err.read()[-500:].decode(errors="replace")
                raise RuntimeError(f"{peer_cls.name} cold start failed: {tail}")
        return float(line)

    return median_of(args.reps, once)


def available(module: str | None) -> str | None:
    """None if ``module`` imports, else why not."""
    if module is None:
        return None
    try:
        __import__(module)
    except Exception as exc:  # an import failing for any reason skips the peer
        return f"{type(exc).__name__}: {exc}"
    return None


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def ratio(figure: str, ours: float | None, theirs: float | None) -> str:
    """How many times better satyr is: satyr/peer for rates, peer/satyr for times."""
    if ours is None or theirs is None or ours == 0 or theirs == 0:
        return "-"
    higher = FIGURES[figure][1]
    return f"{(ours / theirs if higher else theirs / ours):.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and repetitions")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", default=",".join(PEERS), help="comma-separated peer names")
    args = parser.parse_args()
    args.reps = 1 if args.quick else 3
    args.calls = 500 if args.quick else 2000
    args.latency_calls = 50 if args.quick else 200
    args.items = 100_000

    spin_n, serial = calibrate_spin(0.5)
    print(f"{args.workers} workers; CPU task: {serial:.3f} s serially here; reps {args.reps}")

    results: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    for name in args.only.split(","):
        peer_cls, module = PEERS[name]
        why = available(module)
        if why:
            skipped[name] = why
            print(f"{name}: SKIPPED ({why})", flush=True)
            continue
        peer = peer_cls(args.workers)
        started = time.perf_counter()
        try:
            peer.start()
            try:
                results[name] = measure(peer, args, spin_n)
            finally:
                peer.stop()
            cold = cold_start(peer_cls, args)
            if cold is not None:
                results[name]["cold start"] = cold
        except Exception as exc:  # one peer failing must not lose the others' figures
            skipped[name] = f"failed: {type(exc).__name__}: {exc}"
            print(f"{name}: FAILED ({exc})", flush=True)
            results.pop(name, None)
            continue
        took = time.perf_counter() - started
        print(f"{name}: {results[name]} ({took:.0f} s)", flush=True)

    print_table(results, skipped)


def print_table(results: dict[str, dict[str, float]], skipped: dict[str, str]) -> None:
    ours = results.get("satyr", {})
    peers = [p for p in results if p != "satyr"]
    print()
    print("ratio = how many times better satyr is: satyr/peer for rates, peer/satyr for times")
    head = ["figure", "unit", "satyr"] + [h for p in peers for h in (p, f"ratio vs {p}")]
    rows = [head]
    for figure, (unit, _) in FIGURES.items():
        row = [figure, unit, fmt(ours.get(figure))]
        for p in peers:
            theirs = results[p].get(figure)
            row += [fmt(theirs), ratio(figure, ours.get(figure), theirs)]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        cells = zip(r, widths, strict=True)
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(cells)))
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")

    if ours:
        print()
        print("satyr local mode against the issue's targets:")
        for figure, bound in TARGETS.items():
            unit, higher = FIGURES[figure]
            value = ours.get(figure)
            if value is None:
                print(f"  {figure}: not measured")
                continue
            met = value >= bound if higher else value <= bound
            sign = ">=" if higher else "<="
            verdict = "MET" if met else "MISSED"
            print(f"  {figure}: {fmt(value)} {unit} (target {sign} {fmt(bound)}) {verdict}")
        bare = ours.get("8 CPU tasks, bare")
        if bare:
            print(
                f"  (8 CPU tasks on bare processes right after each batch: {bare:.2f}x; the pool's "
                f"figure is {ours.get('8 CPU tasks speedup', 0) / bare:.0%} of it)"
            )


if __name__ == "__main__":
    main()
