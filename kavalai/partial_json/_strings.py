"""The open string of the scanner: its decoded pieces, and the escape a chunk may cut.

A string can span any number of chunks, and a chunk can end anywhere in it:
inside ``\\u00e9``, or between the two ``\\u`` escapes of a surrogate pair. So
the decoded text is kept in pieces, joined once when the string ends (or when
a reader asks for it), an escape cut off is kept whole until the next chunk
completes it, and a high surrogate waits to see whether a low one follows,
which makes them one character, as ``json.loads`` pairs them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, cast

from ..errors import BadEscapeError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["STRING_RUN", "BadEscapeError", "StringParts"]

#: A run of string characters that need no decoding: up to a quote, a backslash or a control.
STRING_RUN = cast("Callable[[str, int], re.Match[str]]", re.compile(r'[^"\\\x00-\x1f]*').match)
_match_hex = re.compile(r"[0-9a-fA-F]*").fullmatch
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


class StringParts:
    """The decoded text of the open string, in pieces.

    Attributes:
        parts: Decoded pieces of the open string.
        esc: An escape cut off by the end of a chunk, backslash included.
        high: A decoded high surrogate waiting to see whether a low one follows.
    """

    __slots__ = ("esc", "high", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.esc = ""
        self.high = ""

    def flush(self) -> None:
        """Give up waiting for a low surrogate: the high one stays alone, as text comes next."""
        self.parts.append(self.high)
        self.high = ""

    def text_so_far(self) -> str:
        """The decoded text, merging its pieces into one."""
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        text = "".join(parts)
        parts[:] = [text]
        return text

    def escape(self, text: str, j: int, base: int = 0) -> int:
        """Decode the escape at ``text[j]``; ``base`` maps ``j`` to a chunk position.

        Returns:
            The index after the escape; ``len(text)`` if ``text`` ends inside it
            (it is then kept in ``esc``).

        Raises:
            BadEscapeError: If it is not an escape of JSON.
        """
        kind = text[j + 1 : j + 2]
        if kind == "u":
            digits = text[j + 2 : j + 6]
            if _match_hex(digits):
                if len(digits) == 4:
                    self._code_unit(int(digits, 16))
                    return j + 6
                self.esc = text[j:]
                return len(text)
            raise BadEscapeError(base + j, f"invalid escape {text[j : j + 6]!r}")
        if not kind:
            self.esc = "\\"
            return len(text)
        char = _ESCAPES.get(kind)
        if char is None:
            raise BadEscapeError(base + j, f"invalid escape {text[j : j + 2]!r}")
        if self.high:
            self.flush()
        self.parts.append(char)
        return j + 2

    def resume_escape(self, chunk: str, i: int) -> int:
        """Complete the escape an earlier chunk cut off; return the index after it."""
        esc = self.esc
        self.esc = ""
        end = self.escape(esc + chunk[i : i + 6], 0, i - len(esc))
        return i + end - len(esc)

    def _code_unit(self, code: int) -> None:
        """Add one code unit of a ``\\u`` escape, pairing surrogates as ``json.loads`` does."""
        high = self.high
        if high:
            self.high = ""
            if 0xDC00 <= code <= 0xDFFF:
                self.parts.append(chr(0x10000 + ((ord(high) - 0xD800) << 10) + code - 0xDC00))
                return
            self.parts.append(high)  # not followed by a low surrogate: stays alone
        if 0xD800 <= code <= 0xDBFF:
            self.high = chr(code)
        else:
            self.parts.append(chr(code))
