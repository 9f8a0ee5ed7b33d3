"""Partial pydantic model instances of JSON that is still being written.

A value being parsed has one open path: the root, then the open member of
each open container, down to the string being written (see
:meth:`~kavalai._partial_json.PartialJsonParser.spine`); everything off that
path is finished. Each partial is built along the open path only, so a chunk
costs work for what it added, not for the whole value:

* a finished object is validated against its model once, and the instance is
  reused by every later partial;
* an open object is built with ``model_construct``, the fields that have not
  arrived set to ``None`` (and left out of ``model_fields_set``);
* an open list is a :class:`PartialList`: its finished items are converted
  once into a list shared by every partial, and each partial sees a fixed
  prefix of it plus the open item, so it never changes afterwards and costs
  O(1) to make. A list that closes becomes that shared list itself.

So partials share their finished parts: treat them as read-only.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from contextlib import suppress
from typing import Any, Generic, TypeVar, Union, cast, get_args, get_origin, overload

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import SchemaSerializer, core_schema

from ._partial_json import JsonValue, PartialJsonParser

__all__ = ["MAX_OPEN_LEVELS", "PartialList", "PartialModelBuilder"]

_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")

#: Open containers a partial is built through at most: building one costs work
#: for each, so partials of a value open deeper than this are skipped (the
#: next shallower one, or the final validated instance, shows the progress).
MAX_OPEN_LEVELS = 64

#: Finished values converted recursively only this deep when validation fails;
#: deeper ones are shown as parsed (the final validation reports the failure).
_MAX_NESTING = 64

_ABSENT: Any = object()  # no open member


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

    def __init__(self, items: list[_T], open_item: _T = _ABSENT) -> None:
        self._items = items
        self._length = len(items)
        self._open = open_item

    def __len__(self) -> int:
        return self._length + (self._open is not _ABSENT)

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
        if self._open is not _ABSENT:
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


class PartialModelBuilder(Generic[_M]):
    """Builds partial instances of ``model`` from a parser, along its open path."""

    def __init__(self, model: type[_M]) -> None:
        self.model = model
        # What was built for each open container, by id, kept with the container
        # (an id is reused once its object is gone): the finished members of an
        # open object, converted, by key; the finished items of an open list.
        self._objects: dict[int, tuple[dict[str, JsonValue], dict[str, tuple[Any, Any]]]] = {}
        self._lists: dict[int, tuple[list[JsonValue], list[Any]]] = {}
        self._root: tuple[Any, Any] = (None, None)

    def build(self, parser: PartialJsonParser) -> _M | None:
        """The partial instance for what ``parser`` has read, or None if there is none.

        None while the value is not an object, or is open more than
        ``MAX_OPEN_LEVELS`` deep.
        """
        if parser.depth > MAX_OPEN_LEVELS:
            return None
        frames, text = parser.spine()
        if not frames:
            value = parser.snapshot() if parser.done else None
            if not isinstance(value, dict):
                return None
            if self._root[0] is not value:
                self._root = (value, self._convert(self.model, value, 0))
            return cast(_M, self._root[1])
        # Outside in: the annotation each open container is read as.
        annotations: list[Any] = [self.model]
        for container, key in frames[:-1]:
            annotations.append(_child_annotation(annotations[-1], container, key))
        # Inside out: each open container holds the one built before it.
        child: Any = _ABSENT if text is None else text
        for (container, key), annotation in zip(
            reversed(frames), reversed(annotations), strict=True
        ):
            if isinstance(container, dict):
                child = self._open_object(annotation, container, key, child)
            else:
                child = self._open_list(annotation, container, child)
        self._forget_closed(frames)
        return child if isinstance(child, self.model) else None

    def _open_object(
        self, annotation: Any, data: dict[str, JsonValue], open_key: str, child: Any
    ) -> Any:
        model = _model_in(annotation)
        if model is None:
            members = dict(data)
            if child is not _ABSENT:
                members[open_key] = child
            return members
        entry = self._objects.get(id(data))
        if entry is None or entry[0] is not data:
            entry = self._objects[id(data)] = (data, {})
        converted = entry[1]
        values: dict[str, Any] = {}
        arrived: set[str] = set()
        for name, key, field_annotation in _fields(model):
            if key == open_key and child is not _ABSENT:
                values[name] = child
            elif key in data:
                source = data[key]
                known = converted.get(key)
                if known is None or known[0] is not source:
                    known = converted[key] = (source, self._convert(field_annotation, source, 0))
                values[name] = known[1]
            else:
                values[name] = None
                continue
            arrived.add(name)
        return _construct(model, values, arrived)

    def _open_list(self, annotation: Any, items: list[JsonValue], child: Any) -> PartialList[Any]:
        entry = self._lists.get(id(items))
        if entry is None or entry[0] is not items:
            entry = self._lists[id(items)] = (items, [])
        self._extend(entry[1], items, _list_item(annotation), 0)
        return PartialList(entry[1], child)

    def _forget_closed(
        self, frames: list[tuple[dict[str, JsonValue] | list[JsonValue], str]]
    ) -> None:
        """Drop what was kept for containers that are no longer open: memory stays bounded."""
        if len(self._objects) + len(self._lists) <= len(frames):
            return
        open_ids = {id(container) for container, _ in frames}
        self._objects = {key: entry for key, entry in self._objects.items() if key in open_ids}
        self._lists = {key: entry for key, entry in self._lists.items() if key in open_ids}

    def _convert(self, annotation: Any, value: JsonValue, nesting: int) -> Any:
        """A finished value as the annotation reads it: models validated, lists converted."""
        if isinstance(value, list):
            entry = self._lists.pop(id(value), None)
            if entry is not None and entry[0] is value:  # built while it was open: share it
                return self._extend(entry[1], value, _list_item(annotation), nesting)
            item_annotation = _list_item(annotation)
            if item_annotation is None or nesting >= _MAX_NESTING:
                return value
            return self._extend([], value, item_annotation, nesting)
        model = _model_in(annotation)
        if model is None or not isinstance(value, dict):
            return value
        try:
            return model.model_validate(value)
        except ValidationError:
            if nesting >= _MAX_NESTING:
                return value
        # Shown unvalidated for now; the final validation reports the error.
        values: dict[str, Any] = {}
        for name, key, field_annotation in _fields(model):
            if key in value:
                values[name] = self._convert(field_annotation, value[key], nesting + 1)
        arrived = set(values)
        for name, _, _ in _fields(model):
            values.setdefault(name, None)
        return model.model_construct(_fields_set=arrived, **values)

    def _extend(
        self, built: list[Any], items: list[JsonValue], annotation: Any, nesting: int
    ) -> list[Any]:
        """Convert the items of ``items`` that ``built`` does not have yet."""
        while len(built) < len(items):
            built.append(self._convert(annotation, items[len(built)], nesting + 1))
        return built


_FIELDS: dict[type[BaseModel], tuple[tuple[str, str, Any], ...]] = {}


def _fields(model: type[BaseModel]) -> tuple[tuple[str, str, Any], ...]:
    """Each field's name, the key it is read from in JSON, and its annotation."""
    fields = _FIELDS.get(model)
    if fields is None:
        fields = _FIELDS[model] = tuple(
            (name, _json_key(name, field), field.annotation)
            for name, field in model.model_fields.items()
        )
    return fields


def _child_annotation(
    annotation: Any, container: dict[str, JsonValue] | list[JsonValue], key: str
) -> Any:
    """The annotation of the open member of a container read as ``annotation``."""
    if isinstance(container, list):
        return _list_item(annotation)
    model = _model_in(annotation)
    if model is None:
        return None
    for _, json_key, field_annotation in _fields(model):
        if json_key == key:
            return field_annotation
    return None


def _json_key(name: str, field: FieldInfo) -> str:
    """The key a field is read from in JSON input."""
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return field.alias or name


def _construct(model: type[BaseModel], values: dict[str, Any], arrived: set[str]) -> BaseModel:
    """``model.model_construct(_fields_set=arrived, **values)``, given a value for every field.

    A partial is built after every chunk, so for a plain model (no private
    attributes, no extra fields) this sets what ``model_construct`` would set
    directly, skipping its search for defaults: every field has a value here.
    """
    if model.__private_attributes__ or model.model_config.get("extra") == "allow":
        return model.model_construct(_fields_set=arrived, **values)
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", arrived)
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


_MODELS: dict[Any, type[BaseModel] | None] = {}
_ITEMS: dict[Any, Any] = {}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class of ``Model`` or ``Model | None``, else None."""
    try:
        return _MODELS[annotation]
    except (KeyError, TypeError):  # not seen yet, or not hashable
        pass
    found = _without_none(annotation)
    model = found if isinstance(found, type) and issubclass(found, BaseModel) else None
    with suppress(TypeError):  # not hashable: not cached
        _MODELS[annotation] = model
    return model


def _list_item(annotation: Any) -> Any:
    """The item annotation of ``list[X]`` or ``list[X] | None``, else None."""
    try:
        return _ITEMS[annotation]
    except (KeyError, TypeError):  # not seen yet, or not hashable
        pass
    found = _without_none(annotation)
    item = None
    if get_origin(found) is list:
        args = get_args(found)
        item = args[0] if args else None
    with suppress(TypeError):  # not hashable: not cached
        _ITEMS[annotation] = item
    return item


def _without_none(annotation: Any) -> Any:
    """``X`` for ``X | None`` (or ``Optional[X]``), else ``annotation`` itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        others = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(others) == 1:
            return others[0]
    return annotation
