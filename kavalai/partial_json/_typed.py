"""Partial pydantic model instances of JSON that is still being written.

A value being parsed has one open path: the root, then the open member of
each open container, down to the string being written (see
:meth:`~kavalai.partial_json.PartialJsonParser.spine`); everything off that
path is finished. Each partial is built along the open path only, so a chunk
costs work for what it added, not for the whole value. The parser tells the
builder of each member as it finishes in a container the builder converts
(see :class:`~kavalai.partial_json._frames.Frame`), so a member is converted
once, when it finishes:

* a finished object is validated against its model once, and the instance is
  reused by every later partial;
* an open object is built with ``model_construct``, the fields that have not
  arrived set to ``None`` (and left out of ``model_fields_set``);
* an open list is a :class:`PartialList`: its finished items are converted
  once into a list shared by every partial, and each partial sees a fixed
  prefix of it plus the open item, so it never changes afterwards and costs
  O(1) to make. A list that closes becomes that shared list itself;
* an open object read as a plain dict is a :class:`PartialDict` in the same
  way, over its finished members as parsed;
* a finished value that holds no model (a string, a list of numbers) is the
  parser's own, which it never changes once finished: nothing is copied;
* the root, once closed, is built like an open object, from its converted
  members: the complete value is validated by whoever reads it (as
  ``typed_partials`` does from the text), not twice.

So partials share their finished parts, and partials of the same object
share the set of fields that arrived (``model_fields_set``), which a new one
replaces rather than changes: treat them as read-only.
"""

from __future__ import annotations

import weakref
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ValidationError

from ._annotations import (
    adapter_of,
    converts,
    items_of,
    list_item,
    model_fields,
    model_in,
    plan_of,
)
from ._frames import Frame
from ._parser import JsonValue, PartialJsonParser
from ._views import ABSENT, Entries, PartialDict, PartialList

__all__ = ["MAX_OPEN_LEVELS", "PartialModelBuilder"]

_M = TypeVar("_M", bound=BaseModel)

# What model_construct sets on a plain model (see plan_of), set directly: a
# partial is built after every chunk.
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__

#: Open containers a partial is built through at most: building one costs work
#: for each, so partials of a value open deeper than this are skipped (the
#: next shallower one, or the final validated instance, shows the progress).
MAX_OPEN_LEVELS = 64

#: Finished values converted recursively only this deep when validation fails;
#: deeper ones are shown as parsed (the final validation reports the failure).
_MAX_NESTING = 64

# What an open container is read as.
_MODEL = 0  # an object read as a model
_DICT = 1  # an object read as a plain dict
_LIST = 2  # a list


class _Level:
    """What was built for one open container, kept for as long as it stays open.

    A level that converts or keeps members (an object read as a model or a
    dict, a list whose items hold models) is its frame's sink: the parser
    tells it of each member as it finishes, so it is up to date whenever a
    partial is assembled.
    """

    __slots__ = (
        "arrived",
        "arrived_open",
        "builder",
        "built",
        "container",
        "entries",
        "fields",
        "hidden",
        "item",
        "items",
        "key",
        "kind",
        "members",
        "model",
        "name",
        "plain",
        "values",
    )

    def __init__(
        self,
        builder: PartialModelBuilder[Any],
        container: dict[str, JsonValue] | list[JsonValue],
        annotation: Any,
        frame: Frame | None,
    ) -> None:
        # Only the slots of its kind are set: a level is made for every
        # container that opens, so it costs what it needs. The members already
        # in the container are converted now; the parser reports later ones to
        # the level of an open ``frame`` that converts them.
        self.container = container
        self.key: str | None = None  # the open member's key, None if none is open
        # Whether no partial shows it: a model above it does not read the
        # member it lies in. Set by whoever makes it below another level.
        self.hidden = False
        if isinstance(container, list):
            # A list: what its items are read as, and the finished ones
            # converted. Items that hold no model are shown as parsed: the
            # parser's own list, which it only appends to, is shared.
            self.kind = _LIST
            self.items = container
            self.item, converted = items_of(annotation)
            if not converted:
                self.built: list[Any] = container
                return
            self.builder = builder
            self.built = builder.extend([], container, self.item, 0)
            if frame is not None:
                frame.sink = self
            return
        self.members = container
        model = model_in(annotation)
        if model is None:
            # A dict: its finished members as parsed, in their own store, so
            # that a repeated key changes none a partial already shows.
            self.kind = _DICT
            self.entries: Entries[JsonValue] = {
                json_key: (position, value)
                for position, (json_key, value) in enumerate(container.items())
            }
            if frame is not None:
                frame.sink = self
            return
        # An object read as a model: every field, the finished ones converted,
        # the others None; the field the open member is read into, and the
        # fields set without and with it.
        self.kind = _MODEL
        self.builder = builder
        self.model = model
        self.plain, self.fields, values = plan_of(model)
        self.values: dict[str, Any] = values.copy()
        self.arrived: set[str] = set()
        self.arrived_open = self.arrived
        self.name: str | None = None
        for json_key in container:
            self.finished(json_key)
        if frame is not None:
            frame.sink = self

    def finished(self, key: str) -> None:
        """Convert the member that just finished: under ``key``, or the last item of a list."""
        kind = self.kind
        if kind == _LIST:
            self.built.append(self.builder.convert(self.item, self.items[-1], 1))
            return
        if kind == _DICT:
            entries = self.entries
            entry = entries.get(key)
            if entry is None:
                entries[key] = (len(entries), self.members[key])
            else:  # a repeated key: partials built so far keep the store they share
                entries = self.entries = entries.copy()
                entries[key] = (entry[0], self.members[key])
            return
        field = self.fields.get(key)
        if field is None:  # a key the model does not read
            return
        name, annotation, converted = field
        value = self.members[key]  # a repeated key's later value replaces the first
        if converted and isinstance(value, list | dict):
            value = self.builder.convert(annotation, value, 0)
        self.values[name] = value
        arrived = self.arrived
        if name not in arrived:
            opened = self.arrived_open
            # The set made when the member opened, if no other member finished
            # since: it holds exactly the arrived fields and this one.
            if name == self.name and len(opened) == len(arrived) + 1:
                self.arrived = opened
            else:
                self.arrived = arrived | {name}

    def open(self, key: str | None) -> None:
        """Note the member being read: its key, None between members."""
        self.key = key
        if self.kind != _MODEL:
            return
        field = None if key is None else self.fields.get(key)
        if field is None:
            self.name = None
            self.arrived_open = self.arrived
            return
        name = self.name = field[0]
        arrived = self.arrived
        self.arrived_open = arrived if name in arrived else arrived | {name}


class PartialModelBuilder(Generic[_M]):
    """Builds partial instances of ``model`` from a parser, along its open path.

    One builder reads one parser: it asks the parser to tell it of the members
    that finish in the containers it converts.
    """

    def __init__(self, model: type[_M]) -> None:
        self.model = model
        # One entry per open container, outermost first, kept while it stays open.
        self._levels: list[_Level] = []
        self._root: tuple[Any, Any] = (None, None)
        # What levels call back: a weak reference, so that a builder left with
        # open levels (a stream cut short) is freed at once, not by the collector.
        self._callback = weakref.proxy(self)

    def build(self, parser: PartialJsonParser) -> _M | None:
        """The partial instance for what ``parser`` has read, or None if there is none.

        None while the value is not an object, or is open more than
        ``MAX_OPEN_LEVELS`` deep.
        """
        frames, key, string = parser.open_frames()
        if len(frames) > MAX_OPEN_LEVELS:
            return None
        if not frames:
            value = parser.snapshot() if parser.done else None
            if not isinstance(value, dict):
                return None
            if self._root[0] is not value:
                self._root = (value, self._closed_root(value))
            self._levels = []
            return cast(_M, self._root[1])
        levels = self._levels
        if (
            len(levels) != len(frames)
            or (level := levels[-1]).container is not frames[-1].container
        ):
            # Containers opened or closed: the outer levels that stay open are kept.
            levels = self._open_levels(frames, key)
        elif level.key != key:
            level.open(key)
        if levels[0].kind != _MODEL:  # the value is a list
            return None
        # The open string's text costs its length to put together: only for a
        # partial that shows it, not for one under a key the model does not read.
        inner = levels[-1]
        shown = string and not inner.hidden and (inner.kind != _MODEL or inner.name is not None)
        partial: _M = self._assemble(levels, parser.open_text() if shown else ABSENT)
        return partial

    @staticmethod
    def _assemble(levels: list[_Level], child: Any) -> Any:
        """The partial of ``levels``' outermost container, around ``child`` in the innermost."""
        # Inside out: each open container holds the one built before it.
        for level in reversed(levels):
            kind = level.kind
            if kind == _MODEL:
                values = level.values.copy()
                if child is not ABSENT and level.name is not None:
                    values[level.name] = child
                    arrived = level.arrived_open
                else:
                    arrived = level.arrived
                if level.plain:
                    child = _new(level.model)
                    _set_dict(child, values)
                    _set_fields_set(child, arrived)
                    _set_extra(child, None)
                    _set_private(child, None)
                else:
                    child = level.model.model_construct(_fields_set=arrived, **values)
            elif kind == _LIST:
                child = PartialList(level.built, child)
            elif child is ABSENT:
                child = PartialDict(level.entries)
            else:  # a member is open: its key is known
                child = PartialDict(level.entries, cast(str, level.key), child)
        return child

    def _closed_root(self, root: dict[str, JsonValue]) -> Any:
        """The partial of the root object once it has closed, built like an open one.

        Its level (a new one if it closed within one chunk) holds every member
        converted, and the instance is made from them. It is not validated as
        a whole: whoever reads the complete value validates it once from the
        text (``typed_partials`` ends with that instance), so doing it here as
        well would cost a second pass over all of it and make new instances of
        every finished part.
        """
        levels = self._levels
        if levels and levels[0].container is root:
            level = levels[0]
        else:  # it opened and closed within one chunk
            level = _Level(self._callback, root, self.model, None)
        level.open(None)
        return self._assemble([level], ABSENT)

    def _open_levels(self, frames: list[Frame], key: str | None) -> list[_Level]:
        """The levels for ``frames``: the ones kept for the same containers, new ones below.

        ``key`` is the innermost frame's open member's, as ``open_frames``
        gives it; each outer frame's open member is the next frame.
        """
        levels = self._levels
        # A container's ancestors stay the same while it is open: the deepest
        # container both still have tells how many levels to keep.
        depth = min(len(levels), len(frames))
        while depth and levels[depth - 1].container is not frames[depth - 1].container:
            depth -= 1
        del levels[depth:]
        last = len(frames) - 1
        level = levels[-1] if depth else None
        if level is not None:
            frame_key = key if depth > last else frames[depth - 1].key
            if level.key != frame_key:
                level.open(frame_key)
        for index in range(depth, last + 1):
            frame = frames[index]
            # What the new container is read as: the root's model, or what its
            # parent reads its open member as.
            hidden = False
            if level is None:
                annotation: Any = self.model
            elif level.kind == _MODEL:
                field = level.fields.get(frames[index - 1].key)  # its open member is this frame
                annotation = None if field is None else field[1]
                hidden = level.hidden or field is None
            else:
                annotation = level.item if level.kind == _LIST else None
                hidden = level.hidden
            level = _Level(self._callback, frame.container, annotation, frame)
            level.hidden = hidden
            level.open(key if index == last else frame.key)
            levels.append(level)
        return levels

    def convert(self, annotation: Any, value: JsonValue, nesting: int) -> Any:
        """A finished value as the annotation reads it: models validated, lists converted.

        A value read as anything else that holds models (a dict of them, a
        union) is validated as a whole, and shown as parsed if it fails.
        """
        if not isinstance(value, list | dict) or not converts(annotation):
            return value
        item_annotation = list_item(annotation) if isinstance(value, list) else None
        if isinstance(value, list) and item_annotation is not None:
            for level in self._levels:
                if level.container is value:  # built while it was open: share it
                    return self.extend(level.built, value, item_annotation, nesting)
            if nesting >= _MAX_NESTING:
                return value
            return self.extend([], value, item_annotation, nesting)
        model = model_in(annotation)
        if model is None or not isinstance(value, dict):
            try:
                return adapter_of(annotation).validate_python(value)
            except ValidationError:
                return value  # the final validation reports it
        try:
            return model.model_validate(value)
        except ValidationError:
            if nesting >= _MAX_NESTING:
                return value
        # Shown unvalidated for now; the final validation reports the error.
        values: dict[str, Any] = {}
        for name, key, field_annotation in model_fields(model):
            if key in value:
                values[name] = self.convert(field_annotation, value[key], nesting + 1)
        arrived = set(values)
        for name, _, _ in model_fields(model):
            values.setdefault(name, None)
        return model.model_construct(_fields_set=arrived, **values)

    def extend(
        self, built: list[Any], items: list[JsonValue], annotation: Any, nesting: int
    ) -> list[Any]:
        """Convert the items of ``items`` that ``built`` does not have yet."""
        if not converts(annotation):
            built.extend(items[len(built) :])  # nothing in them to convert
            return built
        while len(built) < len(items):
            built.append(self.convert(annotation, items[len(built)], nesting + 1))
        return built
