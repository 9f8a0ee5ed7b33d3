"""JSON text of parsed values, at any depth, for every number ``json.loads`` accepts.

The standard encoder renders what the parser produces exactly as ``json.dumps``
does, and is fast, but two inputs of valid JSON break it: a value nested deeper
than the recursion limit (it recurses, so it raises ``RecursionError``), and a
number too large for a float (``1e400`` is read as infinity, which it renders
as ``Infinity``: not JSON, and ``JSON.parse`` in a browser rejects it). The
parser reads such a number as an :class:`OutOfRange` float that remembers its
text; :func:`dumps` tries the standard encoder first and falls back to an
iterative one that renders the same text, keeps each number's text, and never
recurses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import repeat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._parser import JsonValue

__all__ = ["OutOfRange", "dumps", "encode_string"]

encode_string = json.encoder.encode_basestring_ascii  # str -> its JSON text, quotes included
_fast_dumps = json.JSONEncoder(allow_nan=False, check_circular=False).encode


class OutOfRange(float):
    """A number beyond the float range: infinite as a value, its own text in JSON.

    It equals what ``json.loads`` makes of the text (``inf`` or ``-inf``), so
    values compare as they would after ``json.loads``, while :func:`dumps`
    writes the number as the model wrote it, which stays valid JSON.
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> OutOfRange:
        number = super().__new__(cls, text)
        number.text = text
        return number


def dumps(value: JsonValue) -> str:
    """``json.dumps(value)`` with default arguments, at any depth and for any parsed number."""
    try:
        return _fast_dumps(value)
    except (RecursionError, ValueError):  # too deep, or an OutOfRange number
        return "".join(_pieces(value))


def _pieces(value: JsonValue) -> list[str]:
    """The JSON text of ``value`` in pieces, built with an explicit stack instead of recursion."""
    out: list[str] = []
    stack: list[tuple[Iterator[tuple[str | None, JsonValue]], str]] = []
    item = value
    while True:
        if isinstance(item, dict):
            out.append("{")
            stack.append((iter(item.items()), "}"))
            first = True
        elif isinstance(item, list):
            out.append("[")
            stack.append((zip(repeat(None), item), "]"))
            first = True
        else:
            out.append(_scalar(item))
            first = False
        while stack:
            members, closer = stack[-1]
            member = next(members, None)
            if member is not None:
                break
            stack.pop()
            out.append(closer)
            first = False
        else:
            return out
        key, item = member
        if not first:
            out.append(", ")
        if key is not None:
            out.append(encode_string(key) + ": ")


def _scalar(value: str | int | float | bool | None) -> str:
    if isinstance(value, str):
        return encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, OutOfRange):
        return value.text
    if isinstance(value, float):
        return float.__repr__(value)
    return int.__repr__(value)
