"""Find the array a dotted path of object keys points at, in JSON still being parsed.

:func:`~kavalai.operators.completed_items` follows a path like
``"result.records"`` down the value as it arrives. The array is found as soon
as it opens, and the path is checked on the way: an object where a key is
looked up, an array at the end. A path that meets anything else is an error
the moment that is known, rather than a stream that silently emits nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import PathError
from ..partial_json import JsonValue, PartialJsonParser

__all__ = ["PathError", "find_array", "missing", "parse_path"]


def parse_path(path: str) -> list[str]:
    """The keys of a dotted path; ``""`` is the top-level array.

    Raises:
        TypeError: If ``path`` is not a ``str``.
        ValueError: If a key in it is empty (``"a..b"``, ``".a"``, ``"a."``).
    """
    if not isinstance(path, str):
        raise TypeError(
            f"completed_items path must be a str of dotted object keys, not {type(path).__name__}"
        )
    if not path:
        return []
    keys = path.split(".")
    if "" in keys:
        raise ValueError(
            f"completed_items path {path!r} has an empty key; write dotted object keys "
            "like 'result.records', or '' for a top-level array"
        )
    return keys


def find_array(parser: PartialJsonParser, keys: Sequence[str]) -> list[JsonValue] | None:
    """The array at ``keys`` once it has opened, or None while that is not known yet.

    It is the parser's own container, which fills as its items finish.

    Raises:
        PathError: If the path meets a value of the wrong kind.
    """
    # Whether a string is open is all that matters of it: its text (which
    # costs its length to put together) is never read.
    frames, _, string = parser.open_frames()
    open_path = bool(frames)
    node: JsonValue
    if frames:
        node = frames[0].container
    elif parser.done:
        node = parser.snapshot()
    elif string:
        node = ""
    else:
        return None
    for depth, key in enumerate(keys):
        if not isinstance(node, dict):
            raise PathError(
                f"{_where(keys, depth)} is {_kind(node)}, not an object with key {key!r}"
            )
        if key in node:
            node = node[key]
            open_path = False
        elif open_path and frames[depth].key == key and depth + 1 < len(frames):
            node = frames[depth + 1].container
        elif open_path and frames[depth].key == key and depth + 1 == len(frames) and string:
            node = ""
            open_path = False
        else:
            return None
    if not isinstance(node, list):
        raise PathError(f"{_where(keys, len(keys))} is {_kind(node)}, not an array")
    return node


def missing(parser: PartialJsonParser, keys: Sequence[str]) -> str:
    """Why the array at ``keys`` never appeared, once the input has ended."""
    if not parser.has_value:
        return parser.error or "no JSON value found"
    node = parser.snapshot()
    depth = 0
    while depth < len(keys) and isinstance(node, dict) and keys[depth] in node:
        node = node[keys[depth]]
        depth += 1
    if depth == len(keys):
        return f"{_where(keys, depth)} never began"
    key = keys[depth]
    if isinstance(node, dict):
        listed = ", ".join(repr(name) for name in list(node)[:10]) or "none"
        return f"{_where(keys, depth)} has no key {key!r} (its keys: {listed})"
    return f"{_where(keys, depth)} is {_kind(node)}, not an object with key {key!r}"


def _where(keys: Sequence[str], depth: int) -> str:
    return repr(".".join(keys[:depth])) if depth else "the value"


def _kind(value: JsonValue) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return "a number"
