"""Reprs of a Streamer and a message: a one-line text, and HTML for a notebook."""

from __future__ import annotations

from ..content import StreamContent
from ..streamer import Streamer
from ._board import Board
from ._html import board_html, message_html
from ._safe import for_terminal

__all__ = ["board_line", "message_html", "snapshot", "streamer_html", "streamer_line"]

_PREVIEW = 32


def snapshot(streamer: Streamer) -> Board:
    """The Streamer's streams and values so far, read as a consumer that leaves at once."""
    board = Board(clock=lambda: 0.0)  # replayed now, so no rate to measure
    # Raw chunks, their text left out: the values come whole from values() below,
    # so a large cumulative value is not rebuilt message by message.
    reader = streamer.reader(delta=True)
    while (raw := reader.take_raw()) is not None:
        if raw.stream is None:
            board.apply(StreamContent(type="restart", name="response", value=raw.text))
        else:
            board.apply(StreamContent(type=raw.kind, name=raw.stream.name))
    reader.close()
    if streamer.ended:
        if streamer.error is not None:
            board.fail(streamer.error)
        else:
            board.end()
    for panel in board.panels.values():
        # The raw chunks give every stream's whole value, whatever its mode.
        chunks: list[str] = []
        streamer.values(panel.name).subscribe(chunks.append, lambda _: None).dispose()
        panel.value = "".join(chunks)
    statistics = streamer.statistics()
    board.consumers = statistics.consumers
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
        f"{panel.name!r} {panel.state} {_preview(panel.value)}" for panel in board.panels.values()
    )
    failure = "" if board.error is None else f"; {board.error}"
    return for_terminal(f"{streams or 'no streams yet'}; {board.status()}{failure}")


def _preview(value: str) -> str:
    short = value if len(value) <= _PREVIEW else value[: _PREVIEW - 1] + "…"
    return repr(short) + (f" ({len(value):,} chars)" if len(value) > _PREVIEW else "")
