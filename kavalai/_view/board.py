"""What a display knows: each stream's value so far, its state, and the status of them all."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from ..partial_json import PartialJsonParser, shown_value

if TYPE_CHECKING:
    from ..content import StreamContent

__all__ = [
    "STATE_MARK",
    "UNKNOWN_OPEN",
    "Board",
    "Panel",
    "Rendered",
    "Source",
    "member_open",
    "structured",
]

#: Below this many seconds of messages, a rate says nothing.
_RATE_AFTER = 0.25

PanelState = Literal["streaming", "complete", "error", "incomplete"]

#: How a panel's state reads, in every view.
STATE_MARK = {
    "streaming": "◌ streaming",
    "complete": "✓ complete",
    "error": "✗ failed",
    "incomplete": "◼ ended incomplete",
}

#: How many containers are open along the last members of a value that the
#: board cannot tell from a snapshot: a closed-up snapshot hides which of its
#: last members are still being written, so all of them may be.
UNKNOWN_OPEN = sys.maxsize

#: The messages of a stream (a restart belongs to none).
MessageKind = Literal["partial", "complete", "error"]

#: A JSON value, as ``json.loads`` gives it.
Json = dict[str, object] | list[object] | str | int | float | bool | None


class Source(Protocol):
    """Where a panel's value comes from: text that grows, read only when drawn."""

    def text(self) -> str | None:
        """The value now, or None while nothing of it is known."""

    def open_levels(self) -> int:
        """How many containers of the structured value now are still open (0: it closed)."""


class Rendered(Protocol):
    """A panel's value rendered as HTML (Markdown, see :mod:`kavalai._view.markdown`)."""

    def html(self) -> str:
        """The HTML, sanitised."""


class Chunks:
    """Text that grows by chunks, joined only when read: O(chunk) per chunk, not O(text)."""

    __slots__ = ("_chunks", "_fed", "_joined", "_parser")

    def __init__(self, text: str = "") -> None:
        self._chunks = [text]
        self._joined: str | None = text
        self._parser: PartialJsonParser | None = None  # made when a view first asks
        self._fed = 0

    def append(self, chunk: str) -> None:
        """Add ``chunk`` at the end."""
        self._chunks.append(chunk)
        self._joined = None

    def text(self) -> str:
        """The whole text, joined once per change however often it is read."""
        if self._joined is None:
            self._joined = "".join(self._chunks)
            self._chunks = [self._joined]
        return self._joined

    def open_levels(self) -> int:
        """How many containers of the JSON value in the text are open.

        Exact for JSON text as written; a value that closed may be a closed-up
        snapshot of one still being written, so it says :data:`UNKNOWN_OPEN`.
        The text is read once, as it grows, and only once a view asks.
        """
        text = self.text()
        if self._parser is None:
            self._parser = PartialJsonParser()
        if self._fed < len(text):
            self._parser.feed(text[self._fed :])
            self._fed = len(text)
        return UNKNOWN_OPEN if self._parser.done else self._parser.depth


class Panel:
    """One stream as a display shows it.

    Attributes:
        name: The stream's name.
        messages: How many of its messages the board took.
        state: ``"streaming"``, ``"complete"``, ``"error"``, or ``"incomplete"``
            for one its source ended without completing.
        error: The text of an ``error`` message.
    """

    def __init__(
        self,
        name: str,
        value: str = "",
        messages: int = 0,
        state: PanelState = "streaming",
        error: str | None = None,
    ) -> None:
        self.name = name
        self._source: Source = Chunks(value)
        self._until_known = value  # shown while the source knows nothing yet
        self.messages = messages
        self.state = state
        self.error = error

    @property
    def value(self) -> str:
        """The whole value so far: text, or JSON text for a structured value."""
        text = self._source.text()
        return self._until_known if text is None else text

    @value.setter
    def value(self, value: str) -> None:
        self._source = Chunks(value)

    def append(self, chunk: str) -> None:
        """Add ``chunk`` to the value; the chunks are joined when the value is read."""
        if not isinstance(self._source, Chunks):
            self._source = Chunks(self.value)
        self._source.append(chunk)

    def structured(self) -> tuple[dict[str, object] | list[object] | None, int]:
        """The object or array the value holds (see :func:`structured`), and its open levels.

        The levels are how many containers along the value's last members are
        still being written: 0 once the stream completed, and
        :data:`UNKNOWN_OPEN` for a closed-up snapshot of a stream still
        writing it, where which of them closed cannot be seen.
        """
        value = structured(self.value)
        if value is None or self.state == "complete":
            return value, 0
        return value, self._source.open_levels()

    def follow(self, source: Source) -> None:
        """Show ``source``'s value from now on; until it knows some, the value so far."""
        if source is not self._source:
            self._until_known = self.value
            self._source = source

    def __repr__(self) -> str:
        return (
            f"Panel(name={self.name!r}, value={self.value!r}, messages={self.messages!r}, "
            f"state={self.state!r}, error={self.error!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Panel):
            return NotImplemented
        return self._fields() == other._fields()

    def _fields(self) -> tuple[object, ...]:
        return (self.name, self.value, self.messages, self.state, self.error)


@dataclass
class Board:
    """Everything a display shows, gathered from :class:`~kavalai.StreamContent` messages.

    Args:
        delta: Whether partial messages carry only their chunk (then the board
            joins them) rather than the whole value so far.
        markdown: Which text streams show as Markdown: True for all, False
            for none, a set of names, or None for those whose text looks like it.
        clock: Seconds as a float, for the message rate.
    """

    delta: bool = False
    clock: Callable[[], float] = time.monotonic
    panels: dict[str, Panel] = field(default_factory=dict)
    messages: int = 0
    restarts: int = 0
    error: str | None = None  #: the source's failure, ``"TypeName: message"``
    ended: bool = False
    consumers: int | None = None  #: for a Streamer's repr: its consumers
    #: Which text panels show Markdown: all, none, those named, or (None) those that look it.
    markdown: bool | frozenset[str] | None = None
    views: dict[str, object] = field(default_factory=dict, repr=False)  #: the views' own state
    #: A text panel as Markdown, or None for plain text: set by the views that render it.
    as_markdown: Callable[[Board, Panel], Rendered | None] | None = field(default=None, repr=False)
    first_at: float | None = None
    last_at: float | None = None

    def apply(self, message: StreamContent) -> None:
        """Take one message into the board."""
        if message.type == "restart":
            self.restart()
            return
        panel = self.take(message.type, message.name)
        if message.type == "error":
            panel.state, panel.error = "error", message.value or ""
        elif message.value is not None:
            if self.delta and message.type == "partial":
                panel.append(message.value)
            else:
                panel.value = message.value

    def take(self, kind: MessageKind, name: str, messages: int = 1) -> Panel:
        """Count ``messages`` messages of type ``kind`` of stream ``name``; its panel.

        What they carry is the caller's to show on the panel.
        """
        self._count(messages)
        panel = self.panels.get(name)
        if panel is None:
            panel = self.panels[name] = Panel(name)
        panel.messages += messages
        if kind == "complete":
            panel.state = "complete"
        return panel

    def restart(self) -> None:
        """Count a restart message: consumers drop what they accumulated, and so does the board."""
        self._count(1)
        self.restarts += 1
        self.panels.clear()
        self.views.clear()

    def fail(self, error: BaseException | str) -> None:
        """The source ended with ``error``: an exception, or its ``"Type: message"``.

        Every stream still being written failed with it.
        """
        self.error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.ended = True
        for panel in self.panels.values():
            if panel.state == "streaming":
                panel.state = "error"

    def end(self) -> None:
        """The source completed: a stream still being written never will be."""
        self.ended = True
        for panel in self.panels.values():
            if panel.state == "streaming":
                panel.state = "incomplete"

    @property
    def active(self) -> int:
        """Streams still being written."""
        return sum(panel.state == "streaming" for panel in self.panels.values())

    def rate(self) -> float | None:
        """Messages per second between the first message and the last, if measurable."""
        if self.first_at is None or self.last_at is None:
            return None
        if self.last_at - self.first_at < _RATE_AFTER:
            return None
        return (self.messages - 1) / (self.last_at - self.first_at)

    def status(self) -> str:
        """One line: state, messages, streams, rate."""
        if self.error is not None:
            state = "failed"
        elif self.ended:
            incomplete = sum(panel.state == "incomplete" for panel in self.panels.values())
            state = f"ended, {incomplete:,} incomplete" if incomplete else "done"
        else:
            state = "streaming"
        parts = [
            state,
            _count(self.messages, "message"),
            f"{self.active} of {_count(len(self.panels), 'stream')} active",
        ]
        if self.consumers is not None:
            parts.append(_count(self.consumers, "consumer"))
        rate = self.rate()
        if rate is not None:
            parts.append(f"{rate:,.0f} msg/s")
        return " · ".join(parts)

    def _count(self, messages: int) -> None:
        now = self.clock()
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.messages += messages


def structured(value: str) -> dict[str, object] | list[object] | None:
    """The object or array that ``value`` holds as JSON, best effort, else None.

    The value a structured stream shows (see
    :func:`~kavalai.partial_json._values.shown_value`): a finished JSON text
    as it is, one still being written or cut off as its last snapshot, which
    shows only what can no longer change. Only text that begins as JSON (or
    with a code fence) is read so: the board cannot tell a structured
    stream from a text one that mentions a ``{``.
    """
    text = value.lstrip()
    if not text.startswith(("{", "[", "```")):
        return None
    parsed: object = shown_value(value)
    return parsed if isinstance(parsed, dict | list) else None


def member_open(open_levels: int, last: bool) -> int:
    """The open levels of a member of a container with ``open_levels``: only its last may be open.

    The open containers of a snapshot are its root and, below it, the last
    member of each open one, so a member is finished unless it is its open
    container's last. A list item is done (its ``}`` arrived) exactly when this is 0.
    """
    return open_levels - 1 if last and open_levels > 0 else 0


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
