"""Cursor: one reader's position in a History, and what reading from it needs."""

from __future__ import annotations

from collections import deque

from ._history import Builders, History, Raw
from .content import StreamContent, StreamInfo, message

__all__ = ["Cursor"]


class Cursor:
    """A reader's position in a History, and what reading from it needs.

    Attributes:
        pos: The position of the next message to read.
        delta: The form it reads messages in: ``True`` for every stream's raw
            chunks, ``False`` for cumulative values, ``None`` for each stream's own.
        told: The position its reader last told the pacing (see
            :class:`~kavalai._flow.Pacing`), at most ``pos``.
    """

    __slots__ = ("_builders", "_caught", "_history", "delta", "pos", "told")

    def __init__(self, history: History, pos: int, delta: bool | None) -> None:
        self._history = history
        self.pos = self.told = pos
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
            built = history.messages[index] = message(
                history.kinds[index], stream.name, history.chunks[index], pos
            )
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
            if (
                chunk is None
                or record is None
                or (record.info is not stream and record.info != stream)
            ):  # not its partial
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
