"""satyr 0.2.1's own bin-packing code, fetched from PyPI at bench time (never copied into the
repo), and light resource objects with satyr's ResourcesMixin semantics to feed it."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import types
from pathlib import Path

CACHE = Path(__file__).resolve().parents[1] / ".cache"
SDIST = CACHE / "satyr-0.2.1.tar.gz"
MEMBER = "satyr-0.2.1/satyr/binpack.py"


def _download() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*cmd, "satyr==0.2.1", "-d", str(CACHE)], check=True, capture_output=True)


def _naive_sum(values, start=0):  # type: ignore[no-untyped-def]
    """Python 2's sum(): plain left-to-right addition (3.12+ compensates float rounding)."""
    total = start
    for v in values:
        total = total + v
    return total


def load() -> types.ModuleType:
    """Imports satyr 0.2.1's ``satyr/binpack.py`` straight from the sdist."""
    if not SDIST.exists():
        _download()
    with tarfile.open(SDIST) as tar:
        member = tar.extractfile(MEMBER)
        if member is None:
            raise RuntimeError(f"{MEMBER} missing from {SDIST}")
        source = member.read().decode()
    module = types.ModuleType("satyr021_binpack")
    module.__file__ = f"{SDIST}/{MEMBER}"
    if sys.version_info >= (3, 12):
        module.sum = _naive_sum  # type: ignore[attr-defined]
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


class Res:
    """A task or offer with satyr's ResourcesMixin algebra over cpus/mem/disk (§b.10):
    ``+``/``-`` per resource (``sum()`` works from 0), ``a <= b`` when no resource of ``a``
    exceeds ``b``'s, ``a < b`` when all are strictly smaller."""

    __slots__ = ("cpus", "disk", "label", "mem")

    def __init__(self, cpus: float, mem: float, disk: float = 0.0, label: object = None) -> None:
        self.cpus, self.mem, self.disk, self.label = cpus, mem, disk, label

    @staticmethod
    def _cast_zero(other: Res | int) -> Res:
        """satyr's ``_cast_zero``: 0 (from ``sum()`` of nothing) is the empty vector."""
        if isinstance(other, Res):
            return other
        if other == 0:
            return Res(0.0, 0.0, 0.0)
        raise TypeError(f"cannot combine resources with {other!r}")

    def __add__(self, other: Res | int) -> Res:
        o = self._cast_zero(other)
        return Res(self.cpus + o.cpus, self.mem + o.mem, self.disk + o.disk)

    def __radd__(self, other: Res | int) -> Res:
        return self._cast_zero(other) + self

    def __sub__(self, other: Res | int) -> Res:
        o = self._cast_zero(other)
        return Res(self.cpus - o.cpus, self.mem - o.mem, self.disk - o.disk)

    def _cmp(self, other: Res) -> int:
        a = (self.cpus, self.mem, self.disk)
        b = (other.cpus, other.mem, other.disk)
        if all(x < y for x, y in zip(a, b, strict=True)):
            return -1
        if any(x > y for x, y in zip(a, b, strict=True)):
            return 1
        return 0

    def __le__(self, other: Res) -> bool:
        return self._cmp(other) <= 0

    def __lt__(self, other: Res) -> bool:
        return self._cmp(other) < 0

    def __ge__(self, other: Res) -> bool:
        return self._cmp(other) >= 0

    def __gt__(self, other: Res) -> bool:
        return self._cmp(other) > 0
