"""Stream: the Log's record of one value streamer, from its producer to its observers."""

from __future__ import annotations

import asyncio
import threading
from functools import partial
from typing import Any, TypeVar

from reactivex import abc
from reactivex.disposable import Disposable

from . import _subscribers as subscribers
from ._text import Text
from .content import StreamInfo

__all__ = ["Stream", "discard"]

Observer = abc.ObserverBase[str]
Following = tuple[Observer, int]  # an observer and the first position it gets live
_T = TypeVar("_T")


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
        "end_errors",
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
        "threads",
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
        # Observers of Streamer.values() and subscribers of its value streamer,
        # each with the first position it gets live; once the stream ended, what
        # a late one of each kind gets (None: completed).
        self.watchers: list[Following] = []
        self.subscribers: list[Following] = []
        self.end_errors: tuple[Exception | None, Exception | None] | None = None
        self.info = StreamInfo(name, delta, structured, serial)
        # The producer's side: why it takes no more chunks (None while it does),
        # whether its end was asked for (perhaps from a thread, not yet applied),
        # and the tasks that pushed, so that one that fails can fail the Streamer.
        self.closed_reason: str | None = None
        self.ending = False
        self.feeders: set[asyncio.Future[Any]] = set()
        self.last_feeder: asyncio.Future[Any] | None = None
        self.threads: set[threading.Thread] = set()  # the other threads that pushed

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

    def let_go_of_producers(self) -> None:
        """Forget the tasks and threads that pushed: it is no longer active, and must not
        keep them (and what they hold) alive as long as its Streamer."""
        self.feeders.clear()
        self.last_feeder = None
        self.threads.clear()

    def follow(self, observer: Observer, start: int, *, replayed: bool) -> abc.DisposableBase:
        """Give ``observer`` the chunks at positions from ``start`` on, and the stream's end.

        ``replayed``: a ``values()`` observer, which got the chunks before (a
        restart that takes them back fails it); otherwise a subscriber of the
        value streamer itself, which only ever gets what follows.
        """
        if self.end_errors is not None:
            subscribers.send_terminal(observer, self.end_errors[0 if replayed else 1])
            return Disposable()
        observers = self.watchers if replayed else self.subscribers
        entry = (observer, start)
        observers.append(entry)
        return Disposable(partial(discard, observers, entry))

    def send(self, seq: int, chunk: str) -> None:
        """Deliver the chunk at ``seq`` to those following it then; one that raises is dropped."""
        for observers in (self.watchers, self.subscribers):
            for entry in tuple(observers):
                observer, start = entry
                if seq >= start and not subscribers.send(observer, chunk):
                    discard(observers, entry)

    def void(self, seq: int, error: Exception) -> None:
        """Fail the ``values()`` observers that followed it before ``seq``: a restart took back
        what they got. Those that came after read on."""
        voided = [entry for entry in self.watchers if entry[1] <= seq]
        self.watchers = [entry for entry in self.watchers if entry[1] > seq]
        for observer, _ in voided:
            subscribers.send_terminal(observer, error)

    def end_observers(self, error: Exception | None, direct: Exception | None) -> None:
        """End the ``values()`` observers with ``error`` and the value streamer's own
        subscribers with ``direct`` (``None``: completed), and later ones at once."""
        self.end_errors = (error, direct)
        # Copies: ending one disposes it, out of the very list it is in.
        watchers, self.watchers = tuple(self.watchers), []
        own, self.subscribers = tuple(self.subscribers), []
        for observer, _ in watchers:
            subscribers.send_terminal(observer, error)
        for observer, _ in own:
            subscribers.send_terminal(observer, direct)


def discard(observers: list[_T], entry: _T) -> None:
    """Take ``entry`` off ``observers``, if it is still there."""
    if entry in observers:
        observers.remove(entry)
