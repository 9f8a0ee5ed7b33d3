"""The read-only list an open list of a partial is shown as."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, overload

from pydantic_core import SchemaSerializer, core_schema

__all__ = ["ABSENT", "PartialList"]

_T = TypeVar("_T")

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


# Dumping a partial meets a PartialList where the model declares a list; pydantic
# then serializes it with this, as the list it reads as.
PartialList.__pydantic_serializer__ = SchemaSerializer(  # type: ignore[attr-defined]
    core_schema.any_schema(
        serialization=core_schema.plain_serializer_function_ser_schema(list, info_arg=False)
    )
)
