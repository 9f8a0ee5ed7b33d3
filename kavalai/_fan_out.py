"""Fan-out: every delivery to a Streamer's consumers, in the order of its log.

Rx subscribers of the Streamer (each replayed from the first message, then
live), and the observers of one stream's chunks and end, all receive through
one queue, so a callback that pushes, completes or restarts from inside its
callback never has what it caused overtake what it is reacting to.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from reactivex import abc
from reactivex.disposable import Disposable

from . import _subscribers as subscribers
from ._cursor import Cursor
from ._history import History
from ._stream import Stream
from .content import StreamContent

__all__ = ["FanOut"]


class _Subscriber(NamedTuple):
    observer: abc.ObserverBase[StreamContent]
    start: int  # the first position it gets live; it replayed those before


class FanOut:
    """The Rx subscribers of one Log, and the queue every delivery of the Log goes through.

    A delivery asked for while another is under way (from inside a callback)
    waits its turn, after the one under way and all queued before it.
    """

    __slots__ = ("_delivering", "_queue", "subscribers")

    def __init__(self) -> None:
        # Public so that a check once per message costs no call: ``if fan_out.subscribers``.
        self.subscribers: tuple[_Subscriber, ...] = ()
        self._queue: deque[tuple[Callable[..., None], tuple[object, ...]]] = deque()
        self._delivering = False

    def __len__(self) -> int:
        return len(self.subscribers)

    def subscribe(
        self,
        observer: abc.ObserverBase[StreamContent],
        history: History,
        origin: int,
        ended: bool,
        error: Exception | None,
    ) -> abc.DisposableBase:
        """Replay ``history`` from ``origin`` to ``observer``, then follow live messages
        unless ``ended``."""
        cursor = Cursor(history, origin, None)
        while (replayed := cursor.read()) is not None:
            if not subscribers.send(observer, replayed):
                return Disposable()
        if ended:
            subscribers.send_terminal(observer, error)
            return Disposable()
        subscriber = _Subscriber(observer, cursor.pos)
        self.subscribers = (*self.subscribers, subscriber)
        return Disposable(partial(self._unsubscribe, subscriber))

    def deliver(
        self, seq: int, built: StreamContent | None, stream: Stream | None, chunk: str | None
    ) -> None:
        """The message at ``seq`` to every subscriber (if built), then its chunk to ``stream``'s."""
        self.later(self._deliver, seq, built, stream, chunk)

    def end(self, error: Exception | None) -> None:
        """End every subscriber: ``on_error(error)``, or ``on_completed()``, and let them go."""
        self.later(self._end, error)

    def later(self, delivery: Callable[..., None], *args: object) -> None:
        """Run ``delivery(*args)`` now, or after the delivery under way and those queued."""
        if self._delivering:
            self._queue.append((delivery, args))
            return
        self._delivering = True
        try:
            delivery(*args)
            queue = self._queue
            while queue:
                queued, queued_args = queue.popleft()
                queued(*queued_args)
        finally:
            self._delivering = False

    def _deliver(
        self, seq: int, built: StreamContent | None, stream: Stream | None, chunk: str | None
    ) -> None:
        if built is not None:
            for subscriber in self.subscribers:
                if seq >= subscriber.start and not subscribers.send(subscriber.observer, built):
                    self._unsubscribe(subscriber)
        if stream is not None and chunk is not None:
            stream.send(seq, chunk)

    def _end(self, error: Exception | None) -> None:
        ended, self.subscribers = self.subscribers, ()
        for subscriber in ended:
            subscribers.send_terminal(subscriber.observer, error)

    def _unsubscribe(self, subscriber: _Subscriber) -> None:
        self.subscribers = tuple(other for other in self.subscribers if other is not subscriber)
