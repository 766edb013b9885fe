"""How long decoding an OFFERS event (1,000 offers x 6 resources) to proxies and reading every
offer's resources takes, and re-encoding it. Run after `maturin develop --release`."""

import time

from satyr import _satyr
from satyr.proxies.messages import SchedulerEvent


def offers_event(n_offers: int = 1000) -> bytes:
    resources = [
        {
            "name": name,
            "type": "SCALAR",
            "scalar": {"value": value},
            "role": "*",
            "allocation_info": {"role": "*"},
        }
        for name, value in [("cpus", 8.0), ("mem", 32768.0), ("disk", 100000.0), ("gpus", 1.0)]
    ]
    resources.append(
        {
            "name": "ports",
            "type": "RANGES",
            "ranges": {"range": [{"begin": 31000, "end": 32000}]},
            "role": "*",
        }
    )
    resources.append({"name": "cores", "type": "SET", "set": {"item": ["a", "b"]}})
    offers = [
        {
            "id": {"value": f"offer-{i}"},
            "framework_id": {"value": "framework"},
            "agent_id": {"value": f"agent-{i}"},
            "hostname": f"host-{i}.example.com",
            "url": {
                "scheme": "http",
                "address": {"hostname": f"host-{i}", "ip": "10.0.0.1", "port": 5051},
                "path": "/slave(1)",
            },
            "resources": resources,
            "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}],
        }
        for i in range(n_offers)
    ]
    return _satyr.encode(
        "mesos.v1.scheduler.Event", {"type": "OFFERS", "offers": {"offers": offers}}
    )


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    data = offers_event()

    def decode_and_read() -> None:
        event = SchedulerEvent.from_bytes(data)
        for offer in event.offers.offers:
            for resource in offer.resources:
                resource.scalar.value  # noqa: B018

    event = SchedulerEvent.from_bytes(data)
    print(f"event: {len(data)} bytes, {len(event.offers.offers)} offers")
    native = best_of(10, lambda: _satyr.decode("mesos.v1.scheduler.Event", data))
    print(f"native decode to plain:      {native:7.2f} ms")
    print(f"decode + read all resources: {best_of(10, decode_and_read):7.2f} ms")
    print(f"encode (after reading):      {best_of(10, event.to_bytes):7.2f} ms")


if __name__ == "__main__":
    main()
