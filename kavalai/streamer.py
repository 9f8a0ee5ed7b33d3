"""Streamer: many named values, one stream of messages."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from pydantic import BaseModel
from reactivex import Observable, abc
from reactivex.disposable import Disposable

from . import _subscribers as subscribers
from . import operators as kops
from ._flow import MessageBuffer, validate_max_buffer
from ._loop import AsyncClosing
from .content import StreamContent
from .errors import IncompleteStreamError, StreamClosedError, StreamerTimeoutException
from .value_streamer import ValueStreamer

if TYPE_CHECKING:
    from aioreactive import AsyncObservable

__all__ = ["Streamer", "StreamerStatistics"]

#: The name restart messages carry, kept from the original API.
RESTART_NAME = "response"


class StreamerStatistics(NamedTuple):
    """A snapshot of a Streamer's state, for monitoring and tests."""

    buffered: int  #: messages waiting for an iterating consumer
    max_buffer: int | None  #: the limit set at construction, None for none
    active_streams: int  #: value streamers not yet complete
    waiting_producers: int  #: producers waiting in ``stream_partial`` for room


class Streamer(Observable[StreamContent], AsyncClosing):
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
    observable.

    Choosing ``max_buffer``: without it, a producer that outruns an iterating
    consumer only yields the event loop each time a few dozen messages wait,
    which keeps up with a consumer that does not itself wait on I/O. A consumer
    that does (a websocket, a slow UI) should set ``max_buffer``: the producer
    then waits in ``stream_partial`` while that many messages are unconsumed,
    so memory stays bounded and a paid model call slows to the consumer's pace.
    Before any consumer has started, pushes never wait (so pushing everything
    and then iterating, in one task, cannot deadlock); messages are kept.

    Close the Streamer (``await streamer.aclose()``, or leave ``async with``)
    when the consumer stops early: producers then get
    :class:`~kavalai.StreamClosedError` at their next push and stop spending
    tokens, and producers started with :meth:`start` are cancelled.

    Args:
        stream_delta: Default mode of the value streamers: ``False`` for
            cumulative values (each partial carries the whole value so far),
            ``True`` for deltas (each partial carries only its chunk).
        timeout_seconds: If iterating waits longer than this for a message, it
            raises :class:`StreamerTimeoutException` naming the quiet streams.
        max_buffer: How many unconsumed messages make ``stream_partial`` wait
            while a consumer iterates; ``None`` (the default) for no limit.

    Raises:
        ValueError: ``max_buffer`` is not a positive int or None.
    """

    def __init__(
        self,
        stream_delta: bool = False,
        timeout_seconds: float | None = None,
        max_buffer: int | None = None,
    ) -> None:
        super().__init__()
        self._stream_delta = stream_delta
        self._timeout_seconds = timeout_seconds
        self._buffer = MessageBuffer(validate_max_buffer(max_buffer))
        self._active: dict[ValueStreamer, abc.DisposableBase] = {}
        self._observers: tuple[abc.ObserverBase[StreamContent], ...] = ()
        self._producers: set[asyncio.Future[Any]] = set()  # started and still running
        self._started: set[asyncio.Future[Any]] = set()  # every producer ever started
        self._reentrant: deque[StreamContent | None] = deque()  # None: the end
        self._delivering = False
        # Until a consumer arrives the buffer keeps messages for it; once only Rx
        # subscribers consume, nothing needs buffering.
        self._buffering = True
        self._claimed = False
        self._finished = False
        self._closed = False
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
            StreamClosedError: the Streamer has already ended or was closed.
            ValueError: a value streamer of that name is still active.
            TypeError: ``response_model`` is not a pydantic model class.
        """
        self._ensure_open(f"add value streamer {name!r}")
        if any(active.name == name for active in self._active):
            raise ValueError(
                f"value streamer {name!r} is still active; complete it first, or call "
                "reset_active() before a retry registers it again"
            )
        if response_model is not None and not (
            isinstance(response_model, type) and issubclass(response_model, BaseModel)
        ):
            raise TypeError(
                f"response_model of value streamer {name!r} must be a pydantic BaseModel "
                f"subclass, got {response_model!r}; pass the class itself, not an instance"
            )
        delta = self._stream_delta if stream_delta is None else stream_delta
        value_streamer = ValueStreamer(
            name, stream_delta=delta, response_model=response_model, pacer=self._buffer
        )
        value_streamer._supervised = bool(self._started)
        self._active[value_streamer] = self._messages_of(value_streamer).subscribe(
            self._deliver, self._fail, partial(self._stream_completed, value_streamer)
        )
        return value_streamer

    def start(
        self, producer: Coroutine[Any, Any, Any] | asyncio.Future[Any]
    ) -> asyncio.Future[Any]:
        """Run ``producer`` linked to this Streamer, and return its task.

        If the producer raises, consumers get that exception after the messages
        it pushed before, and the other started producers are cancelled. If it
        returns (or is cancelled) while value streamers it pushed to are still
        active, and no other started producer that pushed to them still runs,
        consumers get :class:`~kavalai.IncompleteStreamError` naming them
        instead of waiting forever; once no started producer runs, the same
        holds for value streamers nobody pushed to. While a started producer
        runs, the Streamer does not end, so it may still register value
        streamers. Closing the Streamer cancels it.

        Args:
            producer: A coroutine (run as a new task) or an existing task.
        """
        self._ensure_open("start a producer")
        task = asyncio.ensure_future(producer)
        self._producers.add(task)
        self._started.add(task)
        for value_streamer in self._active:
            value_streamer._supervised = True
        task.add_done_callback(self._producer_done)
        return task

    def statistics(self) -> StreamerStatistics:
        """Return the buffer fill, its limit, active streams and waiting producers."""
        return StreamerStatistics(
            buffered=len(self._buffer.queue),
            max_buffer=self._buffer.max_buffer,
            active_streams=len(self._active),
            waiting_producers=self._buffer.waiting_producers,
        )

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
        self._detach_active(
            "was retired by reset_active(); push to the value streamer of the retry instead",
            retired=True,
        )

    def close(self) -> None:
        """Close the Streamer: the consumer is done, whatever the producers do.

        Idempotent. Value streamers still active refuse further chunks with
        :class:`~kavalai.StreamClosedError`, waiting producers wake up to that
        error, started producers are cancelled, Rx subscribers complete and are
        let go, and iteration ends once the messages already buffered are taken.
        """
        if self._closed:
            return
        self._closed = True
        self._buffering = False
        self._detach_active("cannot take chunks: its Streamer was closed; stop producing")
        self._cancel_producers()
        self._started.clear()
        if not self._finished:
            self._finish()

    async def aclose(self) -> None:
        """Close the Streamer; the async form of :meth:`close`."""
        self.close()

    def to_async_observable(self) -> AsyncObservable[StreamContent]:
        """The same messages as an aioreactive ``AsyncObservable``.

        Subscribing consumes the Streamer the way ``async for`` does. Needs the
        ``aio`` extra: ``pip install 'kavalai[aio]'``.
        """
        from ._aio import to_async_observable

        return to_async_observable(self)

    def __aiter__(self) -> Streamer:
        self._start_iterating()
        return self

    async def __anext__(self) -> StreamContent:
        buffer = self._buffer
        while not buffer.queue:
            if self._finished:
                self._end_iteration()
            self._start_iterating()
            await self._wait_for_message()
        return buffer.take()

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[StreamContent],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        if not self._claimed:
            self._claimed = True
            self._buffering = False
            buffered = list(self._buffer.queue)
            self._buffer.queue.clear()
            for message in buffered:
                if not subscribers.send(observer, message):
                    return Disposable()
        if self._finished:
            subscribers.send_terminal(observer, self._error)
            return Disposable()
        self._observers = (*self._observers, observer)
        return Disposable(partial(self._unsubscribe, observer))

    def _unsubscribe(self, observer: abc.ObserverBase[StreamContent]) -> None:
        self._observers = tuple(other for other in self._observers if other is not observer)

    def _messages_of(self, value_streamer: ValueStreamer) -> Observable[StreamContent]:
        name = value_streamer.name
        if value_streamer.stream_delta:
            return value_streamer.pipe(kops.to_stream_content(name, delta=True))
        if value_streamer.response_model is not None:
            return value_streamer.pipe(kops.partial_json(), kops.to_stream_content(name))
        return value_streamer.pipe(kops.accumulate(), kops.to_stream_content(name))

    def _deliver(self, message: StreamContent | None) -> None:
        """Deliver a message (None: the end) to every consumer, in order.

        A subscriber that pushes from inside its callback would otherwise have
        its message overtake the one it is reacting to; such messages wait here.
        """
        if self._delivering:
            self._reentrant.append(message)
            return
        self._delivering = True
        try:
            self._fan_out(message)
            while self._reentrant:
                self._fan_out(self._reentrant.popleft())
        finally:
            self._delivering = False

    def _fan_out(self, message: StreamContent | None) -> None:
        if message is None:
            observers, self._observers = self._observers, ()
            for observer in observers:
                subscribers.send_terminal(observer, self._error)
            self._buffer.wake_all()
            return
        for observer in self._observers:
            if not subscribers.send(observer, message):
                self._unsubscribe(observer)
        if self._buffering:
            self._buffer.put(message)

    def _stream_completed(self, value_streamer: ValueStreamer) -> None:
        self._active.pop(value_streamer, None)
        if not self._active and not self._producers:
            self._finish()

    def _fail(self, error: Exception) -> None:
        self._ensure_open("stream an error")
        self._error = error
        self._detach_active(f"cannot take chunks: its Streamer failed with {error!r}")
        self._cancel_producers()
        self._finish()

    def _finish(self) -> None:
        self._finished = True
        self._deliver(None)

    def _cancel_producers(self) -> None:
        producers, self._producers = self._producers, set()
        for task in producers:
            task.cancel()

    def _detach_active(self, reason: str, *, retired: bool = False) -> None:
        active, self._active = self._active, {}
        for value_streamer, subscription in active.items():
            subscription.dispose()
            value_streamer._detach(reason, retired=retired)

    def _producer_done(self, task: asyncio.Future[Any]) -> None:
        self._producers.discard(task)
        if self._closed or self._finished:
            return
        # Cancelled from outside: its streams will never complete, as if it returned.
        error = None if task.cancelled() else task.exception()
        if isinstance(error, Exception):
            self._fail(error)
            return
        if error is not None:
            return  # KeyboardInterrupt and the like belong to the event loop
        left_over = [vs.name for vs in self._active if self._abandoned(vs)]
        if left_over:
            self._fail(IncompleteStreamError(left_over))
        elif not self._active and not self._producers:
            self._finish()

    def _abandoned(self, value_streamer: ValueStreamer) -> bool:
        """Whether no task that could still complete ``value_streamer`` runs.

        Tasks this Streamer did not start (the caller's own, say) are not
        supervised: a value streamer only they pushed to is never abandoned.
        """
        feeders = value_streamer._feeders
        supervised = feeders & self._started
        if supervised:
            return all(task.done() for task in supervised)
        return not self._producers and all(task.done() for task in feeders)

    def _ensure_open(self, action: str) -> None:
        if self._closed:
            raise StreamClosedError(f"cannot {action}: the Streamer was closed; use a new Streamer")
        if self._finished:
            raise StreamClosedError(
                f"cannot {action}: the Streamer already ended when its last value streamer "
                "completed (or it failed); get every value streamer before completing the "
                "last one, or use a new Streamer"
            )

    def _start_iterating(self) -> None:
        if self._closed:
            return
        self._claimed = True
        self._buffering = True
        self._buffer.iterating = True

    async def _wait_for_message(self) -> None:
        if self._timeout_seconds is None:
            await self._buffer.wait_for_message()
            return
        try:
            async with asyncio.timeout(self._timeout_seconds):
                await self._buffer.wait_for_message()
        except TimeoutError:
            names = [value_streamer.name for value_streamer in self._active]
            raise StreamerTimeoutException(names, self._timeout_seconds) from None

    def _end_iteration(self) -> NoReturn:
        if self._error is not None and not self._error_raised:
            self._error_raised = True
            raise self._error
        raise StopAsyncIteration
