"""The message proxy base class: field access, conversion and checks, presence, plain form and
bytes, equality, copies. Subclass dispatch (templates) lives in ``_registry``."""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar, overload

from satyr import _satyr
from satyr.proxies import _registry
from satyr.proxies._containers import MapField, RepeatedField
from satyr.proxies._schema import (
    INT_RANGES,
    UNKNOWN_FIELDS_KEY,
    FieldInfo,
    MessageInfo,
    field_aliases,
    schema,
)

G = TypeVar("G")
S = TypeVar("S")
M = TypeVar("M", bound="Message")

_MISSING: Any = object()


class Field(Generic[G, S]):
    """Class attribute giving access to one proto field (``G`` is what reading gives, ``S`` what
    may be assigned)."""

    __slots__ = ("info",)

    def __init__(self, info: FieldInfo) -> None:
        self.info = info

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Field[G, S]: ...
    @overload
    def __get__(self, obj: Message, owner: type | None = None) -> G: ...
    def __get__(self, obj: Message | None, owner: type | None = None) -> G | Field[G, S]:
        if obj is None:
            return self
        return obj._get(self.info)

    def __set__(self, obj: Message, value: S) -> None:
        obj._set(self.info, value)

    def __delete__(self, obj: Message) -> None:
        obj.clear_field(self.info.name)

    def __repr__(self) -> str:
        return f"<Field {self.info.owner.full_name}.{self.info.name}>"


class Alias:
    """Another name of a field (``slave_id`` for ``agent_id``)."""

    __slots__ = ("target",)

    def __init__(self, target: str) -> None:
        self.target = target

    def __get__(self, obj: Message | None, owner: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self.target)

    def __set__(self, obj: Message, value: Any) -> None:
        setattr(obj, self.target, value)

    def __delete__(self, obj: Message) -> None:
        obj.clear_field(self.target)


def _check_int(kind: str) -> Any:
    low, high = INT_RANGES[kind]

    def check(value: Any, where: str) -> int:
        if type(value) is bool or not isinstance(value, int):
            raise TypeError(f"{where}: expected an int ({kind}), got {type(value).__name__}")
        if not low <= value <= high:
            raise ValueError(f"{where}: {value} is out of range for {kind}")
        return int(value)

    return check


def _check_float(value: Any, where: str) -> float:
    if type(value) is bool or not isinstance(value, int | float):
        raise TypeError(f"{where}: expected a number, got {type(value).__name__}")
    return float(value)


def _check_bool(value: Any, where: str) -> bool:
    if type(value) is not bool:
        raise TypeError(f"{where}: expected a bool, got {type(value).__name__}")
    return value


def _check_str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{where}: expected a str, got {type(value).__name__}")
    return str(value)


def _check_bytes(value: Any, where: str) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"{where}: expected bytes, got {type(value).__name__}")


_SCALAR_CHECKS: dict[str, Any] = {
    "double": _check_float,
    "float": _check_float,
    "bool": _check_bool,
    "string": _check_str,
    "bytes": _check_bytes,
    **{kind: _check_int(kind) for kind in INT_RANGES},
}


def _check_enum(field: FieldInfo, value: Any, where: str) -> str:
    names = field.enum_values or {}
    if isinstance(value, str):
        if value in names:
            return value
    elif isinstance(value, int) and type(value) is not bool:
        if value in field.enum_by_number:
            return field.enum_by_number[value]
    else:
        raise TypeError(f"{where}: expected an enum name (str), got {type(value).__name__}")
    raise ValueError(
        f"{where}: {value!r} is not a valid {field.type_name}; expected one of {', '.join(names)}"
    )


def plain_value(value: Any, copy: bool) -> Any:
    """The plain form of a stored field value; ``copy=False`` shares untouched plain parts."""
    kind = type(value)
    if kind is dict:
        return _copy_plain(value) if copy else value
    if kind is list:
        return _copy_plain(value) if copy else value
    if isinstance(value, Message):
        return value._plain(copy)
    if isinstance(value, RepeatedField):
        return [plain_value(v, copy) for v in value._items]
    if isinstance(value, MapField):
        return {k: plain_value(v, copy) for k, v in value._items.items()}
    return value


def _copy_plain(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _copy_plain(v) for k, v in value.items()}
    if kind is list:
        return [_copy_plain(v) for v in value]
    return (
        plain_value(value, True) if isinstance(value, Message | RepeatedField | MapField) else value
    )


def _is_empty(value: Any) -> bool:
    return isinstance(value, RepeatedField | MapField) and not value._items


def _raw(cls: type[M], data: dict[str, Any]) -> M:
    """An instance of ``cls`` over ``data`` (plain or partly wrapped), without running __init__."""
    obj = object.__new__(cls)
    _DATA.__set__(obj, data)
    _LINK.__set__(obj, None)
    _EXTRA.__set__(obj, None)
    return obj


class Message:
    """A Mesos message: attribute access by field name, backed by the message's plain form.

    * Reading an unset field gives its proto default; an unset message field gives an empty
      message that attaches itself to this one when something is written into it (so
      ``task.container.docker.image = 'x'`` works and a mere read adds nothing).
    * Assigning converts and checks: a dict becomes the field's message (the most specific
      registered subclass whose template matches), a str becomes an id message (``task_id='t1'``),
      an enum takes a value name (or number); ``None`` clears the field.
    * Presence: ``'field' in msg`` / :meth:`has_field` (a repeated or map field is present when
      non-empty, as in the plain form).
    * Equality is by content: same message type and same plain form (the Python subclass does not
      matter); a proxy never equals a plain dict. Messages are mutable and so unhashable, except
      id messages (``TaskID``, ``AgentID``, ...), hashed by type and value: do not change an id
      while it is a dict key.
    * Subclasses may declare a template (``proto = TaskInfo(labels=...)`` or a plain dict);
      decoding picks the most specific registered subclass whose template matches, and
      constructing a subclass fills in its template. Decoding never runs ``__init__``.
    """

    __slots__ = ("_data", "_extra", "_link")

    #: Full proto name, e.g. ``mesos.v1.TaskInfo``.
    type_name: ClassVar[str]
    #: A template: instances whose content matches it decode as this class.
    proto: ClassVar[Message | Mapping[str, Any] | None] = None
    _info: ClassVar[MessageInfo]
    _template: ClassVar[dict[str, Any] | None] = None
    _depth: ClassVar[int] = 0
    _seq: ClassVar[int] = 0
    _declared: ClassVar[frozenset[str]] = frozenset()

    _data: dict[str, Any]
    #: ``(parent, field name)`` while this is an unset message field's empty value.
    _link: tuple[Message, str] | None
    #: ``None``, or ``{'detached': {field: child}, 'auto': {field, ...}}``.
    _extra: dict[str, Any] | None

    def __init_subclass__(
        cls, type_name: str | None = None, register: bool = True, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if type_name is not None:
            info = schema()[type_name]
            cls._info = info
            cls.type_name = type_name
            for field in info.fields.values():
                setattr(cls, field.name, Field(field))
            for alias, target in field_aliases(info).items():
                setattr(cls, alias, Alias(target))
            if info.is_id:
                cls.__hash__ = _id_hash  # type: ignore[method-assign,assignment]
        elif not hasattr(cls, "_info"):
            raise TypeError(f"{cls.__name__} must subclass a message class, not Message itself")
        declared: set[str] = set()
        for klass in cls.__mro__:
            declared.update(getattr(klass, "__annotations__", {}) if klass is not Message else ())
        cls._declared = frozenset(declared)
        _registry.register(cls, register)

    def __init__(self, _plain: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        _DATA.__set__(self, {})
        _LINK.__set__(self, None)
        _EXTRA.__set__(self, None)
        if _plain is not None:
            items = _plain.to_plain() if isinstance(_plain, Message) else _plain
            for name, value in items.items():
                setattr(self, name, value)
        for name, value in fields.items():
            setattr(self, name, value)
        if self._template:
            _registry.fill_template(self, self._template)

    # -- attribute protocol ----------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        cls = type(self)
        if name[0] == "_" or name in cls._declared or hasattr(cls, name):
            object.__setattr__(self, name, value)
            return
        raise AttributeError(self._no_such(name))

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup failed: not a field, alias, method or attribute.
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(self._no_such(name))

    def _no_such(self, name: str) -> str:
        cls = type(self)
        text = f"{cls.__name__} ({cls.type_name}) has no field or attribute {name!r}"
        close = difflib.get_close_matches(name, list(cls._info.fields), n=1)
        return f"{text}; did you mean {close[0]!r}?" if close else text

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._info.fields))

    # -- field access ----------------------------------------------------------------------------

    def _get(self, field: FieldInfo) -> Any:
        data = self._data
        value = data.get(field.name, _MISSING)
        if value is _MISSING:
            return self._unset(field)
        kind = type(value)
        if kind is dict:
            value = MapField(self, field, value) if field.is_map else self._wrap(field, value)
            data[field.name] = value
        elif kind is list:
            value = RepeatedField(self, field, value)
            data[field.name] = value
        return value

    def _unset(self, field: FieldInfo) -> Any:
        if field.is_repeated:
            # Stored at once: it is present only when non-empty, so nothing changes until written.
            value: Any = RepeatedField(self, field, [])
            self._data[field.name] = value
            return value
        if field.is_map:
            value = MapField(self, field, {})
            self._data[field.name] = value
            return value
        if field.is_message:
            detached = self._extras().setdefault("detached", {})
            child = detached.get(field.name)
            if child is None:
                child = self._wrap(field, {})
                _LINK.__set__(child, (self, field.name))
                detached[field.name] = child
            return child
        return field.default

    def _wrap(self, field: FieldInfo, plain: dict[str, Any]) -> Message:
        """The proxy for a plain message value of ``field`` (most specific subclass)."""
        info = field.message_type
        assert info is not None  # message fields always have a type
        return _registry.from_plain(_registry.base_class(info), plain)

    def _set(self, field: FieldInfo, value: Any) -> None:
        name = field.name
        if value is None:
            self.clear_field(name)
            return
        where = f"{type(self).__name__}.{name}"
        if field.is_repeated:
            if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
                raise TypeError(f"{where}: expected a list, got {type(value).__name__}")
            stored: Any = RepeatedField(
                self,
                field,
                [self._convert_item(field, v, f"{where}[{i}]") for i, v in enumerate(value)],
            )
        elif field.is_map:
            if not isinstance(value, Mapping):
                raise TypeError(f"{where}: expected a dict, got {type(value).__name__}")
            stored = MapField(
                self,
                field,
                {
                    self._convert_key(field, k, f"{where}[{k!r}]"): self._convert_item(
                        field, v, f"{where}[{k!r}]"
                    )
                    for k, v in value.items()
                },
            )
        else:
            stored = self._convert_item(field, value, where)
        self._store(field, stored)

    def _store(self, field: FieldInfo, stored: Any) -> None:
        data = self._data
        data[field.name] = stored
        if field.oneof is not None:
            for other in self._info.oneofs[field.oneof]:
                if other != field.name:
                    data.pop(other, None)
        extra = self._extra
        if extra is not None:
            child = extra.get("detached", {}).pop(field.name, None)
            if child is not None and child is not stored:
                _LINK.__set__(child, None)
            extra.get("auto", set()).discard(field.name)
        self._touch()

    def _convert_item(self, field: FieldInfo, value: Any, where: str) -> Any:
        """``value`` converted and checked as one value of ``field`` (an item, if repeated)."""
        if field.is_message:
            info = field.message_type
            assert info is not None  # message fields always have a type
            if isinstance(value, Message):
                if value.type_name != info.full_name:
                    raise TypeError(
                        f"{where}: expected {info.full_name}, got {type(value).__name__}"
                        f" ({value.type_name})"
                    )
                if value._link is not None:
                    # An unset field's empty value of another message: it belongs here now.
                    value._unlink()
                return value
            if isinstance(value, Mapping):
                return _registry.from_mapping(_registry.base_class(info), value)
            if isinstance(value, str) and info.is_id:
                return _registry.from_plain(_registry.base_class(info), {"value": value})
            raise TypeError(
                f"{where}: expected {info.full_name} (a message or dict),"
                f" got {type(value).__name__}"
            )
        if field.kind == "enum":
            return _check_enum(field, value, where)
        return _SCALAR_CHECKS[field.kind](value, where)

    def _convert_key(self, field: FieldInfo, key: Any, where: str) -> Any:
        return _SCALAR_CHECKS[field.key_kind or "string"](key, where)

    def _extras(self) -> dict[str, Any]:
        extra = self._extra
        if extra is None:
            extra = {}
            _EXTRA.__set__(self, extra)
        return extra

    def _touch(self) -> None:
        """Something was written: an unset field's empty value becomes its parent's value."""
        link = self._link
        if link is not None:
            parent, name = link
            _LINK.__set__(self, None)
            parent._store(parent._info.fields[name], self)

    def _unlink(self) -> None:
        link = self._link
        if link is not None:
            parent, name = link
            _LINK.__set__(self, None)
            if parent._extra is not None:
                detached = parent._extra.get("detached", {})
                if detached.get(name) is self:
                    del detached[name]

    def _mark_auto(self, name: str) -> None:
        """``name`` was filled in automatically (a fresh id): templates ignore it."""
        self._extras().setdefault("auto", set()).add(name)

    # -- public API --------------------------------------------------------------------------------

    def has_field(self, name: str) -> bool:
        """Whether the field ``name`` is set (a repeated or map field: non-empty)."""
        if name not in self._info.fields:
            target = field_aliases(self._info).get(name)
            if target is None:
                raise AttributeError(self._no_such(name))
            name = target
        value = self._data.get(name, _MISSING)
        return value is not _MISSING and not _is_empty(value)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            return self.has_field(name)
        except AttributeError:
            return False

    def clear_field(self, name: str) -> None:
        """Unset the field ``name``."""
        if name not in self._info.fields:
            raise AttributeError(self._no_such(name))
        self._data.pop(name, None)
        if self._extra is not None:
            child = self._extra.get("detached", {}).pop(name, None)
            if child is not None:
                _LINK.__set__(child, None)

    def get_field(self, name: str) -> Any:
        """The field ``name`` as stored (bypassing any property a subclass put on that name)."""
        field = self._info.fields.get(name)
        if field is None:
            raise AttributeError(self._no_such(name))
        return self._get(field)

    def set_field(self, name: str, value: Any) -> None:
        """Set the field ``name`` (bypassing any property a subclass put on that name)."""
        field = self._info.fields.get(name)
        if field is None:
            raise AttributeError(self._no_such(name))
        self._set(field, value)

    def _plain(self, copy: bool, skip_auto: bool = False) -> dict[str, Any]:
        auto = self._extra.get("auto", ()) if skip_auto and self._extra else ()
        return {
            name: plain_value(value, copy)
            for name, value in self._data.items()
            if not _is_empty(value) and name not in auto
        }

    def to_plain(self) -> dict[str, Any]:
        """The plain form (a fresh dict of the set fields; see PLAIN_FORM.md)."""
        return self._plain(copy=True)

    @classmethod
    def from_plain(cls: type[M], plain: Mapping[str, Any]) -> M:
        """A proxy over a plain form, of the most specific registered subclass of ``cls`` whose
        template matches. Runs no ``__init__`` (invents no ids). The dict is not copied: it becomes
        the proxy's storage (sub-messages are replaced by proxies as they are read), so hand over
        a fresh one, e.g. ``from_plain(other.to_plain())``."""
        data = plain if type(plain) is dict else dict(plain)
        return _registry.from_plain(cls, data)

    def to_bytes(self) -> bytes:
        """The protobuf encoding (``ValueError`` naming the field path if a value is wrong)."""
        return _satyr.encode(self.type_name, self._plain(copy=False))

    encode = to_bytes

    @classmethod
    def from_bytes(cls: type[M], data: bytes) -> M:
        """Decode protobuf bytes (``satyr.ProtocolError`` if they are not a ``cls`` message)."""
        return _registry.from_plain(cls, _satyr.decode(cls.type_name, bytes(data)))

    decode = from_bytes

    def copy(self: M) -> M:
        """A deep copy, of the same class."""
        clone = _raw(type(self), self._plain(copy=True))
        if self._extra and self._extra.get("auto"):
            clone._extras()["auto"] = set(self._extra["auto"])
        state = getattr(self, "__dict__", None)
        if state:
            clone.__dict__.update(state)
        return clone

    __copy__ = copy

    def __deepcopy__(self: M, memo: dict[int, Any]) -> M:
        return self.copy()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self._plain(copy=True), getattr(self, "__dict__", None)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self.type_name == other.type_name and self._plain(False) == other._plain(False)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return _repr(self)


def _id_hash(self: Message) -> int:
    return hash((self.type_name, self._data.get("value", "")))


def _restore(cls: type[M], plain: dict[str, Any], state: dict[str, Any] | None) -> M:
    obj = _raw(cls, plain)
    if state:
        obj.__dict__.update(state)
    return obj


_repr_short = reprlib.Repr()
_repr_short.maxstring = 80
_repr_short.maxother = 80


def _repr(msg: Message) -> str:
    parts = []
    for name, field in msg._info.fields.items():
        value = msg._data.get(name, _MISSING)
        if value is _MISSING or _is_empty(value):
            continue
        value = msg._get(field)
        if isinstance(value, bytes) and len(value) > 32:
            text = f"<{len(value)} bytes>"
        elif isinstance(value, str):
            text = _repr_short.repr(value)
        else:
            text = repr(value)
        parts.append(f"{name}={text}")
    if UNKNOWN_FIELDS_KEY in msg._data:
        parts.append(f"<{len(msg._data[UNKNOWN_FIELDS_KEY])} bytes of unknown fields>")
    return f"{type(msg).__name__}({', '.join(parts)})"


# Slot descriptors, to set an instance's slots without going through __setattr__.
_DATA: Any = Message.__dict__["_data"]
_LINK: Any = Message.__dict__["_link"]
_EXTRA: Any = Message.__dict__["_extra"]
