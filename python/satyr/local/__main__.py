"""``python -m satyr.local``: serve a local Mesos cluster for other programs.

Prints the master URL (``http://127.0.0.1:PORT``) as the first line of stdout, then serves until
SIGTERM or SIGINT, and stops cleanly (every executor and task terminated).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from satyr import SatyrError
from satyr.local import LocalCluster


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m satyr.local",
        description="Serve a Mesos-compatible master and agents on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="master port (default: a free one)")
    parser.add_argument("--agents", type=int, default=1, help="number of agents (default: 1)")
    parser.add_argument(
        "--resources",
        default=None,
        help="each agent's resources, e.g. 'cpus:2;mem:2048;ports:[31000-32000]' "
        "(default: this machine's cpus, memory and disk)",
    )
    parser.add_argument(
        "--work-dir", default=None, help="sandbox folder (default: a temporary one)"
    )
    parser.add_argument(
        "--allocation-interval", type=float, default=1.0, help="offer cycle in seconds"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        cluster = LocalCluster(
            agents=args.agents,
            resources=args.resources,
            port=args.port,
            work_dir=args.work_dir,
            allocation_interval=args.allocation_interval,
        )
    except (SatyrError, ValueError) as e:
        print(f"satyr.local: {e}", file=sys.stderr, flush=True)
        return 2
    with cluster:
        print(cluster.url, flush=True)
        while not stop.wait(3600):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
