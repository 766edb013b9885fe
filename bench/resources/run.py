"""Per-call cost of the resource algebra natives on typical offer/task sizes.

Run after ``maturin develop --release``: ``python bench/resources/run.py``.
"""

from __future__ import annotations

import timeit
from typing import Any

from satyr import _satyr as native


def scalar(name: str, value: float, **fields: Any) -> dict[str, Any]:
    return {"name": name, "type": "SCALAR", "scalar": {"value": value}, **fields}


ALLOC = {"role": "web"}
OFFER = [
    scalar("cpus", 8, allocation_info=ALLOC),
    scalar("mem", 32768, allocation_info=ALLOC),
    scalar("disk", 100000, allocation_info=ALLOC),
    scalar("gpus", 1, allocation_info=ALLOC),
    scalar("cpus", 2, role="web", allocation_info=ALLOC),
    scalar("mem", 4096, role="web", allocation_info=ALLOC),
    {
        "name": "ports",
        "type": "RANGES",
        "ranges": {"range": [{"begin": 31000, "end": 32000}, {"begin": 33000, "end": 34000}]},
        "allocation_info": ALLOC,
    },
]
TASK = [scalar("cpus", 0.5), scalar("mem", 512), scalar("disk", 100)]

CASES = {
    "normalize(offer, 7 entries)": lambda: native.resources_normalize(OFFER),
    "contains(task, offer)": lambda: native.resources_contains(TASK, OFFER),
    "sub(offer, task)": lambda: native.resources_sub(OFFER, TASK),
    "add(offer, task)": lambda: native.resources_add(OFFER, TASK),
    "equal(offer, offer)": lambda: native.resources_equal(OFFER, OFFER),
    "find(task, offer)": lambda: native.resources_find(TASK, OFFER),
    "scalar_total(offer, 'cpus')": lambda: native.resources_scalar_total(OFFER, "cpus"),
    "to_vector(offer, 4 names)": lambda: native.resources_to_vector(
        OFFER, ["cpus", "mem", "disk", "ports"]
    ),
}


def main() -> None:
    for label, fn in CASES.items():
        number = 20000
        best = min(timeit.repeat(fn, number=number, repeat=5)) / number
        print(f"{label:32s} {best * 1e6:7.2f} us")


if __name__ == "__main__":
    main()
