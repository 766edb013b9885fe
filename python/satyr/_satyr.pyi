"""Type stubs for the private native module ``satyr._satyr`` (hand-written, checked by stubtest)."""

__version__: str

class SatyrError(Exception):
    """Base class of every satyr error."""

class ProtocolError(SatyrError):
    """A Mesos message could not be decoded or encoded."""

# --- binpack (satyr.binpack builds on these) ---------------------------------------------------

def binpack_pack(
    method: str,
    items: object,
    capacities: object,
    weights: list[tuple[int, float]] | None = None,
) -> tuple[list[int | None], list[int]]:
    """Runs one heuristic; returns (bin of every item or None, processing order)."""

def binpack_best(
    methods: list[str],
    items: object,
    capacities: object,
    weights: list[tuple[int, float]] | None = None,
) -> tuple[str, tuple[list[int | None], list[int]]]:
    """Runs a portfolio; returns (winning method, (bins of items, processing order))."""

def binpack_weight(rows: object, weights: list[tuple[int, float]]) -> list[float]:
    """satyr's weight formula over rows of quantities."""

def binpack_methods() -> list[str]:
    """Names of every heuristic, in the portfolio's tie-breaking order."""

def binpack_portfolio() -> list[str]:
    """Names of the portfolio's default members, in tie-breaking order."""
