"""The read-only views an open list or dict of a partial is shown as.

A partial is built after every chunk, and the containers still open grow with
the text: copying them into each partial would cost their whole size every
time, O(n^2) in all. So each partial sees a fixed prefix of finished members
that it shares with the partials after it, plus the open member.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar, overload

from pydantic_core import SchemaSerializer, core_schema

__all__ = ["ABSENT", "Entries", "PartialDict", "PartialList"]

_T = TypeVar("_T")

#: The finished members an open dict's partials share: each key's position and value.
Entries = dict[str, tuple[int, _T]]

ABSENT: Any = object()  # no open member, no open item


class PartialList(Sequence[_T]):
    """An open list of a partial: a fixed prefix of shared finished items, then the open one.

    It reads like a list (``len``, indexing, iteration, ``==`` with a list,
    the same ``repr``) but is read-only: the finished items are shared with
    the partials that follow, so building one costs O(1) however long the
    list has grown. ``partial.model_dump()`` and ``model_dump_json()`` write it
    as the list it reads as; since the model declares a ``list``, pydantic
    also warns that the value is not one: pass ``warnings=False`` to quiet it.
    """

    __slots__ = ("_items", "_length", "_open")

    def __init__(self, items: list[_T], open_item: _T = ABSENT) -> None:
        self._items = items
        self._length = len(items)
        self._open = open_item

    def __len__(self) -> int:
        return self._length + (self._open is not ABSENT)

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> list[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | list[_T]:
        if isinstance(index, slice):
            return list(self)[index]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("PartialList index out of range")
        return self._open if index == self._length else self._items[index]

    def __iter__(self) -> Iterator[_T]:
        items = self._items
        for index in range(self._length):
            yield items[index]
        if self._open is not ABSENT:
            yield self._open

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PartialList | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a list, so unhashable like one

    def __repr__(self) -> str:
        return repr(list(self))


class PartialDict(Mapping[str, _T]):
    """An open object of a partial read as a dict: shared finished members, then the open one.

    It reads like a dict (``len``, ``[]``, ``in``, ``get``, iteration in
    order, ``items()``, ``==`` with a dict, the same ``repr``) but is
    read-only: the finished members are shared with the partials that
    follow, so building one costs O(1) however many members have arrived.
    ``partial.model_dump()`` writes it as the dict it reads as (pass
    ``warnings=False`` where the model declares a ``dict``).

    The members it shares only ever grow at the end: a repeated key, whose
    later value replaces the first in place as ``json.loads`` keeps it, is
    stored in a new copy, so a view made before it keeps the value it showed.
    """

    __slots__ = ("_entries", "_key", "_length", "_open")

    def __init__(self, entries: Entries[_T], key: str = "", open_item: _T = ABSENT) -> None:
        self._entries = entries
        self._length = len(entries)
        self._key = key
        self._open = open_item

    def _has(self, key: str) -> bool:
        """Whether ``key`` is one of the finished members this view shows."""
        entry = self._entries.get(key)
        return entry is not None and entry[0] < self._length

    def __getitem__(self, key: str) -> _T:
        if key == self._key and self._open is not ABSENT:
            return self._open
        if not self._has(key):
            raise KeyError(key)
        return self._entries[key][1]

    def __len__(self) -> int:
        added = self._open is not ABSENT and not self._has(self._key)
        return self._length + added

    def __iter__(self) -> Iterator[str]:
        yield from islice(self._entries, self._length)
        if self._open is not ABSENT and not self._has(self._key):
            yield self._key

    __hash__ = None  # type: ignore[assignment]  # equal to a dict, so unhashable like one

    def __repr__(self) -> str:
        return repr(dict(self.items()))


def _serialized_as(plain: type[Any]) -> SchemaSerializer:
    """How pydantic writes a view: as the ``plain`` container it reads as.

    Dumping a partial meets views where the model declares a list or a dict
    (or anything); pydantic then asks the view's class for its serializer.
    """
    return SchemaSerializer(
        core_schema.any_schema(
            serialization=core_schema.plain_serializer_function_ser_schema(plain, info_arg=False)
        )
    )


PartialList.__pydantic_serializer__ = _serialized_as(list)  # type: ignore[attr-defined]
PartialDict.__pydantic_serializer__ = _serialized_as(dict)  # type: ignore[attr-defined]
