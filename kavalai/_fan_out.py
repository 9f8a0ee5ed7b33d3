"""Fan-out: a Streamer's Rx subscribers, each replayed from the first message, then live."""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import NamedTuple

from reactivex import abc
from reactivex.disposable import Disposable

from . import _subscribers as subscribers
from ._cursor import Cursor
from ._history import History
from .content import StreamContent

__all__ = ["FanOut"]


class _Subscriber(NamedTuple):
    observer: abc.ObserverBase[StreamContent]
    start: int  # the first position it gets live; it replayed those before


class FanOut:
    """The Rx subscribers of one Log, and the delivery of each message to all of them, in order.

    A subscriber that pushes from inside its callback would otherwise have its
    message overtake the one it is reacting to; such messages wait in a queue
    until the delivery under way is done.
    """

    __slots__ = ("_delivering", "_reentrant", "subscribers")

    def __init__(self) -> None:
        # Public so that a check once per message costs no call: ``if fan_out.subscribers``.
        self.subscribers: tuple[_Subscriber, ...] = ()
        # What waits its turn: a message at its position, or None for the end and its error.
        self._reentrant: deque[tuple[tuple[int, StreamContent] | None, Exception | None]] = deque()
        self._delivering = False

    def __bool__(self) -> bool:
        return bool(self.subscribers)

    def __len__(self) -> int:
        return len(self.subscribers)

    def subscribe(
        self,
        observer: abc.ObserverBase[StreamContent],
        history: History,
        ended: bool,
        error: Exception | None,
    ) -> abc.DisposableBase:
        """Replay ``history`` to ``observer``, then follow live messages unless ``ended``."""
        cursor = Cursor(history, 0, None)
        while (replayed := cursor.read()) is not None:
            if not subscribers.send(observer, replayed):
                return Disposable()
        if ended:
            subscribers.send_terminal(observer, error)
            return Disposable()
        subscriber = _Subscriber(observer, cursor.pos)
        self.subscribers = (*self.subscribers, subscriber)
        return Disposable(partial(self._unsubscribe, subscriber))

    def deliver(self, item: tuple[int, StreamContent]) -> None:
        """Deliver the message at a position to every subscriber."""
        self._in_order(item, None)

    def end(self, error: Exception | None) -> None:
        """End every subscriber: ``on_error(error)``, or ``on_completed()``, and let them go."""
        self._in_order(None, error)

    def _in_order(self, item: tuple[int, StreamContent] | None, error: Exception | None) -> None:
        if self._delivering:
            self._reentrant.append((item, error))
            return
        self._delivering = True
        try:
            self._send(item, error)
            while self._reentrant:
                self._send(*self._reentrant.popleft())
        finally:
            self._delivering = False

    def _send(self, item: tuple[int, StreamContent] | None, error: Exception | None) -> None:
        if item is None:
            ended, self.subscribers = self.subscribers, ()
            for subscriber in ended:
                subscribers.send_terminal(subscriber.observer, error)
            return
        seq, delivered = item
        for subscriber in self.subscribers:
            if seq >= subscriber.start and not subscribers.send(subscriber.observer, delivered):
                self._unsubscribe(subscriber)

    def _unsubscribe(self, subscriber: _Subscriber) -> None:
        self.subscribers = tuple(other for other in self.subscribers if other is not subscriber)
