"""Type stubs for the private native module ``satyr._satyr`` (hand-written, checked by stubtest)."""

__version__: str

class SatyrError(Exception):
    """Base class of every satyr error."""

class ProtocolError(SatyrError):
    """A Mesos message could not be decoded or encoded."""
