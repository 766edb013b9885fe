"""Creates one proxy class per message type of the native schema (used by ``_classes``)."""

from __future__ import annotations

import types
from typing import Any

from satyr.proxies._base import Message
from satyr.proxies._schema import (
    HANDWRITTEN,
    RENAMED,
    MessageInfo,
    class_name,
    qualified_name,
    schema,
    short_aliases,
)

MODULE = "satyr.proxies._classes"


def build_classes() -> dict[str, Any]:
    """``{module-level name: class}``: every top-level message under :func:`class_name`, nested
    ones as attributes of their parent (``ContainerInfo.DockerInfo``) and, where unambiguous,
    under their own name too (``DockerInfo``)."""
    infos = schema()
    classes: dict[str, type[Message]] = {}
    names: dict[str, Any] = {}
    for info in infos.values():  # parents come before their nested types
        cls = _make_class(info)
        classes[info.full_name] = cls
        if info.parent is None:
            names[class_name(info)] = cls
        else:
            setattr(classes[info.parent.full_name], info.name, cls)
    for alias, info in short_aliases(infos).items():
        names[alias] = classes[info.full_name]
    return names


def _make_class(info: MessageInfo) -> type[Message]:
    namespace = {
        "__slots__": (),
        "__module__": MODULE,
        "__qualname__": qualified_name(info),
        "__doc__": f"Proxy of the ``{info.full_name}`` message.",
    }
    cls = types.new_class(
        RENAMED.get(info.full_name, info.name),
        (Message,),
        {"type_name": info.full_name},
        lambda ns: ns.update(namespace),
    )
    return cls


def exported(names: dict[str, Any]) -> list[str]:
    """The names ``messages`` re-exports: all but the bases of its hand-written classes."""
    public = [name for name, cls in names.items() if cls.type_name not in HANDWRITTEN]
    # isort's order (CONSTANTS, Classes, rest), as ruff wants ``__all__``.
    return sorted(public, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
