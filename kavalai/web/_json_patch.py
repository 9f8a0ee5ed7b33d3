"""RFC 6902 JSON Patch, applied in place to a value as json.loads gives it."""

from __future__ import annotations

import copy
from typing import Any, TypeAlias

__all__ = ["apply_operation", "member", "pointer"]

# Any: a JSON value as json.loads gives it; the operations change it in place.
Json: TypeAlias = Any


def member(operation: dict[str, Json], name: str) -> Json:
    """The member ``name`` of an operation, which it must have."""
    if name not in operation:
        raise ValueError(f"the operation {operation!r} has no {name!r}")
    return operation[name]


def pointer(path: object) -> list[str]:
    """The tokens of an RFC 6901 JSON Pointer."""
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise ValueError(f"the path {path!r} is not a JSON Pointer")
    if not path:
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def apply_operation(document: Json, tokens: list[str], operation: dict[str, Json]) -> Json:
    """The document after one operation, applied in place where it can be."""
    op = operation.get("op")
    if op == "add":
        return _add(document, tokens, member(operation, "value"))
    if op == "remove":
        return _remove(document, tokens)[0]
    if op == "replace":
        value = member(operation, "value")
        return _add(_remove(document, tokens)[0], tokens, value)
    if op == "test":
        if _get(document, tokens) != member(operation, "value"):
            raise ValueError(f"the test of {operation.get('path')!r} failed")
        return document
    if op in ("move", "copy"):
        source = pointer(operation.get("from"))
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
