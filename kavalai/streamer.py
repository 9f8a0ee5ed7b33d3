"""Streamer: many named values, one stream of messages."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, NoReturn

from pydantic import BaseModel
from reactivex import Observable, abc
from reactivex.disposable import Disposable

from . import operators as kops
from .content import StreamContent
from .errors import StreamClosedError, StreamerTimeoutException
from .value_streamer import ValueStreamer

if TYPE_CHECKING:
    from types import TracebackType

    from aioreactive import AsyncObservable

__all__ = ["Streamer"]

_logger = logging.getLogger("kavalai")

#: An iterating consumer gets the event loop back once this many messages wait,
#: so a producer that never suspends cannot pile up every cumulative value.
_YIELD_THRESHOLD = 64

#: The name restart messages carry, kept from the original API.
RESTART_NAME = "response"


class _Pacing:
    """The flow control a Streamer hands to its value streamers."""

    __slots__ = ("iterating", "queue")

    def __init__(self, queue: deque[StreamContent]) -> None:
        self.queue = queue
        self.iterating = False

    @property
    def congested(self) -> bool:
        return self.iterating and len(self.queue) >= _YIELD_THRESHOLD

    async def wait_for_room(self) -> None:
        await asyncio.sleep(0)


class Streamer(Observable[StreamContent]):
    """Multiplexes named value streamers into one stream of :class:`StreamContent`.

    A producer asks for one :class:`ValueStreamer` per value it will write
    (:meth:`get_value_streamer`), pushes chunks into each and completes each. A
    consumer either iterates the Streamer (``async for message in streamer``) or
    subscribes to it as a ReactiveX observable (``streamer.pipe(...)``,
    ``streamer.subscribe(...)``); both end right after the ``complete`` message of
    the last active value streamer.

    Messages pushed while nobody consumes are kept for the first consumer, so a
    producer may run ahead of, or entirely before, the consumer. Rx subscribers
    that come later see messages from the moment they subscribe, as with any hot
    observable. When an iterating consumer falls behind by a few dozen messages,
    ``stream_partial`` gives it the event loop, so a producer that never
    suspends does not pile up every cumulative value in memory.

    Args:
        stream_delta: Default mode of the value streamers: ``False`` for
            cumulative values (each partial carries the whole value so far),
            ``True`` for deltas (each partial carries only its chunk).
        timeout_seconds: If iterating waits longer than this for a message, it
            raises :class:`StreamerTimeoutException` naming the quiet streams.
    """

    def __init__(self, stream_delta: bool = False, timeout_seconds: float | None = None) -> None:
        super().__init__()
        self._stream_delta = stream_delta
        self._timeout_seconds = timeout_seconds
        self._active: dict[ValueStreamer, abc.DisposableBase] = {}
        self._queue: deque[StreamContent] = deque()
        self._pacing = _Pacing(self._queue)
        # Until a consumer arrives the queue buffers for it; once only Rx
        # subscribers consume, nothing needs queueing.
        self._queueing = True
        self._claimed = False
        self._observers: tuple[abc.ObserverBase[StreamContent], ...] = ()
        self._waiters: list[asyncio.Future[None]] = []
        self._finished = False
        self._error: Exception | None = None
        self._error_raised = False

    def get_value_streamer(
        self,
        name: str,
        stream_delta: bool | None = None,
        response_model: type[BaseModel] | None = None,
    ) -> ValueStreamer:
        """Register a named value and return the handle to produce it.

        Args:
            name: The name its messages carry; unique among the active streams.
            stream_delta: Overrides the Streamer's ``stream_delta`` for this value,
                in either direction.
            response_model: A pydantic model class for a structured value. In
                cumulative mode each partial then carries the best-effort JSON
                parsed so far and ``complete`` carries the final JSON text; in
                delta mode partials carry the raw text chunks.

        Returns:
            The value streamer, already merged into this Streamer.

        Raises:
            StreamClosedError: the Streamer has already ended.
            ValueError: a value streamer of that name is still active.
        """
        if self._finished:
            raise StreamClosedError(
                f"cannot add value streamer {name!r}: the Streamer already ended when its last "
                "value streamer completed; get every value streamer before completing the "
                "last one, or use a new Streamer"
            )
        if any(active.name == name for active in self._active):
            raise ValueError(
                f"value streamer {name!r} is still active; complete it first, or call "
                "reset_active() before a retry registers it again"
            )
        delta = self._stream_delta if stream_delta is None else stream_delta
        value_streamer = ValueStreamer(
            name, stream_delta=delta, response_model=response_model, pacer=self._pacing
        )
        self._active[value_streamer] = self._messages_of(value_streamer).subscribe(
            self._deliver, self._fail, partial(self._stream_completed, value_streamer)
        )
        return value_streamer

    async def stream_error(self, error: Exception) -> None:
        """End the Streamer with ``error``.

        Consumers first get every message pushed before it; then iteration raises
        ``error`` itself and Rx subscribers get ``on_error(error)``. Value streamers
        still active refuse further chunks.
        """
        self._fail(error)

    async def stream_restart(self, value: str | None = None) -> None:
        """Tell consumers the producer starts over.

        Emits a ``restart`` message (name ``"response"``): consumers drop what
        they accumulated, and a retry follows. Pair it with :meth:`reset_active`
        so the retry's fresh value streamers decide when the Streamer ends.

        Args:
            value: Optional text for the consumer, such as the reason.
        """
        self._ensure_open("stream a restart")
        self._deliver(StreamContent(type="restart", name=RESTART_NAME, value=value))

    def reset_active(self) -> None:
        """Forget the value streamers that have not completed.

        For retries: the failed attempt's streams will never complete, and the
        Streamer must not wait for them. Forgotten value streamers refuse further
        chunks; completing one later is harmless.
        """
        active, self._active = self._active, {}
        for value_streamer, subscription in active.items():
            subscription.dispose()
            value_streamer._detach(
                "was retired by reset_active(); push to the value streamer of the retry instead"
            )

    def to_async_observable(self) -> AsyncObservable[StreamContent]:
        """The same messages as an aioreactive ``AsyncObservable``.

        Subscribing consumes the Streamer the way ``async for`` does. Needs the
        ``aio`` extra: ``pip install 'kavalai[aio]'``.
        """
        from ._aio import to_async_observable

        return to_async_observable(self)

    async def __aenter__(self) -> Streamer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def __aiter__(self) -> Streamer:
        self._start_iterating()
        return self

    async def __anext__(self) -> StreamContent:
        queue = self._queue
        while not queue:
            if self._finished:
                self._end_iteration()
            self._start_iterating()
            await self._wait()
        return queue.popleft()

    # Rx side ------------------------------------------------------------------

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[StreamContent],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        if not self._claimed:
            self._claimed = True
            self._queueing = False
            buffered = list(self._queue)
            self._queue.clear()
            for message in buffered:
                if not self._send(observer, message):
                    return Disposable()
        if self._finished:
            self._send_terminal(observer)
            return Disposable()
        self._observers = (*self._observers, observer)
        return Disposable(partial(self._unsubscribe, observer))

    def _unsubscribe(self, observer: abc.ObserverBase[StreamContent]) -> None:
        self._observers = tuple(other for other in self._observers if other is not observer)

    def _send(self, observer: abc.ObserverBase[StreamContent], message: StreamContent) -> bool:
        """Deliver to one subscriber; a subscriber that raises gets ``on_error`` and is dropped."""
        try:
            observer.on_next(message)
        except Exception as error:
            self._unsubscribe(observer)
            self._send_error(observer, error)
            return False
        return True

    def _send_terminal(self, observer: abc.ObserverBase[StreamContent]) -> None:
        if self._error is not None:
            self._send_error(observer, self._error)
            return
        try:
            observer.on_completed()
        except Exception:
            _logger.exception("an on_completed callback of a Streamer subscriber raised")

    @staticmethod
    def _send_error(observer: abc.ObserverBase[StreamContent], error: Exception) -> None:
        try:
            observer.on_error(error)
        except Exception:
            # The subscriber has no error handler (reactivex re-raises then) or
            # its handler failed; the producer must not receive it either way.
            _logger.exception("a Streamer subscriber failed to handle an error")

    # Producer side ------------------------------------------------------------

    def _messages_of(self, value_streamer: ValueStreamer) -> Observable[StreamContent]:
        name = value_streamer.name
        if value_streamer.stream_delta:
            return value_streamer.pipe(kops.to_stream_content(name, delta=True))
        return value_streamer.pipe(kops.accumulate(), kops.to_stream_content(name))

    def _deliver(self, message: StreamContent) -> None:
        for observer in self._observers:
            self._send(observer, message)
        if self._queueing:
            self._queue.append(message)
            if self._waiters:
                self._wake()

    def _stream_completed(self, value_streamer: ValueStreamer) -> None:
        self._active.pop(value_streamer, None)
        if not self._active:
            self._finish()

    def _fail(self, error: Exception) -> None:
        self._ensure_open("stream an error")
        self._error = error
        active, self._active = self._active, {}
        for value_streamer, subscription in active.items():
            subscription.dispose()
            value_streamer._detach(f"cannot take chunks: the Streamer failed with {error!r}")
        self._finish()

    def _finish(self) -> None:
        self._finished = True
        observers, self._observers = self._observers, ()
        for observer in observers:
            self._send_terminal(observer)
        self._wake()

    def _ensure_open(self, action: str) -> None:
        if self._finished:
            raise StreamClosedError(
                f"cannot {action}: the Streamer has already ended; use a new Streamer"
            )

    # Iteration side -----------------------------------------------------------

    def _start_iterating(self) -> None:
        self._claimed = True
        self._queueing = True
        self._pacing.iterating = True

    async def _wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            if self._timeout_seconds is None:
                await waiter
                return
            try:
                async with asyncio.timeout(self._timeout_seconds):
                    await waiter
            except TimeoutError:
                names = [value_streamer.name for value_streamer in self._active]
                raise StreamerTimeoutException(names, self._timeout_seconds) from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _end_iteration(self) -> NoReturn:
        if self._error is not None and not self._error_raised:
            self._error_raised = True
            raise self._error
        raise StopAsyncIteration
