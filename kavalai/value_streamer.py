"""ValueStreamer: the producer's handle on one named value."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel
from reactivex.subject import Subject

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
        self._detached: str | None = None

    async def stream_partial(self, chunk: str) -> None:
        """Push the next chunk of the value.

        Args:
            chunk: The new text, never the whole value so far: the Streamer does
                the accumulating for cumulative consumers.

        Raises:
            TypeError: ``chunk`` is not a ``str``; the stream goes on.
            StreamClosedError: the stream is already complete, or its Streamer no
                longer listens (retired by :meth:`kavalai.Streamer.reset_active`, or the
                Streamer failed).
        """
        pacer = self._pacer
        if pacer is not None and pacer.congested:
            await pacer.wait_for_room()
        self.on_next(chunk)

    async def stream_complete(self) -> None:
        """Mark the value final; its ``complete`` message follows the last partial.

        Raises:
            StreamClosedError: ``stream_complete()`` was already called.
        """
        self.on_completed()

    def on_next(self, value: str) -> None:
        """Push a chunk; the Rx form of :meth:`stream_partial`."""
        if not isinstance(value, str):
            raise TypeError(
                f"value streamer {self.name!r} takes str chunks, got {type(value).__name__}; "
                "convert the chunk to text (for JSON, push json.dumps(...) pieces)"
            )
        if self.is_stopped:
            raise StreamClosedError(
                f"value streamer {self.name!r} is already complete; "
                "push every chunk before calling stream_complete()"
            )
        if self._detached is not None:
            raise StreamClosedError(f"value streamer {self.name!r} {self._detached}")
        super().on_next(value)

    def on_completed(self) -> None:
        """Mark the value final; the Rx form of :meth:`stream_complete`."""
        if self.is_stopped and self._detached is None:
            raise StreamClosedError(
                f"value streamer {self.name!r} is already complete; "
                "call stream_complete() once per value streamer"
            )
        super().on_completed()

    def _detach(self, reason: str) -> None:
        """Stop taking chunks because the Streamer no longer listens.

        Later chunks raise :class:`~kavalai.StreamClosedError` ending in ``reason``,
        so an abandoned producer stops spending tokens; a later completion is
        harmless and reaches no one.
        """
        self._detached = reason
