"""What a partial needs to know of a model and its annotations, worked out once each."""

from __future__ import annotations

import types
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeAlias, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

__all__ = [
    "Plan",
    "adapter_of",
    "converts",
    "items_of",
    "list_item",
    "model_fields",
    "model_in",
    "plan_of",
]

_T = TypeVar("_T")

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


Plan: TypeAlias = tuple[bool, dict[str, tuple[str, Any, bool]], dict[str, Any]]
_PLANS: dict[type[BaseModel], Plan] = {}


def plan_of(model: type[BaseModel]) -> Plan:
    """How partials of ``model`` are made, worked out once per model.

    Whether it is plain: with no private attributes and no extra fields,
    ``model_construct`` sets nothing but the fields and the fields set, so a
    partial can set them itself, skipping its search for defaults. Then the
    field read from each JSON key (the first, should two fields read the same
    key) as its name, its annotation and whether its value is converted (see
    :func:`converts`), and a value for every field, all None.
    """
    plan = _PLANS.get(model)
    if plan is None:
        by_key: dict[str, tuple[str, Any, bool]] = {}
        for name, json_key, annotation in model_fields(model):
            by_key.setdefault(json_key, (name, annotation, converts(annotation)))
        empty = {name: None for name, _, _ in model_fields(model)}
        plain = not model.__private_attributes__ and model.model_config.get("extra") != "allow"
        plan = _PLANS[model] = (plain, by_key, empty)
    return plan


def _json_key(name: str, field: FieldInfo) -> str:
    """The key a field is read from in JSON input."""
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return field.alias or name


def _per_annotation(compute: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """``compute``, worked out once per annotation (an unhashable one, each time)."""
    known: dict[Any, _T] = {}

    def cached(annotation: Any) -> _T:
        try:
            return known[annotation]
        except (KeyError, TypeError):  # not seen yet, or not hashable
            pass
        found = compute(annotation)
        with suppress(TypeError):  # not hashable: not kept
            known[annotation] = found
        return found

    cached.__doc__ = compute.__doc__
    return cached


@_per_annotation
def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class of ``Model`` or ``Model | None``, else None."""
    found = _without_none(annotation)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


@_per_annotation
def list_item(annotation: Any) -> Any:
    """The item annotation of ``list[X]`` or ``list[X] | None``, else None."""
    found = _without_none(annotation)
    if get_origin(found) is list:
        args = get_args(found)
        return args[0] if args else None
    return None


@_per_annotation
def converts(annotation: Any) -> bool:
    """Whether a value read as ``annotation`` can hold a model, at any depth.

    In a list, a dict, a union, a tuple: wherever the annotation names a
    model. A finished value that cannot is shown as parsed, shared with the
    parser's own (never changed once finished) rather than copied.
    """
    return _names_a_model(annotation, set())


def _names_a_model(annotation: Any, seen: set[int]) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    if id(annotation) in seen:
        return False
    seen.add(id(annotation))
    return any(_names_a_model(arg, seen) for arg in get_args(annotation))


@_per_annotation
def adapter_of(annotation: Any) -> TypeAdapter[Any]:
    """A validator for ``annotation`` (making one is slow, so each is kept)."""
    return TypeAdapter(annotation)


@_per_annotation
def items_of(annotation: Any) -> tuple[Any, bool]:
    """What the items of a list read as ``annotation`` are read as, and whether they convert."""
    item = list_item(annotation)
    return item, converts(item)


def _without_none(annotation: Any) -> Any:
    """``X`` for ``X | None`` (or ``Optional[X]``), else ``annotation`` itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        others = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(others) == 1:
            return others[0]
    return annotation
