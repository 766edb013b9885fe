"""The README's multiprocessing example: `Pool` as a `multiprocessing.Pool`.

MESOS_MASTER=127.0.0.1:5050 python examples/multiprocessing_pool.py
"""

from satyr.apis.multiprocessing import Pool
from satyr.proxies.messages import Cpus, Mem

with Pool(name="satyr-pool", resources=[Cpus(0.1), Mem(64)]) as pool:

    def mul(a, b):
        return a * b

    res1 = pool.apply_async(lambda a, b: a + b, [1, 2])
    res2 = pool.apply_async(mul, [2, 3])
    pool.wait()

    print(res1.get())
    print(res2.get())
