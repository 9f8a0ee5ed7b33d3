"""The Log: the one owner of a Streamer's state.

Streams by name, the active set, the history of messages and their positions,
pacing, fan-out to Rx subscribers, and how the Streamer ended: all of it lives
here, and changes only through the methods below, on the home loop's thread.
The public faces hold a Log and never each other's state: :class:`Streamer`
(the API), :class:`ValueStreamer` (a producer's handle on one stream) and
:class:`~kavalai.reader.LogReader` (a consumer's position in the history).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Literal

from reactivex import abc
from reactivex.disposable import Disposable

from . import _subscribers as subscribers
from ._fan_out import FanOut
from ._flow import Pacing, Waiters, validate_max_buffer
from ._history import History, Kind
from ._loop import HomeLoop
from ._stream import Stream, discard
from ._supervision import Supervision
from .content import StreamContent, message
from .errors import StreamClosedError, StreamRestartedError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .streamer import StreamerWatcher

__all__ = ["DEFAULT_HISTORY", "RESTART_NAME", "Ending", "Log", "Observer", "validate_history"]

#: The name restart messages carry, kept from the original API.
RESTART_NAME = "response"

#: How many of the latest messages a Streamer keeps for exact replay by default.
DEFAULT_HISTORY = 1024

Ending = Literal["finished", "failed", "closed"]
Observer = abc.ObserverBase[str]


class Log:
    """Everything one Streamer knows; see the module docstring.

    Attributes are read by the faces and readers of this room; they are
    changed only by the methods here (and by :class:`Pacing` and
    :class:`History`, which own their parts).
    """

    __slots__ = (
        "active",
        "awaiting_values",
        "by_name",
        "closed",
        "ending",
        "error",
        "fan_out",
        "held",
        "history",
        "home",
        "origin",
        "pacing",
        "registered",
        "restart_reason",
        "stream_delta",
        "supervision",
        "timeout_seconds",
        "waiting",
        "watcher",
    )

    def __init__(
        self,
        stream_delta: bool = False,
        timeout_seconds: float | None = None,
        max_buffer: int | None = None,
        history: int | None = DEFAULT_HISTORY,
    ) -> None:
        self.stream_delta = stream_delta
        self.timeout_seconds = timeout_seconds
        self.history = History(validate_history(history))
        self.pacing = Pacing(self.history, validate_max_buffer(max_buffer))
        self.waiting = Waiters()  # readers waiting at the head
        self.home = HomeLoop()
        self.home.adopt()
        self.active: dict[str, Stream] = {}  # by name: one active stream a name
        self.by_name: dict[str, Stream] = {}  # the latest stream of each name
        self.registered = 0  # streams registered so far: the next one's serial
        self.awaiting_values: dict[str, list[Observer]] = {}  # values() of names not yet here
        self.fan_out = FanOut()
        self.supervision = Supervision(self)
        self.ending: Ending | None = None
        self.closed = False
        self.error: Exception | None = None
        self.restart_reason: str | None = None
        self.held = False  # ended only by close() or fail(), not by its last complete
        self.origin = 0  # where a consumer from the first message starts (see fold_to)
        self.watcher: StreamerWatcher | None = None  # see Streamer.watch

    # Producers' changes.

    def register(
        self, name: str, delta: bool, model: type[BaseModel] | None, serial: int | None = None
    ) -> Stream:
        """Open a stream of ``name``: the next value of that name.

        ``serial`` is the next one but for a Log that mirrors another's streams.
        """
        self.ensure_open(f"add value streamer {name!r}")
        if name in self.active:
            raise ValueError(
                f"value streamer {name!r} is still active; complete it first, or call "
                "reset_active() before a retry registers it again"
            )
        serial = self.registered if serial is None else serial
        head = self.history.head
        stream = Stream(name, delta, model is not None, serial=serial, first=head)
        self.registered += 1
        self.active[name] = stream
        self.by_name[name] = stream
        stream.watchers.extend((observer, head) for observer in self.awaiting_values.pop(name, ()))
        return stream

    def push(self, stream: Stream, chunk: str) -> None:
        if stream.closed_reason is not None:
            return  # handed over by a thread before the Log let go of the stream
        text = stream.text
        text.append(chunk)
        stream.chunks += 1
        self.append("partial", stream, chunk, text.length)

    def complete(self, stream: Stream) -> None:
        if stream.closed_reason is not None:
            return
        self.append("complete", stream, None, stream.text.length)
        stream.end = self.history.head
        self.fan_out.later(stream.end_observers, None, None)
        self._deactivate(stream)
        if not self.active and not self.supervision.running and not self.held:
            self.finish("finished")

    def fail_stream(self, stream: Stream, error: Exception) -> None:
        if stream.closed_reason is None:
            self.fail(error)

    def restart(self, value: str | None) -> None:
        if self.ending is not None:
            return
        self.restart_reason = value
        seq = self.history.head
        # Its values() observers had chunks the restart takes back.
        voided = [s for s in self.active.values() if s.watchers and s.pushed_since_start(seq)]
        for stream in self.active.values():
            # Consumers drop what they accumulated: a stream that goes on has a new value.
            stream.restarts.append((seq, stream.text.length, stream.chunks))
        restart = message("restart", RESTART_NAME, value, seq)
        self.append("restart", None, None, 0, built=restart)
        # After the restart's delivery: an observer may subscribe again at once
        # (it reads the chunks since the restart) or end this very Streamer.
        for stream in voided:
            self.fan_out.later(stream.void, seq, StreamRestartedError(stream.name, value))

    def fold_to(self, position: int, catch_up: bool) -> None:
        """Fold every message so far, and give the next one ``position``; see Streamer.fold_to."""
        history = self.history
        if self.pacing.readers or self.fan_out.subscribers:
            raise ValueError(
                "fold_to() moves the positions under its consumers: call it before any "
                "consumer starts"
            )
        if isinstance(position, bool) or not isinstance(position, int) or position < history.head:
            raise ValueError(
                f"fold_to({position!r}): the next position must be an int of at least "
                f"{history.head}, the number of messages so far"
            )
        history.fold(len(history))
        history.offset = history.head = position
        self.origin = 0 if catch_up else position

    def reset(self) -> None:
        for stream in list(self.active.values()):
            self.retire(stream)

    def retire(self, stream: Stream) -> None:
        """Forget one stream that has not completed, for a retry that replaces it."""
        if not self._deactivate(stream):
            return
        self.history.forget(stream)
        stream.retired = True
        stream.closed_reason = (
            "was retired by reset_active(); push to the value streamer of the retry instead"
        )
        # Its values() observers may follow the retry's stream of the name; the value
        # streamer's own subscribers are done with it, which takes no chunk any more.
        restarted = StreamRestartedError(stream.name, self.restart_reason)
        self.fan_out.later(stream.end_observers, restarted, None)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._end_active("cannot take chunks: its Streamer was closed; stop producing", None)
        self.supervision.cancel_all()
        if self.ending is None:
            self.finish("closed")

    def fail(self, error: Exception) -> None:
        if self.ending is not None:
            return
        self.error = error
        self._end_active(f"cannot take chunks: its Streamer failed with {error!r}", error)
        self.supervision.cancel_running()
        self.finish("failed")

    def finish(self, ending: Ending) -> None:
        self.ending = ending
        self.supervision.release()
        self.pacing.wake_all()
        self.waiting.wake()
        awaiting, self.awaiting_values = self.awaiting_values, {}
        for name, observers in awaiting.items():
            for observer in tuple(observers):  # ending one disposes it, out of this list
                subscribers.send_terminal(observer, never_registered(name))
        self.fan_out.end(self.error)
        if self.watcher is not None:
            self.watcher.ended(ending, self.error)

    # Consumers.

    def subscribe(self, observer: abc.ObserverBase[StreamContent]) -> abc.DisposableBase:
        """An Rx subscriber of every message: replayed from the first, then live."""
        return self.fan_out.subscribe(
            observer, self.history, self.origin, self.ending is not None, self.error
        )

    def subscribe_stream(self, stream: Stream, observer: Observer) -> abc.DisposableBase:
        """A subscriber of one stream's chunks from now on (its value streamer's own)."""
        return stream.follow(observer, self.history.head, replayed=False)

    def watch_values(self, name: str, observer: Observer) -> abc.DisposableBase:
        """An observer of ``values(name)``: that stream's chunks replayed, then live."""
        stream = self.by_name.get(name)
        if stream is None or stream.retired:  # follow the next stream of that name
            if self.ending is not None:
                observer.on_error(never_registered(name))
                return Disposable()
            waiting = self.awaiting_values.setdefault(name, [])
            waiting.append(observer)
            return Disposable(partial(discard, waiting, observer))
        for chunk in self.history.chunks_of(stream):
            if not subscribers.send(observer, chunk):
                return Disposable()
        return stream.follow(observer, self.history.head, replayed=True)

    def ensure_open(self, action: str) -> None:
        if self.closed:
            raise StreamClosedError(f"cannot {action}: the Streamer was closed; use a new Streamer")
        if self.ending is not None:
            raise StreamClosedError(
                f"cannot {action}: the Streamer already ended when its last value streamer "
                "completed (or it failed); get every value streamer before completing the "
                "last one, or use a new Streamer"
            )

    def cannot_end(self) -> bool:
        """Whether nothing this Log knows of could end it: no producer started, none feeding.

        A Log with no stream, or whose open streams no live task or thread
        pushed to, while no producer started with :meth:`Supervision.start`
        runs, waits for a producer it does not know, which may never come.
        """
        if self.ending is not None or self.supervision.running:
            return False
        return not any(
            any(not task.done() for task in stream.feeders)
            or any(thread.is_alive() for thread in stream.threads)
            for stream in self.active.values()
        )

    def append(
        self,
        kind: Kind,
        stream: Stream | None,
        chunk: str | None,
        end: int,
        built: StreamContent | None = None,
    ) -> None:
        history, pacing, fan_out = self.history, self.pacing, self.fan_out
        seq = history.head
        subscribed = bool(fan_out.subscribers)
        built = history.append(
            kind, stream, chunk, end, built, subscribed, pacing.value_readers > 0
        )
        followed = (
            stream is not None and chunk is not None and bool(stream.watchers or stream.subscribers)
        )
        if (subscribed and built is not None) or followed:
            fan_out.deliver(seq, built if subscribed else None, stream if followed else None, chunk)
        if self.waiting.futures:
            self.waiting.wake()
        if self.watcher is not None:
            self.watcher.appended(seq, kind, None if stream is None else stream.info, chunk)
        if not pacing.readers:
            if built is not None and stream is not None and not stream.delta:
                history.messages[-1] = None  # a cumulative value nobody else will read now
            history.trim(history.head)

    def _deactivate(self, stream: Stream) -> bool:
        """Take ``stream`` off the active ones; False if it was not one."""
        if self.active.get(stream.name) is not stream:
            return False
        del self.active[stream.name]
        stream.let_go_of_producers()
        return True

    def _end_active(self, reason: str, error: Exception | None) -> None:
        active, self.active = self.active, {}
        for stream in active.values():
            stream.closed_reason = reason
            stream.let_go_of_producers()
            self.fan_out.later(stream.end_observers, error, error)


def validate_history(history: object) -> int | None:
    if history is None:
        return None
    if isinstance(history, bool) or not isinstance(history, int) or history < 0:
        raise ValueError(
            f"history must be a non-negative int (messages kept for exact replay), or None "
            f"to keep every message; got {history!r}"
        )
    return history


def never_registered(name: str) -> ValueError:
    return ValueError(
        f"the Streamer ended without a value streamer named {name!r}; check the name "
        "passed to values()"
    )
