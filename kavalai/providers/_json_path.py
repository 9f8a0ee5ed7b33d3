"""JSON text written as it arrives from values addressed by JSON paths (``$.a.b[0]``), in order.

Gemini streams a function call's arguments as ``partial_args``: each a JSON path
and a value, a string possibly in several pieces. This writes them as the JSON
text of the whole arguments, piece by piece, so the tool-call stream parses
them like any other provider's argument chunks.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple, TypeAlias

__all__ = ["ArgumentsWriter", "Piece", "Scalar", "parse_path"]

Scalar: TypeAlias = str | float | bool | None
Segment: TypeAlias = str | int

_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\[\"((?:[^\"\\]|\\.)*)\"\]")


class Piece(NamedTuple):
    """One value, or one piece of a string value, at a JSON path."""

    path: tuple[Segment, ...]
    value: Scalar
    continues: bool = False  # a string whose next piece follows


def parse_path(path: str) -> tuple[Segment, ...] | None:
    """The segments of a JSON path such as ``$.foo.bar[0]['x y']``; ``None`` if it is not one.

    Example:
        >>> parse_path("$.foo.bar[0]['x y']")
        ('foo', 'bar', 0, 'x y')
        >>> parse_path("foo") is None
        True
    """
    if not path.startswith("$"):
        return None
    segments: list[Segment] = []
    position = 1
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None:
            return None
        name, index, single, double = match.groups()
        if index is not None:
            segments.append(int(index))
        else:
            quoted = single if single is not None else double
            segments.append(name if quoted is None else re.sub(r"\\(.)", r"\1", quoted))
        position = match.end()
    return tuple(segments)


class _Level:
    __slots__ = ("array", "key", "members")

    def __init__(self, key: Segment | None, array: bool) -> None:
        self.key = key  # the segment that leads to it from its parent
        self.array = array
        self.members = 0


class ArgumentsWriter:
    """Writes the JSON text of an object from :class:`Piece` s that come in document order.

    :meth:`feed` returns the text each piece adds; :meth:`close` the text that
    closes what is still open. A piece whose path leaves a container closes
    it, so pieces must come in the order of the document they describe (as
    the API sends them); a path that goes back into a closed container opens
    it again, as a duplicate key the last of which a JSON reader keeps.

    Example:
        >>> writer = ArgumentsWriter()
        >>> text = writer.feed(Piece(("city",), "Os", continues=True))
        >>> text += writer.feed(Piece(("city",), "lo"))
        >>> text += writer.feed(Piece(("days", 0), 1.0))
        >>> text + writer.close()
        '{"city": "Oslo", "days": [1]}'
    """

    def __init__(self) -> None:
        self._levels: list[_Level] = []
        self._string: tuple[Segment, ...] | None = None  # the path of a string still open

    def feed(self, piece: Piece) -> str:
        """The text that ``piece`` adds."""
        path, value = piece.path, piece.value
        if self._string is not None and self._string == path and isinstance(value, str):
            return _escaped(value) + self._end_string(piece.continues)
        out: list[str] = []
        if self._string is not None:
            out.append(self._end_string(False))
        if not path:  # the root itself cannot be a scalar: nothing to write
            return "".join(out)
        if not self._levels:
            out.append("{")
            self._levels.append(_Level(None, array=False))
        parent = path[:-1]
        kept = 1  # the root, and the open levels on the way to the parent
        while kept < len(self._levels) and kept <= len(parent):
            if self._levels[kept].key != parent[kept - 1]:
                break
            kept += 1
        while len(self._levels) > kept:
            out.append("]" if self._levels.pop().array else "}")
        for depth in range(len(self._levels) - 1, len(parent)):
            out.append(self._member(parent[depth]))
            array = isinstance(path[depth + 1], int)
            out.append("[" if array else "{")
            self._levels.append(_Level(parent[depth], array))
        out.append(self._member(path[-1]))
        if isinstance(value, str):
            out.append('"' + _escaped(value))
            self._string = path
            out.append(self._end_string(piece.continues))
        else:
            out.append(_scalar(value))
        return "".join(out)

    def close(self) -> str:
        """The text that closes the open string and containers; ``""`` if nothing was written."""
        out = [self._end_string(False)] if self._string is not None else []
        while self._levels:
            out.append("]" if self._levels.pop().array else "}")
        return "".join(out)

    def _member(self, key: Segment) -> str:
        level = self._levels[-1]
        level.members += 1
        separator = ", " if level.members > 1 else ""
        return separator if level.array else f"{separator}{json.dumps(str(key))}: "

    def _end_string(self, continues: bool) -> str:
        if continues:
            return ""
        self._string = None
        return '"'


def _escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


def _scalar(value: float | bool | None) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # JSON has one number type; a count reads as one
    return json.dumps(value)
