"""RecordReader: a Streamer's messages after a position, as wire records."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ._record import MAX_RECORD_TEXT, MAX_RECORDS, Record

if TYPE_CHECKING:
    from ..content import StreamInfo
    from ..reader import RawMessage
    from ..streamer import Streamer

__all__ = ["RecordReader"]


class RecordReader:
    """Reads a Streamer's messages after a position as wire records.

    An independent consumer (see :meth:`kavalai.Streamer.messages`): it paces
    the Streamer's producers like any iterating consumer, and lets go when
    closed (``paced=False``: a look at what is there now, from any thread; see
    :meth:`kavalai.Streamer.reader`). Messages that are ready together are
    gathered into few records.
    """

    def __init__(self, streamer: Streamer, after: int | None = None, *, paced: bool = True) -> None:
        self._reader = streamer.reader(after=after, delta=True, paced=paced)
        self._announced: set[int] = set()  # the serials of the streams announced
        self._held: RawMessage | None = None
        self._final: Record | None = None  # the end or error, once the messages ran out
        self._loop: asyncio.AbstractEventLoop | None = None
        self.done = False

    async def read(
        self, timeout: float | None = None, linger: float = 0.0, limit: int = MAX_RECORDS
    ) -> list[Record]:
        """The records ready now (``limit`` at most), waiting ``timeout`` seconds for the first.

        With ``linger``, once a message is ready it waits that many seconds more
        so that the messages pushed meanwhile travel in the same records: a
        little latency for far fewer bytes and writes when chunks are small.
        Returns an empty list only when the wait timed out (other readers coming
        and going never end it early), and after the last record (``end`` or
        ``error``); then :attr:`done` is true.
        """
        if self.done:
            return []
        if self._held is None and self._final is None:
            self._held = self._next_ready()
            if self._held is None and self._final is None:
                try:
                    if not await self._reader.wait(timeout):
                        return []
                except Exception as error:  # the Streamer's own timeout_seconds, say
                    self._final = Record.failure(error)
        if linger > 0 and self._final is None:
            await self._sleep(linger)
        return self.read_ready(limit)

    def read_ready(self, limit: int = MAX_RECORDS) -> list[Record]:
        """The records ready now (``limit`` at most), without waiting; the end once it is there.

        For a reader that looks once, such as a repr: ``[]`` when nothing is ready.
        """
        records: list[Record] = []
        while len(records) < limit and (raw := self._next_ready()) is not None:
            stream = raw.stream
            if stream is not None and stream.serial not in self._announced:
                self._announced.add(stream.serial)
                records.append(
                    Record(
                        "stream",
                        name=stream.name,
                        delta=stream.delta,
                        structured=stream.structured,
                        serial=stream.serial,
                    )
                )
            records.append(self._record(raw))
        if self._held is None and self._final is not None:
            records.append(self._final)
            self.done = True
        return records

    async def _sleep(self, seconds: float) -> None:
        """``asyncio.sleep`` on the loop of the first read.

        Python 3.11 makes a system call each time it looks up the running loop,
        which ``asyncio.sleep`` does; a server lingers once per write.
        """
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        woken = loop.create_future()
        timer = loop.call_later(seconds, _wake, woken)
        try:
            await woken
        finally:
            timer.cancel()

    @property
    def active_streams(self) -> tuple[StreamInfo, ...]:
        """The streams of the Streamer not yet complete (see :class:`~kavalai.reader.LogReader`)."""
        return self._reader.active_streams

    def close(self) -> None:
        """Stop reading: producers no longer wait for this reader. Idempotent."""
        self.done = True
        self._reader.close()

    async def aclose(self) -> None:
        """Stop reading; the async form of :meth:`close`."""
        self.close()

    def _record(self, raw: RawMessage) -> Record:
        kind, stream, text, seq = raw
        if stream is None:
            return Record("restart", seq, value=text)
        if kind == "complete":
            return Record("complete", seq, stream.name)
        chunks = [text or ""]
        if seq is not None:  # gather what follows on the same stream
            chunks += self._reader.take_chunks(stream, MAX_RECORD_TEXT - len(chunks[0]))
        return Record("partial", seq, stream.name, tuple(chunks))

    def _next_ready(self) -> RawMessage | None:
        """The next ready message; None when it has to wait or ran out."""
        if self._held is not None:
            held, self._held = self._held, None
            return held
        if self._final is not None:
            return None
        reader = self._reader
        raw = reader.take_raw()
        if raw is None and reader.done:
            error = reader.error
            self._final = Record("end") if error is None else Record.failure(error)
        return raw


def _wake(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():  # a cancelled sleep
        sleeper.set_result(None)
