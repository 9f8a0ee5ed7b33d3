"""Readers of a Streamer's log: the one way every consumer, local or remote, reads it.

A :class:`LogReader` is a position in the log. It takes what is ready without
waiting (built messages, or raw chunks for a transport), tells "nothing ready
now" apart from "timed out" and from "the end", and paces the Streamer's
producers while it reads. :class:`MessageIterator` is the ``async for`` face
of one. The web transport, the Redis publisher and the display read through
these and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from ._cursor import Cursor
from ._flow import REPORT_SHIFT
from ._history import Kind, Raw
from ._loop import AsyncClosing
from .content import StreamContent, StreamInfo
from .errors import StreamerTimeoutException

if TYPE_CHECKING:
    from ._log import Log

__all__ = ["QUIET_WARNING_SECONDS", "LogReader", "MessageIterator", "RawMessage"]

#: How long a reader waits before it warns that nothing the Streamer knows of
#: could end it: no stream open, or the open ones fed by no task or thread that
#: still runs, and no producer started with :meth:`kavalai.Streamer.start` runs.
QUIET_WARNING_SECONDS = 10.0

_logger = logging.getLogger("kavalai")
_get_ident = threading.get_ident
_Read = TypeVar("_Read", StreamContent, Raw)  # what one read of the cursor gives


class RawMessage(NamedTuple):
    """A message in delta form, not built into a :class:`StreamContent`.

    Attributes:
        kind: ``"partial"``, ``"complete"`` or ``"restart"``.
        stream: The stream it belongs to; ``None`` for a restart.
        text: A partial's raw chunk, a restart's reason; ``None`` otherwise.
        seq: Its position; ``None`` inside a catch-up but for its last message.
    """

    kind: Kind
    stream: StreamInfo | None
    text: str | None
    seq: int | None


class LogReader(AsyncClosing):
    """One consumer's position in a Streamer's log, from a position on.

    Get one from :meth:`kavalai.Streamer.reader`. Use it on the Streamer's
    event loop. ``take()`` returns the next message if one is ready and
    ``None`` if not; ``await wait()`` waits until one is (``False`` if it timed
    out). After the last message ``take()`` returns ``None`` and :attr:`done`
    is true; if the Streamer failed, :attr:`error` says with what.

    From the moment it is made, the Streamer's ``max_buffer`` paces producers
    to it, so close it (``aclose()``, or leave ``async with``) when done
    reading; ``async for batch in reader`` gives the ready messages in lists
    and closes it at the end.

    A reader that starts before the messages history still keeps gets a
    catch-up: a ``restart`` message, then each stream's value so far.
    """

    def __init__(
        self, log: Log, after: int | None, delta: bool | None, *, paced: bool = True
    ) -> None:
        self._log = log
        self._cursor = Cursor(log.history, log.origin if after is None else after + 1, delta)
        self._reading = paced and log.ending is None  # joined the pacing, until it leaves
        self._done = False
        self._warned = False
        self._raised = False  # the Streamer's error, once, at the end of async for
        self._told: Callable[[int], None] | None = None  # the watcher, after each take
        if self._reading:
            log.pacing.join(self._cursor)
            if log.watcher is not None:
                self._told = log.watcher.opened(self)

    @property
    def position(self) -> int:
        """The position of the next message it reads in the log (a catch-up aside)."""
        return self._cursor.pos

    @property
    def delta(self) -> bool | None:
        """The form it reads: raw chunks (``True``), cumulative values, or each stream's own."""
        return self._cursor.delta

    @property
    def ended(self) -> bool:
        """Whether the Streamer ended: no message will be added to the log."""
        return self._log.ending is not None

    @property
    def done(self) -> bool:
        """Whether it took its last message, or was closed: every later take gives None."""
        return self._done

    @property
    def error(self) -> Exception | None:
        """The error the Streamer failed with, once it has; ``None`` otherwise."""
        return self._log.error

    @property
    def active_streams(self) -> tuple[StreamInfo, ...]:
        """The streams of the Streamer not yet complete, in the order they were registered."""
        return tuple(stream.info for stream in self._log.active.values())

    def take(self) -> StreamContent | None:
        """The next message if one is ready; ``None`` if none is, or after the last."""
        return self._take(self._cursor.read)

    def take_raw(self) -> RawMessage | None:
        """As :meth:`take`, in delta form and unbuilt: a partial's text is its raw chunk."""
        raw = self._take(self._cursor.read_raw)
        if raw is None:
            return None
        kind, stream, text, seq = raw
        return RawMessage(kind, None if stream is None else stream.info, text, seq)

    def _take(self, read: Callable[[], _Read | None]) -> _Read | None:
        """What ``read`` takes from the cursor, the pacing told; at the head, see if done."""
        if self._done:
            return None
        cursor = self._cursor
        old = cursor.pos
        taken = read()
        if taken is None:
            self._at_head()
        elif self._reading:
            new, pacing = cursor.pos, self._log.pacing
            if new >> REPORT_SHIFT != old >> REPORT_SHIFT or pacing.producers.futures:
                pacing.moved(cursor)
            if self._told is not None:
                self._told(new)
        return taken

    def take_chunks(self, stream: StreamInfo, room: int) -> list[str]:
        """The raw chunks of the partials of ``stream`` ready next, ``room`` characters' worth.

        Stops before any other message, at the head, and inside a catch-up: what
        a transport gathers behind the first chunk it took, read in one go.
        """
        if self._done:
            return []
        cursor = self._cursor
        old = cursor.pos
        chunks = cursor.read_chunks(stream, room)
        if chunks and self._reading:
            new, pacing = cursor.pos, self._log.pacing
            if new >> REPORT_SHIFT != old >> REPORT_SHIFT or pacing.producers.futures:
                pacing.moved(cursor)
            if self._told is not None:
                self._told(new)
        return chunks

    def ready(self) -> bool:
        """Whether :meth:`take` would return a message now, or find the end."""
        return self._done or self._cursor.ready() or self._log.ending is not None

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait until a message is ready for this reader, or the end is.

        Other readers coming and going never wake it early.

        Args:
            timeout: At most this many seconds; ``None`` to wait as long as it takes.

        Returns:
            ``True`` when :meth:`take` has something to say; ``False`` when the
            wait timed out.

        Raises:
            StreamerTimeoutException: the Streamer's ``timeout_seconds``, counted
                from the start of this wait, passed with no message; it names the
                streams that kept quiet.
        """
        log = self._log
        log.home.adopt()
        if self.ready():
            return True
        quiet = log.timeout_seconds
        if timeout is None and quiet is None and (self._warned or not log.cannot_end()):
            while not self.ready():  # the usual case: no timer
                await log.waiting.wait()
                if not self._warned and log.cannot_end():
                    break  # a producer ended meanwhile: from now on, watch
            else:
                return True
        loop = asyncio.get_running_loop()
        now = loop.time()
        until = None if timeout is None else now + timeout
        quiet_until = None if quiet is None else now + quiet
        warn_at: float | None = None
        while not self.ready():
            # Whether anything known could still end the Streamer changes as
            # producers come and go (each wakes the readers as it ends).
            if self._warned or not log.cannot_end():
                warn_at = None
            elif warn_at is None:
                warn_at = now + QUIET_WARNING_SECONDS
            deadlines = [d for d in (until, quiet_until, warn_at) if d is not None]
            try:
                if not deadlines:
                    await log.waiting.wait()
                else:
                    async with asyncio.timeout_at(min(deadlines)):
                        await log.waiting.wait()
            except TimeoutError:
                pass
            now = loop.time()
            if self.ready():
                break
            if until is not None and now >= until:
                return False
            if quiet is not None and quiet_until is not None and now >= quiet_until:
                raise StreamerTimeoutException(list(log.active), quiet) from None
            if warn_at is not None and now >= warn_at:
                self._warn_if_stuck()
        return True

    def close(self) -> None:
        """Stop reading: later takes give nothing, and producers no longer wait for it.

        Idempotent; ``aclose()`` and leaving ``async with`` call it.
        """
        log = self._log
        log.home.call(self._leave)
        self._done = self._raised = True
        log.home.call(log.waiting.wake)  # a task may wait on it

    async def aclose(self) -> None:
        """Stop reading; the async form of :meth:`close`."""
        self.close()

    def __aiter__(self) -> LogReader:
        return self

    async def __anext__(self) -> list[StreamContent]:
        """The messages ready now, waiting for the first; raises the Streamer's error at the end."""
        while True:
            batch: list[StreamContent] = []
            while (message := self.take()) is not None:
                batch.append(message)
            if batch:
                return batch
            if self._done:
                error = self._log.error
                if error is not None and not self._raised:
                    self._raised = True
                    raise error
                raise StopAsyncIteration
            await self.wait()

    def __del__(self) -> None:
        if self._reading:
            self._log.home.call(self._leave)

    def _at_head(self) -> None:
        """Nothing is ready: if nothing more can come, this reader is done."""
        if self._log.ending is None:
            return
        self._leave()
        self._done = True

    def _leave(self) -> None:
        if self._reading:
            self._reading = False
            self._log.pacing.leave(self._cursor)

    def _warn_if_stuck(self) -> None:
        self._warned = True
        if self._log.cannot_end():
            _logger.warning(
                "a consumer of a Streamer has waited %s s, and nothing the Streamer knows of "
                "can end it: no stream is open, or no task or thread that pushed to the open "
                "ones (%s) still runs, and no producer started with streamer.start(...) "
                "runs; start the producer with streamer.start() so the Streamer knows it, "
                "or complete every value streamer",
                QUIET_WARNING_SECONDS,
                ", ".join(self._log.active) or "none",
            )


class MessageIterator(AsyncClosing):
    """The messages of a Streamer from a position on: one independent consumer.

    Returned by :meth:`kavalai.Streamer.messages` and by ``aiter(streamer)``. It
    reads the Streamer's history at its own pace, then follows live messages,
    and ends after the Streamer's last message (raising the Streamer's error,
    once, if it failed). From the moment it is made, the Streamer's
    ``max_buffer`` paces producers to it; it stops holding them back once it
    ends, when it is closed (``aclose()``, or leaving ``async with``), or when
    it is garbage-collected, which is what happens when a loop ``break``s out
    of ``async for``. It may be read from another event loop than the
    Streamer's: each step then runs on the Streamer's loop.
    """

    def __init__(self, log: Log, after: int | None, delta: bool | None) -> None:
        self._log = log
        self._reader = LogReader(log, after, delta)
        self._error_raised = False
        self._kept: deque[StreamContent] = deque()

    def __aiter__(self) -> MessageIterator:
        return self

    async def __anext__(self) -> StreamContent:
        home = self._log.home
        if home.thread == _get_ident() or home.loop is None:
            # The common case, a message ready: taken here, with no coroutine to make.
            reader = self._reader
            if not reader._done:
                cursor = reader._cursor
                old = cursor.pos
                message = cursor.read()
                if message is not None:
                    if reader._reading:
                        new = cursor.pos
                        pacing = self._log.pacing
                        if new >> REPORT_SHIFT != old >> REPORT_SHIFT or pacing.producers.futures:
                            pacing.moved(cursor)
                        if reader._told is not None:
                            reader._told(new)
                    return message
            return await self._next()
        kept = self._kept
        if kept:  # taken on the home loop for a read given up here
            return kept.popleft()
        if home.loop is not None and home.loop.is_running():
            # Read on the Streamer's own loop, into ``kept``: should this side give
            # up waiting (a timeout), a message taken meanwhile waits there.
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._keep(), home.loop))
            return kept.popleft()
        return await self._next()

    async def _keep(self) -> None:
        self._kept.append(await self._next())

    async def _next(self) -> StreamContent:
        reader = self._reader
        while True:
            message = reader.take()
            if message is not None:
                return message
            if reader.done:
                error = reader.error
                if error is not None and not self._error_raised:
                    self._error_raised = True
                    raise error
                raise StopAsyncIteration
            await reader.wait()

    async def aclose(self) -> None:
        """Stop consuming: iteration ends and producers no longer wait for this consumer."""
        await self._reader.aclose()
        self._error_raised = True  # a closed consumer raises nothing more
