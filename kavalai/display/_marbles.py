"""A marble timeline: one lane per stream, a mark per message, time along the lane.

As Rx draws them: ``o`` for a value, ``|`` where a stream completes, ``X``
where it fails, ``R`` for a restart. SVG for a notebook, text for a terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .._view.safe import for_markup, for_terminal
from ..content import StreamContent

__all__ = ["LABEL_LIMIT", "Mark", "Timeline"]

MarkKind = Literal["value", "complete", "error", "restart"]

_KIND: dict[str, MarkKind] = {
    "partial": "value",
    "complete": "complete",
    "error": "error",
    "restart": "restart",
}
_TEXT_MARK = {"value": "o", "complete": "|", "error": "X", "restart": "R"}
_LANE_HEIGHT = 34
_LABEL_WIDTH = 110
_PLOT_WIDTH = 520
_LABEL_CHARS = 12
#: The least distance between two marks of a lane, in pixels: a marble's width and a bit.
_GAP = 14
#: About how wide a character of a marble's label is, in pixels (font-size 10).
_CHAR_WIDTH = 6
#: A mark keeps at most this much of what it stands for, as its tooltip: a
#: cumulative stream's every message carries its whole value so far, and
#: keeping them all whole would take O(n^2) memory and SVG.
LABEL_LIMIT = 200


@dataclass(frozen=True)
class Mark:
    """One event on a lane, ``at`` seconds after the timeline started.

    ``label`` is what it stands for, cut to ``LABEL_LIMIT`` characters.
    """

    lane: str
    kind: MarkKind
    at: float
    label: str = ""


@dataclass
class Timeline:
    """The marks of a source so far, drawn as SVG (``_repr_svg_``) or text (``str``).

    Feed it with :meth:`add` (a :class:`~kavalai.StreamContent` goes to the
    lane of its stream, anything else to ``lane``) and :meth:`end`; or let
    :func:`kavalai.display.marbles` do it while it shows the timeline live.

    Args:
        clock: Seconds as a float; the first mark is at 0.
        ordered: Space the marks evenly in the order they came rather than by
            time: for a synchronous source, whose items all come at once.
    """

    clock: Callable[[], float] = time.monotonic
    ordered: bool = False
    marks: list[Mark] = field(default_factory=list)
    lanes: dict[str, None] = field(default_factory=dict)  # in the order they appeared
    _start: float | None = field(default=None, init=False, repr=False)

    def add(self, item: object, lane: str = "value") -> None:
        """A mark for ``item``: a message by its type, anything else as a value."""
        if isinstance(item, StreamContent):
            self._mark(item.name, _KIND[item.type], item.value or "")
        else:
            self._mark(lane, "value", str(item))

    def complete(self, lane: str) -> None:
        """``lane`` completed."""
        self._mark(lane, "complete", "")

    def fail(self, lane: str, error: BaseException) -> None:
        """``lane`` failed with ``error``."""
        self._mark(lane, "error", f"{type(error).__name__}: {error}")

    def fail_open(self, error: BaseException) -> None:
        """Every lane not yet complete failed with ``error`` (a Streamer's failure)."""
        ended = {mark.lane for mark in self.marks if mark.kind in ("complete", "error")}
        for lane in [lane for lane in self.lanes if lane not in ended] or ["value"]:
            self.fail(lane, error)

    def text(self, width: int = 60) -> str:
        """The lanes as lines of text, ``width`` characters of time each."""
        if not self.lanes:
            return "(no messages)"
        names = {lane: for_terminal(lane)[:_LABEL_CHARS] for lane in self.lanes}
        pad = max(len(name) for name in names.values())
        rows = {lane: ["-"] * width for lane in self.lanes}
        for mark, position in zip(self.marks, self._positions(), strict=True):
            row = rows[mark.lane]
            column = round(position * (width - 1))
            while column < width - 1 and row[column] != "-":
                column += 1  # marks that fall together sit side by side, in order
            row[column] = _TEXT_MARK[mark.kind]
        return "\n".join(f"{names[lane].ljust(pad)} {''.join(rows[lane])}" for lane in self.lanes)

    def svg(self) -> str:
        """The lanes as an SVG drawing; every label is escaped.

        Marks that fall together on a lane sit side by side, so a lane that
        completes with its last item shows both; a value short enough for the
        room before the next mark is written above its marble, and every
        mark keeps its value as a tooltip.
        """
        lanes = list(self.lanes)
        placed: dict[str, list[tuple[Mark, int]]] = {lane: [] for lane in lanes}
        for mark, position in zip(self.marks, self._positions(), strict=True):
            row = placed[mark.lane]
            x = _LABEL_WIDTH + round(position * _PLOT_WIDTH) + 5
            placed[mark.lane].append((mark, max(x, row[-1][1] + _GAP) if row else x))
        end = max((row[-1][1] for row in placed.values() if row), default=0)
        height = _LANE_HEIGHT * max(len(lanes), 1) + 8
        width = max(_LABEL_WIDTH + _PLOT_WIDTH + 20, end + 15)
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="kavalai-marbles" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="ui-sans-serif,system-ui,sans-serif" font-size="12">'
        ]
        for index, lane in enumerate(lanes):
            y = _LANE_HEIGHT * index + _LANE_HEIGHT // 2 + 4
            name = for_markup(lane[: _LABEL_CHARS * 2])
            parts.append(
                f'<g class="lane" data-lane="{name}">'
                f'<text x="4" y="{y + 4}" fill="currentColor">{name}</text>'
                f'<line x1="{_LABEL_WIDTH}" y1="{y}" x2="{width - 10}" '
                f'y2="{y}" stroke="#888" stroke-width="1"/>'
            )
            row = placed[lane]
            for number, (mark, x) in enumerate(row):
                parts.append(self._svg_mark(mark, y, x))
                after = (row[number + 1][1] if number + 1 < len(row) else width) - x
                room = min(after, x - row[number - 1][1]) if number else after
                if mark.kind == "value":
                    parts.append(_svg_label(mark.label, x, y, room))
            parts.append("</g>")
        parts.append("</svg>")
        return "".join(parts)

    def _repr_svg_(self) -> str:
        return self.svg()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Timeline: {len(self.lanes)} lanes, {len(self.marks)} marks>"

    def _mark(self, lane: str, kind: MarkKind, label: str) -> None:
        now = self.clock()
        if self._start is None:
            self._start = now
        self.lanes.setdefault(lane, None)
        if len(label) > LABEL_LIMIT:
            label = label[: LABEL_LIMIT - 1] + "…"
        self.marks.append(Mark(lane, kind, now - self._start, label))

    def _positions(self) -> list[float]:
        """Where each mark sits along its lane, from 0 to 1: the span found once per drawing."""
        marks = self.marks
        if self.ordered:
            last = max(len(marks) - 1, 1)
            return [index / last for index in range(len(marks))]
        span = max((mark.at for mark in marks), default=0.0)
        return [0.0 if span <= 0 else mark.at / span for mark in marks]

    def _svg_mark(self, mark: Mark, y: int, x: int) -> str:
        title = f"<title>{for_markup(mark.label)}</title>" if mark.label else ""
        kind = f'class="mark {mark.kind}" data-at="{mark.at:.3f}"'
        if mark.kind == "complete":
            return (
                f'<line {kind} x1="{x}" y1="{y - 9}" x2="{x}" y2="{y + 9}" '
                f'stroke="currentColor" stroke-width="2">{title}</line>'
            )
        if mark.kind == "error":
            return (
                f'<path {kind} d="M{x - 6},{y - 6} L{x + 6},{y + 6} M{x - 6},{y + 6} '
                f'L{x + 6},{y - 6}" stroke="#c62828" stroke-width="2.5">{title}</path>'
            )
        if mark.kind == "restart":
            return (
                f'<rect {kind} x="{x - 5}" y="{y - 5}" width="10" height="10" '
                f'fill="#f9a825">{title}</rect>'
            )
        return (
            f'<circle {kind} cx="{x}" cy="{y}" r="6" fill="#42a5f5" '
            f'stroke="currentColor" stroke-width="1">{title}</circle>'
        )


def _svg_label(label: str, x: int, y: int, room: int) -> str:
    """``label`` above the marble at ``x``, centred, cut to ``room`` (to its nearest mark)."""
    chars = min((room - 2) // _CHAR_WIDTH, _LABEL_CHARS)
    if not label or chars < 1:
        return ""
    if len(label) > chars:
        if chars < 3:
            return ""
        label = label[: chars - 1] + "…"
    return (
        f'<text x="{x}" y="{y - 9}" text-anchor="middle" font-size="10" '
        f'fill="currentColor">{for_markup(label)}</text>'
    )
