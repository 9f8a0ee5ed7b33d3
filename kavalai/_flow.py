"""The buffer between a Streamer's producers and its iterating consumers."""

from __future__ import annotations

import asyncio
from collections import deque

from .content import StreamContent

__all__ = ["MessageBuffer", "Waiters", "validate_max_buffer"]

#: Without a ``max_buffer``, a producer still hands the event loop to an
#: iterating consumer once this many messages wait, so a producer that never
#: suspends cannot pile up every cumulative value before the consumer runs.
YIELD_THRESHOLD = 64


def validate_max_buffer(max_buffer: object) -> int | None:
    """Return ``max_buffer`` if it is a positive int or None, else raise ValueError."""
    if max_buffer is None:
        return None
    if isinstance(max_buffer, bool) or not isinstance(max_buffer, int) or max_buffer < 1:
        raise ValueError(
            f"max_buffer must be a positive int, or None for no limit; got {max_buffer!r}"
        )
    return max_buffer


class Waiters:
    """Tasks waiting for something to happen; :meth:`wake` releases them all.

    A waiter that is cancelled loses nothing: what it waited for stays where it
    was, for the next wait.
    """

    __slots__ = ("_futures",)

    def __init__(self) -> None:
        self._futures: list[asyncio.Future[None]] = []

    def __bool__(self) -> bool:
        return bool(self._futures)

    async def wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._futures.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._futures:
                self._futures.remove(waiter)

    def wake(self) -> None:
        futures, self._futures = self._futures, []
        for waiter in futures:
            if not waiter.done():
                waiter.set_result(None)


class MessageBuffer:
    """Messages waiting for an iterating consumer, and the tasks waiting on them.

    Producers wait for room only while a consumer iterates: before the first
    consumer arrives, waiting could never end when the producer and the consumer
    are one task (push everything, then iterate), so messages are kept instead.
    """

    __slots__ = ("_consumers", "_limit", "_producers", "iterating", "max_buffer", "queue")

    def __init__(self, max_buffer: int | None) -> None:
        self.queue: deque[StreamContent] = deque()
        self.max_buffer = max_buffer
        self.iterating = False
        self._limit = YIELD_THRESHOLD if max_buffer is None else max_buffer
        self._consumers = Waiters()
        self._producers: deque[asyncio.Future[None]] = deque()

    @property
    def congested(self) -> bool:
        """Whether the next push should first let the consumer catch up."""
        return self.iterating and len(self.queue) >= self._limit

    @property
    def waiting_producers(self) -> int:
        return len(self._producers)

    async def wait_for_room(self) -> None:
        """Wait until the consumer has taken enough (or, unbounded, yield once)."""
        if self.max_buffer is None:
            await asyncio.sleep(0)
            return
        while self.congested:
            waiter = asyncio.get_running_loop().create_future()
            self._producers.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_producer()  # pass the room on to the next producer
                raise
            finally:
                if waiter in self._producers:
                    self._producers.remove(waiter)

    def put(self, message: StreamContent) -> None:
        self.queue.append(message)
        if self._consumers:
            self._consumers.wake()

    def take(self) -> StreamContent:
        message = self.queue.popleft()
        if self._producers:
            self._wake_producer()
        return message

    async def wait_for_message(self) -> None:
        """Wait until a message is put or everyone is woken; cancelling loses nothing."""
        await self._consumers.wait()

    def wake_all(self) -> None:
        """Wake everyone for good: the Streamer ended or closed, so nobody should wait."""
        self.iterating = False
        self._consumers.wake()
        while self._producers:
            waiter = self._producers.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _wake_producer(self) -> None:
        while self._producers and len(self.queue) < self._limit:
            waiter = self._producers.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
