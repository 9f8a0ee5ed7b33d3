"""Pacing for a UI: the newest snapshot at most once per interval, and text at a steady pace.

Both run their timers on a scheduler chosen when subscribed: the one given,
else the one the subscription was given, else the running asyncio loop's
(``AsyncIOThreadSafeScheduler``), so callbacks come on the loop's thread and
no reactivex timer thread is started.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import deque
from collections.abc import Callable
from typing import Literal, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, SerialDisposable
from reactivex.scheduler.eventloop import AsyncIOThreadSafeScheduler

from ..content import StreamContent
from ..errors import NoSchedulerError

__all__ = ["smooth_text_", "throttle_latest_"]

_T = TypeVar("_T")

Chunking = Literal["word", "line"]


def _scheduler(
    operator: str, given: abc.SchedulerBase | None, subscribed: abc.SchedulerBase | None
) -> abc.SchedulerBase:
    if given is not None:
        return given
    if subscribed is not None:
        return subscribed
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise NoSchedulerError(
            f"{operator} was subscribed outside a running asyncio loop: subscribe inside a "
            "coroutine (or through kavalai.iterate), or pass scheduler=..."
        ) from None
    return AsyncIOThreadSafeScheduler(loop)


def _check_seconds(operator: str, seconds: float) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError(f"{operator} needs a positive number of seconds, not {seconds!r}")


def throttle_latest_(
    seconds: float, scheduler: abc.SchedulerBase | None
) -> Callable[[Observable[_T]], Observable[_T]]:
    _check_seconds("throttle_latest()", seconds)

    def throttle_latest(source: Observable[_T]) -> Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T], subscribed: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            clock = _scheduler("throttle_latest()", scheduler, subscribed)
            lock = threading.RLock()
            # The items held back, by what supersedes them: a stream's name for a
            # partial message, the one key None for anything else.
            held: dict[object, _T] = {}
            timer = SerialDisposable()
            open_window = False

            def release() -> None:
                items = list(held.values())
                held.clear()
                for item in items:
                    observer.on_next(item)

            def tick(_: abc.SchedulerBase, __: object = None) -> None:
                nonlocal open_window
                with lock:
                    if held:
                        release()
                        timer.disposable = clock.schedule_relative(seconds, tick)
                    else:
                        open_window = False

            def on_next(item: _T) -> None:
                nonlocal open_window
                with lock:
                    if isinstance(item, StreamContent) and item.type != "partial":
                        if item.type == "complete":  # it carries the value a partial held
                            held.pop(item.name, None)
                        release()  # what came before it, then it: never held back
                        observer.on_next(item)
                        return
                    key = item.name if isinstance(item, StreamContent) else None
                    if open_window:
                        held.pop(key, None)  # the newest goes last, in arrival order
                        held[key] = item
                        return
                    open_window = True
                    observer.on_next(item)
                    timer.disposable = clock.schedule_relative(seconds, tick)

            def on_error(error: Exception) -> None:
                with lock:
                    timer.dispose()
                    release()
                    observer.on_error(error)

            def on_completed() -> None:
                with lock:
                    timer.dispose()
                    release()
                    observer.on_completed()

            subscription = source.subscribe(on_next, on_error, on_completed, scheduler=subscribed)
            return CompositeDisposable(subscription, timer)

        return Observable(subscribe)

    return throttle_latest


_WORD_END = re.compile(r"\s+")
_WORD = re.compile(r"\S+\s+")
_NON_SPACE = re.compile(r"\S")


class _Pieces:
    """Cuts delta text into pieces that end after a word's whitespace, or after a newline.

    Each chunk is scanned once: the text after the last cut is kept as chunks
    and joined only when a cut closes it, so the work is linear in the text.
    """

    def __init__(self, chunking: Chunking) -> None:
        self._line = chunking == "line"
        self._tail: list[str] = []
        self._word_seen = False  # the tail holds a non-space: its next whitespace ends it
        self.ready: deque[str] = deque()

    def feed(self, chunk: str) -> None:
        start = 0
        while start < len(chunk):
            end = self._cut(chunk, start)
            if end is None:
                rest = chunk[start:]
                self._tail.append(rest)
                self._word_seen = self._word_seen or _NON_SPACE.search(rest) is not None
                return
            self._tail.append(chunk[start:end])
            self.ready.append("".join(self._tail))
            self._tail.clear()
            self._word_seen = False
            start = end

    def rest(self) -> str:
        """Everything not yet taken, ready or not; nothing is left after it."""
        text = "".join([*self.ready, *self._tail])
        self.ready.clear()
        self._tail.clear()
        return text

    def _cut(self, chunk: str, start: int) -> int | None:
        if self._line:
            newline = chunk.find("\n", start)
            return None if newline < 0 else newline + 1
        found = (_WORD_END if self._word_seen else _WORD).search(chunk, start)
        return None if found is None else found.end()


def smooth_text_(
    seconds: float, chunking: Chunking, scheduler: abc.SchedulerBase | None
) -> Callable[[Observable[str]], Observable[str]]:
    _check_seconds("smooth_text()", seconds)
    if chunking not in ("word", "line"):
        raise ValueError(f'smooth_text(chunking=...) is "word" or "line", not {chunking!r}')

    def smooth_text(source: Observable[str]) -> Observable[str]:
        def subscribe(
            observer: abc.ObserverBase[str], subscribed: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            clock = _scheduler("smooth_text()", scheduler, subscribed)
            lock = threading.RLock()
            pieces = _Pieces(chunking)
            timer = SerialDisposable()
            waiting = False  # a piece went out less than ``seconds`` ago

            def send() -> None:
                nonlocal waiting
                waiting = bool(pieces.ready)
                if waiting:
                    observer.on_next(pieces.ready.popleft())
                    timer.disposable = clock.schedule_relative(seconds, tick)

            def tick(_: abc.SchedulerBase, __: object = None) -> None:
                with lock:
                    send()

            def on_next(chunk: str) -> None:
                with lock:
                    if not isinstance(chunk, str):
                        on_error(TypeError(f"smooth_text() takes text, not {chunk!r}"))
                        return
                    pieces.feed(chunk)
                    if not waiting:
                        send()

            def flush() -> None:
                timer.dispose()
                rest = pieces.rest()
                if rest:
                    observer.on_next(rest)

            def on_error(error: Exception) -> None:
                with lock:
                    flush()
                    observer.on_error(error)

            def on_completed() -> None:
                with lock:
                    flush()
                    observer.on_completed()

            subscription = source.subscribe(on_next, on_error, on_completed, scheduler=subscribed)
            return CompositeDisposable(subscription, timer)

        return Observable(subscribe)

    return smooth_text
