"""Reprs of a Streamer and a message: a one-line text, and HTML for a notebook.

A repr shows what the live display would show now: the Streamer is read at
once by a :class:`~kavalai.wire.RecordReader`, in wire records, and its messages
are applied to a board by the display's own :class:`Follower`. So a
structured stream shows its JSON value as cumulative consumers get it, found
in prose or a fence (a table in HTML), and a large text is joined once rather
than rebuilt message by message. A stream registered but silent so far shows
too, as one with no value yet.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..wire import RecordReader
from .board import Board, Panel
from .follow import Follower
from .html import board_html, message_html
from .markdown import shown_markdown
from .safe import for_terminal

if TYPE_CHECKING:
    from ..streamer import Streamer

__all__ = ["board_line", "message_html", "snapshot", "streamer_html", "streamer_line"]

_PREVIEW = 32
_STATE_WORD = {
    "streaming": "streaming",
    "complete": "complete",
    "error": "failed",
    "incomplete": "incomplete",
}
_ATTEMPTS = 5


def snapshot(streamer: Streamer) -> Board:
    """The Streamer's streams and values so far, read as a consumer that leaves at once.

    Read from any thread, as a debugger or a monitor asks for a repr while the
    Streamer's loop runs (or is paused): the reader holds nothing back and
    waits for nothing. Should its producer fold history under it meanwhile,
    the look is taken again.
    """
    for _ in range(_ATTEMPTS - 1):
        try:
            return _look(streamer)
        except (IndexError, KeyError, RuntimeError):
            continue
    return _look(streamer)


def _look(streamer: Streamer) -> Board:
    board = Board(clock=lambda: 0.0, as_markdown=shown_markdown)  # replayed now: no rate
    board.consumers = streamer.statistics().consumers
    follower = Follower(board)
    reader = RecordReader(streamer, paced=False)
    for record in reader.read_ready(limit=sys.maxsize):
        follower.apply(record)
    for stream in reader.active_streams:
        board.panels.setdefault(stream.name, Panel(stream.name))
    return board


def streamer_line(streamer: Streamer) -> str:
    """``<Streamer: ...>`` in one line, control characters removed."""
    return f"<Streamer: {board_line(snapshot(streamer))}>"


def streamer_html(streamer: Streamer) -> str:
    """The Streamer as a board of panels."""
    return board_html(snapshot(streamer))


def board_line(board: Board) -> str:
    """Each stream's state and the start of its value, then the status, in one line."""
    streams = ", ".join(
        f"{panel.name!r} {_STATE_WORD[panel.state]} {_preview(panel.value)}"
        for panel in board.panels.values()
    )
    failure = "" if board.error is None else f"; {board.error}"
    return for_terminal(f"{streams or 'no streams yet'}; {board.status()}{failure}")


def _preview(value: str) -> str:
    short = value if len(value) <= _PREVIEW else value[: _PREVIEW - 1] + "…"
    return repr(short) + (f" ({len(value):,} chars)" if len(value) > _PREVIEW else "")
