"""The wire record: what a Streamer's message looks like outside the process.

One definition, shared by the web transport, the Redis log and the client that
rebuilds a Streamer in another process. Every stream travels as its raw chunks,
whatever its mode, so an answer of n bytes costs O(n) bytes on the wire rather
than one cumulative copy per chunk; each stream is announced with its mode once
per connection, so the receiving side rebuilds exactly the messages a local
consumer would see (cumulative values and JSON snapshots included).

A record is one JSON object:

=========  ==================================================================
kind       fields
=========  ==================================================================
stream     ``name``, ``delta``, ``structured``, ``serial``: a stream's mode,
           before its first message on this connection; ``serial`` tells a
           new stream of a name already used from the same one announced again
partial    ``seq``, ``name``, ``chunks``: consecutive partial messages of one
           stream at positions ``seq``, ``seq + 1``, ... (raw chunks)
complete   ``seq``, ``name``
restart    ``seq``, ``value``: consumers drop what they accumulated
end        the Streamer ended (every stream completed, or it was closed)
error      ``type``, ``message``: the Streamer failed with that exception
=========  ==================================================================

``seq`` is ``null`` for the messages of a catch-up but its last, as in
:attr:`kavalai.StreamContent.seq`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel

from ._json import compact_json
from .errors import RemoteStreamError

if TYPE_CHECKING:
    from .content import StreamInfo
    from .reader import RawMessage
    from .streamer import Streamer
    from .value_streamer import ValueStreamer

__all__ = ["Record", "RecordKind", "RecordReader", "Replica", "StructuredValue"]

RecordKind = Literal["stream", "partial", "complete", "restart", "end", "error"]
_KINDS = frozenset(("stream", "partial", "complete", "restart", "end", "error"))

#: How much chunk text one partial record gathers at most.
MAX_RECORD_TEXT = 32 * 1024
#: How many records one read returns at most.
MAX_RECORDS = 64


@dataclass(frozen=True, slots=True)
class Record:
    """One wire record; see the module docstring for the fields of each kind."""

    kind: RecordKind
    seq: int | None = None
    name: str | None = None
    chunks: tuple[str, ...] = ()
    value: str | None = None  # a restart's reason, an error's message
    delta: bool = False
    structured: bool = False
    error_type: str | None = None
    serial: int | None = None  # which stream of its Streamer a "stream" record announces

    @property
    def last_seq(self) -> int | None:
        """The position of the last message the record carries, if it has one."""
        if self.seq is not None and self.chunks:
            return self.seq + len(self.chunks) - 1
        return self.seq

    def to_json(self) -> str:
        """The compact JSON text of the record."""
        kind = self.kind
        fields: dict[str, object] = {"kind": kind}
        if kind == "stream":
            fields.update(name=self.name, delta=self.delta, structured=self.structured)
            if self.serial is not None:
                fields["serial"] = self.serial
        elif kind == "partial":
            fields.update(seq=self.seq, name=self.name, chunks=self.chunks)
        elif kind == "complete":
            fields.update(seq=self.seq, name=self.name)
        elif kind == "restart":
            fields.update(seq=self.seq, value=self.value)
        elif kind == "error":
            fields.update(type=self.error_type, message=self.value)
        return compact_json(fields)

    @classmethod
    def failure(cls, error: BaseException) -> Record:
        """The ``error`` record of a Streamer that failed with ``error``."""
        return cls("error", value=str(error), error_type=type(error).__name__)

    @classmethod
    def from_json(cls, text: str | bytes) -> Record:
        """Parse a record.

        Raises:
            ValueError: the text is not a record of a known kind with its fields.
        """
        try:
            fields = json.loads(text)
            kind = fields["kind"]
            if kind not in _KINDS:
                raise ValueError(f"unknown kind {kind!r}")
            seq = fields.get("seq")
            if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
                raise ValueError(f"seq must be an int or null, got {seq!r}")
            chunks = tuple(fields.get("chunks", ()))
            if not all(isinstance(chunk, str) for chunk in chunks):
                raise ValueError("chunks must be strings")
            if kind in ("stream", "partial", "complete") and not isinstance(fields["name"], str):
                raise ValueError("name must be a string")
            return cls(
                kind=cast(RecordKind, kind),
                seq=seq,
                name=fields.get("name"),
                chunks=chunks,
                value=fields.get("message") if kind == "error" else fields.get("value"),
                delta=bool(fields.get("delta", False)),
                structured=bool(fields.get("structured", False)),
                error_type=fields.get("type"),
                serial=_optional_int(fields.get("serial")),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"not a kavalai wire record: {text[:80]!r} ({error})") from error


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"serial must be an int, got {value!r}")
    return value


class RecordReader:
    """Reads a Streamer's messages after a position as wire records.

    An independent consumer (see :meth:`kavalai.Streamer.messages`): it paces
    the Streamer's producers like any iterating consumer, and lets go when
    closed. Messages that are ready together are gathered into few records.
    """

    def __init__(self, streamer: Streamer, after: int | None = None) -> None:
        self._reader = streamer.reader(after=after, delta=True)
        self._announced: set[StreamInfo] = set()
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
            if stream is not None and stream not in self._announced:
                self._announced.add(stream)
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


class StructuredValue(BaseModel):
    """The model of a structured stream rebuilt from the wire.

    The producer's own model class does not travel; the rebuilt stream is
    structured all the same, and consumers validate with their own models
    (``streamer.values(name).pipe(typed_partials(Answer))``).
    """


class Replica:
    """Applies wire records to a local Streamer, rebuilding the remote one's messages.

    Run the task that applies records as a producer started on the Streamer
    (``streamer.start(...)``), so the Streamer does not end between one remote
    stream completing and the next one appearing.

    Attributes:
        last_seq: The remote position of the last message applied, for resuming
            after it; ``None`` before any.
    """

    def __init__(self, streamer: Streamer) -> None:
        self.streamer = streamer
        self.last_seq: int | None = None
        self._active: dict[str, ValueStreamer] = {}
        self._modes: dict[str, tuple[bool, bool]] = {}
        self._serials: dict[str, int | None] = {}  # of the remote streams now active here

    async def stop(self, follower: asyncio.Future[Any]) -> None:
        """Close the local Streamer, then cancel ``follower``, the task applying records.

        For when its reader leaves: nothing is applied after this returns. The
        Streamer is closed first, so its other consumers see it closed rather
        than failed by the cancelled follower.
        """
        self.streamer.close()
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)

    async def apply(self, record: Record) -> bool:
        """Apply one record; False once the remote Streamer ended (``end`` or ``error``)."""
        kind, name, streamer = record.kind, record.name, self.streamer
        if kind == "stream":
            assert name is not None
            self._modes[name] = (record.delta, record.structured)
            active = self._active.get(name)
            if active is not None and self._serials.get(name) != record.serial:
                active.retire()  # the remote one was replaced (a retry)
                del self._active[name]
            self._serials[name] = record.serial
        elif kind == "partial":
            value_streamer = self._stream(name)
            for chunk in record.chunks:
                await value_streamer.stream_partial(chunk)
        elif kind == "complete":
            await self._stream(name).stream_complete()
            self._active.pop(name or "", None)
        elif kind == "restart":
            await streamer.stream_restart(record.value)
            if record.seq is None:  # a catch-up: every stream comes again, whole
                streamer.reset_active()
                self._active.clear()
        elif kind == "error":
            await streamer.stream_error(
                RemoteStreamError(record.error_type or "Exception", record.value or "")
            )
            return False
        else:
            if self._active:  # the remote one was closed with streams open: so is this one
                streamer.close()
            return False
        last = record.last_seq
        if last is not None:
            self.last_seq = last
        return True

    def _stream(self, name: str | None) -> ValueStreamer:
        assert name is not None
        value_streamer = self._active.get(name)
        if value_streamer is None:
            mode = self._modes.get(name)
            if mode is None:
                raise ValueError(
                    f"wire record for stream {name!r} before its 'stream' record; the sender "
                    "must announce each stream's mode first"
                )
            delta, structured = mode
            value_streamer = self._active[name] = self.streamer.get_value_streamer(
                name, stream_delta=delta, response_model=StructuredValue if structured else None
            )
        return value_streamer
