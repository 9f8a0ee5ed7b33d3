"""ValueStreamer: the producer's handle on one named value."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from reactivex.subject import Subject

from .errors import StreamClosedError

if TYPE_CHECKING:
    from ._history import Stream
    from .streamer import Streamer

__all__ = ["ValueStreamer"]


class ValueStreamer(Subject[str]):
    """A ReactiveX subject of the raw text chunks of one named value.

    Get one from :meth:`kavalai.Streamer.get_value_streamer`. Push chunks with
    ``await stream_partial(chunk)`` and finish with ``await stream_complete()``;
    or subscribe an existing observable into it (``source.subscribe(value_streamer)``),
    since the plain Rx ``on_next`` / ``on_completed`` / ``on_error`` work too.

    Unlike a bare ``Subject``, which silently drops values after completion, a value
    streamer refuses them with :class:`~kavalai.StreamClosedError`: a producer that
    keeps pushing has a bug, and losing its output silently would hide it.

    ``on_next`` / ``on_completed`` / ``on_error`` may be called from any thread
    (a blocking SDK's callback, an Rx source on a thread-pool scheduler): the
    Streamer runs them on its event loop in the order they were made, and with
    ``max_buffer`` a thread that pushes while the slowest consumer is behind
    blocks until there is room. Argument and state checks raise in the calling
    thread.

    Subscribing to a value streamer directly gives the raw chunks, with plain
    Rx semantics: unlike a Streamer's subscribers, an error raised by such a
    subscriber's callback propagates to the producer.

    Attributes:
        name: The name its messages carry.
        stream_delta: Whether its partial messages carry only the new chunk.
        response_model: The pydantic model of a structured value, or ``None`` for text.
    """

    def __init__(
        self,
        name: str,
        *,
        stream_delta: bool = False,
        response_model: type[BaseModel] | None = None,
        streamer: Streamer | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.stream_delta = stream_delta
        self.response_model = response_model
        self._streamer = streamer
        self._record: Stream | None = None  # its history, once its Streamer registered it
        self._closed_reason: str | None = None
        self._retired = False
        self._ending = False  # completion or error asked for, perhaps not yet applied
        # The tasks that pushed, so a task that fails can fail the Streamer.
        self._feeders: set[asyncio.Task[Any]] = set()
        self._last_feeder: asyncio.Task[Any] | None = None

    async def stream_partial(self, chunk: str) -> None:
        """Push the next chunk of the value.

        Waits first if the Streamer's slowest consumer is ``max_buffer``
        messages behind.

        Args:
            chunk: The new text, never the whole value so far: the Streamer does
                the accumulating for cumulative consumers.

        Raises:
            TypeError: ``chunk`` is not a ``str``; the stream goes on.
            StreamClosedError: the stream is already complete, or its Streamer no
                longer listens (closed, failed, or retired it by
                :meth:`kavalai.Streamer.reset_active`).
        """
        streamer = self._streamer
        if streamer is None:
            self.on_next(chunk)
            return
        self._check_chunk(chunk)
        if streamer._pacing.congested:
            await streamer._pace()
        if self._ending or self._closed_reason is not None:
            self._check_open("push every chunk before calling stream_complete()")
        streamer._push(self, chunk)

    async def stream_complete(self) -> None:
        """Mark the value final; its ``complete`` message follows the last partial.

        Raises:
            StreamClosedError: ``stream_complete()`` was already called, or the
                Streamer was closed or failed.
        """
        self.on_completed()

    def on_next(self, value: str) -> None:
        """Push a chunk; the Rx form of :meth:`stream_partial`."""
        self._check_chunk(value)
        if self._ending or self._closed_reason is not None:
            self._check_open("push every chunk before calling stream_complete()")
        if self._streamer is None:
            super().on_next(value)
        else:
            self._streamer._push(self, value)

    def on_completed(self) -> None:
        """Mark the value final; the Rx form of :meth:`stream_complete`."""
        if self._retired:
            return  # a retry replaced this stream; its completion means nothing now
        self._check_open("call stream_complete() once per value streamer")
        self._ending = True
        if self._streamer is None:
            super().on_completed()
        else:
            self._streamer._complete(self)

    def on_error(self, error: Exception) -> None:
        """Fail the Streamer with ``error``: consumers get it after earlier messages."""
        if self._retired:
            return  # the abandoned attempt's failure is not the retry's
        self._check_open("report an error only while the stream is open")
        self._ending = True
        if self._streamer is None:
            super().on_error(error)
        else:
            self._streamer._error_from(self, error)

    def _check_chunk(self, chunk: object) -> None:
        if not isinstance(chunk, str):
            raise TypeError(
                f"value streamer {self.name!r} takes str chunks, got {type(chunk).__name__}; "
                "convert the chunk to text (for JSON, push json.dumps(...) pieces)"
            )

    def _check_open(self, fix: str) -> None:
        if self._closed_reason is not None:
            raise StreamClosedError(f"value streamer {self.name!r} {self._closed_reason}")
        if self._ending:
            raise StreamClosedError(f"value streamer {self.name!r} is already complete; {fix}")

    def _detach(self, reason: str, *, retired: bool = False) -> None:
        """Stop taking chunks because the Streamer no longer listens.

        Later chunks raise :class:`~kavalai.StreamClosedError` ending in ``reason``,
        so an abandoned producer stops spending tokens. A retired stream (see
        :meth:`kavalai.Streamer.reset_active`) may still complete, harmlessly.
        """
        self._closed_reason = reason
        self._retired = retired
