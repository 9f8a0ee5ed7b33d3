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

from collections.abc import Iterator
from typing import Literal

from ._stream import Stream
from ._text import Values, values_of
from .content import StreamContent, message

__all__ = ["Builders", "History", "Kind", "Raw"]

Kind = Literal["partial", "complete", "restart"]

#: A message in delta form before it is built: kind, stream (None for a restart),
#: the text it carries (its raw chunk, or a restart's reason) and its position.
Raw = tuple[Kind, Stream | None, str | None, int | None]


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
                built = self.messages[-1] = message(kind, stream.name, chunk, seq)
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
            built = message(kind, name, self.chunks[index], seq)
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
