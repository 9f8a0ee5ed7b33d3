"""A JSON value that changes (AG-UI's shared state), written into structured streams as it grows.

A structured stream is JSON text that is still being written: it can grow,
never take anything back. So the value is written with its rightmost path left
open (``{"steps": [{"a": 1`` ...), and a change that only adds at the end of
an open object or array, as most state updates do, is written as the text it
adds: the stream's value is the state, at a cost in proportion to what
changed. A change that takes something back (a ``replace``, a ``remove``, an
insertion before the end, a new snapshot that differs) completes the stream
and writes the whole new value into the next one (``state.1``, ...).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from ..value_streamer import ValueStreamer

__all__ = ["GrowingValue"]

# Any: a JSON value as json.loads gives it; the patches change it in place.
Json: TypeAlias = Any

#: JSON text of a value; NaN and the infinities, which JSON lacks, raise ValueError.
_dumps = functools.partial(json.dumps, allow_nan=False)


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
        self._value: Json = {} if initial is None else initial
        self._spine: list[Json] = []  # the open containers, outermost first
        self._keys: list[str] = []  # the pointer token from each open container to the next

    @property
    def value(self) -> Json:
        """The value as it is now."""
        return self._value

    async def replace(self, value: Json) -> None:
        """A new whole value (a ``STATE_SNAPSHOT``): written again unless it is the same.

        Raises:
            ValueError: The value holds NaN or an infinity, which JSON has not.
        """
        if self._stream is not None and value == self._value:
            return
        self._value = value
        await self._rewrite()

    async def patch(self, operations: Sequence[object]) -> None:
        """Apply an RFC 6902 JSON Patch (a ``STATE_DELTA``), writing what it adds at the end.

        Raises:
            ValueError: An operation is malformed, does not apply, or adds a
                NaN or an infinity (the
                reader fails the Streamer then, so what it wrote no longer matters).
        """
        taken_back = self._stream is None
        for operation in operations:
            if not isinstance(operation, dict):
                raise ValueError(f"the operation {operation!r} is not an object")
            tokens = _pointer(operation.get("path"))
            if operation.get("op") == "add" and not taken_back and self._appends(tokens):
                await self._append(tokens, _member(operation, "value"))
                continue
            self._value = _apply(self._value, tokens, operation)
            taken_back = taken_back or operation.get("op") != "test"
        if taken_back:
            await self._rewrite()

    async def close(self) -> None:
        """Close the open containers and complete the stream, if one is open."""
        if self._stream is None:
            return
        stream, self._stream = self._stream, None
        if closing := _closers(self._spine):
            await stream.stream_partial(closing)
        self._spine.clear()
        self._keys.clear()
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

    async def _append(self, tokens: list[str], value: Json) -> None:
        depth = len(tokens) - 1
        pieces = [_closers(self._spine[depth + 1 :])]
        del self._spine[depth + 1 :]
        del self._keys[depth:]
        container = self._spine[depth]
        if container:
            pieces.append(", ")
        if isinstance(container, list):
            self._keys.append(str(len(container)))
            container.append(value)
        else:
            pieces.append(f"{_dumps(tokens[-1])}: ")
            self._keys.append(tokens[-1])
            container[tokens[-1]] = value
        pieces.append(self._open_text(value))
        assert self._stream is not None  # _appends() found the value written
        await self._stream.stream_partial("".join(pieces))

    async def _rewrite(self) -> None:
        stream = self._open_stream(self._opened)
        self._opened += 1
        await self.close()  # the last one, once the next is open: the Streamer goes on
        self._stream = stream
        await stream.stream_partial(self._open_text(self._value))

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
        else:
            # A space after a number: it cannot grow then, so a snapshot shows it whole.
            pieces.append(_dumps(value) + " ")
        return "".join(pieces)


def _closers(spine: Sequence[Json]) -> str:
    return "".join("]" if isinstance(container, list) else "}" for container in reversed(spine))


def _member(operation: dict[str, Json], name: str) -> Json:
    if name not in operation:
        raise ValueError(f"the operation {operation!r} has no {name!r}")
    return operation[name]


def _pointer(path: object) -> list[str]:
    """The tokens of an RFC 6901 JSON Pointer."""
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise ValueError(f"the path {path!r} is not a JSON Pointer")
    if not path:
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def _apply(document: Json, tokens: list[str], operation: dict[str, Json]) -> Json:
    """The document after one operation, applied in place where it can be."""
    op = operation.get("op")
    if op == "add":
        return _add(document, tokens, _member(operation, "value"))
    if op == "remove":
        return _remove(document, tokens)[0]
    if op == "replace":
        value = _member(operation, "value")
        return _add(_remove(document, tokens)[0], tokens, value)
    if op == "test":
        if _get(document, tokens) != _member(operation, "value"):
            raise ValueError(f"the test of {operation.get('path')!r} failed")
        return document
    if op in ("move", "copy"):
        source = _pointer(operation.get("from"))
        if op == "copy":
            return _add(document, tokens, copy.deepcopy(_get(document, source)))
        document, value = _remove(document, source)
        return _add(document, tokens, value)
    raise ValueError(f"{op!r} is not a JSON Patch operation")


def _get(document: Json, tokens: list[str]) -> Json:
    node = document
    for token in tokens:
        if isinstance(node, list):
            node = node[_index(token, len(node))]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise ValueError(f"nothing is at {_path(tokens)!r}")
    return node


def _add(document: Json, tokens: list[str], value: Json) -> Json:
    if not tokens:
        return value
    parent, last = _get(document, tokens[:-1]), tokens[-1]
    if isinstance(parent, list):
        parent.insert(len(parent) if last == "-" else _index(last, len(parent), end=True), value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise ValueError(f"{_path(tokens)!r} is inside a value that is not a container")
    return document


def _remove(document: Json, tokens: list[str]) -> tuple[Json, Json]:
    """The document without the member at ``tokens``, and that member."""
    if not tokens:
        return None, document
    parent, last = _get(document, tokens[:-1]), tokens[-1]
    if isinstance(parent, list):
        return document, parent.pop(_index(last, len(parent)))
    if isinstance(parent, dict) and last in parent:
        return document, parent.pop(last)
    raise ValueError(f"nothing is at {_path(tokens)!r}")


def _index(token: str, items: int, *, end: bool = False) -> int:
    """The array index ``token`` names: below ``items``, or equal to it at the ``end``."""
    largest = items if end else items - 1
    if not token.isdigit() or (token != "0" and token.startswith("0")) or int(token) > largest:
        where = " (or its end)" if end else ""
        raise ValueError(f"{token!r} is not an index of an array of {items} items{where}")
    return int(token)


def _path(tokens: list[str]) -> str:
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)
