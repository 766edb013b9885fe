"""satyr.apis._pickling: a call's pickle reuses a by-value function's pickle only while nothing
the function captures has changed, and always unpickles as cloudpickle's would."""

from __future__ import annotations

import pickle
from typing import Any

import cloudpickle
import pytest
from satyr.apis._pickling import PickledFunction, dumps_call


def main_functions(source: str) -> dict[str, Any]:
    """Functions defined as in a script (module ``__main__``): cloudpickle pickles them by value."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(source, namespace)
    return namespace


def run(data: bytes) -> Any:
    fn, args, kwargs = pickle.loads(data)
    return fn(*args, **kwargs)


def test_a_by_value_function_keeps_its_pickle_and_unpickles_the_same() -> None:
    ns = main_functions("K = 1\ndef f(x, y=2): return x + y + K\n")
    first, second = dumps_call(ns["f"], (1,), {}), dumps_call(ns["f"], (1,), {})
    assert first == second
    assert run(second) == 4
    fn, _, _ = pickle.loads(second)
    assert fn is not ns["f"] and fn.__name__ == "f"
    # what it unpickles to is what cloudpickle alone makes of the call
    assert run(cloudpickle.dumps((ns["f"], (1,), {}))) == run(second)


def test_a_rebound_global_is_seen() -> None:
    ns = main_functions("K = 1\ndef f(x): return x + K\n")
    assert run(dumps_call(ns["f"], (1,), {})) == 2
    ns["K"] = 10
    assert run(dumps_call(ns["f"], (1,), {})) == 11
    ns["K"] = 10.5  # equal-or-not does not matter: identity does
    assert run(dumps_call(ns["f"], (1,), {})) == 11.5


def test_mutable_globals_are_pickled_every_time() -> None:
    ns = main_functions("L = [1]\nD = {'k': 1}\ndef f(x): return x + L[0] + D['k']\n")
    assert run(dumps_call(ns["f"], (0,), {})) == 2
    ns["L"][0] = 5
    ns["D"]["k"] = 7
    assert run(dumps_call(ns["f"], (0,), {})) == 12


def test_defaults_closures_and_attributes_are_checked() -> None:
    ns = main_functions(
        "def make(n):\n"
        "    def add(x):\n"
        "        return x + n\n"
        "    return add\n"
        "def g(x, y=1): return x + y\n"
    )
    add = ns["make"](3)
    assert run(dumps_call(add, (1,), {})) == 4
    add.__closure__[0].cell_contents = 30  # type: ignore[index]
    assert run(dumps_call(add, (1,), {})) == 31
    g = ns["g"]
    assert run(dumps_call(g, (1,), {})) == 2
    g.__defaults__ = (100,)
    assert run(dumps_call(g, (1,), {})) == 101
    g.marker = "set"  # a function attribute travels: pickled afresh
    fn, _, _ = pickle.loads(dumps_call(g, (1,), {}))
    assert fn.marker == "set"


def test_recursion_and_plain_or_rich_arguments() -> None:
    ns = main_functions("def down(n): return 0 if n == 0 else down(n - 1)\n")
    assert run(dumps_call(ns["down"], (5,), {})) == 0
    # arguments the plain pickler cannot take by value go through cloudpickle
    ns2 = main_functions("def call(f, x): return f(x)\n")
    assert run(dumps_call(ns2["call"], (lambda x: x * 2, 4), {})) == 8
    assert run(dumps_call(pow, (2, 5), {})) == 32
    assert run(dumps_call(max, ([3, 1, 2],), {"default": 0})) == 3


def test_a_kept_pickle_stands_for_the_function() -> None:
    ns = main_functions("def f(): return 'ok'\n")
    stand_in = PickledFunction(cloudpickle.dumps(ns["f"]))
    assert pickle.loads(pickle.dumps(stand_in))() == "ok"


def test_unpicklable_arguments_fail_as_with_cloudpickle() -> None:
    import threading

    with pytest.raises(TypeError):
        dumps_call(len, (threading.Lock(),), {})
