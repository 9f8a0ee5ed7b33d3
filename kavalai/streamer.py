"""Streamer: many named values, one history of messages, any number of consumers."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import BaseModel
from reactivex import Observable, abc
from reactivex.disposable import Disposable
from reactivex.subject import Subject

from . import _consumers as consumers
from . import _subscribers as subscribers
from ._consumers import MessageIterator
from ._flow import Pacing, Waiters, validate_max_buffer
from ._history import Cursor, History, Kind, Stream
from ._loop import AsyncClosing, HomeLoop
from ._supervision import Supervision
from .content import StreamContent, message
from .errors import (
    StreamClosedError,
    StreamerTimeoutException,
    StreamRestartedError,
)
from .value_streamer import ValueStreamer

if TYPE_CHECKING:
    from aioreactive import AsyncObservable

__all__ = ["DEFAULT_HISTORY", "Streamer", "StreamerStatistics"]

#: The name restart messages carry, kept from the original API.
RESTART_NAME = "response"

_get_ident = threading.get_ident

#: How many of the latest messages a Streamer keeps for exact replay by default.
DEFAULT_HISTORY = 1024


class StreamerStatistics(NamedTuple):
    """A snapshot of a Streamer's state, for monitoring and tests."""

    buffered: int  #: messages the slowest iterating consumer has yet to take
    max_buffer: int | None  #: the limit set at construction, None for none
    active_streams: int  #: value streamers not yet complete
    waiting_producers: int  #: producers waiting in ``stream_partial`` for room
    consumers: int = 0  #: iterating consumers and Rx subscribers following live messages
    history: int = 0  #: messages kept for exact replay


class _Subscriber(NamedTuple):
    observer: abc.ObserverBase[StreamContent]
    start: int  # the first position it gets live; it replayed those before


class Streamer(Observable[StreamContent], AsyncClosing):
    """Multiplexes named value streamers into one history of :class:`StreamContent`.

    A producer asks for one :class:`ValueStreamer` per value it will write
    (:meth:`get_value_streamer`), pushes chunks into each and completes each.
    Every message gets a position (``message.seq``: 0, 1, 2, ...), and every
    consumer receives every message from the first, whenever it starts: each
    ``async for`` loop, each :meth:`messages` iterator, each Rx subscription
    (direct or through ``.pipe(...)``) is independent, replays what it missed,
    then follows live messages, and ends right after the ``complete`` message
    of the last active value streamer. So a notebook can show a stream live
    while code collects its result, and a web page that reconnects resumes
    where it stopped (``streamer.messages(after=last_seq)``).

    History: at least the latest ``history`` messages are kept for exact
    replay. Older ones are folded, in batches of an eighth of ``history`` (at
    least 64), into each stream's value at that point, so memory grows with the
    values, not with the number of messages; a consumer that starts before
    the kept messages first gets a ``restart`` message and then one message per
    stream carrying its value so far (the catch-up), then the rest. Messages a
    consumer still has to take are never trimmed; behind a consumer far behind,
    history is folded each time it has read as many as it still has to, so a
    long backlog costs the same per message as a short one.

    Choosing ``max_buffer``: without it, a producer that outruns its iterating
    consumers only yields the event loop each time the slowest is a few dozen
    messages behind, which keeps up with consumers that do not themselves wait
    on I/O. Consumers that do (a websocket, a slow UI) call for ``max_buffer``:
    the producer then waits in ``stream_partial`` while the slowest iterating
    consumer is that many messages behind, so memory stays bounded and a paid
    model call slows to the consumers' pace. A consumer that leaves stops
    holding producers back. A consumer counts from the moment it is made
    (``aiter(streamer)``, ``streamer.messages()``); before any is, pushes never
    wait, so in one task push everything first and then iterate (opening the
    iterator first and then pushing more than ``max_buffer`` would wait for it).

    Close the Streamer (``await streamer.aclose()``, or leave ``async with``)
    when nobody listens any more: producers then get
    :class:`~kavalai.StreamClosedError` at their next push and stop spending
    tokens, and producers started with :meth:`start` are cancelled.

    Args:
        stream_delta: Default mode of the value streamers: ``False`` for
            cumulative values (each partial carries the whole value so far),
            ``True`` for deltas (each partial carries only its chunk).
        timeout_seconds: If iterating waits longer than this for a message, it
            raises :class:`StreamerTimeoutException` naming the quiet streams.
        max_buffer: How many messages the slowest iterating consumer may be
            behind before ``stream_partial`` waits; ``None`` (the default) for
            no limit.
        history: How many of the latest messages to keep for exact replay
            (default :data:`DEFAULT_HISTORY`); ``None`` keeps them all.

    Raises:
        ValueError: ``max_buffer`` is not a positive int or None, or
            ``history`` not a non-negative int or None.
    """

    def __init__(
        self,
        stream_delta: bool = False,
        timeout_seconds: float | None = None,
        max_buffer: int | None = None,
        history: int | None = DEFAULT_HISTORY,
    ) -> None:
        super().__init__()
        self._stream_delta = stream_delta
        self._timeout_seconds = timeout_seconds
        self._history = History(_validate_history(history))
        self._pacing = Pacing(self._history, validate_max_buffer(max_buffer))
        self._waiting = Waiters()  # iterating consumers waiting at the head
        self._home = HomeLoop()
        self._home.adopt()
        self._active: dict[str, ValueStreamer] = {}  # by name: one active stream a name
        self._by_name: dict[str, Stream] = {}  # the latest stream of each name
        self._registered = 0  # value streamers registered so far: the next one's serial
        self._awaiting_values: dict[str, list[abc.ObserverBase[str]]] = {}
        self._subscribers: tuple[_Subscriber, ...] = ()
        self._supervision = Supervision(self)
        self._reentrant: deque[tuple[int, StreamContent] | None] = deque()  # None: the end
        self._delivering = False
        self._ending: Literal["finished", "failed", "closed"] | None = None
        self._closed = False
        self._error: Exception | None = None
        self._restart_reason: str | None = None

    def get_value_streamer(
        self,
        name: str,
        stream_delta: bool | None = None,
        response_model: type[BaseModel] | None = None,
    ) -> ValueStreamer:
        """Register a named value and return the handle to produce it.

        Args:
            name: The name its messages carry, a non-empty ``str``; unique among
                the active streams.
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
            TypeError: ``name`` is not a ``str``, or ``response_model`` not a
                pydantic model class.
            ValueError: ``name`` is empty, or a value streamer of that name is
                still active.
        """
        if not isinstance(name, str):
            raise TypeError(
                f"the name of a value streamer must be a str, got {type(name).__name__} "
                f"{name!r}; pass the name its messages should carry, such as 'answer'"
            )
        if not name:
            raise ValueError(
                "the name of a value streamer must not be empty; pass the name its "
                "messages should carry, such as 'answer'"
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
            name, stream_delta=delta, response_model=response_model, streamer=self
        )
        self._home.adopt()
        self._home.call_and_wait(partial(self._register, value_streamer))
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

        Any task that pushes to a value streamer is watched too, however it was
        started: if it raises while a stream it pushed to is active, consumers
        get the exception. Only :meth:`start` adds the check for streams left
        incomplete, since a task of the caller's own may complete them later.

        Args:
            producer: A coroutine (run as a new task) or an existing task.
        """
        self._ensure_open("start a producer")
        self._home.adopt()
        return self._supervision.start(producer)

    def messages(self, after: int | None = None, delta: bool | None = None) -> MessageIterator:
        """An independent consumer of the messages after position ``after``.

        Use it as an async iterator, and as an async context manager that
        releases it when left early::

            async with streamer.messages(after=last_seq) as messages:
                async for message in messages:
                    ...

        Args:
            after: The position of the last message already seen (a
                ``message.seq``), or ``None`` to start from the first. A position
                whose successors were trimmed from history gets the catch-up.
            delta: ``True`` for every stream's raw chunks as delta partials
                (structured streams included: the JSON text as written),
                ``False`` for cumulative values, ``None`` for each stream's own mode.

        Raises:
            ValueError: ``after`` is not a position this Streamer has given.
            TypeError: ``delta`` is not a bool or None.
        """
        self.check_position(after)
        if delta is not None and not isinstance(delta, bool):
            raise TypeError(f"delta must be True, False or None, got {delta!r}")
        self._home.adopt()
        # Made on the home loop, so that joining the pacing races nothing.
        return self._home.call_and_wait(partial(MessageIterator, self, after, delta))

    def values(self, name: str) -> Observable[str]:
        """The raw text chunks of one stream, as the producer pushed them.

        Replayed from the first chunk, then live, completing with that stream,
        whatever its mode: so the JSON operators read a cumulative structured
        stream too (``streamer.values("answer").pipe(typed_partials(Answer))``).
        Chunks trimmed from history arrive joined into one. It follows the latest
        stream of that name, or the first one registered under it later; it
        fails with :class:`~kavalai.StreamRestartedError` if that stream is
        retired by :meth:`reset_active` or a restart takes back chunks it gave
        (subscribed after a restart the stream went on after, it gives the
        chunks since), and with ``ValueError`` if the Streamer ends without
        such a stream.
        """
        return consumers.values_of(self, name)

    def statistics(self) -> StreamerStatistics:
        """Return the backlog, its limit, active streams, waiting producers and consumers."""
        pacing = self._pacing
        slowest = pacing.slowest
        return StreamerStatistics(
            buffered=0 if slowest is None else self._history.head - slowest,
            max_buffer=pacing.max_buffer,
            active_streams=len(self._active),
            waiting_producers=pacing.waiting_producers,
            consumers=len(pacing.readers) + len(self._subscribers),
            history=len(self._history),
        )

    def check_position(self, after: int | None) -> None:
        """Check that ``after`` can be passed to :meth:`messages`, before committing to it.

        For a server that takes a resume position from a client: checking it
        first lets a bad one be refused plainly rather than fail a response
        already under way.

        Raises:
            ValueError: ``after`` is neither ``None`` nor the position of a
                message of this Streamer.
        """
        head = self._history.head
        if after is not None and (
            isinstance(after, bool) or not isinstance(after, int) or not -1 <= after < head
        ):
            raise ValueError(
                f"after={after!r} is not the position of a message of this Streamer (its "
                f"positions so far run from 0 to {head - 1}); pass a message.seq, or None "
                "to start from the first message"
            )

    @property
    def ended(self) -> bool:
        """Whether the Streamer has ended: finished, failed or closed. No message follows."""
        return self._ending is not None

    @property
    def error(self) -> Exception | None:
        """The error the Streamer failed with, once it has; ``None`` otherwise."""
        return self._error

    async def stream_error(self, error: Exception) -> None:
        """End the Streamer with ``error``.

        Consumers first get every message pushed before it; then iteration raises
        ``error`` itself and Rx subscribers get ``on_error(error)``. Value streamers
        still active refuse further chunks.
        """
        self._ensure_open("stream an error")
        self._home.call(self._fail, error)

    async def stream_restart(self, value: str | None = None) -> None:
        """Tell consumers the producer starts over.

        Emits a ``restart`` message (name ``"response"``): consumers drop what
        they accumulated, and a retry follows. Pair it with :meth:`reset_active`
        so the retry's fresh value streamers decide when the Streamer ends. A
        value streamer that goes on without it starts a new value: its
        cumulative messages after the restart carry only what follows it, as
        a delta consumer that dropped the rest has it.

        Args:
            value: Optional text for the consumer, such as the reason.
        """
        self._ensure_open("stream a restart")
        self._home.call(self._apply_restart, value)

    def reset_active(self) -> None:
        """Forget the value streamers that have not completed.

        For retries: the failed attempt's streams will never complete, and the
        Streamer must not wait for them. Forgotten value streamers refuse further
        chunks; completing one later is harmless.
        """
        self._home.call(self._apply_reset)

    def close(self) -> None:
        """Close the Streamer: nobody listens any more, whatever the producers do.

        Idempotent. Value streamers still active refuse further chunks with
        :class:`~kavalai.StreamClosedError`, waiting producers wake up to that
        error, started producers are cancelled, Rx subscribers complete and are
        let go, and iterating consumers end after the messages pushed before.
        """
        self._home.call(self._apply_close)

    async def aclose(self) -> None:
        """Close the Streamer; the async form of :meth:`close`."""
        self.close()

    def to_async_observable(self) -> AsyncObservable[StreamContent]:
        """The same messages as an aioreactive ``AsyncObservable``.

        Each subscription is an independent consumer, as with ``async for``,
        and gets the Streamer's error through ``athrow``. Needs the ``aio``
        extra: ``pip install 'kavalai[aio]'``.
        """
        from ._aio import to_async_observable

        return to_async_observable(self)

    def __aiter__(self) -> MessageIterator:
        return self.messages()

    def __repr__(self) -> str:
        from .display._repr import streamer_line

        return streamer_line(self)

    def _repr_html_(self) -> str:
        from .display._repr import streamer_html

        return streamer_html(self)

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[StreamContent],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        # From another thread, the replay runs on the home loop, in order with pushes.
        self._home.adopt()
        return self._home.call_and_wait(partial(self._subscribe_now, observer))

    def _subscribe_now(self, observer: abc.ObserverBase[StreamContent]) -> abc.DisposableBase:
        cursor = Cursor(self._history, 0, None)
        while (replayed := cursor.read()) is not None:
            if not subscribers.send(observer, replayed):
                return Disposable()
        if self._ending is not None:
            subscribers.send_terminal(observer, self._error)
            return Disposable()
        subscriber = _Subscriber(observer, cursor.pos)
        self._subscribers = (*self._subscribers, subscriber)
        return Disposable(partial(self._unsubscribe, subscriber))

    def _replay(self, delta: bool | None = None) -> list[StreamContent]:
        """Every message so far, read at once on this thread (for reprs and the like)."""
        cursor = Cursor(self._history, 0, delta)
        replayed: list[StreamContent] = []
        while (message := cursor.read()) is not None:
            replayed.append(message)
        return replayed

    def _unsubscribe(self, subscriber: _Subscriber) -> None:
        self._subscribers = tuple(other for other in self._subscribers if other is not subscriber)

    # The producer's side, called by value streamers.

    async def _pace(self) -> None:
        """Wait, before a push, while the slowest iterating consumer is too far behind."""
        pacing, home = self._pacing, self._home
        if not pacing.congested:
            return
        home.adopt()
        if not home.foreign():
            await pacing.wait_for_room()
        elif pacing.max_buffer is not None and home.loop is not None:
            room = asyncio.run_coroutine_threadsafe(pacing.wait_for_room(), home.loop)
            await asyncio.wrap_future(room)

    def _push(self, value_streamer: ValueStreamer, chunk: str) -> None:
        home = self._home
        if home.loop is None:
            home.adopt()  # made outside a loop: the first push in one adopts it
        if home.thread == _get_ident():
            self._supervision.note_feeder(value_streamer)
            if not home.queued:
                self._apply_push(value_streamer, chunk)  # the common case, kept short
                return
        elif self._pacing.max_buffer is not None and home.loop is not None:
            self._block_for_room(value_streamer, home.loop)
        home.call(self._apply_push, value_streamer, chunk)

    def _complete(self, value_streamer: ValueStreamer) -> None:
        self._home.call(self._apply_complete, value_streamer)

    def _error_from(self, value_streamer: ValueStreamer, error: Exception) -> None:
        self._home.call(self._apply_error, value_streamer, error)

    def _block_for_room(
        self, value_streamer: ValueStreamer, loop: asyncio.AbstractEventLoop
    ) -> None:
        """Pace a producer on another thread: block it until the slowest consumer caught up."""
        pacing = self._pacing
        slowest = pacing.slowest
        queued = self._home.queued
        if slowest is None or self._history.head + queued - slowest < pacing.limit:
            return
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(pacing.wait_for_room(), loop).result()
            value_streamer._check_open("push every chunk before calling stream_complete()")

    # Applying changes, on the home loop's thread.

    def _register(self, value_streamer: ValueStreamer) -> None:
        name = value_streamer.name
        self._ensure_open(f"add value streamer {name!r}")
        if name in self._active:
            raise ValueError(
                f"value streamer {name!r} is still active; complete it first, or call "
                "reset_active() before a retry registers it again"
            )
        stream = Stream(
            name,
            value_streamer.stream_delta,
            value_streamer.response_model is not None,
            serial=self._registered,
            first=self._history.head,
        )
        self._registered += 1
        value_streamer._record = stream
        self._active[name] = value_streamer
        self._by_name[name] = stream
        stream.watchers.extend(self._awaiting_values.pop(name, ()))

    def _apply_push(self, value_streamer: ValueStreamer, chunk: str) -> None:
        if value_streamer._closed_reason is not None:
            return  # handed over by a thread before the Streamer let go of the stream
        stream = value_streamer._record
        assert stream is not None
        text = stream.text
        text.append(chunk)
        stream.chunks += 1
        self._append("partial", stream, chunk, text.length)
        for observer in stream.watchers:
            observer.on_next(chunk)
        if value_streamer.observers:
            Subject.on_next(value_streamer, chunk)

    def _apply_complete(self, value_streamer: ValueStreamer) -> None:
        if value_streamer._closed_reason is not None:
            return
        stream = value_streamer._record
        assert stream is not None
        self._append("complete", stream, None, stream.text.length)
        stream.end = self._history.head
        consumers.end_watchers(stream, consumers.completed)
        Subject.on_completed(value_streamer)
        self._deactivate(value_streamer)
        if not self._active and not self._supervision.running:
            self._finish("finished")

    def _apply_error(self, value_streamer: ValueStreamer, error: Exception) -> None:
        if value_streamer._closed_reason is not None:
            return
        Subject.on_error(value_streamer, error)
        self._fail(error)

    def _apply_restart(self, value: str | None) -> None:
        if self._ending is not None:
            return
        self._restart_reason = value
        seq = self._history.head
        voided: list[tuple[str, list[abc.ObserverBase[str]]]] = []
        for value_streamer in self._active.values():
            stream = value_streamer._record
            assert stream is not None
            if stream.watchers and stream.pushed_since_start(seq):
                # Its values() observers had chunks the restart takes back.
                voided.append((stream.name, stream.watchers))
                stream.watchers = []
            # Consumers drop what they accumulated: a stream that goes on has a new value.
            stream.restarts.append((seq, stream.text.length, stream.chunks))
        restart = message("restart", RESTART_NAME, value, seq)
        self._append("restart", None, None, 0, built=restart)
        # Last: an observer may subscribe again at once (it reads the chunks
        # since the restart) or end this very Streamer.
        for name, watchers in voided:
            for observer in tuple(watchers):  # ending one disposes it, out of this list
                subscribers.send_terminal(observer, StreamRestartedError(name, value))

    def _apply_reset(self) -> None:
        for value_streamer in list(self._active.values()):
            self._retire(value_streamer)

    def _retire(self, value_streamer: ValueStreamer) -> None:
        """Forget one value streamer that has not completed (see :meth:`reset_active`)."""
        if not self._deactivate(value_streamer):
            return
        stream = value_streamer._record
        assert stream is not None
        self._history.forget(stream)
        stream.retired = True
        error = StreamRestartedError(stream.name, self._restart_reason)
        consumers.end_watchers(stream, consumers.failed(error))
        value_streamer._detach(
            "was retired by reset_active(); push to the value streamer of the retry instead",
            retired=True,
        )

    def _apply_close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._end_active(consumers.completed)
        self._detach_active("cannot take chunks: its Streamer was closed; stop producing")
        self._supervision.cancel_all()
        if self._ending is None:
            self._finish("closed")

    def _fail(self, error: Exception) -> None:
        if self._ending is not None:
            return
        self._error = error
        self._end_active(consumers.failed(error))
        self._detach_active(f"cannot take chunks: its Streamer failed with {error!r}")
        self._supervision.cancel_running()
        self._finish("failed")

    def _append(
        self,
        kind: Kind,
        stream: Stream | None,
        chunk: str | None,
        end: int,
        built: StreamContent | None = None,
    ) -> None:
        history, pacing = self._history, self._pacing
        subscribers_ = self._subscribers
        readers = pacing.readers
        seq = history.head
        built = history.append(
            kind,
            stream,
            chunk,
            end,
            built,
            subscribed=bool(subscribers_),
            cumulative=bool(pacing.value_readers),
        )
        if subscribers_ and built is not None:
            self._deliver((seq, built))
        if self._waiting:
            self._waiting.wake()
        if not readers:
            if built is not None and stream is not None and not stream.delta:
                history.messages[-1] = None  # a cumulative value nobody else will read now
            history.trim(history.head)

    def _deliver(self, item: tuple[int, StreamContent] | None) -> None:
        """Deliver a message (None: the end) to every Rx subscriber, in order.

        A subscriber that pushes from inside its callback would otherwise have
        its message overtake the one it is reacting to; such messages wait here.
        """
        if self._delivering:
            self._reentrant.append(item)
            return
        self._delivering = True
        try:
            self._fan_out(item)
            while self._reentrant:
                self._fan_out(self._reentrant.popleft())
        finally:
            self._delivering = False

    def _fan_out(self, item: tuple[int, StreamContent] | None) -> None:
        if item is None:
            ended, self._subscribers = self._subscribers, ()
            for subscriber in ended:
                subscribers.send_terminal(subscriber.observer, self._error)
            return
        seq, delivered = item
        for subscriber in self._subscribers:
            if seq >= subscriber.start and not subscribers.send(subscriber.observer, delivered):
                self._unsubscribe(subscriber)

    def _finish(self, ending: Literal["finished", "failed", "closed"]) -> None:
        self._ending = ending
        self._supervision.release()
        self._pacing.wake_all()
        self._waiting.wake()
        awaiting, self._awaiting_values = self._awaiting_values, {}
        for name, observers in awaiting.items():
            for observer in tuple(observers):  # ending one disposes it, out of this list
                subscribers.send_terminal(observer, consumers._never_registered(name))
        self._deliver(None)

    def _deactivate(self, value_streamer: ValueStreamer) -> bool:
        """Take ``value_streamer`` off the active ones; False if it was not one."""
        if self._active.get(value_streamer.name) is not value_streamer:
            return False
        del self._active[value_streamer.name]
        return True

    def _end_active(self, ended: Any) -> None:
        for value_streamer in self._active.values():
            if value_streamer._record is not None:
                consumers.end_watchers(value_streamer._record, ended)

    def _detach_active(self, reason: str, *, retired: bool = False) -> None:
        active, self._active = self._active, {}
        for value_streamer in active.values():
            value_streamer._detach(reason, retired=retired)

    def _ensure_open(self, action: str) -> None:
        if self._closed:
            raise StreamClosedError(f"cannot {action}: the Streamer was closed; use a new Streamer")
        if self._ending is not None:
            raise StreamClosedError(
                f"cannot {action}: the Streamer already ended when its last value streamer "
                "completed (or it failed); get every value streamer before completing the "
                "last one, or use a new Streamer"
            )

    async def _wait_for_message(self) -> None:
        """Wait at the head until a message is pushed or the Streamer ends."""
        self._home.adopt()
        if self._timeout_seconds is None:
            await self._waiting.wait()
            return
        try:
            async with asyncio.timeout(self._timeout_seconds):
                await self._waiting.wait()
        except TimeoutError:
            names = list(self._active)
            raise StreamerTimeoutException(names, self._timeout_seconds) from None


def _validate_history(history: object) -> int | None:
    if history is None:
        return None
    if isinstance(history, bool) or not isinstance(history, int) or history < 0:
        raise ValueError(
            f"history must be a non-negative int (messages kept for exact replay), or None "
            f"to keep every message; got {history!r}"
        )
    return history
