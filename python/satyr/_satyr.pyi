"""Type stubs for the private native module ``satyr._satyr`` (hand-written, checked by stubtest)."""

from collections.abc import Mapping
from typing import Any

__version__: str

class SatyrError(Exception):
    """Base class of every satyr error."""

class ProtocolError(SatyrError):
    """A Mesos message could not be decoded or encoded."""

# -- plain-form codec (see PLAIN_FORM.md) -------------------------------------------------------

UNKNOWN_FIELDS_KEY: str
"""Plain-form key holding a message's unknown fields (raw protobuf bytes), kept for re-encoding."""

def decode(type_name: str, data: bytes) -> dict[str, Any]:
    """Decode protobuf ``data`` as the message ``type_name`` (e.g. ``'mesos.v1.TaskInfo'``) to
    its plain form; bad bytes raise :class:`ProtocolError`, an unknown type ``ValueError``."""

def encode(type_name: str, plain: Mapping[str, Any]) -> bytes:
    """Encode the plain form of the message ``type_name``; a wrong key, type or enum name raises
    ``ValueError`` naming the field path (``TaskInfo.resources[0].scalar.value: ...``)."""

def message_schema() -> dict[str, dict[str, dict[str, Any]]]:
    """``{type_name: {field_name: {number, kind, label, type_name, default, oneof, key_kind,
    enum_values}}}`` for every message type, fields in declaration order."""
