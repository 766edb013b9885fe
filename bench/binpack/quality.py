"""Packing quality on the instance families: bins used over the lower bound (the known
optimum where the construction fixes it), averaged per family and dimension."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

from satyr import binpack

SHARED = Path("/work/shared/binpack/instances")
LOCAL = Path(__file__).resolve().parent / "instances"
COLUMNS = ("bfd", "ffd_sum", "ffd_max", "ffd_l2", "bfd_l2", "dot_product", "l2")
# Portfolio targets: mean over the instance group of bins / lower bound.
TARGETS = {"2-D vector families": 1.04, "3-D vector families": 1.055, "vp_perfect": 1.03}


def instance_dir() -> Path:
    return SHARED if (SHARED / "index.json").exists() else LOCAL


def run() -> bool:
    folder = instance_dir()
    index = json.loads((folder / "index.json").read_text())
    ratios: dict[tuple[str, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    start = time.perf_counter()
    for entry in index:
        inst = json.loads((folder / f"{entry['name']}.json").read_text())
        bound = entry["known_opt"] or entry["lb"]["best"]
        items = [[float(x) for x in v] for v in inst["items"]]
        caps = [[float(x) for x in inst["capacity"]]] * len(items)  # enough identical bins
        row = ratios[(entry["family"], entry["d"])]
        for method in COLUMNS:
            row[method].append(used(binpack.pack(method, items, caps)) / bound)
        _, assignment = binpack.pack_best(items, caps)
        row["portfolio"].append(used(assignment) / bound)
    secs = time.perf_counter() - start
    print(f"(b) packing quality: bins used / lower bound (known optimum if any), {folder}")
    print("    satyr-bfd = satyr's bfd decisions (weights 1 on every dimension)")
    names = ("satyr-bfd", *COLUMNS[1:], "portfolio")
    print(f"{'family':<14}{'d':>2} {'n':>3}  " + " ".join(f"{c[:11]:>11}" for c in names))
    for (family, d), row in ratios.items():
        cells = " ".join(f"{mean(row[c]):>11.4f}" for c in (*COLUMNS, "portfolio"))
        print(f"{family:<14}{d:>2} {len(row['portfolio']):>3}  {cells}")
    ok = True
    print("\nportfolio targets (mean of the per-family means):")
    groups = {
        "2-D vector families": [k for k in ratios if k[0].startswith("vp_") and k[1] == 2],
        "3-D vector families": [k for k in ratios if k[0].startswith("vp_") and k[1] == 3],
        "vp_perfect": [k for k in ratios if k[0] == "vp_perfect"],
    }
    for group, keys in groups.items():
        values = [mean(ratios[k]["portfolio"]) for k in keys]
        got, worst = mean(values), max(values)
        good = got <= TARGETS[group]
        ok &= good
        print(
            f"  {group:<20} {got:.4f} (+{(got - 1) * 100:.2f}%)  target <= {TARGETS[group]:.3f}"
            f"  {'PASS' if good else 'FAIL'}   worst family {worst:.4f}"
        )
    print(f"  ({len(index)} instances in {secs:.1f} s)\n")
    return ok


def used(assignment: list[int | None]) -> int:
    if None in assignment:
        raise RuntimeError("an item was left out although every item fits an empty bin")
    return len(set(assignment))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)
