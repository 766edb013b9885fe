"""satyr: run Python work on Apache Mesos, and write Mesos frameworks in a few lines of Python.

The Rust core lives in the private native module ``satyr._satyr``; this package is its typed face.
The core's log records appear in :mod:`logging` under ``satyr`` (``satyr.driver.actor``, ...) at
the levels Python sets.
"""

from satyr._logging import flush_logs, sync_log_level
from satyr._satyr import (
    AuthenticationError,
    FrameworkRemovedError,
    InvalidCallError,
    MesosConnectionError,
    MesosError,
    NotConnectedError,
    OfferNotHeldError,
    ProtocolError,
    ResourceError,
    ResourceKindError,
    SatyrError,
    __version__,
)

__all__ = [
    "AuthenticationError",
    "FrameworkRemovedError",
    "InvalidCallError",
    "MesosConnectionError",
    "MesosError",
    "NotConnectedError",
    "OfferNotHeldError",
    "ProtocolError",
    "ResourceError",
    "ResourceKindError",
    "SatyrError",
    "__version__",
    "flush_logs",
    "sync_log_level",
]
