"""Resource algebra and bin-packing on Mesos messages, no cluster needed.

    python examples/placement.py

Builds three offers and a batch of tasks with the message proxies, checks fits with `task < offer`,
places the batch with satyr's best-fit-decreasing (`bfd`) and with the portfolio (`best`), and
shows what each offer has left (`offer - sum(tasks)`).
"""

from __future__ import annotations

from satyr.binpack import best, bfd
from satyr.proxies.messages import (
    AgentID,
    CommandInfo,
    Cpus,
    Disk,
    Mem,
    Offer,
    OfferID,
    Ports,
    TaskInfo,
)


def offer(n: int, cpus: float, mem: float) -> Offer:
    return Offer(
        id=OfferID(value=f"offer-{n}"),
        agent_id=AgentID(value=f"agent-{n}"),
        hostname=f"host-{n}",
        resources=[Cpus(cpus), Mem(mem), Disk(4096), Ports((31000, 32000))],
    )


def task(n: int, cpus: float, mem: float) -> TaskInfo:
    return TaskInfo(
        name=f"task-{n}",
        task_id=f"task-{n}",
        command=CommandInfo(value="echo hi"),
        resources=[Cpus(cpus), Mem(mem)],
    )


def main() -> None:
    offers = [offer(0, 2.0, 1024), offer(1, 1.5, 4096), offer(2, 0.5, 512)]
    tasks = [
        task(i, c, m)
        for i, (c, m) in enumerate(
            [(0.5, 256), (1.0, 1024), (0.1, 64), (0.2, 128), (1.2, 2048), (0.3, 512), (2.5, 128)]
        )
    ]
    total = sum(offers)
    print(f"cluster: {float(total.cpus):g} cpus, {float(total.mem):g} MB, {len(total.ports)} ports")
    fits = task(9, 0.1, 0) + task(10, 0.2, 0) <= offer(9, 0.3, 1)
    print(f"0.1 + 0.2 cpus fit an offer of 0.3: {fits}")
    print(
        f"task-0 < offer-2: {tasks[0] < offers[2]}   task-6 < any offer: "
        f"{any(tasks[6] < o for o in offers)}"
    )

    bins, skip = bfd(tasks, offers, cpus=1, mem=1)
    print("\nbest-fit-decreasing (satyr's weights cpus=1, mem=1):")
    for target, placed in bins:
        left = target - sum(placed) if placed else target
        names = ", ".join(t.name for t in placed) or "-"
        rest = f"{float(left.cpus):g} cpus, {float(left.mem):g} MB"
        print(f"  {target.id.value}: {names:<28} left {rest}")
    print(f"  not placed: {', '.join(t.name for t in skip) or '-'}")

    bins, skip = best(tasks, offers, cpus=1, mem=1)
    used = sum(1 for _, placed in bins if placed)
    print(f"\nportfolio: {used} offers used, {len(skip)} task(s) left for a bigger offer")


if __name__ == "__main__":
    main()
