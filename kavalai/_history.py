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

from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from typing import Literal

from reactivex import abc

from ._partial_json import PartialJsonParser
from .content import _SEQ, StreamContent, message

__all__ = ["Cursor", "Entry", "History", "Raw", "Stream", "Text"]

Kind = Literal["partial", "complete", "restart"]

#: A message in delta form before it is built: kind, stream (None for a restart),
#: the text it carries (its raw chunk, or a restart's reason) and its position.
Raw = tuple[Kind, "Stream | None", "str | None", "int | None"]

#: Chunks a stream's text gathers before folding them into one string.
_FOLD = 256


class Text:
    """Append-only text kept as a few large blocks rather than many small chunks."""

    __slots__ = ("_blocks", "_ends", "_tail", "length")

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._ends: list[int] = []  # where each block ends in the text
        self._tail: list[str] = []  # chunks after the last block
        self.length = 0

    def append(self, chunk: str) -> None:
        self._tail.append(chunk)
        self.length += len(chunk)
        if len(self._tail) >= _FOLD:
            self._blocks.append("".join(self._tail))
            self._ends.append(self.length)
            self._tail.clear()

    def slice(self, start: int, end: int) -> str:
        """The text from ``start`` to ``end``."""
        if start >= end:
            return ""
        pieces: list[str] = []
        index = bisect_right(self._ends, start)
        block_start = self._ends[index - 1] if index else 0
        while index < len(self._blocks) and block_start < end:
            pieces.append(self._blocks[index][start - block_start : end - block_start])
            start = block_start = self._ends[index]
            index += 1
        if block_start < end:
            pieces.append("".join(self._tail)[start - block_start : end - block_start])
        return "".join(pieces)


class Stream:
    """The history of one value streamer: its raw text and its state at the trim point."""

    __slots__ = (
        "base_chunks",
        "base_done",
        "base_end",
        "base_from",
        "chunks",
        "delta",
        "ended",
        "name",
        "retired",
        "serial",
        "structured",
        "text",
        "watchers",
    )

    def __init__(self, name: str, delta: bool, structured: bool, serial: int = 0) -> None:
        self.name = name
        self.serial = serial  # which stream of its Streamer: names may be used again
        self.delta = delta
        self.structured = structured
        self.text = Text()
        self.chunks = 0
        self.retired = False  # by a Streamer's reset_active(), for a retry
        # What the trimmed messages of this stream amount to.
        self.base_end = 0
        self.base_from = 0  # where its text starts for a consumer, after a restart
        self.base_chunks = 0
        self.base_done = False
        # Observers of Streamer.values(), and how to end a late one once the stream has.
        self.watchers: list[abc.ObserverBase[str]] = []
        self.ended: Callable[[abc.ObserverBase[str]], None] | None = None


class Entry:
    """One message: its kind, its stream, the raw chunk, and the message once built."""

    __slots__ = ("chunk", "end", "kind", "message", "stream")

    def __init__(
        self,
        kind: Kind,
        stream: Stream | None,
        chunk: str | None = None,
        end: int = 0,
        built: StreamContent | None = None,
    ) -> None:
        self.kind = kind
        self.stream = stream
        self.chunk = chunk  # None for a completion or a restart
        self.end = end  # the length of the stream's text after this message
        self.message = built


class _TextValues:
    """The cumulative values of a text stream, computed forwards."""

    __slots__ = ("_end", "_text", "_value")

    def __init__(self, text: Text) -> None:
        self._text = text
        self._value = ""
        self._end = 0

    def partial(self, end: int) -> str:
        if end != self._end:
            self._value += self._text.slice(self._end, end)
            self._end = end
        return self._value

    complete = partial


class _JsonValues:
    """The best-effort JSON snapshots of a structured stream, computed forwards."""

    __slots__ = ("_end", "_parser", "_text")

    def __init__(self, text: Text) -> None:
        self._text = text
        self._parser = PartialJsonParser()
        self._end = 0

    def partial(self, end: int) -> str | None:
        self._feed(end)
        return self._parser.snapshot_json()

    def complete(self, end: int) -> str | None:
        """The final JSON, like ``json.dumps``, if the value closed; else the text as written.

        A value cut off (the model hit its token limit), prose or a refusal is
        passed on as the model wrote it rather than as a closed-up snapshot,
        so nothing is lost and validating it fails instead of accepting a
        shorter answer; the last partial still carries the best-effort snapshot.
        """
        self._feed(end)
        final = self._parser.close()
        return final if self._parser.done else self._text.slice(0, end)

    def _feed(self, end: int) -> None:
        if end != self._end:
            self._parser.feed(self._text.slice(self._end, end))
            self._end = end


Builders = dict[Stream, "_TextValues | _JsonValues"]


class History:
    """Every message of a Streamer by position, trimmed to the latest ``keep``."""

    __slots__ = ("_base", "_batch", "_live", "entries", "head", "keep", "offset")

    def __init__(self, keep: int | None) -> None:
        self.entries: list[Entry] = []
        self.offset = 0  # the position of entries[0]
        self.head = 0  # the position the next message will get
        self.keep = keep
        # Trim in batches, so each message is folded in O(1).
        self._batch = 0 if keep is None else max(keep // 8, 64)
        self._base: dict[Stream, None] = {}  # streams of trimmed messages, since a restart
        self._live: Builders = {}  # values of the messages built as they are pushed

    def append(self, entry: Entry, subscribed: bool, read: bool) -> int:
        """Add ``entry``; build its message now if someone will read it at once.

        Rx subscribers (``subscribed``) get every message as it is pushed. For
        iterating readers (``read``) only cumulative values are built now,
        forwards and once for all of them; a delta message is built by the
        first reader that takes it, so readers of raw chunks (the wire) never
        pay for building one, nor the garbage collector for keeping it.
        """
        seq = self.head
        self.head = seq + 1
        self.entries.append(entry)
        stream = entry.stream
        if stream is None or entry.message is not None:  # a restart comes built
            return seq
        if stream.delta:
            if subscribed:
                built = entry.message = StreamContent(
                    type=entry.kind, name=stream.name, value=entry.chunk
                )
                _SEQ.__set__(built, seq)
        elif subscribed or read:
            entry.message = self.render(entry, seq, None, self._live)
        return seq

    def render(
        self, entry: Entry, seq: int, delta: bool | None, builders: Builders
    ) -> StreamContent:
        """The message at ``entry`` in a mode (``None``: its stream's own)."""
        stream = entry.stream
        if stream is None or (entry.message is not None and delta in (None, stream.delta)):
            assert entry.message is not None  # a restart is built when it is pushed
            return entry.message
        kind, name = entry.kind, stream.name
        if stream.delta if delta is None else delta:
            built = StreamContent(type=kind, name=name, value=entry.chunk)
            _SEQ.__set__(built, seq)
            if delta in (None, stream.delta):
                entry.message = built  # small: kept for the next reader
            return built
        values = builders.get(stream)
        if values is None:
            values = builders[stream] = _values(stream)
        if kind == "partial":
            return message(kind, name, values.partial(entry.end), seq)
        del builders[stream]
        return message(kind, name, values.complete(entry.end) if stream.chunks else None, seq)

    def release(self, start: int, end: int) -> None:
        """Drop the cumulative messages built for positions ``start`` to ``end``."""
        entries, offset = self.entries, self.offset
        for seq in range(max(start, offset), end):
            entry = entries[seq - offset]
            if entry.stream is not None and not entry.stream.delta:
                entry.message = None

    def trim(self, needed: int) -> None:
        """Fold messages older than the latest ``keep``, but none before ``needed``."""
        keep = self.keep
        if keep is None or len(self.entries) - keep < self._batch:
            return
        end = min(needed - self.offset, len(self.entries) - keep)
        if end < self._batch:
            return
        base = self._base
        for entry in self.entries[:end]:
            stream = entry.stream
            if stream is None:  # a restart: consumers drop what came before
                for dropped in base:
                    dropped.base_from = dropped.base_end
                base.clear()
            elif entry.kind == "partial":
                base[stream] = None
                stream.base_end = entry.end
                stream.base_chunks += 1
            else:
                base[stream] = None
                stream.base_done = True
        del self.entries[:end]
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
            values = _values(stream)
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

    def forget(self, stream: Stream) -> None:
        """Drop the live values of a stream that will get no more messages."""
        self._live.pop(stream, None)


def _values(stream: Stream) -> _TextValues | _JsonValues:
    return _JsonValues(stream.text) if stream.structured else _TextValues(stream.text)


class Cursor:
    """A reader's position in a History, and what reading from it needs.

    Attributes:
        pos: The position of the next message to read.
    """

    __slots__ = ("_builders", "_caught", "_delta", "_history", "pos")

    def __init__(self, history: History, pos: int, delta: bool | None) -> None:
        self._history = history
        self.pos = pos
        self._delta = delta
        self._caught: deque[Raw] = deque()
        self._builders: Builders = {}

    def read(self) -> StreamContent | None:
        """The next message, or None at the head."""
        if self._caught:
            return _built(self._caught.popleft())
        history, pos = self._history, self.pos
        index = pos - history.offset
        if index >= len(history.entries):
            return None
        if index < 0:
            return _built(self._start_catch_up())
        self.pos = pos + 1
        entry = history.entries[index]
        built = entry.message
        if built is not None and self._delta is None:
            if self._builders and entry.stream is not None and entry.kind == "complete":
                self._builders.pop(entry.stream, None)  # the stream is done: drop its parser
            return built
        return history.render(entry, pos, self._delta, self._builders)

    def read_raw(self) -> Raw | None:
        """The next message in delta form without building it, or None at the head.

        For a cursor made with ``delta=True``: a partial's text is its raw chunk.
        """
        if self._caught:
            return self._caught.popleft()
        history, pos = self._history, self.pos
        index = pos - history.offset
        if index >= len(history.entries):
            return None
        if index < 0:
            return self._start_catch_up()
        self.pos = pos + 1
        entry = history.entries[index]
        stream = entry.stream
        if stream is None:  # a restart, built when it was pushed
            assert entry.message is not None
            return entry.kind, None, entry.message.value, pos
        return entry.kind, stream, entry.chunk, pos

    def read_chunks(self, stream: Stream, room: int) -> list[str]:
        """The raw chunks of the partials of ``stream`` that come next, ``room`` characters' worth.

        Stops before any other message, at the head, and inside a catch-up:
        what a wire record gathers behind its first chunk, read in one go.
        """
        history = self._history
        entries = history.entries
        index = self.pos - history.offset
        if self._caught or index < 0:
            return []
        chunks: list[str] = []
        while room > 0 and index < len(entries):
            entry = entries[index]
            if entry.stream is not stream or entry.chunk is None:  # None: not a partial
                break
            chunks.append(entry.chunk)
            room -= len(entry.chunk)
            index += 1
        self.pos += len(chunks)
        return chunks

    def _start_catch_up(self) -> Raw:
        """The first message of the catch-up for the trimmed messages this reader missed."""
        history = self._history
        self._caught.extend(history.catch_up(self._delta, self._builders))
        self.pos = history.offset
        return self._caught.popleft()


def _built(raw: Raw) -> StreamContent:
    kind, stream, value, seq = raw
    return message(kind, "response" if stream is None else stream.name, value, seq)
