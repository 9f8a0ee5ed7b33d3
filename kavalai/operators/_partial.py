"""How a type checker sees typed partials: fields may be missing until validated.

At run time :func:`~kavalai.operators.typed_partials` emits instances of the
model itself, built without validation, then the validated one. Typing them
all as the model would let ``partial.title.upper()`` pass ``mypy --strict`` and
fail at run time on a partial whose title has not arrived; so they are typed
:class:`Partial`, and :func:`is_validated` narrows the last one to the model.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Generic, TypeGuard, TypeVar

from pydantic import BaseModel

__all__ = ["Partial", "is_validated", "mark_validated"]

_M = TypeVar("_M", bound=BaseModel)
_M_co = TypeVar("_M_co", bound=BaseModel, covariant=True)


class Partial(Generic[_M_co]):
    """A model instance that may still be missing fields, as a type checker sees it.

    At run time a partial is an instance of the model, built without
    validation: a field that has not arrived is ``None``, a string may be cut
    short, an open list is a :class:`~kavalai.operators.PartialList` (an open
    dict a :class:`~kavalai.operators.PartialDict`), a nested model may be
    partial too. So every field reads as ``object``: narrow it
    (``if isinstance(partial.title, str): ...``) before use, or narrow the
    whole item with :func:`is_validated`, which the validated instance that
    ends a :func:`~kavalai.operators.typed_partials` stream passes.

    Never instantiated: use it in annotations only.
    """

    def __init__(self) -> None:
        raise TypeError("Partial is for annotations; the partials themselves are model instances")

    if TYPE_CHECKING:  # what the type checker knows; at run time the model answers

        def __getattr__(self, name: str) -> object:
            """Any field: it may be missing (``None``) or partial."""

        def __eq__(self, other: object) -> bool:
            """Whether ``other`` holds the same field values, as the model compares."""

        @property
        def model_fields_set(self) -> set[str]:
            """The names of the fields that have arrived."""


# Validated instances by id: a model is not hashable unless frozen, but can be weakly
# referenced, so an entry leaves with its instance and an id is never mistaken.
_VALIDATED: weakref.WeakValueDictionary[int, BaseModel] = weakref.WeakValueDictionary()


def mark_validated(instance: _M) -> _M:
    """Record that ``instance`` passed validation, for :func:`is_validated`."""
    _VALIDATED[id(instance)] = instance
    return instance


def is_validated(item: object, model: type[_M]) -> TypeGuard[_M]:
    """Whether ``item`` is the validated ``model`` instance that ends a typed stream.

    The type guard that turns a :class:`Partial` into the model: after it,
    ``item.title`` is a ``str`` to the type checker as it is at run time.

    Example:
        >>> import reactivex
        >>> from pydantic import BaseModel
        >>> from kavalai.operators import typed_partials
        >>> class Person(BaseModel):
        ...     name: str
        >>> items = []
        >>> _ = reactivex.of('{"name": "Ti', 'mo"}').pipe(typed_partials(Person)).subscribe(
        ...     items.append)
        >>> [is_validated(item, Person) for item in items]
        [False, False, True]

    Args:
        item: An item of :func:`~kavalai.operators.typed_partials`, or anything.
        model: The model the stream was typed with.

    Returns:
        True for the validated instance only; False for every partial.
    """
    return isinstance(item, model) and _VALIDATED.get(id(item)) is item
