"""Follow a source to its end while a view shows it: a notebook output or a terminal.

The source is read as an independent consumer (a Streamer's raw chunks
through a :class:`~kavalai.wire.RecordReader`, see ``_follow``; or a
subscription), so the display takes nothing from other consumers. Redraws
are coalesced: whatever arrives while one is drawn and for ``interval``
seconds after it is shown by the next, so a fast stream costs the frontend
about ten updates a second, not one per message.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol, TextIO

from reactivex import ConnectableObservable, Observable
from reactivex import operators as ops
from reactivex.abc import DisposableBase

from .._view.board import Board
from .._view.follow import Follower
from .._view.html import board_html
from .._view.markdown import shown_markdown
from ..content import StreamContent
from ..streamer import Streamer
from ..wire import RecordReader
from ._marbles import Timeline

__all__ = ["display", "marbles"]

#: Redraw at most this often by default: about ten updates a second.
INTERVAL = 0.1


class _View(Protocol):
    def update(self) -> None: ...

    def finish(self) -> None: ...


async def display(
    source: Streamer | Observable[StreamContent],
    *,
    delta: bool = False,
    markdown: bool | Collection[str] | None = None,
    interval: float = INTERVAL,
    out: TextIO | None = None,
) -> None:
    """Show a Streamer, or any observable of messages, live until it ends.

    In Jupyter (JupyterLab, Notebook 7, VS Code) one output shows a panel per
    stream, updated in place: text growing, a structured value as a table of
    its fields with each finished list item marked ✓, errors in red, and a
    status line (messages, active streams, rate). The last update is plain
    HTML, so a saved notebook, nbconvert and a GitHub preview show the final
    state. A text stream that looks like Markdown (headings, lists, fences,
    tables, ``**bold**``...) is shown rendered as it streams (see
    :func:`kavalai.operators.markdown`: sanitised HTML in a notebook, rich
    in a terminal); ``markdown=`` decides instead: True for every text
    stream, False for none, or the names of those to render. Elsewhere it
    draws the same in the terminal (``out``, by default
    standard output) with ``rich``: live on a terminal, the final frame only
    in a pipe or on ``TERM=dumb``. A failure of the source is shown, not
    raised: this is a view, and the code that reads the result sees it.

    Args:
        source: A Streamer (read as cumulative values) or an observable of
            :class:`~kavalai.StreamContent`.
        delta: Whether ``source``'s partial messages carry only their chunk;
            ignored for a Streamer.
        markdown: Which text streams to show as Markdown; by default those
            that look like it.
        interval: The least time between two updates, in seconds.
        out: Draw in this terminal or file rather than in a notebook.
    """
    wanted = markdown if markdown is None or isinstance(markdown, bool) else frozenset(markdown)
    board = Board(
        delta=delta and not isinstance(source, Streamer),
        markdown=wanted,
        as_markdown=shown_markdown,
    )
    view: _View
    if out is None and _in_notebook():
        from ._notebook import NotebookView

        view = NotebookView(lambda: {"text/html": board_html(board), "text/plain": _plain(board)})
    else:
        from ._terminal import TerminalView, board_frame

        view = TerminalView(sys.stdout if out is None else out, board_frame(board))
    changes = _Changes()
    if isinstance(source, Streamer):
        reading = asyncio.ensure_future(_read(source, board, changes))
        try:
            await _draw(view, changes, interval)
        finally:
            reading.cancel()
        return
    subscription = source.subscribe(
        on_next=lambda message: changes.call(board.apply, message),
        on_error=lambda error: changes.end(board.fail, error),
        on_completed=lambda: changes.end(board.end),
    )
    try:
        await _draw(view, changes, interval)
    finally:
        subscription.dispose()


async def marbles(
    source: Streamer | Observable[object] | Mapping[str, Observable[object]],
    *,
    through: Mapping[str, Callable[[Observable[Any]], Observable[Any]]] | None = None,
    ordered: bool = False,
    interval: float = INTERVAL,
    out: TextIO | None = None,
) -> Timeline:
    """Draw a marble timeline of ``source`` live until it ends; return it.

    One lane per stream of a Streamer (or of any observable of
    :class:`~kavalai.StreamContent`), or per named observable of a mapping.
    A mark per message, placed by time; ``|`` where a lane completes, ``X``
    where it fails; short values written on their marbles. SVG in a
    notebook, text elsewhere. The returned :class:`Timeline` draws itself
    again (``str()`` for text, ``_repr_svg_`` in a notebook). ``ordered=True``
    spaces the marks by their order instead, for synchronous sources.

    To see what operators do to a source, give them as ``through``:
    ``marbles({"chunks": source}, through={"accumulate": accumulate()})``
    draws the source's lane and a lane per operator applied to it, all fed by
    one subscription to the source, shared, so each item shows on every lane
    at once. Each observable of a mapping is subscribed on its own instead:
    ``{"chunks": source, "accumulate": source.pipe(accumulate())}`` runs a
    cold source (``reactivex.of``, a list) once per lane, one lane after the
    other, so the second lane seems to start when the first ends (nothing
    can share a subscription the lanes make themselves).

    Args:
        source: A Streamer, an observable, or observables by lane name (one
            only, with ``through``).
        through: Operators by lane name, applied to the one source, shared.
        ordered: Space the marks by their order rather than their time.
        interval: The least time between two redraws, in seconds.
        out: Draw in this terminal or file rather than in a notebook.
    """
    timeline = Timeline(ordered=ordered)
    lanes, shared = _lanes(source, through)
    view: _View
    if out is None and _in_notebook():
        from ._notebook import NotebookView

        view = NotebookView(
            lambda: {"image/svg+xml": timeline.svg(), "text/plain": timeline.text()}
        )
    else:
        from ._terminal import TerminalView, timeline_frame

        view = TerminalView(sys.stdout if out is None else out, timeline_frame(timeline))
    changes = _Changes(len(lanes))
    whole = isinstance(source, Streamer)
    subscriptions = [
        _follow_lane(observable, lane, timeline, changes, whole)
        for lane, observable in lanes.items()
    ]
    connection = None if shared is None else shared.connect()  # every lane is subscribed
    if connection is not None:
        subscriptions.append(connection)
    try:
        await _draw(view, changes, interval)
    finally:
        for subscription in subscriptions:
            subscription.dispose()
    return timeline


def _lanes(
    source: Streamer | Observable[object] | Mapping[str, Observable[object]],
    through: Mapping[str, Callable[[Observable[Any]], Observable[Any]]] | None,
) -> tuple[dict[str, Observable[object]], ConnectableObservable[object] | None]:
    """The lanes' observables, and with ``through`` the shared source to connect."""
    if through is None:
        return (dict(source) if isinstance(source, Mapping) else {"value": source}), None
    if isinstance(source, Streamer) or (isinstance(source, Mapping) and len(source) != 1):
        raise TypeError(
            "marbles(..., through=...) takes one observable, or one {name: observable}: "
            "its lane and one lane per operator; a Streamer's own lanes are its streams"
        )
    name, observable = (
        next(iter(source.items())) if isinstance(source, Mapping) else ("source", source)
    )
    shared = observable.pipe(ops.publish())
    lanes: dict[str, Observable[object]] = {name: shared}
    lanes.update({lane: operator(shared) for lane, operator in through.items()})
    return lanes, shared


def _follow_lane(
    observable: Observable[object],
    lane: str,
    timeline: Timeline,
    changes: _Changes,
    whole: bool,
) -> DisposableBase:
    """Subscribe ``lane``'s marks; a Streamer's lanes end with their own messages."""

    def failed(error: Exception) -> None:
        if whole:
            timeline.fail_open(error)
        else:
            timeline.fail(lane, error)

    def completed() -> None:
        if not whole:
            timeline.complete(lane)

    return observable.subscribe(
        on_next=lambda item: changes.call(timeline.add, item, lane),
        on_error=lambda error: changes.end(failed, error),
        on_completed=lambda: changes.end(completed),
    )


class _Changes:
    """Applies updates on the drawing loop's thread and wakes the drawing."""

    def __init__(self, sources: int = 1) -> None:
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.changed = asyncio.Event()
        self.sources = sources

    @property
    def ended(self) -> bool:
        return self.sources <= 0

    def call(self, apply: Callable[..., None], *args: object) -> None:
        if threading.get_ident() == self.thread:
            apply(*args)
            self.changed.set()
        else:  # an Rx source on another thread
            self.loop.call_soon_threadsafe(self.call, apply, *args)

    def end(self, apply: Callable[..., None], *args: object) -> None:
        def ending(*args: object) -> None:
            apply(*args)
            self.sources -= 1

        self.call(ending, *args)


async def _read(streamer: Streamer, board: Board, changes: _Changes) -> None:
    follower = Follower(board)
    reader = RecordReader(streamer)
    try:
        while not reader.done:
            for record in await reader.read():
                if record.kind in ("end", "error"):
                    changes.end(follower.apply, record)
                else:
                    changes.call(follower.apply, record)
    except Exception as error:  # the drawing waits for an end: whatever stops reading is one
        changes.end(board.fail, error)
    finally:
        await reader.aclose()


async def _draw(view: _View, changes: _Changes, interval: float) -> None:
    try:
        while not changes.ended:
            await changes.changed.wait()
            changes.changed.clear()
            if changes.ended:
                break
            view.update()
            await asyncio.sleep(interval)  # what arrives meanwhile joins the next update
    finally:
        view.finish()


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel, which shows rich outputs."""
    shell_module = sys.modules.get("IPython")
    if shell_module is None:
        return False  # never import IPython just to find out
    shell = shell_module.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _plain(board: Board) -> str:
    from .._view.repr import board_line

    return board_line(board)
