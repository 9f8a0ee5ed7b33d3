"""What a display knows: each stream's value so far, its state, and the status of them all."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import reactivex

from ..content import StreamContent
from ..operators import partial_json

__all__ = ["Board", "Panel", "structured"]

#: Below this many seconds of messages, a rate says nothing.
_RATE_AFTER = 0.25

PanelState = Literal["streaming", "complete", "error"]

#: A JSON value, as ``json.loads`` gives it.
Json = dict[str, object] | list[object] | str | int | float | bool | None


@dataclass
class Panel:
    """One stream as a display shows it."""

    name: str
    value: str = ""  #: the whole value so far: text, or JSON text for a structured value
    messages: int = 0
    state: PanelState = "streaming"
    error: str | None = None  #: the text of an ``error`` message


@dataclass
class Board:
    """Everything a display shows, gathered from :class:`~kavalai.StreamContent` messages.

    Args:
        delta: Whether partial messages carry only their chunk (then the board
            joins them) rather than the whole value so far.
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
    first_at: float | None = None
    last_at: float | None = None

    def apply(self, message: StreamContent) -> None:
        """Take one message into the board."""
        now = self.clock()
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.messages += 1
        if message.type == "restart":
            self.restarts += 1
            self.panels.clear()  # consumers drop what they accumulated
            return
        panel = self.panels.get(message.name)
        if panel is None:
            panel = self.panels[message.name] = Panel(message.name)
        panel.messages += 1
        if message.type == "error":
            panel.state, panel.error = "error", message.value or ""
            return
        if message.value is not None:
            joins = self.delta and message.type == "partial"
            panel.value = panel.value + message.value if joins else message.value
        if message.type == "complete":
            panel.state = "complete"

    def fail(self, error: BaseException) -> None:
        """The source ended with ``error``."""
        self.error = f"{type(error).__name__}: {error}"
        self.ended = True

    def end(self) -> None:
        """The source completed."""
        self.ended = True

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
            state = "done"
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


def structured(value: str) -> dict[str, object] | list[object] | None:
    """The object or array that ``value`` holds as JSON, best effort, else None.

    A finished JSON text parses as it is; one still being written is read by
    the partial JSON parser, which shows only what can no longer change.
    """
    text = value.lstrip()
    if not text.startswith(("{", "[", "```")):
        return None
    parsed: object
    try:
        parsed = json.loads(text)
    except ValueError:
        snapshots: list[str | None] = []
        reactivex.of(value).pipe(partial_json()).subscribe(snapshots.append, lambda _: None)
        known = [snapshot for snapshot in snapshots if snapshot is not None]
        if not known:
            return None
        parsed = json.loads(known[-1])
    return parsed if isinstance(parsed, dict | list) else None


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
