"""A Streamer's consumers: async iterators over its history, and the values of one stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import Disposable

from . import _subscribers as subscribers
from ._history import Cursor, Raw, Stream
from ._loop import AsyncClosing
from .content import StreamContent

if TYPE_CHECKING:
    from .streamer import Streamer

__all__ = [
    "MessageIterator",
    "StreamValues",
    "completed",
    "end_watchers",
    "failed",
    "stream_name",
    "values_of",
]

_Read = TypeVar("_Read", StreamContent, Raw)  # what a read of the history gives


class MessageIterator(AsyncClosing):
    """The messages of a Streamer from a position on: one independent consumer.

    Returned by :meth:`kavalai.Streamer.messages` and by ``aiter(streamer)``. It
    reads the Streamer's history at its own pace, then follows live messages,
    and ends after the Streamer's last message (raising the Streamer's error,
    once, if it failed). From the moment it is made, the Streamer's
    ``max_buffer`` paces producers to it; it stops holding them back once it
    ends, when it is closed
    (``aclose()``, or leaving ``async with``), or when it is garbage-collected,
    which is what happens when a loop ``break``s out of ``async for``.
    """

    def __init__(self, streamer: Streamer, after: int | None, delta: bool | None) -> None:
        self._streamer = streamer
        self._cursor = Cursor(streamer._history, 0 if after is None else after + 1, delta)
        self._reading = streamer._ending is None
        self._closed = False
        self._error_raised = False
        if self._reading:
            streamer._pacing.join(self._cursor)

    def __aiter__(self) -> MessageIterator:
        return self

    async def __anext__(self) -> StreamContent:
        home = self._streamer._home
        if home.foreign() and home.loop is not None and home.loop.is_running():
            # Read on the Streamer's own loop; this one waits for the answer.
            read = asyncio.run_coroutine_threadsafe(self._next(), home.loop)
            return await asyncio.wrap_future(read)
        return await self._next()

    async def _next(self) -> StreamContent:
        while True:
            message = self._take_ready()
            if message is not None:
                return message
            await self._streamer._wait_for_message()

    def _take_ready(self) -> StreamContent | None:
        """The next message if one is ready, None if it has to wait for one.

        Raises:
            StopAsyncIteration: the Streamer ended and every message was taken.
            Exception: the Streamer's error, once, after its last message.
        """
        return self._take(self._cursor.read)

    def _take_raw(self) -> Raw | None:
        """As :meth:`_take_ready`, the message unbuilt, for an iterator made with ``delta=True``."""
        return self._take(self._cursor.read_raw)

    def _take(self, read: Callable[[], _Read | None]) -> _Read | None:
        if self._closed:
            raise StopAsyncIteration
        cursor = self._cursor
        old = cursor.pos
        taken = read()
        if taken is not None:
            if self._reading and cursor.pos != old:
                self._streamer._pacing.moved(old)
            return taken
        self._at_head()
        return None

    def _take_chunks(self, stream: Stream, room: int) -> list[str]:
        """The raw chunks of the partials of ``stream`` ready next (see ``Cursor.read_chunks``)."""
        cursor = self._cursor
        if self._closed:
            return []
        old = cursor.pos
        chunks = cursor.read_chunks(stream, room)
        if chunks and self._reading:
            self._streamer._pacing.moved(old)
        return chunks

    def _at_head(self) -> None:
        """Nothing is ready: return if more may come, else end this iterator.

        Raises:
            StopAsyncIteration: the Streamer ended and every message was taken.
            Exception: the Streamer's error, once, after its last message.
        """
        streamer = self._streamer
        if streamer._ending is None and self._reading:
            return
        self._leave()
        error = streamer._error
        if error is not None and not self._error_raised:
            self._error_raised = True
            raise error
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop consuming: iteration ends and producers no longer wait for this consumer."""
        self._streamer._home.call(self._leave)
        self._closed = True
        self._streamer._home.call(self._streamer._waiting.wake)  # a task may wait on it

    def __del__(self) -> None:
        if self._reading:
            self._streamer._home.call(self._leave)

    def _leave(self) -> None:
        if self._reading:
            self._reading = False
            self._streamer._pacing.leave(self._cursor)


class StreamValues(Observable[str]):
    """The chunks of one named stream, so that an operator reading them can name it in errors."""

    def __init__(self, name: str, subscribe: Callable[..., abc.DisposableBase]) -> None:
        super().__init__(subscribe)
        self.name = name


def stream_name(source: Observable[str]) -> str:
    """The name of the stream ``source`` reads, if it is one's values, else ``"value"``."""
    return source.name if isinstance(source, StreamValues) else "value"


def values_of(streamer: Streamer, name: str) -> Observable[str]:
    """The observable behind :meth:`kavalai.Streamer.values`."""

    def subscribe(
        observer: abc.ObserverBase[str], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        stream = streamer._by_name.get(name)
        if stream is None or stream.retired:  # follow the next stream of that name
            if streamer._ending is not None:
                observer.on_error(_never_registered(name))
                return Disposable()
            waiting = streamer._awaiting_values.setdefault(name, [])
            waiting.append(observer)
            return Disposable(partial(_discard, waiting, observer))
        history = streamer._history
        streams, chunks, offset = history.streams, history.chunks, history.offset
        # A stream that went on after a restart gives its chunks since: the
        # ones before were taken back.
        restart = stream.last_restart
        if restart < offset and stream.base_chunks:  # trimmed: joined into one
            observer.on_next(stream.text.slice(stream.base_from, stream.base_end))
        stop = len(streams) if stream.end is None else stream.end - offset
        for index in range(max(stream.first, restart + 1, offset) - offset, stop):
            chunk = chunks[index]
            if streams[index] is stream and chunk is not None:
                observer.on_next(chunk)
        ended = stream.ended
        if ended is not None:
            ended(observer)
            return Disposable()
        stream.watchers.append(observer)
        return Disposable(partial(_discard, stream.watchers, observer))

    return StreamValues(name, subscribe)


def _discard(observers: list[abc.ObserverBase[str]], observer: abc.ObserverBase[str]) -> None:
    if observer in observers:
        observers.remove(observer)


def _never_registered(name: str) -> ValueError:
    return ValueError(
        f"the Streamer ended without a value streamer named {name!r}; check the name "
        "passed to values()"
    )


def end_watchers(stream: Stream, ended: Callable[[abc.ObserverBase[str]], None]) -> None:
    """End the values observers of ``stream`` and let later ones end at once too."""
    stream.ended = ended
    watchers, stream.watchers = stream.watchers, []
    for observer in tuple(watchers):  # ending one disposes it, out of this very list
        ended(observer)


def completed(observer: abc.ObserverBase[str]) -> None:
    subscribers.send_terminal(observer, None)


def failed(error: Exception) -> Callable[[abc.ObserverBase[str]], None]:
    return partial(_fail, error)


def _fail(error: Exception, observer: abc.ObserverBase[str]) -> None:
    subscribers.send_terminal(observer, error)
