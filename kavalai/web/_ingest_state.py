"""A JSON value that changes (AG-UI's shared state), written into structured streams as it grows.

A structured stream is JSON text that is still being written: it can grow,
never take anything back. So the value is written with its rightmost path left
open (``{"steps": [{"a": 1, "note": "goi`` ...), and a change that only adds
at the end, as most state updates do, is written as the text it adds: a
``STATE_DELTA`` that adds to an open object or array, or a snapshot that
extends the value (members added at the end, the last string grown). The
stream's value is then the state, at a cost in proportion to what changed. A
change that takes something back (a ``replace``, a ``remove``, an insertion
before the end, a snapshot that differs) completes the stream and writes the
whole new value into the next one (``state.1``, ...).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from ..value_streamer import ValueStreamer
from ._json_patch import apply_operation, member, pointer

__all__ = ["GrowingValue"]

# Any: a JSON value as json.loads gives it; the patches change it in place.
Json: TypeAlias = Any

#: JSON text of a value; NaN and the infinities, which JSON lacks, raise ValueError.
_dumps = functools.partial(json.dumps, allow_nan=False)

#: What a snapshot adds: at each open depth, the members added there; and the last string's growth.
_Growth: TypeAlias = tuple[list[tuple[int, list[tuple[str, Json]]]], str]


class GrowingValue:
    """One changing JSON value over a series of structured streams, each opened when needed.

    Args:
        open_stream: Opens the ``n``-th stream of the value (0, 1, ...).
        initial: The value before the first change (a ``STATE_DELTA`` before
            any snapshot patches it); ``{}`` by default.
    """

    def __init__(self, open_stream: Callable[[int], ValueStreamer], initial: Json = None) -> None:
        self._open_stream = open_stream
        self._opened = 0
        self._stream: ValueStreamer | None = None
        self._value: Json = {} if initial is None else _own(initial)
        self._spine: list[Json] = []  # the open containers, outermost first
        self._keys: list[str] = []  # the pointer token from each open container to the next
        self._open_string = False  # the text ends inside the last string, left open to grow

    @property
    def value(self) -> Json:
        """The value as it is now."""
        return self._value

    async def replace(self, value: Json) -> None:
        """A new whole value (a ``STATE_SNAPSHOT``): what it adds, or all of it again.

        Raises:
            ValueError: The value holds NaN or an infinity, which JSON has not.
        """
        value = _own(value)
        growth = None if self._stream is None else self._growth(value)
        if growth is None:
            self._value = value
            await self._rewrite()
        elif text := self._grow(*growth):
            assert self._stream is not None
            await self._stream.stream_partial(text)

    async def patch(self, operations: Sequence[object]) -> None:
        """Apply an RFC 6902 JSON Patch (a ``STATE_DELTA``), writing what it adds at the end.

        Raises:
            ValueError: An operation is malformed, does not apply, or adds a NaN
                or an infinity (the reader fails the Streamer then, so what it
                wrote no longer matters).
        """
        taken_back = self._stream is None
        for operation in operations:
            if not isinstance(operation, dict):
                raise ValueError(f"the operation {operation!r} is not an object")
            if isinstance(operation.get("value"), dict | list):
                operation = {**operation, "value": _own(operation["value"])}
            tokens = pointer(operation.get("path"))
            if operation.get("op") == "add" and not taken_back and self._appends(tokens):
                text = self._append(len(tokens) - 1, tokens[-1], member(operation, "value"))
                assert self._stream is not None  # _appends() found the value written
                await self._stream.stream_partial(text)
                continue
            self._value = apply_operation(self._value, tokens, operation)
            taken_back = taken_back or operation.get("op") != "test"
        if taken_back:
            await self._rewrite()

    async def close(self) -> None:
        """Close what is open and complete the stream, if one is open."""
        if self._stream is None:
            return
        stream, self._stream = self._stream, None
        if closing := self._close_below(-1):
            await stream.stream_partial(closing)
        await stream.stream_complete()

    def _appends(self, tokens: list[str]) -> bool:
        """Whether ``add`` at ``tokens`` adds at the end of an open container."""
        depth = len(tokens) - 1
        if depth < 0 or depth >= len(self._spine) or tokens[:depth] != self._keys[:depth]:
            return False
        container, last = self._spine[depth], tokens[-1]
        if isinstance(container, list):
            return last in ("-", str(len(container)))
        return last not in container

    def _growth(self, new: Json) -> _Growth | None:
        """What ``new`` adds to the value written, or ``None`` if it does not extend it."""
        added: list[tuple[int, list[tuple[str, Json]]]] = []
        old, depth = self._value, 0
        while depth < len(self._spine):
            if type(new) is not type(old):
                return None
            if isinstance(old, list):
                if len(new) < len(old) or not all(map(_same, old[:-1], new)):
                    return None
                added.append((depth, [(str(i), v) for i, v in enumerate(new) if i >= len(old)]))
            else:
                keys = list(new)
                if keys[: len(old)] != list(old) or not all(
                    _same(old[key], new[key]) for key in keys[: max(len(old) - 1, 0)]
                ):
                    return None
                added.append((depth, [(key, new[key]) for key in keys[len(old) :]]))
            if not old:
                return added, ""
            last: int | str = self._keys[depth]
            if isinstance(old, list):
                last = int(last)
            old, new = old[last], new[last]
            depth += 1
        if self._open_string and isinstance(old, str) and isinstance(new, str):
            if new.startswith(old):
                return added, new[len(old) :]
            return None
        return (added, "") if _same(old, new) else None

    def _grow(self, added: list[tuple[int, list[tuple[str, Json]]]], grown: str) -> str:
        """Write a :meth:`_growth`: the last string's, then each depth's, deepest first."""
        pieces = []
        if grown:
            pieces.append(_dumps(grown)[1:-1])
            if self._keys and len(self._keys) == len(self._spine):
                container, last = self._spine[-1], self._keys[-1]
                key: int | str = int(last) if isinstance(container, list) else last
                container[key] += grown
            else:
                self._value += grown
        for depth, members in reversed(added):
            pieces.extend(self._append(depth, key, value) for key, value in members)
        return "".join(pieces)

    def _append(self, depth: int, key: str, value: Json) -> str:
        """Add ``value`` at the end of the open container at ``depth``; the text that adds it."""
        pieces = [self._close_below(depth)]
        container = self._spine[depth]
        if container:
            pieces.append(", ")
        if isinstance(container, list):
            self._keys.append(str(len(container)))
            container.append(value)
        else:
            pieces.append(f"{_dumps(key)}: ")
            self._keys.append(key)
            container[key] = value
        pieces.append(self._open_text(value))
        return "".join(pieces)

    async def _rewrite(self) -> None:
        stream = self._open_stream(self._opened)
        self._opened += 1
        await self.close()  # the last one, once the next is open: the Streamer goes on
        self._stream = stream
        await stream.stream_partial(self._open_text(self._value))

    def _close_below(self, depth: int) -> str:
        """Close the open string and the containers deeper than ``depth``; the text that does."""
        closing = '"' if self._open_string else ""
        self._open_string = False
        closed = self._spine[depth + 1 :]
        closing += "".join("]" if isinstance(c, list) else "}" for c in reversed(closed))
        del self._spine[depth + 1 :]
        del self._keys[max(depth, 0) :]
        return closing

    def _open_text(self, value: Json) -> str:
        """``value`` as JSON text with its rightmost path left open, pushed onto the spine."""
        pieces: list[str] = []
        while isinstance(value, dict | list) and value:
            self._spine.append(value)
            if isinstance(value, list):
                pieces.append("[")
                pieces.extend(f"{_dumps(item)}, " for item in value[:-1])
                self._keys.append(str(len(value) - 1))
                value = value[-1]
            else:
                *first, (key, value) = value.items()
                pieces.append("{")
                pieces.extend(f"{_dumps(k)}: {_dumps(v)}, " for k, v in first)
                pieces.append(f"{_dumps(key)}: ")
                self._keys.append(key)
        if isinstance(value, dict | list):  # empty: left open to grow
            self._spine.append(value)
            pieces.append("[" if isinstance(value, list) else "{")
        elif isinstance(value, str):  # left open to grow: its closing quote comes at the end
            pieces.append(_dumps(value)[:-1])
            self._open_string = True
        else:
            # A space after a number: it cannot grow then, so a snapshot shows it whole.
            pieces.append(_dumps(value) + " ")
        return "".join(pieces)


def _own(value: Json) -> Json:
    """A copy of a value to change in place, so the caller's own objects stay as they were."""
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


def _same(a: Json, b: Json) -> bool:
    """JSON equality: ``1`` is not ``true``, ``1`` and ``1.0`` are one number, members unordered."""
    if type(a) is not type(b):
        numbers = (int, float)
        return (
            isinstance(a, numbers)
            and isinstance(b, numbers)
            and not isinstance(a, bool)
            and not isinstance(b, bool)
            and a == b
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)
