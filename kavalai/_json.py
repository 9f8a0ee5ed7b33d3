"""Compact JSON text for the wire: what an HTTP body or a Redis entry can carry.

A chunk can end between the two halves of a character's surrogate pair (a
provider's ``\\uD83D`` and ``\\uDE00`` split across events): written raw, such
a half cannot be encoded as UTF-8 and the body or entry fails to be written.
Escaped, it is valid JSON, and a reader that joins the chunks joins the halves
back into the character.
"""

from __future__ import annotations

import json
import re

__all__ = ["compact_json"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def compact_json(value: object) -> str:
    """``value`` as compact JSON, non-ASCII text as is, lone surrogates escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
