"""satyr.binpack benchmark: one run prints every figure and its ratio.

    python bench/binpack/run.py            (after `maturin develop --release`)

(a) satyr 0.2.1's own ``binpack.py`` (downloaded from PyPI into bench/.cache/) against
    satyr.binpack: identical decisions, tasks placed per second and the speed-up; then
    satyr.binpack's throughput at 1,000 offers x 10,000 tasks x 5 resources.
(b) packing quality per instance family against lower bounds.
Exits non-zero when a check or target fails.
"""

from __future__ import annotations

import sys

import quality
import satyr_ref
import speed


def main() -> int:
    satyr = satyr_ref.load()
    same = speed.compare(satyr)
    fast = speed.throughput()
    good = quality.run()
    print(
        f"decisions identical: {same}, throughput targets met: {fast}, quality targets met: {good}"
    )
    return 0 if same and fast and good else 1


if __name__ == "__main__":
    sys.exit(main())
