"""ValueStreamer: the producer's handle on one named value."""

from __future__ import annotations

import threading
from asyncio import current_task as _current_task
from functools import partial

from pydantic import BaseModel
from reactivex import abc
from reactivex.subject import Subject

from ._log import Log
from .errors import StreamClosedError

__all__ = ["ValueStreamer"]

_get_ident = threading.get_ident


class ValueStreamer(Subject[str]):
    """A ReactiveX subject of the raw text chunks of one named value.

    Get one from :meth:`kavalai.Streamer.get_value_streamer`. Push chunks with
    ``await stream_partial(chunk)`` and finish with ``await stream_complete()``;
    or subscribe an existing observable into it (``source.subscribe(value_streamer)``),
    since the plain Rx ``on_next`` / ``on_completed`` / ``on_error`` work too.

    Unlike a bare ``Subject``, which silently drops values after completion, a value
    streamer refuses them with :class:`~kavalai.StreamClosedError`: a producer that
    keeps pushing has a bug, and losing its output silently would hide it. Its
    state is its Streamer's: ``dispose()`` only lets its own subscribers go, and
    the stream still completes normally.

    ``on_next`` / ``on_completed`` / ``on_error`` may be called from any thread
    (a blocking SDK's callback, an Rx source on a thread-pool scheduler): the
    Streamer runs them on its event loop in the order they were made, and with
    ``max_buffer`` a thread that pushes while the slowest consumer is behind
    blocks until there is room. Argument and state checks raise in the calling
    thread.

    Subscribing to a value streamer directly gives the raw chunks from then on
    (hot, as a ``Subject``; :meth:`kavalai.Streamer.values` replays them). As
    with every subscriber of a Streamer, a callback that raises never raises
    into the producer: that subscriber gets ``on_error`` and is dropped.

    A value streamer made by hand, ``ValueStreamer("name")``, belongs to a
    Streamer of its own that nobody reads: a standalone subject, for tests.

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
        log: Log | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.stream_delta = stream_delta
        self.response_model = response_model
        if log is None:
            log = Log(stream_delta)
        self._log = log
        register = partial(log.register, name, stream_delta, response_model)
        self._stream = log.home.call_and_wait(register)

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
        if not isinstance(chunk, str):
            self._check_chunk(chunk)
        log = self._log
        pacing = log.pacing
        slowest = pacing.slowest
        if slowest is not None and log.history.head - slowest >= pacing.limit:  # congested
            await pacing.pace(log.home)
        self._push(chunk)

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
        self._push(value)

    def on_completed(self) -> None:
        """Mark the value final; the Rx form of :meth:`stream_complete`."""
        stream = self._stream
        if stream.retired:
            return  # a retry replaced this stream; its completion means nothing now
        self._check_open("call stream_complete() once per value streamer")
        stream.ending = True
        self._log.home.call(self._log.complete, stream)

    def on_error(self, error: Exception) -> None:
        """Fail the Streamer with ``error``: consumers get it after earlier messages."""
        stream = self._stream
        if stream.retired:
            return  # the abandoned attempt's failure is not the retry's
        self._check_open("report an error only while the stream is open")
        stream.ending = True
        self._log.home.call(self._log.fail_stream, stream, error)

    def retire(self) -> None:
        """Forget this value without completing it, as :meth:`kavalai.Streamer.reset_active` does.

        For a retry that replaces this one stream: the Streamer no longer waits
        for it, its ``values()`` observers fail with
        :class:`~kavalai.StreamRestartedError`, its own subscribers complete, and
        it refuses further chunks; completing it later is harmless.
        """
        self._log.home.call(self._log.retire, self._stream)

    def fail(self, exn: Exception) -> bool:
        """Fail the Streamer with ``exn`` if the stream is open; whether it was."""
        stream = self._stream
        if stream.ending or stream.closed_reason is not None:
            return False
        self.on_error(exn)
        return True

    def dispose(self) -> None:
        """Let this value streamer's own subscribers go; the stream itself goes on."""
        self._log.home.call(self._stream.subscribers.clear)

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[str],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        log = self._log
        log.home.adopt()
        return log.home.call_and_wait(partial(log.subscribe_stream, self._stream, observer))

    def _push(self, chunk: str) -> None:
        stream, log = self._stream, self._log
        if stream.ending or stream.closed_reason is not None:
            self._check_open("push every chunk before calling stream_complete()")
        home = log.home
        if home.loop is None:
            home.adopt()  # made outside a loop: the first push in one adopts it
        if home.thread == _get_ident():
            task = _current_task(home.loop)
            if task is not stream.last_feeder:
                log.supervision.note_feeder(stream, task)
            if not home.queue:
                log.push(stream, chunk)  # the common case, kept short
                return
        elif home.loop is not None:  # another thread: it counts as a producer that runs
            stream.threads.add(threading.current_thread())
            if log.pacing.max_buffer is not None:
                log.pacing.block(home, home.loop)
                self._check_open("push every chunk before calling stream_complete()")
        home.call(log.push, stream, chunk)

    def _check_chunk(self, chunk: object) -> None:
        if not isinstance(chunk, str):
            raise TypeError(
                f"value streamer {self.name!r} takes str chunks, got {type(chunk).__name__}; "
                "convert the chunk to text (for JSON, push json.dumps(...) pieces)"
            )

    def _check_open(self, fix: str) -> None:
        stream = self._stream
        if stream.closed_reason is not None:
            raise StreamClosedError(f"value streamer {self.name!r} {stream.closed_reason}")
        if stream.ending:
            raise StreamClosedError(f"value streamer {self.name!r} is already complete; {fix}")
