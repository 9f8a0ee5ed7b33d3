"""The board and the timeline in a terminal, live, on ``rich``'s live display.

Each live frame fits the screen (a text stream shows its newest lines, and a
frame still too tall loses the lines above its status line), so nothing
scrolls and the scrollback keeps no stale frames; at the end the live
frame is erased and the whole final frame printed once. A pipe, a log and
``TERM=dumb`` get that final frame only, without escape codes; ``NO_COLOR``
is honoured. Frames are drawn inside the synchronized output mode (DEC 2026),
which terminals that support it use to show each frame whole and others ignore.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from .._extras import missing_extra

try:
    from rich.console import Console, Group, RenderableType
    from rich.live import Live
    from rich.segment import Segment, Segments
    from rich.table import Table
    from rich.text import Text
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai's terminal display", "rich", "display") from missing

from .._view.board import Board, Panel, structured
from .._view.safe import for_terminal
from ._marbles import Timeline

__all__ = ["TerminalView", "board_frame", "timeline_frame"]

_BEGIN_SYNC, _END_SYNC = "\x1b[?2026h", "\x1b[?2026l"
_STATE_MARK = {"streaming": "◌ streaming", "complete": "✓ complete", "error": "✗ error"}

#: Draws a frame for a console ``width`` wide; ``height`` lines at most, or all of it.
Frame = Callable[[Console, int | None], RenderableType]


class TerminalView:
    """A live region on a terminal, redrawn by :meth:`update`, left as one final frame."""

    def __init__(self, out: TextIO, frame: Frame) -> None:
        self._console = Console(file=out, highlight=False, emoji=False)
        self._frame = frame
        console = self._console
        self._synced = console.is_terminal and not console.is_dumb_terminal
        self._live = Live(
            console=console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def update(self) -> None:
        """Redraw the live frame, fitted to the screen."""
        console = self._console
        if not self._synced:
            return  # a pipe or a dumb terminal gets the final frame only
        height = max(console.height - 1, 3)
        self._live.update(_cut(console, self._frame(console, height), height))
        console.file.write(_BEGIN_SYNC)
        self._live.refresh()
        console.file.write(_END_SYNC)
        console.file.flush()

    def finish(self) -> None:
        """Erase the live frame and print the whole final one."""
        self._live.stop()
        self._console.print(self._frame(self._console, None))
        self._console.file.flush()


def board_frame(board: Board, title: str | None = None) -> Frame:
    """A frame function for ``board``: a section per stream, then the status line."""

    def frame(console: Console, height: int | None) -> RenderableType:
        width = console.width
        parts: list[RenderableType | Panel] = [] if title is None else [Text(title, style="bold")]
        for panel in board.panels.values():
            parts.append(_header(panel, width))
            value = structured(panel.value)
            # A text stream's lines wait until the room the rest leaves is known.
            parts.append(panel if value is None else _structured(value, panel.state == "complete"))
            if panel.error is not None:
                parts.append(Text(for_terminal(panel.error), style="bold red"))
        if board.error is not None:
            parts.append(Text(for_terminal(board.error), style="bold red"))
        # One line, cut if need be: a live frame that does not fit keeps its last line.
        parts.append(Text(board.status(), style="reverse", no_wrap=True, overflow="ellipsis"))
        texts = [part for part in parts if isinstance(part, Panel)]
        share: int | None = None
        if height is not None and texts:
            fixed = Group(*(part for part in parts if not isinstance(part, Panel)))
            used = len(console.render_lines(fixed, console.options.update(width=width)))
            share = max((height - used) // len(texts), 1)
        return Group(
            *(_text(part, console, share) if isinstance(part, Panel) else part for part in parts)
        )

    return frame


def timeline_frame(timeline: Timeline) -> Frame:
    """A frame function for a marble timeline, as wide as the console."""

    def frame(console: Console, height: int | None) -> RenderableType:
        return Text(timeline.text(max(console.width - 16, 10)))

    return frame


def _cut(console: Console, frame: RenderableType, height: int) -> RenderableType:
    """``frame`` in ``height`` lines at most: its first ones, then its last (the status).

    A live frame taller than the screen would scroll its top into the
    scrollback, where the redraw cannot reach it, and leave it there once per
    frame; the final frame is printed whole.
    """
    lines = console.render_lines(frame, console.options, pad=False)
    if len(lines) <= height:
        return frame
    kept = [*lines[: height - 1], lines[-1]]
    return Segments([segment for line in kept for segment in (*line, Segment.line())])


def _text(panel: Panel, console: Console, lines: int | None) -> Text:
    """A text stream's value, wrapped; its last ``lines`` lines if given."""
    wrapped = list(Text(for_terminal(panel.value), style="italic").wrap(console, console.width))
    return Text("\n").join(wrapped if lines is None else wrapped[-lines:])


def _header(panel: Panel, width: int) -> Text:
    label = f"── {for_terminal(panel.name)} · {_STATE_MARK[panel.state]} · {panel.messages:,} "
    return Text((label + "─" * width)[:width], style="dim")


def _structured(value: object, complete: bool) -> RenderableType:
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return _rows(value, complete)
    if not isinstance(value, dict):
        return Text(for_terminal(_plain(value)))
    parts: list[RenderableType] = []
    for key, item in value.items():
        name = for_terminal(str(key))
        if isinstance(item, list) and item and all(isinstance(row, dict) for row in item):
            parts += [Text(f"{name}:", style="bold"), _rows(item, complete)]
        else:
            parts.append(Text.assemble((f"{name}: ", "bold"), for_terminal(_plain(item))))
    return Group(*parts)


def _rows(items: list[object], complete: bool) -> Table:
    """A table with a row per object, ✓ on each row whose object has closed."""
    columns: dict[str, None] = {}
    for item in items:
        assert isinstance(item, dict)
        columns.update(dict.fromkeys(item))
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="underline")
    table.add_column("")
    for column in columns:
        table.add_column(for_terminal(column))
    for index, item in enumerate(items):
        assert isinstance(item, dict)
        done = complete or index < len(items) - 1
        cells = [for_terminal(_plain(item[column])) if column in item else "" for column in columns]
        table.add_row("✓" if done else "…", *cells)
    return table


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
