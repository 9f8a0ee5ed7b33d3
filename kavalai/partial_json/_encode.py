"""JSON text of parsed values, at any depth, for every number ``json.loads`` accepts.

The standard encoder renders what the parser produces exactly as ``json.dumps``
does, and is fast, but two inputs of valid JSON break it: a value nested deeper
than the recursion limit (it recurses, so it raises ``RecursionError``), and a
number too large for a float (``1e400`` is read as infinity, which it renders
as ``Infinity``: not JSON, and ``JSON.parse`` in a browser rejects it).

The parser hands out such a number as the plain float ``json.loads`` makes of
it, and keeps its text aside, by the identity of that float object
(:data:`NumberTexts`): values compare and type-check as they would after
``json.loads``, while :func:`dumps` writes the number as the model wrote it,
which stays valid JSON. :func:`dumps` tries the standard encoder first and
falls back to an iterative one that renders the same text, looks up each
such number's text, and never recurses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import repeat
from typing import TypeAlias

__all__ = ["JsonValue", "NumberTexts", "dumps", "encode_string"]

JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None
"""A value as ``json.loads`` returns it."""

NumberTexts: TypeAlias = dict[int, tuple[float, str]]
"""Numbers beyond the float range, by ``id``: the float (kept, so the id stays its) and its text."""

encode_string = json.encoder.encode_basestring_ascii  # str -> its JSON text, quotes included
_fast_dumps = json.JSONEncoder(allow_nan=False, check_circular=False).encode


def dumps(value: JsonValue, numbers: NumberTexts | None = None) -> str:
    """``json.dumps(value)`` with default arguments, at any depth; ``numbers`` spell the infinities.

    Raises:
        ValueError: For an infinite or NaN float that ``numbers`` does not hold.
    """
    try:
        return _fast_dumps(value)
    except (RecursionError, ValueError):  # too deep, or a number beyond the float range
        return "".join(_pieces(value, numbers or {}))


def _pieces(value: JsonValue, numbers: NumberTexts) -> list[str]:
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
            out.append(_scalar(item, numbers))
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


def _scalar(value: str | int | float | bool | None, numbers: NumberTexts) -> str:
    if isinstance(value, str):
        return encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if value - value == 0.0:  # finite
            return float.__repr__(value)
        spelled = numbers.get(id(value))
        if spelled is None or spelled[0] is not value:
            raise ValueError(f"{value!r} is not JSON, and no text of it was kept")
        return spelled[1]
    return int.__repr__(value)
