"""A stream's raw text, kept once, and the values computed forwards from it.

A Streamer's history keeps each stream's chunks once, as a :class:`Text`;
cumulative values and JSON snapshots are computed forwards from it, so a
cumulative value is never kept as one string per message. A structured
stream's snapshots and complete value are built by
:class:`~kavalai.partial_json._values.JsonSnapshots`, as the operators, the
UI message stream and the display build them.
"""

from __future__ import annotations

from bisect import bisect_right

from .partial_json import JsonSnapshots

__all__ = ["JsonValues", "Text", "TextValues", "Values", "values_of"]

#: Chunks a stream's text gathers before folding them into one string.
_FOLD = 256


class Text:
    """Append-only text kept as a few large blocks rather than many small chunks."""

    __slots__ = ("_blocks", "_ends", "_tail", "length")

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._ends: list[int] = []  # where each block ends in the text
        self._tail: list[str] = []  # chunks after the last block
        self.length = 0

    def append(self, chunk: str) -> None:
        self._tail.append(chunk)
        self.length += len(chunk)
        if len(self._tail) >= _FOLD:
            self._blocks.append("".join(self._tail))
            self._ends.append(self.length)
            self._tail.clear()

    def slice(self, start: int, end: int) -> str:
        """The text from ``start`` to ``end``."""
        if start >= end:
            return ""
        pieces: list[str] = []
        index = bisect_right(self._ends, start)
        block_start = self._ends[index - 1] if index else 0
        while index < len(self._blocks) and block_start < end:
            pieces.append(self._blocks[index][start - block_start : end - block_start])
            start = block_start = self._ends[index]
            index += 1
        if block_start < end:
            pieces.append("".join(self._tail)[start - block_start : end - block_start])
        return "".join(pieces)


class TextValues:
    """The cumulative values of a text stream from ``start``, computed forwards."""

    __slots__ = ("_end", "_text", "_value")

    def __init__(self, text: Text, start: int = 0) -> None:
        self._text = text
        self._value = ""
        self._end = start

    def partial(self, end: int) -> str:
        if end != self._end:
            self._value += self._text.slice(self._end, end)
            self._end = end
        return self._value

    complete = partial


class JsonValues:
    """The best-effort JSON snapshots of a structured stream from ``start``, computed forwards."""

    __slots__ = ("_end", "_start", "_text", "_value")

    def __init__(self, text: Text, start: int = 0) -> None:
        self._text = text
        self._value = JsonSnapshots()
        self._start = self._end = start

    def partial(self, end: int) -> str | None:
        self._feed(end)
        return self._value.snapshot()

    def complete(self, end: int) -> str | None:
        """The final JSON, like ``json.dumps``, if the value closed; else the text as written.

        A value cut off, prose or a refusal is passed on as the model wrote it
        (from ``start``) rather than as a closed-up snapshot, which might
        validate as a shorter answer: see :mod:`kavalai.partial_json._values`.
        """
        self._feed(end)
        return self._value.complete(lambda: self._text.slice(self._start, end))

    def _feed(self, end: int) -> None:
        if end != self._end:
            self._value.feed(self._text.slice(self._end, end))
            self._end = end


Values = TextValues | JsonValues


def values_of(text: Text, structured: bool, start: int = 0) -> Values:
    """A fresh builder of the values of ``text`` from ``start``: JSON snapshots if ``structured``.

    A stream that goes on after a restart starts a new value there: consumers
    dropped the text before it.
    """
    return JsonValues(text, start) if structured else TextValues(text, start)
