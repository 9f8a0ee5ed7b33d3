"""ValueStreamer: the producer's handle on one named value."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from pydantic import BaseModel
from reactivex.subject import Subject

from ._loop import LoopAffinity
from .errors import StreamClosedError

__all__ = ["ValueStreamer"]


class _Pacer(Protocol):
    """What a value streamer asks of its Streamer before each chunk."""

    @property
    def congested(self) -> bool: ...

    async def wait_for_room(self) -> None: ...


class ValueStreamer(Subject[str]):
    """A ReactiveX subject of the raw text chunks of one named value.

    Get one from :meth:`kavalai.Streamer.get_value_streamer`. Push chunks with
    ``await stream_partial(chunk)`` and finish with ``await stream_complete()``;
    or subscribe an existing observable into it (``source.subscribe(value_streamer)``),
    since the plain Rx ``on_next`` / ``on_completed`` / ``on_error`` work too.

    Unlike a bare ``Subject``, which silently drops values after completion, a value
    streamer refuses them with :class:`~kavalai.StreamClosedError`: a producer that
    keeps pushing has a bug, and losing its output silently would hide it.

    A value streamer made inside a running event loop belongs to that loop. Calls
    of ``on_next`` / ``on_completed`` / ``on_error`` from other threads (a
    blocking SDK's callback, an Rx source on a thread-pool scheduler) are handed
    over to the loop thread in order, so consumers never see a message from a
    foreign thread; a completion never overtakes chunks handed over before it.
    Argument and state checks still raise in the calling thread. Producers on
    another thread's event loop are not slowed by ``max_buffer``.

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
        pacer: _Pacer | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.stream_delta = stream_delta
        self.response_model = response_model
        self._pacer = pacer
        self._closed_reason: str | None = None
        self._retired = False
        self._ending = False  # completion or error asked for, perhaps not yet applied
        # Which tasks pushed, for a Streamer supervising started producers.
        self._supervised = False
        self._feeders: set[asyncio.Task[Any]] = set()
        self._last_feeder: asyncio.Task[Any] | None = None
        self._affinity = LoopAffinity()
        self._in_flight = 0  # chunks handed to the loop thread and not yet applied
        self._in_flight_lock = threading.Lock()

    async def stream_partial(self, chunk: str) -> None:
        """Push the next chunk of the value.

        Waits first if the Streamer's consumer is ``max_buffer`` messages behind.

        Args:
            chunk: The new text, never the whole value so far: the Streamer does
                the accumulating for cumulative consumers.

        Raises:
            TypeError: ``chunk`` is not a ``str``; the stream goes on.
            StreamClosedError: the stream is already complete, or its Streamer no
                longer listens (closed, failed, or retired it by
                :meth:`kavalai.Streamer.reset_active`).
        """
        if self._supervised:
            self._note_feeder()
        pacer = self._pacer
        if pacer is not None and pacer.congested and not self._affinity.foreign():
            await pacer.wait_for_room()
        self.on_next(chunk)

    async def stream_complete(self) -> None:
        """Mark the value final; its ``complete`` message follows the last partial.

        Raises:
            StreamClosedError: ``stream_complete()`` was already called, or the
                Streamer was closed or failed.
        """
        self.on_completed()

    def on_next(self, value: str) -> None:
        """Push a chunk; the Rx form of :meth:`stream_partial`."""
        if not isinstance(value, str):
            raise TypeError(
                f"value streamer {self.name!r} takes str chunks, got {type(value).__name__}; "
                "convert the chunk to text (for JSON, push json.dumps(...) pieces)"
            )
        if self._ending or self._closed_reason is not None:
            self._check_open("push every chunk before calling stream_complete()")
        if self._affinity.foreign():
            with self._in_flight_lock:
                self._in_flight += 1
            self._affinity.schedule(self._apply_handed_over, value)
            return
        super().on_next(value)

    def on_completed(self) -> None:
        """Mark the value final; the Rx form of :meth:`stream_complete`."""
        if self._retired:
            return  # a retry replaced this stream; its completion means nothing now
        self._check_open("call stream_complete() once per value streamer")
        self._end(super().on_completed)

    def on_error(self, error: Exception) -> None:
        """Fail the Streamer with ``error``: consumers get it after earlier messages."""
        if self._retired:
            return  # the abandoned attempt's failure is not the retry's
        self._check_open("report an error only while the stream is open")
        self._end(partial(super().on_error, error))

    def _note_feeder(self) -> None:
        task = asyncio.current_task()
        if task is not self._last_feeder and task is not None:
            self._last_feeder = task
            self._feeders.add(task)

    def _end(self, apply: Callable[[], None]) -> None:
        self._ending = True
        if self._affinity.foreign() or self._in_flight:
            self._affinity.schedule(apply)  # queued behind the chunks handed over before
        else:
            apply()

    def _apply_handed_over(self, chunk: str) -> None:
        with self._in_flight_lock:
            self._in_flight -= 1
        if self._closed_reason is None:  # nobody listens once the Streamer let go
            super().on_next(chunk)

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
