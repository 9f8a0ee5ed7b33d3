"""A Streamer on a board, read as raw chunks and shown as its cumulative messages would be.

Cumulative messages carry the whole value so far, so reading them builds a
new string per message: O(n^2) over a long text, although a display draws
ten times a second at most. The board reads wire records instead (raw chunks,
each stream announced with its mode) and keeps each stream's text once; the
value a cumulative message would carry is computed only when a panel is
drawn, by the builders the Streamer's own consumers use, so what is drawn
stays the same: JSON snapshots of a structured stream included.
"""

from __future__ import annotations

from .._text import Text, values_of
from ..partial_json import PartialJsonParser
from ..wire import Record
from .board import Board

__all__ = ["Follower"]


class Follower:
    """Applies a Streamer's wire records to a board."""

    def __init__(self, board: Board) -> None:
        self._board = board
        # By name, the stream last announced, until one of that name replaces it.
        self._streams: dict[str, _Value] = {}
        self._caught: str | None = None  # the stream of the catch-up partial just taken

    def apply(self, record: Record) -> None:
        """Take one record into the board."""
        board, kind, name = self._board, record.kind, record.name or ""
        caught, self._caught = self._caught, None
        if kind == "stream":
            self._streams[name] = _Value(record.structured)
        elif kind == "partial":
            stream = self._streams[name]
            for chunk in record.chunks:
                stream.append(chunk)
            board.take("partial", name, len(record.chunks)).follow(stream)
            if record.seq is None:
                self._caught = name
        elif kind == "complete":
            stream = self._streams[name]
            stream.complete()
            # A catch-up gives a finished stream as its text and then its
            # complete: read cumulatively, that is one message.
            board.take("complete", name, 0 if caught == name else 1).follow(stream)
        elif kind == "restart":
            # Consumers drop what they accumulated: a stream that goes on starts afresh.
            for stream_name, stream in self._streams.items():
                self._streams[stream_name] = _Value(stream.structured)
            board.restart()
        elif kind == "end":
            board.end()
        else:
            board.fail(f"{record.error_type}: {record.value}")


class _Value:
    """One stream's text, kept once, and the value of its latest cumulative message."""

    __slots__ = (
        "_chunks",
        "_complete",
        "_fed",
        "_parser",
        "_shown",
        "_text",
        "_values",
        "structured",
    )

    def __init__(self, structured: bool) -> None:
        self.structured = structured
        self._text = Text()
        self._values = values_of(self._text, structured)
        self._chunks = 0
        self._complete = False
        self._shown: tuple[int, str | None] = (-1, None)  # the text length it was built at
        self._parser: PartialJsonParser | None = None  # made when a view first asks
        self._fed = 0

    def append(self, chunk: str) -> None:
        self._text.append(chunk)
        self._chunks += 1

    def complete(self) -> None:
        self._complete = True
        self._shown = (-1, None)

    def open_levels(self) -> int:
        """How many containers of the structured value are open, from the text as written.

        The snapshot a cumulative message carries is closed up; the raw text
        says which of its last members are still being written. Read once, as
        it grows, and only once a view asks.
        """
        if self._complete:
            return 0
        if self._parser is None:
            self._parser = PartialJsonParser()
        end = self._text.length
        if self._fed < end:
            self._parser.feed(self._text.slice(self._fed, end))
            self._fed = end
        return self._parser.depth

    def text(self) -> str | None:
        """The value, or None where a cumulative message carries none (nothing known yet)."""
        if not self._chunks:
            return None
        end = self._text.length
        if self._shown[0] != end:
            build = self._values.complete if self._complete else self._values.partial
            self._shown = (end, build(end))
        return self._shown[1]
