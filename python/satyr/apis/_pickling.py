"""Pickling calls cheaply. cloudpickle pickles a function defined in ``__main__`` (or anywhere it
cannot be imported from) by value, walking its code, globals and closure: tens of microseconds,
for every call. Such a function's pickle is kept and reused for as long as everything it captures
is provably unchanged: the same code, defaults, closure contents and referenced globals (by
identity), each of them immutable or pickled by reference. Anything else is pickled afresh, so a
reused pickle is byte for byte what cloudpickle would produce for the function now.

Calls whose arguments are plain values (numbers, strings, bytes, None) skip cloudpickle's
Python-level pickler altogether."""

from __future__ import annotations

import pickle
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from operator import is_
from typing import Any

import cloudpickle

try:  # cloudpickle's own rules; without them nothing is cached
    from cloudpickle.cloudpickle import _extract_code_globals, _should_pickle_by_reference
except ImportError:  # pragma: no cover - other cloudpickle versions
    _extract_code_globals = None
    _should_pickle_by_reference = None

__all__ = ["dumps_call"]

_PLAIN = frozenset({type(None), bool, int, float, complex, str, bytes})
_MISSING = object()
#: Functions whose pickles are kept, at most; beyond it the cache starts again.
_CACHE_SIZE = 256


class PickledFunction:
    """A function's pickle, standing for the function in a call's pickle: it unpickles into the
    function (``pickle.loads`` of the bytes, importable wherever satyr runs)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self) -> tuple[Callable[[bytes], Any], tuple[bytes]]:
        return pickle.loads, (self.data,)


class _Entry:
    __slots__ = ("annotations", "closure", "code", "defaults", "fn", "globals", "names", "pickled")

    def __init__(
        self, fn: types.FunctionType, names: tuple[str, ...] | None, pickled: bytes | None
    ) -> None:
        """``names`` None: ``fn`` is pickled every time (kept only to say so quickly)."""
        self.fn = fn
        self.code = fn.__code__
        self.defaults = fn.__defaults__
        self.annotations = fn.__annotations__
        self.closure = _closure_values(fn)
        self.names = names
        self.globals = tuple(fn.__globals__.get(n, _MISSING) for n in names or ())
        self.pickled = PickledFunction(pickled or b"")

    def fresh(self, fn: types.FunctionType) -> bool:
        if self.names is None:
            return False
        if (
            fn.__code__ is not self.code
            or fn.__defaults__ is not self.defaults
            or fn.__kwdefaults__ is not None
            or fn.__annotations__ is not self.annotations
            or fn.__dict__
        ):
            return False
        # Compared with C-level loops: this runs for every call a pool sends.
        cells = fn.__closure__
        if cells or self.closure:
            closure = _closure_values(fn)
            if len(closure) != len(self.closure) or not all(map(is_, closure, self.closure)):
                return False
        if self.names:
            g = fn.__globals__
            now = [g.get(n, _MISSING) for n in self.names]
            return all(map(is_, now, self.globals))
        return True


_cache: dict[int, _Entry] = {}
_lock = threading.Lock()


def _closure_values(fn: types.FunctionType) -> tuple[Any, ...]:
    try:
        return tuple(c.cell_contents for c in fn.__closure__ or ())
    except ValueError:  # an empty cell
        return (_MISSING,)


def _stable(value: Any, fn: types.FunctionType) -> bool:
    """Immutable, or pickled by reference (so unchanged while it is the same object)."""
    kind = type(value)
    if kind in _PLAIN or kind is types.ModuleType or kind is types.BuiltinFunctionType:
        return True
    if kind is tuple or kind is frozenset:
        return all(_stable(v, fn) for v in value)
    if value is fn:
        return True  # a recursive function refers to itself
    if kind is types.FunctionType or isinstance(value, type):
        return bool(_should_pickle_by_reference(value))
    return False


def _cacheable(fn: types.FunctionType) -> tuple[str, ...] | None:
    """The global names ``fn`` refers to, if its pickle may be reused while they keep their
    values; None if it must be pickled every time."""
    if _extract_code_globals is None:
        return None
    if fn.__kwdefaults__ is not None or fn.__dict__:
        return None
    names = tuple(sorted(_extract_code_globals(fn.__code__)))
    captured = [
        *(fn.__defaults__ or ()),
        *_closure_values(fn),
        *(fn.__globals__.get(n, _MISSING) for n in names),
        *fn.__annotations__.values(),
    ]
    if not all(v is _MISSING or _stable(v, fn) for v in captured):
        return None
    return names


def _function(fn: Any) -> tuple[Any, bool]:
    """``fn``, or its kept pickle standing for it; and whether the plain pickler pickles it as
    cloudpickle does (a kept pickle, a builtin, a function pickled by reference)."""
    kind = type(fn)
    if kind is types.BuiltinFunctionType:
        return fn, True
    if kind is not types.FunctionType or _should_pickle_by_reference is None:
        return fn, False
    entry = _cache.get(id(fn))
    if entry is not None and entry.fn is fn and entry.fresh(fn):
        return entry.pickled, True
    if entry is not None and entry.fn is fn and entry.names is None:
        return fn, False  # found not cacheable before: not checked again
    if _should_pickle_by_reference(fn):
        return fn, True
    names = _cacheable(fn)
    if names is None:
        with _lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.clear()
            _cache[id(fn)] = _Entry(fn, None, None)
        return fn, False
    entry = _Entry(fn, names, cloudpickle.dumps(fn, protocol=5))
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[id(fn)] = entry
    return entry.pickled, True


def dumps_call(
    fn: Callable[..., Any],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    buffer_callback: Callable[[pickle.PickleBuffer], Any] | None = None,
) -> bytes:
    """The pickle of ``(fn, tuple(args), dict(kwargs))`` (protocol 5), which unpickles as
    cloudpickle's would."""
    target, plain = _function(fn)
    call = (target, tuple(args), dict(kwargs))
    if plain and _PLAIN.issuperset(map(type, call[1])):
        if not call[2] or _PLAIN.issuperset(map(type, call[2].values())):
            return pickle.dumps(call, protocol=5, buffer_callback=buffer_callback)
    return cloudpickle.dumps(call, protocol=5, buffer_callback=buffer_callback)
