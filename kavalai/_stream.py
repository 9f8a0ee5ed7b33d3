"""Stream: the Log's record of one value streamer, from its producer to its observers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from reactivex import abc
from reactivex.disposable import Disposable

from . import _subscribers as subscribers
from ._text import Text
from .content import StreamInfo

__all__ = ["Stream", "discard"]

Observer = abc.ObserverBase[str]


class Stream:
    """The record of one value streamer: its text, its state at the trim point, its observers."""

    __slots__ = (
        "base_chunks",
        "base_done",
        "base_end",
        "base_from",
        "chunks",
        "closed_reason",
        "delta",
        "end",
        "ended",
        "ending",
        "feeders",
        "first",
        "info",
        "last_feeder",
        "name",
        "restarts",
        "retired",
        "serial",
        "structured",
        "subscribers",
        "text",
        "watchers",
    )

    def __init__(
        self, name: str, delta: bool, structured: bool, serial: int = 0, first: int = 0
    ) -> None:
        self.name = name
        self.serial = serial  # which stream of its Streamer: names may be used again
        self.delta = delta
        self.structured = structured
        self.text = Text()
        self.chunks = 0
        self.retired = False  # by a Streamer's reset_active(), for a retry
        # Each restart it went on after: the restart's position, and the length
        # of the text and the number of chunks then. Its value starts afresh there.
        self.restarts: list[tuple[int, int, int]] = []
        # Where its messages lie in the history: from ``first`` to before ``end``
        # (None while it goes on), so a reader of its chunks looks there only.
        self.first = first
        self.end: int | None = None
        # What the trimmed messages of this stream amount to.
        self.base_end = 0
        self.base_from = 0  # where its value starts, after a restart it went on after
        self.base_chunks = 0  # since then
        self.base_done = False
        # Observers of Streamer.values(), subscribers of its value streamer (live
        # only), and how to end a late one once the stream has.
        self.watchers: list[abc.ObserverBase[str]] = []
        self.subscribers: list[abc.ObserverBase[str]] = []
        self.ended: Callable[[abc.ObserverBase[str]], None] | None = None
        self.info = StreamInfo(name, delta, structured, serial)
        # The producer's side: why it takes no more chunks (None while it does),
        # whether its end was asked for (perhaps from a thread, not yet applied),
        # and the tasks that pushed, so that one that fails can fail the Streamer.
        self.closed_reason: str | None = None
        self.ending = False
        self.feeders: set[asyncio.Future[Any]] = set()
        self.last_feeder: asyncio.Future[Any] | None = None

    def start_at(self, seq: int) -> tuple[int, int]:
        """Where the value of its message at ``seq`` starts: the text's length and chunks then.

        Consumers drop what they accumulated at a restart, so a stream that goes
        on after one has a new value from there.
        """
        for restart, length, chunks in reversed(self.restarts):
            if restart < seq:
                return length, chunks
        return 0, 0

    def pushed_since_start(self, seq: int) -> bool:
        """Whether the value of its message at ``seq`` got chunks so far (see :meth:`start_at`)."""
        return self.chunks > self.start_at(seq)[1]

    @property
    def last_restart(self) -> int:
        """The position of the last restart it went on after, -1 if none."""
        return self.restarts[-1][0] if self.restarts else -1

    def follow(self, observer: Observer, *, replayed: bool) -> abc.DisposableBase:
        """Give ``observer`` the chunks pushed from now on, and the stream's end.

        ``replayed``: a ``values()`` observer, which got the chunks before (a
        restart that takes them back fails it); otherwise a subscriber of the
        value streamer itself, which only ever gets what follows.
        """
        if self.ended is not None:
            self.ended(observer)
            return Disposable()
        observers = self.watchers if replayed else self.subscribers
        observers.append(observer)
        return Disposable(partial(discard, observers, observer))

    def send(self, chunk: str) -> None:
        """Deliver a chunk; an observer whose callback raises gets on_error and is dropped."""
        for observers in (self.watchers, self.subscribers):
            for observer in tuple(observers):
                if not subscribers.send(observer, chunk):
                    discard(observers, observer)

    def end_observers(self, error: Exception | None) -> None:
        """End every observer with ``error`` (``None``: completed), and later ones at once."""

        def ended(observer: Observer) -> None:
            subscribers.send_terminal(observer, error)

        self.ended = ended
        watchers, self.watchers = self.watchers, []
        direct, self.subscribers = self.subscribers, []
        for observer in (*watchers, *direct):
            ended(observer)


def discard(observers: list[Observer], observer: Observer) -> None:
    """Take ``observer`` off ``observers``, if it is still there."""
    if observer in observers:
        observers.remove(observer)
