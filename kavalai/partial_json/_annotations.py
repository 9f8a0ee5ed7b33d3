"""What a partial needs to know of a model and its annotations, worked out once each."""

from __future__ import annotations

import types
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeAlias, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = [
    "Constructor",
    "Plan",
    "converts",
    "list_item",
    "model_fields",
    "model_in",
    "plan_of",
]

_FIELDS: dict[type[BaseModel], tuple[tuple[str, str, Any], ...]] = {}


def model_fields(model: type[BaseModel]) -> tuple[tuple[str, str, Any], ...]:
    """Each field's name, the key it is read from in JSON, and its annotation."""
    fields = _FIELDS.get(model)
    if fields is None:
        fields = _FIELDS[model] = tuple(
            (name, _json_key(name, field), field.annotation)
            for name, field in model.model_fields.items()
        )
    return fields


Constructor: TypeAlias = Callable[[dict[str, Any], set[str]], BaseModel]
Plan: TypeAlias = tuple[Constructor, dict[str, tuple[str, Any]], dict[str, Any]]
_PLANS: dict[type[BaseModel], Plan] = {}


def plan_of(model: type[BaseModel]) -> Plan:
    """How partials of ``model`` are made, worked out once per model.

    Its constructor, the field read from each JSON key as name and annotation
    (the first, should two fields read the same key), and a value for every
    field, all None.
    """
    plan = _PLANS.get(model)
    if plan is None:
        by_key: dict[str, tuple[str, Any]] = {}
        for name, json_key, annotation in model_fields(model):
            by_key.setdefault(json_key, (name, annotation))
        empty = {name: None for name, _, _ in model_fields(model)}
        plan = _PLANS[model] = (constructor(model), by_key, empty)
    return plan


def _json_key(name: str, field: FieldInfo) -> str:
    """The key a field is read from in JSON input."""
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return field.alias or name


# The slots model_construct sets, set directly: a partial is built after every chunk.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def constructor(model: type[BaseModel]) -> Callable[[dict[str, Any], set[str]], BaseModel]:
    """``model.model_construct(_fields_set=arrived, **values)``, given a value for every field.

    A partial is built after every chunk, so for a plain model (no private
    attributes, no extra fields) the function returned sets what
    ``model_construct`` would set directly, skipping its search for defaults:
    every field has a value here.
    """
    if model.__private_attributes__ or model.model_config.get("extra") == "allow":
        return lambda values, arrived: model.model_construct(_fields_set=arrived, **values)
    new = model.__new__

    def construct(values: dict[str, Any], arrived: set[str]) -> BaseModel:
        instance = new(model)
        _set_dict(instance, values)
        _set_fields_set(instance, arrived)
        _set_extra(instance, None)
        _set_private(instance, None)
        return instance

    return construct


_MODELS: dict[Any, type[BaseModel] | None] = {}
_ITEMS: dict[Any, Any] = {}


def model_in(annotation: Any) -> type[BaseModel] | None:
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


def list_item(annotation: Any) -> Any:
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


_CONVERTS: dict[Any, bool] = {}


def converts(annotation: Any) -> bool:
    """Whether a value read as ``annotation`` can hold a model, in a list at any depth.

    A finished value that cannot is shown as parsed, shared with the parser's
    own (never changed once finished) rather than copied.
    """
    try:
        return _CONVERTS[annotation]
    except (KeyError, TypeError):  # not seen yet, or not hashable
        pass
    item = list_item(annotation)
    found = model_in(annotation) is not None or (item is not None and converts(item))
    with suppress(TypeError):  # not hashable: not cached
        _CONVERTS[annotation] = found
    return found


def _without_none(annotation: Any) -> Any:
    """``X`` for ``X | None`` (or ``Optional[X]``), else ``annotation`` itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        others = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(others) == 1:
            return others[0]
    return annotation
