"""Partial pydantic model instances from partial-JSON snapshots.

A snapshot's open containers are its rightmost spine, ``depth`` levels deep;
everything else in it is finished. Finished objects are validated against
their model, once: the parser shares finished members between snapshots, so
they are cached by identity. Open objects are built with ``model_construct``,
fields that have not arrived set to ``None``. Finished items of a list field
are cached per path, so each chunk costs work for the open spine only, not for
the whole value.
"""

from __future__ import annotations

import types
from typing import Any, Generic, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ._partial_json import JsonValue

__all__ = ["PartialModelBuilder"]

_M = TypeVar("_M", bound=BaseModel)

_Path = tuple[str | int, ...]


class PartialModelBuilder(Generic[_M]):
    """Builds instances of ``model`` from successive snapshots of one value."""

    def __init__(self, model: type[_M]) -> None:
        self.model = model
        self._finished: dict[int, tuple[JsonValue, BaseModel]] = {}
        self._lists: dict[_Path, list[Any]] = {}

    def build(self, snapshot: JsonValue, depth: int) -> _M | None:
        """The partial instance for ``snapshot``, or None if it is not an object yet."""
        if not isinstance(snapshot, dict):
            return None
        return cast(_M, self._object(self.model, snapshot, depth, ()))

    def _object(
        self, model: type[BaseModel], data: dict[str, JsonValue], depth: int, path: _Path
    ) -> BaseModel:
        if depth <= 0:
            return self._finished_object(model, data, path)
        last_key = next(reversed(data)) if data else None
        values: dict[str, Any] = {}
        arrived: set[str] = set()
        for name, field in model.model_fields.items():
            key = _json_key(name, field)
            if key in data:
                child_depth = depth - 1 if key == last_key else 0
                values[name] = self._value(field.annotation, data[key], child_depth, (*path, key))
                arrived.add(name)
            else:
                values[name] = None
        return model.model_construct(_fields_set=arrived, **values)

    def _finished_object(
        self, model: type[BaseModel], data: dict[str, JsonValue], path: _Path
    ) -> BaseModel:
        cached = self._finished.get(id(data))
        if cached is not None and cached[0] is data:
            return cached[1]
        try:
            instance = model.model_validate(data)
        except ValidationError:
            # Shown unvalidated for now; the final validation reports the error.
            instance = self._object(model, data, 1, path)
        self._finished[id(data)] = (data, instance)
        return instance

    def _value(self, annotation: Any, value: JsonValue, depth: int, path: _Path) -> Any:
        model = _model_in(annotation)
        if model is not None and isinstance(value, dict):
            return self._object(model, value, depth, path)
        item_model = _model_in(_list_item(annotation))
        if item_model is not None and isinstance(value, list):
            return self._list(item_model, value, depth, path)
        return value

    def _list(self, model: type[BaseModel], items: list[JsonValue], depth: int, path: _Path) -> Any:
        built = self._lists.setdefault(path, [])
        finished = len(items) - 1 if depth >= 2 else len(items)
        while len(built) < finished:
            built.append(self._item(model, items[len(built)], 0, (*path, len(built))))
        if finished == len(items):
            return list(built)
        return [*built, self._item(model, items[-1], depth - 1, (*path, finished))]

    def _item(self, model: type[BaseModel], item: JsonValue, depth: int, path: _Path) -> Any:
        if isinstance(item, dict):
            return self._object(model, item, depth, path)
        return item


def _json_key(name: str, field: FieldInfo) -> str:
    """The key a field is read from in JSON input."""
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return field.alias or name


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class of ``Model`` or ``Model | None``, else None."""
    annotation = _without_none(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _list_item(annotation: Any) -> Any:
    """The item annotation of ``list[X]`` or ``list[X] | None``, else None."""
    annotation = _without_none(annotation)
    if get_origin(annotation) is list:
        args = get_args(annotation)
        return args[0] if args else None
    return None


def _without_none(annotation: Any) -> Any:
    """``X`` for ``X | None`` (or ``Optional[X]``), else ``annotation`` itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        others = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(others) == 1:
            return others[0]
    return annotation
