"""Flow control: where a Streamer's iterating readers are, and the producers waiting for them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._cursor import Cursor
    from ._history import History
    from ._loop import HomeLoop

__all__ = [
    "REPORT_SHIFT",
    "YIELD_THRESHOLD",
    "Pacing",
    "Waiters",
    "validate_max_buffer",
]

#: Without a ``max_buffer``, a producer still hands the event loop to the
#: iterating readers once the slowest is this many messages behind, so a
#: producer that never suspends cannot pile up every message before they run.
YIELD_THRESHOLD = 64

#: While no producer waits, a reader tells the pacing where it is only when
#: it passes a multiple of this (a power of two): see :class:`Pacing`.
REPORT_EVERY = 64
REPORT_SHIFT = REPORT_EVERY.bit_length() - 1


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

    __slots__ = ("futures",)

    def __init__(self) -> None:
        # Public so that a check once per message costs no call: ``if waiters.futures``.
        self.futures: list[asyncio.Future[None]] = []

    def __bool__(self) -> bool:
        return bool(self.futures)

    def __len__(self) -> int:
        return len(self.futures)

    async def wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self.futures.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self.futures:
                self.futures.remove(waiter)

    def wake(self, count: int | None = None) -> None:
        """Wake every waiter, or the ``count`` that waited longest."""
        if not self.futures:  # the usual case, once per message: nobody waits
            return
        if count is None:
            futures, self.futures = self.futures, []
        else:
            futures, self.futures = self.futures[:count], self.futures[count:]
        for waiter in futures:
            if not waiter.done():
                waiter.set_result(None)


class Pacing:
    """The iterating readers of a History, the slowest one, and producers waiting for it.

    Producers are paced to the slowest reader that iterates: with ``max_buffer``
    they wait while it is that many messages behind; without, they hand the
    event loop over once it is :data:`YIELD_THRESHOLD` behind.

    Readers tell where they are (:meth:`moved`) once in :data:`REPORT_EVERY`
    messages, and at every move while a producer waits for room, so reading a
    message mostly costs no call. :attr:`slowest` is the slowest position
    told (:attr:`Cursor.told`): never ahead of the slowest reader, and exact
    while a producer waits. Tracking it costs O(1) per report: only the last
    reader to leave the slowest position looks for the next one. When it says
    a producer should wait, :meth:`refresh` first looks at every reader.
    """

    __slots__ = (
        "_at_slowest",
        "_history",
        "_settled",
        "limit",
        "max_buffer",
        "producers",
        "readers",
        "slowest",
        "value_readers",
    )

    def __init__(self, history: History, max_buffer: int | None) -> None:
        self._history = history
        self.max_buffer = max_buffer
        self.limit = YIELD_THRESHOLD if max_buffer is None else max_buffer
        self.readers: set[Cursor] = set()
        # How many readers take cumulative values (all but delta=True): while
        # any does, a push builds its value at once, forwards, for all of them.
        self.value_readers = 0
        self.slowest: int | None = None  # the slowest position told; None once ended
        self._at_slowest = 0  # how many readers told it
        self._settled = 0  # how far history was released and trimmed for the readers
        self.producers = Waiters()

    @property
    def congested(self) -> bool:
        """Whether the next push should first let the slowest reader catch up."""
        slowest = self.slowest
        if slowest is None or self._history.head - slowest < self.limit:
            return False
        self.refresh()
        slowest = self.slowest
        return slowest is not None and self._history.head - slowest >= self.limit

    @property
    def backlog(self) -> int:
        """How many messages the slowest reader is behind the head."""
        readers = self.readers
        return self._history.head - min(reader.pos for reader in readers) if readers else 0

    @property
    def waiting_producers(self) -> int:
        return len(self.producers)

    async def wait_for_room(self) -> None:
        """Wait until the slowest reader has caught up (or, unbounded, yield once)."""
        if self.max_buffer is None:
            await asyncio.sleep(0)
            return
        while self.congested:
            try:
                await self.producers.wait()
            except asyncio.CancelledError:
                if not self.congested:
                    self.producers.wake(1)  # it may have been woken: pass the room on
                raise

    def join(self, reader: Cursor) -> None:
        self.readers.add(reader)
        if reader.delta is not True:
            self.value_readers += 1
        pos = reader.told = reader.pos
        if self.slowest is None or pos < self.slowest:
            self.slowest, self._at_slowest = pos, 1
        elif pos == self.slowest:
            self._at_slowest += 1

    def leave(self, reader: Cursor) -> None:
        if reader not in self.readers:
            return
        self.readers.remove(reader)
        if reader.delta is not True:
            self.value_readers -= 1
        self._passed(reader.told)

    def moved(self, reader: Cursor) -> None:
        """``reader`` read on: it tells its position (see the class's description)."""
        old, reader.told = reader.told, reader.pos
        if old != reader.told:
            self._passed(old)

    def refresh(self) -> None:
        """Look at every reader: each has told where it is now."""
        readers = self.readers
        for reader in readers:
            reader.told = reader.pos
        if self.slowest is not None:
            self._find_slowest()

    def _passed(self, old: int) -> None:
        """A reader that had told position ``old`` is no longer there."""
        if old != self.slowest:
            return  # not the slowest, or the log ended: what it keeps stays for later readers
        self._at_slowest -= 1
        if not self._at_slowest:
            self._find_slowest()

    def _find_slowest(self) -> None:
        readers = self.readers
        if len(readers) == 1:
            (only,) = readers
            slowest = only.told
            self._at_slowest = 1
        elif readers:
            slowest = min(reader.told for reader in readers)
            self._at_slowest = sum(1 for reader in readers if reader.told == slowest)
        else:
            slowest = self._history.head
        self.slowest = slowest if readers else None
        self._settle(slowest)

    def _settle(self, slowest: int) -> None:
        """Release and trim what no reader needs any more; let waiting producers on."""
        history = self._history
        history.release(self._settled, slowest)
        history.trim(slowest)
        self._settled = slowest
        if self.producers:
            room = self.limit - (history.head - slowest)
            if room > 0:
                self.producers.wake(room)

    async def pace(self, home: HomeLoop) -> None:
        """Wait, before a push, while the slowest reader is too far behind.

        From a thread other than ``home``'s, the wait runs on the home loop.
        """
        if not self.congested:
            return
        home.adopt()
        if not home.foreign():
            await self.wait_for_room()
        elif self.max_buffer is not None and home.loop is not None:
            room = asyncio.run_coroutine_threadsafe(self.wait_for_room(), home.loop)
            await asyncio.wrap_future(room)

    def block(self, home: HomeLoop, loop: asyncio.AbstractEventLoop) -> None:
        """Pace a producer on another thread: block it until the slowest reader caught up."""
        slowest = self.slowest
        if slowest is None or self._history.head + len(home.queue) - slowest < self.limit:
            return
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(self.wait_for_room(), loop).result()

    def wake_all(self) -> None:
        """Wake every waiting producer for good: the Streamer ended or closed."""
        self.slowest = None
        self.producers.wake()
