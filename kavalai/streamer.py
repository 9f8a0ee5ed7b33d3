"""Streamer: many named values, one history of messages, any number of consumers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from pydantic import BaseModel
from reactivex import Observable, abc

from ._consumers import values_of
from ._history import Kind
from ._log import DEFAULT_HISTORY, Ending, Log
from ._loop import AsyncClosing
from .content import StreamContent, StreamInfo
from .reader import LogReader, MessageIterator
from .value_streamer import ValueStreamer

if TYPE_CHECKING:
    from aioreactive import AsyncObservable

__all__ = ["DEFAULT_HISTORY", "Streamer", "StreamerStatistics", "StreamerWatcher"]


class StreamerStatistics(NamedTuple):
    """A snapshot of a Streamer's state, for monitoring and tests."""

    buffered: int  #: messages the slowest iterating consumer has yet to take
    max_buffer: int | None  #: the limit set at construction, None for none
    active_streams: int  #: value streamers not yet complete
    waiting_producers: int  #: producers waiting in ``stream_partial`` for room
    consumers: int = 0  #: iterating consumers and Rx subscribers following live messages
    history: int = 0  #: messages kept for exact replay


class StreamerWatcher(Protocol):
    """What :meth:`Streamer.watch` tells of a Streamer as it runs: for telemetry.

    Every call is made on the Streamer's event loop, inside the push or the
    read it tells of, so a watcher is quick and never raises. A Streamer
    without a watcher pays one attribute test per message and per read; a
    consumer that started before the watcher was set, or taken off, goes on
    as it was.
    """

    def appended(
        self, position: int, kind: Kind, stream: StreamInfo | None, chunk: str | None
    ) -> None:
        """A message was added at ``position``.

        A ``partial`` of ``stream`` with its raw ``chunk``, a ``complete`` of
        ``stream``, or a ``restart`` (``stream`` is ``None``, ``chunk`` too).
        """

    def opened(self, reader: LogReader) -> Callable[[int], None] | None:
        """A consumer that paces the Streamer started; ``reader`` stands for it.

        Every ``async for``, :meth:`Streamer.messages` and paced
        :meth:`Streamer.reader` is one; Rx subscribers are not (they get each
        message inside its push). Return what to call after each of its takes,
        until it has taken the last message or left, with its position then (it
        has every message before it); or ``None`` not to be told.
        """

    def ended(self, ending: Ending, error: Exception | None) -> None:
        """The Streamer ended: ``finished``, ``failed`` (with ``error``) or ``closed``."""


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
        self._log = Log(stream_delta, timeout_seconds, max_buffer, history)

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
        log = self._log
        delta = log.stream_delta if stream_delta is None else stream_delta
        log.home.adopt()
        return ValueStreamer(name, stream_delta=delta, response_model=response_model, log=log)

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
        log = self._log
        log.ensure_open("start a producer")
        log.home.adopt()
        return log.supervision.start(producer)

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
        self._check_reader(after, delta)
        # Made on the home loop, so that joining the pacing races nothing.
        return self._log.home.call_and_wait(partial(MessageIterator, self._log, after, delta))

    def reader(
        self, after: int | None = None, delta: bool | None = None, *, paced: bool = True
    ) -> LogReader:
        """A :class:`~kavalai.reader.LogReader` of the messages after position ``after``.

        What a transport or a display reads the Streamer with: it takes what is
        ready without waiting, in built messages or raw chunks, and waits
        when told to. Arguments as for :meth:`messages`.

        Args:
            paced: ``False`` for a look at what is there now, from any thread
                (a repr): the reader does not hold producers back, so history
                may be folded under it; read at once, and only raw messages
                (``take_raw``, ``take_chunks``), which build nothing.

        Raises:
            ValueError: ``after`` is not a position this Streamer has given.
            TypeError: ``delta`` is not a bool or None.
        """
        self._check_reader(after, delta)
        log = self._log
        if not paced:  # it joins nothing, so it is made here, without the home loop
            return LogReader(log, after, delta, paced=False)
        return log.home.call_and_wait(partial(LogReader, log, after, delta))

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
        return values_of(self._log, name)

    def watch(self, watcher: StreamerWatcher | None) -> None:
        """Tell ``watcher`` of every message added, every consumer's reads and the end.

        One watcher a Streamer; ``None`` takes it off. For telemetry
        (:func:`kavalai.telemetry.instrument` sets one): set it before the
        producers and consumers start, so it is told of everything.
        """
        self._log.home.call_and_wait(partial(setattr, self._log, "watcher", watcher))

    def statistics(self) -> StreamerStatistics:
        """Return the backlog, its limit, active streams, waiting producers and consumers."""
        log = self._log
        pacing = log.pacing
        return StreamerStatistics(
            buffered=pacing.backlog,
            max_buffer=pacing.max_buffer,
            active_streams=len(log.active),
            waiting_producers=pacing.waiting_producers,
            consumers=len(pacing.readers) + len(log.fan_out),
            history=len(log.history),
        )

    def fold_to(self, position: int, *, catch_up: bool = True) -> None:
        """Fold every message so far into each stream's value, and number the next ``position``.

        For a Streamer that mirrors another one from a point on, such as a
        reader of an answer in Redis: what it was given so far stands for the
        other's first ``position`` messages, and from here on it takes the
        other's positions, so ``messages(after=seq)`` means the same on both.
        A consumer that starts before ``position`` gets the catch-up (a
        ``restart``, then each stream's value so far, the last message at
        ``position - 1``), as from a Streamer that trimmed those messages; with
        ``catch_up=False`` a consumer from the first message starts at
        ``position`` instead, as one of the other Streamer that resumes after
        ``position - 1``. Cumulative values go on from the folded text.

        Raises:
            ValueError: ``position`` is below the number of messages so far, or
                a consumer has started (call it before any does).
        """
        log = self._log
        log.home.call_and_wait(partial(log.fold_to, position, catch_up))

    def check_position(self, after: int | None) -> None:
        """Check that ``after`` can be passed to :meth:`messages`, before committing to it.

        For a server that takes a resume position from a client: checking it
        first lets a bad one be refused plainly rather than fail a response
        already under way.

        Raises:
            ValueError: ``after`` is neither ``None`` nor the position of a
                message of this Streamer.
        """
        head = self._log.history.head
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
        return self._log.ending is not None

    @property
    def error(self) -> Exception | None:
        """The error the Streamer failed with, once it has; ``None`` otherwise."""
        return self._log.error

    async def stream_error(self, error: Exception) -> None:
        """End the Streamer with ``error``.

        Consumers first get every message pushed before it; then iteration raises
        ``error`` itself and Rx subscribers get ``on_error(error)``. Value streamers
        still active refuse further chunks.
        """
        log = self._log
        log.ensure_open("stream an error")
        log.home.call(log.fail, error)

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
        log = self._log
        log.ensure_open("stream a restart")
        log.home.call(log.restart, value)

    def reset_active(self) -> None:
        """Forget the value streamers that have not completed.

        For retries: the failed attempt's streams will never complete, and the
        Streamer must not wait for them. Forgotten value streamers refuse further
        chunks; completing one later is harmless. Their ``values()`` observers
        fail with :class:`~kavalai.StreamRestartedError` (subscribe again to
        follow the retry's stream of that name); a value streamer's own
        subscribers complete, as it takes no chunk any more.
        """
        self._log.home.call(self._log.reset)

    def close(self) -> None:
        """Close the Streamer: nobody listens any more, whatever the producers do.

        Idempotent. Value streamers still active refuse further chunks with
        :class:`~kavalai.StreamClosedError`, waiting producers wake up to that
        error, started producers are cancelled, Rx subscribers complete and are
        let go, and iterating consumers end after the messages pushed before.
        """
        self._log.home.call(self._log.close)

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
        from ._view.repr import streamer_line

        return streamer_line(self)

    def _repr_html_(self) -> str:
        from ._view.repr import streamer_html

        return streamer_html(self)

    def _subscribe_core(
        self,
        observer: abc.ObserverBase[StreamContent],
        scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        # From another thread, the replay runs on the home loop, in order with pushes.
        log = self._log
        log.home.adopt()
        return log.home.call_and_wait(partial(log.subscribe, observer))

    def _check_reader(self, after: int | None, delta: bool | None) -> None:
        self.check_position(after)
        if delta is not None and not isinstance(delta, bool):
            raise TypeError(f"delta must be True, False or None, got {delta!r}")
        self._log.home.adopt()
