"""A Streamer's history: every message at its position, kept compactly.

What is kept per message is the raw chunk the producer pushed and the stream it
belongs to; a message's value, in either mode, is derived from that. So a
cumulative value is never kept as one string per message: each stream keeps its
raw text once, and a built message is shared by the consumers that read it at
about the same time, then dropped.

The latest ``keep`` messages stay for exact replay. Older ones are folded into
each stream's state at the trim point; a reader that starts before that point
gets a ``restart`` message and then each stream's value so far (the catch-up),
from which it reconstructs every value exactly. Messages a reader still has to
take are never trimmed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Literal

from reactivex import abc

from ._text import Text, Values, values_of
from .content import _SEQ, StreamContent, StreamInfo, message

__all__ = ["Cursor", "History", "Kind", "Raw", "Stream"]

Kind = Literal["partial", "complete", "restart"]

#: A message in delta form before it is built: kind, stream (None for a restart),
#: the text it carries (its raw chunk, or a restart's reason) and its position.
Raw = tuple[Kind, "Stream | None", "str | None", "int | None"]


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


Builders = dict[Stream, Values]


class History:
    """Every message of a Streamer by position, trimmed to the latest ``keep``.

    Messages are kept field by field, a list per field, rather than as an
    object each: a server holding thousands of answers of hundreds of messages
    then gives the garbage collector a few lists to walk per answer instead of
    an object per message. Index ``i`` of every list is position ``offset + i``.
    """

    __slots__ = (
        "_base",
        "_batch",
        "_live",
        "chunks",
        "ends",
        "head",
        "keep",
        "kinds",
        "messages",
        "offset",
        "streams",
    )

    def __init__(self, keep: int | None) -> None:
        self.kinds: list[Kind] = []
        self.streams: list[Stream | None] = []  # None for a restart
        self.chunks: list[str | None] = []  # the raw chunk; None but for a partial
        self.ends: list[int] = []  # the length of the stream's text after the message
        self.messages: list[StreamContent | None] = []  # the message, once built
        self.offset = 0  # the position of the first message kept
        self.head = 0  # the position the next message will get
        self.keep = keep
        # Trim in batches, so each message is folded in O(1).
        self._batch = 0 if keep is None else max(keep // 8, 64)
        self._base: dict[Stream, None] = {}  # streams of trimmed messages, since a restart
        self._live: Builders = {}  # values of the messages built as they are pushed

    def __len__(self) -> int:
        """How many messages are kept."""
        return len(self.kinds)

    def append(
        self,
        kind: Kind,
        stream: Stream | None,
        chunk: str | None,
        end: int,
        built: StreamContent | None,
        subscribed: bool,
        cumulative: bool,
    ) -> StreamContent | None:
        """Add a message; build it now if someone will read it at once, and return it then.

        Rx subscribers (``subscribed``) get every message as it is pushed. For
        iterating readers of cumulative values (``cumulative``) only those are
        built now, forwards and once for all of them; a delta message is built
        by the first reader that takes it, so readers of raw chunks (the wire)
        never pay for building one, nor the garbage collector for keeping it.
        """
        seq = self.head
        self.head = seq + 1
        self.kinds.append(kind)
        self.streams.append(stream)
        self.chunks.append(chunk)
        self.ends.append(end)
        self.messages.append(built)
        if stream is None:  # a restart, built: values go on afresh after it
            self._live.clear()
            return built
        if built is not None:
            return built
        if stream.delta:
            if subscribed:
                built = self.messages[-1] = StreamContent(type=kind, name=stream.name, value=chunk)
                _SEQ.__set__(built, seq)
        elif subscribed or cumulative:
            built = self.messages[-1] = self.render(seq, None, self._live)
        return built

    def render(self, seq: int, delta: bool | None, builders: Builders) -> StreamContent:
        """The message at ``seq`` in a mode (``None``: its stream's own)."""
        index = seq - self.offset
        stream, built = self.streams[index], self.messages[index]
        if stream is None or (built is not None and delta in (None, stream.delta)):
            assert built is not None  # a restart is built when it is pushed
            return built
        kind, name = self.kinds[index], stream.name
        if stream.delta if delta is None else delta:
            built = StreamContent(type=kind, name=name, value=self.chunks[index])
            _SEQ.__set__(built, seq)
            if delta in (None, stream.delta):
                self.messages[index] = built  # small: kept for the next reader
            return built
        values = builders.get(stream)
        if values is None:
            values = builders[stream] = _values(stream, stream.start_at(seq)[0])
        end = self.ends[index]
        if kind == "partial":
            return message(kind, name, values.partial(end), seq)
        del builders[stream]
        # A stream that got no chunk (since a restart it went on after) has no value.
        final = values.complete(end) if stream.pushed_since_start(seq) else None
        return message(kind, name, final, seq)

    def release(self, start: int, end: int) -> None:
        """Drop the messages built for positions ``start`` to ``end``, which every reader passed.

        A later reader of them (one that resumes there) builds them again from
        what is kept; restarts stay, as they come built.
        """
        streams, messages, offset = self.streams, self.messages, self.offset
        for index in range(max(start, offset) - offset, end - offset):
            if streams[index] is not None:
                messages[index] = None

    def trim(self, needed: int) -> None:
        """Fold messages older than the latest ``keep``, but none before ``needed``."""
        keep = self.keep
        if keep is None or len(self) - keep < self._batch:
            return
        end = len(self) - keep
        behind = needed - self.offset
        if behind < end:
            # A reader still needs messages beyond those. Each trim moves all
            # that stay, so fold only once at least as many go as stay: a reader
            # far behind then costs O(1) a message, not O(its backlog) a batch.
            if behind < len(self) - behind:
                return
            end = behind
        if end >= self._batch:
            self.fold(end)

    def fold(self, end: int) -> None:
        """Fold the first ``end`` messages kept into each stream's state at that point."""
        base = self._base
        for pos, (kind, stream, text_end) in enumerate(
            zip(self.kinds[:end], self.streams[:end], self.ends[:end], strict=True), self.offset
        ):
            if stream is None:  # a restart: consumers drop what came before
                for dropped in base:
                    if any(restart == pos for restart, _, _ in dropped.restarts):
                        # It went on after the restart: its value starts afresh there.
                        dropped.base_from = dropped.base_end
                        dropped.base_chunks = 0
                base.clear()
            elif kind == "partial":
                base[stream] = None
                stream.base_end = text_end
                stream.base_chunks += 1
            else:
                base[stream] = None
                stream.base_done = True
        for column in (self.kinds, self.streams, self.chunks, self.ends, self.messages):
            del column[:end]
        self.offset += end

    def catch_up(self, delta: bool | None, builders: Builders) -> list[Raw]:
        """The restart and the values so far that stand for the trimmed messages.

        Only the last carries a position (the last trimmed one), so a consumer
        that resumes after a message of a catch-up gets the whole catch-up again.
        """
        caught: list[tuple[Kind, Stream | None, str | None]] = [("restart", None, "catch-up")]
        builders.clear()
        for stream in self._base:
            end, chunks, done = stream.base_end, stream.base_chunks, stream.base_done
            if stream.delta if delta is None else delta:
                if chunks:
                    caught.append(("partial", stream, stream.text.slice(stream.base_from, end)))
                if done:
                    caught.append(("complete", stream, None))
                continue
            values = _values(stream, stream.base_from)
            if done:
                caught.append(("complete", stream, values.complete(end) if chunks else None))
            elif chunks:
                caught.append(("partial", stream, values.partial(end)))
                builders[stream] = values
        last = len(caught) - 1
        return [
            (kind, stream, value, self.offset - 1 if index == last else None)
            for index, (kind, stream, value) in enumerate(caught)
        ]

    def chunks_of(self, stream: Stream) -> Iterator[str]:
        """The chunks of ``stream`` so far, for a reader of its values from the first.

        Those of trimmed messages come joined into one; a stream that went on
        after a restart gives its chunks since, as the ones before were taken back.
        """
        offset = self.offset
        restart = stream.last_restart
        if restart < offset and stream.base_chunks:
            yield stream.text.slice(stream.base_from, stream.base_end)
        streams, chunks = self.streams, self.chunks
        stop = len(streams) if stream.end is None else stream.end - offset
        for index in range(max(stream.first, restart + 1, offset) - offset, stop):
            chunk = chunks[index]
            if streams[index] is stream and chunk is not None:
                yield chunk

    def forget(self, stream: Stream) -> None:
        """Drop the live values of a stream that will get no more messages."""
        self._live.pop(stream, None)


def _values(stream: Stream, start: int) -> Values:
    return values_of(stream.text, stream.structured, start)


class Cursor:
    """A reader's position in a History, and what reading from it needs.

    Attributes:
        pos: The position of the next message to read.
        delta: The form it reads messages in: ``True`` for every stream's raw
            chunks, ``False`` for cumulative values, ``None`` for each stream's own.
    """

    __slots__ = ("_builders", "_caught", "_history", "delta", "pos")

    def __init__(self, history: History, pos: int, delta: bool | None) -> None:
        self._history = history
        self.pos = pos
        self.delta = delta
        self._caught: deque[Raw] = deque()
        self._builders: Builders = {}

    def ready(self) -> bool:
        """Whether a message is there to read."""
        history = self._history
        return bool(self._caught) or self.pos - history.offset < len(history.kinds)

    def read(self) -> StreamContent | None:
        """The next message, or None at the head."""
        if self._caught:
            return _built(self._caught.popleft())
        history, pos = self._history, self.pos
        index = pos - history.offset
        if index >= len(history.kinds):
            return None
        if index < 0:
            return _built(self._start_catch_up())
        self.pos = pos + 1
        built = history.messages[index]
        stream = history.streams[index]
        if built is None and stream is not None and stream.delta and self.delta is not False:
            # A delta stream's message, read in its own form: built once, kept for the others.
            built = history.messages[index] = StreamContent(
                type=history.kinds[index], name=stream.name, value=history.chunks[index]
            )
            _SEQ.__set__(built, pos)
            return built
        if built is not None and self.delta is None:
            if self._builders and history.kinds[index] != "partial":
                if stream is None:  # a restart: values go on afresh after it
                    self._builders.clear()
                else:  # the stream is done: drop its parser
                    self._builders.pop(stream, None)
            return built
        if history.streams[index] is None:
            self._builders.clear()
        return history.render(pos, self.delta, self._builders)

    def read_raw(self) -> Raw | None:
        """The next message in delta form without building it, or None at the head.

        For a cursor made with ``delta=True``: a partial's text is its raw chunk.
        """
        if self._caught:
            return self._caught.popleft()
        history, pos = self._history, self.pos
        index = pos - history.offset
        if index >= len(history.kinds):
            return None
        if index < 0:
            return self._start_catch_up()
        self.pos = pos + 1
        stream = history.streams[index]
        if stream is None:  # a restart, built when it was pushed
            restart = history.messages[index]
            assert restart is not None
            return "restart", None, restart.value, pos
        return history.kinds[index], stream, history.chunks[index], pos

    def read_chunks(self, stream: StreamInfo, room: int) -> list[str]:
        """The raw chunks of the partials of ``stream`` that come next, ``room`` characters' worth.

        Stops before any other message, at the head, and inside a catch-up:
        what a wire record gathers behind its first chunk, read in one go.
        """
        history = self._history
        streams, chunks = history.streams, history.chunks
        index = self.pos - history.offset
        if self._caught or index < 0:
            return []
        taken: list[str] = []
        while room > 0 and index < len(streams):
            chunk, record = chunks[index], streams[index]
            if chunk is None or record is None or record.info != stream:  # not its partial
                break
            taken.append(chunk)
            room -= len(chunk)
            index += 1
        self.pos += len(taken)
        return taken

    def _start_catch_up(self) -> Raw:
        """The first message of the catch-up for the trimmed messages this reader missed."""
        history = self._history
        self._caught.extend(history.catch_up(self.delta, self._builders))
        self.pos = history.offset
        return self._caught.popleft()


def _built(raw: Raw) -> StreamContent:
    kind, stream, value, seq = raw
    return message(kind, "response" if stream is None else stream.name, value, seq)
