"""Reading server-sent events: a body's text, and its lines as the SSE spec ends them."""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterator

__all__ = ["SseLines", "sse_lines", "utf8_texts"]

#: The line ends of SSE; no other character ends a line.
_LINE_END = re.compile(r"\r\n|\r|\n")


async def utf8_texts(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """The text of a body in UTF-8, SSE's only encoding; a character cut in two decoded whole."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    async for chunk in chunks:
        if text := decoder.decode(chunk):
            yield text


async def sse_lines(texts: AsyncIterator[str]) -> AsyncIterator[str]:
    """The lines of an SSE body, each without its end (see :class:`SseLines`)."""
    lines = SseLines()
    async for text in texts:
        for line in lines.feed(text):
            yield line


class SseLines:
    """Splits an SSE body into lines as its text arrives: CR, LF or CRLF only, as the SSE
    spec says.

    Python's ``str.splitlines`` (and httpx's ``aiter_lines``) also ends lines at
    U+2028, U+2029 and U+0085, which JSON leaves raw inside strings, so model
    text holding them would cut a record in two. A CR that ends one text and
    an LF that begins the next are one line end. An unended last line is no line.
    """

    def __init__(self) -> None:
        self._line: list[str] = []  # the pieces of the line under way
        self._after_cr = False  # the last text ended with CR: an LF first in the next ends none
        self.pending = 0  # characters of the line under way

    def feed(self, text: str) -> list[str]:
        """The lines that ``text`` ends, each without its end."""
        if self._after_cr and text:
            self._after_cr = False
            if text[0] == "\n":
                text = text[1:]
        if not text:
            return []
        self._after_cr = text[-1] == "\r"
        *ended, rest = _LINE_END.split(text)
        line = self._line
        if line and ended:
            ended[0] = "".join(line) + ended[0]
            line.clear()
            self.pending = 0
        if rest:
            line.append(rest)
            self.pending += len(rest)
        return ended
