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
    from rich.markdown import Markdown
    from rich.segment import Segment, Segments
    from rich.table import Table
    from rich.text import Text
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai's terminal display", "rich", "display") from missing

from .._view.board import STATE_MARK, Board, Panel, member_open
from .._view.markdown import shown_markdown
from .._view.safe import for_terminal
from ._marbles import Timeline

__all__ = ["TerminalView", "board_frame", "timeline_frame"]

_BEGIN_SYNC, _END_SYNC = "\x1b[?2026h", "\x1b[?2026l"

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
    """A frame function for ``board``: a section per stream, then the status line.

    Fitted to ``height``, a text stream keeps its newest lines and a table of
    items its newest rows, with a line saying how many rows are left out
    above them: what arrives last is what stays in sight.
    """

    def frame(console: Console, height: int | None) -> RenderableType:
        width = console.width
        options = console.options.update(width=width)
        cuts: dict[int, int] = {}  # rows left out, by table
        for _ in range(_FITTING_ROUNDS):
            tables: list[_Rows] = []
            parts = _parts(board, title, width, cuts, tables)
            if height is None:
                break
            lines = sum(isinstance(part, Panel) for part in parts)  # a text gets one at least
            fixed = Group(*(part for part in parts if not isinstance(part, Panel)))
            excess = len(console.render_lines(fixed, options)) - (height - lines)
            shown = [table for table in tables if table.shown > 1]
            if excess <= 0 or not shown:
                break
            widest = max(shown, key=lambda table: table.shown)
            cuts[widest.number] = widest.cut + min(excess + (widest.cut == 0), widest.shown - 1)
        texts = [part for part in parts if isinstance(part, Panel)]
        share: int | None = None
        if height is not None and texts:
            fixed = Group(*(part for part in parts if not isinstance(part, Panel)))
            used = len(console.render_lines(fixed, options))
            share = max((height - used) // len(texts), 1)
        return Group(
            *(
                _text(board, part, console, share) if isinstance(part, Panel) else part
                for part in parts
            )
        )

    return frame


#: How many times a frame is built again with fewer table rows to fit the screen.
_FITTING_ROUNDS = 4


def _parts(
    board: Board, title: str | None, width: int, cuts: dict[int, int], tables: list[_Rows]
) -> list[RenderableType | Panel]:
    """The frame's pieces; a text stream's stays its Panel until the room it gets is known."""
    parts: list[RenderableType | Panel] = [] if title is None else [Text(title, style="bold")]
    for panel in board.panels.values():
        parts.append(_header(panel, width))
        value, open_levels = panel.structured()
        parts.append(panel if value is None else _structured(value, open_levels, cuts, tables))
        if panel.error is not None:
            parts.append(Text(for_terminal(panel.error), style="bold red"))
    if board.error is not None:
        parts.append(Text(for_terminal(board.error), style="bold red"))
    # One line, cut if need be: a live frame that does not fit keeps its last line.
    parts.append(Text(board.status(), style="reverse", no_wrap=True, overflow="ellipsis"))
    return parts


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


def _text(board: Board, panel: Panel, console: Console, lines: int | None) -> RenderableType:
    """A text stream's value, wrapped, or its Markdown drawn; its last ``lines`` lines if given."""
    shown = None if board.as_markdown is None else shown_markdown(board, panel)
    if shown is not None:
        blocks = (*shown.finished, *shown.open)
        drawn = Markdown(for_terminal("".join(block.source for block in blocks)), hyperlinks=False)
        if lines is None:
            return drawn
        rendered = console.render_lines(drawn, console.options, pad=False)[-lines:]
        return Segments([segment for line in rendered for segment in (*line, Segment.line())])
    wrapped = list(Text(for_terminal(panel.value), style="italic").wrap(console, console.width))
    return Text("\n").join(wrapped if lines is None else wrapped[-lines:])


def _header(panel: Panel, width: int) -> Text:
    label = f"── {for_terminal(panel.name)} · {STATE_MARK[panel.state]} · {panel.messages:,} "
    return Text((label + "─" * width)[:width], style="dim")


class _Rows:
    """A table of items as drawn: how many rows it shows and how many it leaves out."""

    def __init__(self, number: int, shown: int, cut: int) -> None:
        self.number, self.shown, self.cut = number, shown, cut


def _structured(
    value: object, open_levels: int, cuts: dict[int, int], tables: list[_Rows]
) -> RenderableType:
    if _is_items(value):
        assert isinstance(value, list)
        return _rows(value, open_levels, cuts, tables)
    if not isinstance(value, dict):
        return Text(for_terminal(_plain(value)))
    parts: list[RenderableType] = []
    last = next(reversed(value), None)
    for key, item in value.items():
        name = for_terminal(str(key))
        if _is_items(item):
            assert isinstance(item, list)
            item_open = member_open(open_levels, key == last)
            parts += [Text(f"{name}:", style="bold"), _rows(item, item_open, cuts, tables)]
        else:
            parts.append(Text.assemble((f"{name}: ", "bold"), for_terminal(_plain(item))))
    return Group(*parts)


def _is_items(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(row, dict) for row in value)


def _rows(
    items: list[object], open_levels: int, cuts: dict[int, int], tables: list[_Rows]
) -> RenderableType:
    """A table with a row per object, ✓ on each row whose object has closed (its ``}``).

    The first ``cuts[n]`` rows of the ``n``-th table are left out, and a line says so.
    """
    number = len(tables)
    cut = min(cuts.get(number, 0), len(items) - 1)
    tables.append(_Rows(number, len(items) - cut, cut))
    columns: dict[str, None] = {}
    for item in items:
        assert isinstance(item, dict)
        columns.update(dict.fromkeys(item))
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="underline")
    table.add_column("")
    for column in columns:
        table.add_column(for_terminal(column))
    for index in range(cut, len(items)):
        item = items[index]
        assert isinstance(item, dict)
        done = member_open(open_levels, index == len(items) - 1) == 0
        cells = [for_terminal(_plain(item[column])) if column in item else "" for column in columns]
        table.add_row("✓" if done else "…", *cells)
    if not cut:
        return table
    left_out = Text(f"⋮ {cut:,} earlier row{'' if cut == 1 else 's'} not shown", style="dim")
    return Group(left_out, table)


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
