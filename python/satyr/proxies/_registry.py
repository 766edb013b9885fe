"""Subclass dispatch, satyr's "magical wrapper": every proxy class is registered for its message
type; a message (decoded, or built from a dict) becomes an instance of the most specific class
whose template it matches.

Priority, highest first: classes with a template (their own ``proto`` or an inherited one) before
classes without; then the most recently defined (so subclasses come before their parents, and a
user's class before satyr's own, e.g. a user's ``Cpus(Resource)`` before ``satyr``'s ``Cpus``). A
template matches a message when every field set in the template is set in the message too and
matches: a scalar or enum is equal, a message field matches recursively, every item of a repeated
template field is matched by some item of the message's field (so extra labels do not break the
match), every key of a map is there with a matching value. A class without a template matches
every message of its type (by class)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from satyr.proxies._containers import MapField, RepeatedField
from satyr.proxies._schema import UNKNOWN_FIELDS_KEY, MessageInfo

if TYPE_CHECKING:
    from satyr.proxies._base import Message

M = TypeVar("M", bound="Message")

_MISSING: Any = object()
_counter = itertools.count(1)
#: Registered classes per message type, highest priority first.
_by_type: dict[str, list[type[Message]]] = {}
#: The generated class of each message type (what a message field's values start from).
_bases: dict[str, type[Message]] = {}
#: Per requested class: the registered classes that are subclasses of it, in priority order.
_dispatch: dict[type[Message], list[type[Message]]] = {}


def register(cls: type[Message], enabled: bool) -> None:
    """Record ``cls`` (called from ``Message.__init_subclass__``)."""
    info = cls._info
    base = _bases.setdefault(info.full_name, cls)
    cls._depth = cls.__mro__.index(base)
    cls._seq = next(_counter)
    if "proto" in cls.__dict__ and cls.__dict__["proto"] is not None:
        cls._template = template_of(cls, cls.__dict__["proto"])
    if not enabled:
        return
    classes = _by_type.setdefault(info.full_name, [])
    classes.append(cls)
    # A subclass is always defined after its parents, so recency puts it first.
    classes.sort(key=lambda c: (c._template is not None, c._seq), reverse=True)
    _dispatch.clear()


def base_class(info: MessageInfo) -> type[Message]:
    """The generated class of a message type."""
    return _bases[info.full_name]


def template_of(cls: type[Message], proto: Any) -> dict[str, Any]:
    """The plain form of a class's template (ids filled in automatically are left out)."""
    from satyr.proxies._base import Message

    if isinstance(proto, Message):
        if proto.type_name != cls.type_name:
            raise TypeError(
                f"{cls.__name__}.proto must be a {cls.type_name} message, not {proto.type_name}"
            )
        return proto._plain(copy=True, skip_auto=True)
    if isinstance(proto, Mapping):
        return from_mapping(base_class(cls._info), proto)._plain(copy=True)
    if hasattr(proto, "SerializeToString") and hasattr(proto, "DESCRIPTOR"):
        # A protobuf-library message (satyr 0.2.1 used mesos_pb2 ones): same wire format.
        from satyr import _satyr

        return _satyr.decode(cls.type_name, proto.SerializeToString())
    raise TypeError(
        f"{cls.__name__}.proto must be a {cls.type_name} message or a dict,"
        f" not {type(proto).__name__}"
    )


def snapshot() -> Any:
    """The registry's state, for :func:`restore` (tests define throwaway subclasses)."""
    return {name: list(classes) for name, classes in _by_type.items()}


def restore(state: Any) -> None:
    """Forget every class registered since :func:`snapshot` returned ``state``."""
    _by_type.clear()
    _by_type.update({name: list(classes) for name, classes in state.items()})
    _dispatch.clear()


def _candidates(cls: type[Message]) -> list[type[Message]]:
    found = _dispatch.get(cls)
    if found is None:
        found = [c for c in _by_type.get(cls.type_name, ()) if issubclass(c, cls)] or [cls]
        _dispatch[cls] = found
    return found


def pick(cls: type[M], data: Mapping[str, Any]) -> type[M]:
    """The most specific registered subclass of ``cls`` (or ``cls``) that ``data`` matches."""
    candidates = _candidates(cls)
    if len(candidates) == 1:
        return candidates[0]  # type: ignore[return-value]
    info = cls._info
    for candidate in candidates:
        template = candidate._template
        if template is None or matches(data, template, info):
            return candidate  # type: ignore[return-value]
    return cls


def from_plain(cls: type[M], data: dict[str, Any]) -> M:
    """A proxy over ``data`` of the class :func:`pick` chooses, without running ``__init__``."""
    from satyr.proxies._base import _raw

    return _raw(pick(cls, data), data)


def from_mapping(cls: type[M], mapping: Mapping[str, Any]) -> M:
    """A proxy built from a user's dict: keys may be aliases, values proxies or plain; checked like
    assignments. Runs no ``__init__`` (so no ids are invented for nested messages)."""
    from satyr.proxies._base import _raw

    default = next((c for c in _candidates(cls) if c._template is None), cls)
    draft = _raw(default, {})
    for name, value in mapping.items():
        setattr(draft, name, value)
    chosen = pick(cls, draft._data)
    if chosen is default:
        return draft  # type: ignore[return-value]
    result = _raw(chosen, draft._data)
    for value in result._data.values():
        if isinstance(value, RepeatedField | MapField):
            value._owner = result
    return result


def _data_of(value: Any) -> Any:
    from satyr.proxies._base import Message

    return value._data if isinstance(value, Message) else value


def matches(data: Mapping[str, Any], template: Mapping[str, Any], info: MessageInfo) -> bool:
    """Whether a message's (plain or partly wrapped) data matches a template's plain form."""
    fields = info.fields
    for name, expected in template.items():
        field = fields.get(name)
        if field is None:
            continue  # unknown fields are not part of matching
        value = data.get(name, _MISSING)
        if value is _MISSING:
            return False
        sub = field.message_type
        if field.is_repeated:
            items = _items_of(value)
            for want in expected:
                if sub is not None:
                    if not any(matches(_data_of(item), want, sub) for item in items):
                        return False
                elif want not in items:
                    return False
        elif field.is_map:
            entries = _items_of(value)
            for key, want in expected.items():
                if key not in entries:
                    return False
                got = entries[key]
                if sub is not None:
                    if not matches(_data_of(got), want, sub):
                        return False
                elif got != want:
                    return False
        elif sub is not None:
            if not matches(_data_of(value), expected, sub):
                return False
        elif value != expected:
            return False
    return True


def _items_of(value: Any) -> Any:
    return value._items if isinstance(value, RepeatedField | MapField) else value


def fill_template(msg: Message, template: Mapping[str, Any]) -> None:
    """Fill ``template`` into a message under construction: unset fields take the template's
    value, message fields are filled recursively, template items missing from a repeated field
    are put first. A value given explicitly wins over the template's."""
    fields = msg._info.fields
    for name, expected in template.items():
        if name == UNKNOWN_FIELDS_KEY:
            continue
        field = fields[name]
        if not msg.has_field(name):
            msg._set(field, _copy(expected))
        elif field.is_repeated:
            current = msg._get(field)
            sub = field.message_type
            missing = [
                want
                for want in expected
                if not any(
                    matches(_data_of(item), want, sub) if sub is not None else item == want
                    for item in current._items
                )
            ]
            current[0:0] = [_copy(want) for want in missing]
        elif field.is_map:
            current = msg._get(field)
            for key, want in expected.items():
                if key not in current:
                    current[key] = _copy(want)
        elif field.is_message:
            fill_template(msg._get(field), expected)


def _copy(value: Any) -> Any:
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value
