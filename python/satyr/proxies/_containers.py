"""List-like and dict-like views of repeated and map fields. They hold plain values and turn them
into proxies on access, and convert (and check) what is stored into them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping, MutableSequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from satyr.proxies._base import Message
    from satyr.proxies._schema import FieldInfo

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class RepeatedField(MutableSequence[T]):
    """A repeated field: a list whose items are converted like the field's values (a dict becomes a
    message proxy, a str an id message) and checked when stored."""

    __slots__ = ("_field", "_items", "_owner")

    def __init__(self, owner: Message, field: FieldInfo, items: list[Any]) -> None:
        self._owner = owner
        self._field = field
        self._items = items

    def _where(self, index: int | None = None) -> str:
        where = f"{type(self._owner).__name__}.{self._field.name}"
        return where if index is None else f"{where}[{index}]"

    def _item(self, index: int) -> T:
        value = self._items[index]
        if type(value) is dict:
            value = self._owner._wrap(self._field, value)
            self._items[index] = value
        return value

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self._items)))]
        return self._item(index)

    @overload
    def __setitem__(self, index: int, value: Any) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[Any]) -> None: ...
    def __setitem__(self, index: int | slice, value: Any) -> None:
        convert = self._owner._convert_item
        if isinstance(index, slice):
            self._items[index] = [convert(self._field, v, self._where()) for v in value]
        else:
            self._items[index] = convert(self._field, value, self._where(index))
        self._owner._touch()

    def __delitem__(self, index: int | slice) -> None:
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        for i in range(len(self._items)):
            yield self._item(i)

    def insert(self, index: int, value: Any) -> None:
        """Insert ``value`` (converted like the field's values) before ``index``."""
        position = range(len(self._items) + 1)[
            max(-len(self._items) - 1, min(index, len(self._items)))
        ]
        self._items.insert(
            position, self._owner._convert_item(self._field, value, self._where(position))
        )
        self._owner._touch()

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        """Sort in place, like ``list.sort``."""
        items = list(self)
        items.sort(key=key, reverse=reverse)
        self._items[:] = items

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RepeatedField | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


class MapField(MutableMapping[K, V]):
    """A map field: a dict whose values are converted like the field's values."""

    __slots__ = ("_field", "_items", "_owner")

    def __init__(self, owner: Message, field: FieldInfo, items: dict[Any, Any]) -> None:
        self._owner = owner
        self._field = field
        self._items = items

    def __getitem__(self, key: K) -> V:
        value = self._items[key]
        if type(value) is dict and self._field.is_message:
            value = self._owner._wrap(self._field, value)
            self._items[key] = value
        return value

    def __setitem__(self, key: K, value: Any) -> None:
        where = f"{type(self._owner).__name__}.{self._field.name}[{key!r}]"
        self._items[self._owner._convert_key(self._field, key, where)] = self._owner._convert_item(
            self._field, value, where
        )
        self._owner._touch()

    def __delitem__(self, key: K) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(dict(self.items()))
