"""The message schema of the native codec, indexed for the proxies, and the naming rules that both
the runtime classes (``_classes.py``) and their stub (``_classes.pyi``) follow."""

from __future__ import annotations

from functools import cache
from typing import Any

from satyr import _satyr

UNKNOWN_FIELDS_KEY: str = _satyr.UNKNOWN_FIELDS_KEY
MAIN_PACKAGE = "mesos.v1"

#: Messages whose public class is written by hand in ``messages.py`` (so mixins can be added);
#: their generated class is named ``<Name>Base``.
HANDWRITTEN = frozenset(
    {
        "mesos.v1.Resource",
        "mesos.v1.Offer",
        "mesos.v1.TaskInfo",
        "mesos.v1.ExecutorInfo",
        "mesos.v1.TaskStatus",
        "mesos.v1.FrameworkInfo",
    }
)

#: Messages whose class goes by another name: ``messages.Ports`` is the ports resource, so the
#: ``mesos.v1.Ports`` message (DiscoveryInfo's named ports) is ``DiscoveryPorts``.
RENAMED = {"mesos.v1.Ports": "DiscoveryPorts"}

INT_RANGES: dict[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "sint32": (-(2**31), 2**31 - 1),
    "sfixed32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "sint64": (-(2**63), 2**63 - 1),
    "sfixed64": (-(2**63), 2**63 - 1),
    "uint32": (0, 2**32 - 1),
    "fixed32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
    "fixed64": (0, 2**64 - 1),
}
SCALAR_DEFAULTS: dict[str, Any] = {"string": "", "bytes": b"", "bool": False, "double": 0.0}


class FieldInfo:
    """One field of a message type."""

    __slots__ = (
        "default",
        "enum_by_number",
        "enum_values",
        "is_map",
        "is_message",
        "is_repeated",
        "key_kind",
        "kind",
        "label",
        "message_type",
        "name",
        "number",
        "oneof",
        "owner",
        "type_name",
    )

    def __init__(self, owner: MessageInfo, name: str, raw: dict[str, Any]) -> None:
        self.owner = owner
        self.name = name
        self.number: int = raw["number"]
        self.kind: str = raw["kind"]
        self.label: str = raw["label"]
        self.type_name: str | None = raw["type_name"]
        self.oneof: str | None = raw["oneof"]
        self.key_kind: str | None = raw["key_kind"]
        self.enum_values: dict[str, int] | None = raw["enum_values"]
        self.enum_by_number: dict[int, str] = (
            {number: name for name, number in reversed(self.enum_values.items())}
            if self.enum_values
            else {}
        )
        self.is_map = self.label == "map"
        self.is_repeated = self.label == "repeated"
        self.is_message = self.kind == "message"
        default = raw["default"]
        if default is None and not (self.is_map or self.is_repeated or self.is_message):
            default = SCALAR_DEFAULTS.get(self.kind, 0.0 if self.kind == "float" else 0)
        self.default: Any = default
        #: Resolved once every message is known.
        self.message_type: MessageInfo | None = None

    def __repr__(self) -> str:
        return f"<field {self.owner.full_name}.{self.name}>"


class MessageInfo:
    """One message type: its names and fields."""

    __slots__ = (
        "fields",
        "full_name",
        "is_id",
        "name",
        "nested",
        "oneofs",
        "package",
        "parent",
        "path",
    )

    def __init__(self, full_name: str, package: str) -> None:
        self.full_name = full_name
        self.package = package
        #: Dotted path inside the package, e.g. ``ContainerInfo.DockerInfo``.
        self.path = full_name[len(package) + 1 :]
        self.name = self.path.rsplit(".", 1)[-1]
        self.parent: MessageInfo | None = None
        self.nested: list[MessageInfo] = []
        self.fields: dict[str, FieldInfo] = {}
        self.oneofs: dict[str, list[str]] = {}
        #: An id message (TaskID, AgentID, ...): its only field is the string ``value``, so a str
        #: assigned where one is expected is wrapped into it.
        self.is_id = False

    def __repr__(self) -> str:
        return f"<message {self.full_name}>"


def _package_of(full_name: str, names: set[str]) -> str:
    parts = full_name.split(".")
    i = len(parts) - 1
    while i > 1 and ".".join(parts[:i]) in names:
        i -= 1
    return ".".join(parts[:i])


@cache
def schema() -> dict[str, MessageInfo]:
    """Every message type by full name, parents before their nested types."""
    raw: dict[str, dict[str, dict[str, Any]]] = _satyr.message_schema()
    names = set(raw)
    infos = {name: MessageInfo(name, _package_of(name, names)) for name in sorted(raw, key=len)}
    for info in infos.values():
        parent_name = info.full_name.rsplit(".", 1)[0]
        if parent_name in infos:
            info.parent = infos[parent_name]
            info.parent.nested.append(info)
        for field_name, field_raw in raw[info.full_name].items():
            field = FieldInfo(info, field_name, field_raw)
            info.fields[field_name] = field
            if field.oneof is not None:
                info.oneofs.setdefault(field.oneof, []).append(field_name)
        only = list(info.fields.values())
        info.is_id = len(only) == 1 and only[0].name == "value" and only[0].kind == "string"
    for info in infos.values():
        for field in info.fields.values():
            if field.is_message and field.type_name is not None:
                field.message_type = infos[field.type_name]
    return infos


def class_name(info: MessageInfo) -> str:
    """The module-level name of a top-level message's class: ``TaskID``, ``SchedulerCall`` (other
    packages are prefixed with their last component), ``TaskInfoBase`` (hand-written ones)."""
    prefix = "" if info.package == MAIN_PACKAGE else info.package.rsplit(".", 1)[-1].capitalize()
    name = RENAMED.get(info.full_name, prefix + info.name)
    return name + "Base" if info.full_name in HANDWRITTEN else name


def public_name(info: MessageInfo) -> str:
    """The name ``messages`` exports a top-level message's class under."""
    return (
        class_name(info).removesuffix("Base") if info.full_name in HANDWRITTEN else class_name(info)
    )


def qualified_name(info: MessageInfo) -> str:
    """The class's dotted path in ``_classes``, e.g. ``ContainerInfo.DockerInfo``."""
    top = info
    while top.parent is not None:
        top = top.parent
    return class_name(top) + info.full_name[len(top.full_name) :]


def short_aliases(infos: dict[str, MessageInfo]) -> dict[str, MessageInfo]:
    """Nested ``mesos.v1`` messages exported under their own name where that is unambiguous
    (``DockerInfo``, ``URI``, ``Variable``, ``Scalar``), plus ``SlaveID``/``SlaveInfo``-style
    aliases of the top-level ``Agent*`` messages."""
    main = [i for i in infos.values() if i.package == MAIN_PACKAGE]
    taken = {public_name(i) for i in infos.values() if i.parent is None}
    counts: dict[str, int] = {}
    for info in main:
        counts[info.name] = counts.get(info.name, 0) + 1
    aliases = {
        info.name: info
        for info in main
        if info.parent is not None and counts[info.name] == 1 and info.name not in taken
    }
    for info in main:
        if info.parent is None and "Agent" in info.name:
            slave = info.name.replace("Agent", "Slave")
            if slave not in taken and slave not in aliases:
                aliases[slave] = info
    return aliases


def field_aliases(info: MessageInfo) -> dict[str, str]:
    """``slave_id`` for ``agent_id`` (and every other ``agent`` field), the pre-1.0 Mesos names."""
    return {
        name.replace("agent", "slave"): name
        for name in info.fields
        if "agent" in name and name.replace("agent", "slave") not in info.fields
    }
