"""The README's futures example: `MesosPoolExecutor` as a `concurrent.futures.Executor`.

MESOS_MASTER=127.0.0.1:5050 python examples/futures.py
"""

from satyr.apis.futures import MesosPoolExecutor
from satyr.proxies.messages import Cpus, Mem

with MesosPoolExecutor(name="futures-pool", resources=[Cpus(0.1), Mem(64)]) as executor:

    def mul(a, b):
        return a * b

    future = executor.submit(mul, args=[3, 5])
    assert future.result(timeout=60) == 15

    it = executor.map(mul, range(10), range(10), timeout=60, resources=[Cpus(0.1), Mem(128)])
    assert list(it) == [i**2 for i in range(10)]
    print("futures: ok", future.result())
