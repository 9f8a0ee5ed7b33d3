"""Reading server-sent events: a body's text, and its lines as the SSE spec ends them."""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterator

__all__ = ["sse_lines", "utf8_texts"]

#: The line ends of SSE; no other character ends a line.
_LINE_END = re.compile(r"\r\n|\r|\n")


async def utf8_texts(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """The text of a body in UTF-8, SSE's only encoding; a character cut in two decoded whole."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    async for chunk in chunks:
        if text := decoder.decode(chunk):
            yield text


async def sse_lines(texts: AsyncIterator[str]) -> AsyncIterator[str]:
    """The lines of an SSE body, each without its end: CR, LF or CRLF only, as the SSE
    spec says.

    Python's ``str.splitlines`` (and httpx's ``aiter_lines``) also ends lines at
    U+2028, U+2029 and U+0085, which JSON leaves raw inside strings, so model
    text holding them would cut a record in two. A CR that ends one text and
    an LF that begins the next are one line end. An unended last line is no line.
    """
    line: list[str] = []  # the pieces of the line under way
    after_cr = False  # the last text ended with CR: an LF first in the next ends no line
    async for text in texts:
        if after_cr and text:
            after_cr = False
            if text[0] == "\n":
                text = text[1:]
        if not text:
            continue
        after_cr = text[-1] == "\r"
        *ended, rest = _LINE_END.split(text)
        for piece in ended:
            yield "".join(line) + piece if line else piece
            line.clear()
        if rest:
            line.append(rest)
