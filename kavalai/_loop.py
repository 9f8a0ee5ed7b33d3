"""Event-loop affinity: hand calls made on other threads to the owning loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Self, TypeVar

__all__ = ["AsyncClosing", "HomeLoop", "LoopAffinity", "running_loop"]

_T = TypeVar("_T")

_get_ident = threading.get_ident


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop, or None outside one (plain synchronous Rx use)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LoopAffinity:
    """Remembers the loop (and its thread) an object was made in.

    Rx sources call ``on_next`` from whatever thread they run on; asyncio state
    may only be touched from the loop's own thread.
    """

    __slots__ = ("_loop", "_thread")

    def __init__(self) -> None:
        self._loop = running_loop()
        self._thread = threading.get_ident()

    def foreign(self) -> bool:
        """Whether the caller runs on another thread than the owning loop's."""
        return _get_ident() != self._thread and self._loop is not None

    def hand_over(self, method: Callable[..., object], *args: object) -> bool:
        """If called off the loop thread, schedule ``method(*args)`` on it and return True."""
        if not self.foreign():
            return False
        self.schedule(method, *args)
        return True

    def schedule(self, method: Callable[..., object], *args: object) -> None:
        """Run ``method(*args)`` on the owning loop, after everything scheduled before."""
        if self._loop is None:
            method(*args)
        else:
            self._loop.call_soon_threadsafe(method, *args)


class AsyncClosing(ABC):
    """``async with`` support for objects whose exit is ``await self.aclose()``."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release what the object holds; must be idempotent."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class HomeLoop:
    """The event loop a Streamer's state lives in, and the hand-over queue to it.

    A Streamer made at module level, or in a worker thread, has no loop yet: it
    adopts the first running loop that uses it (a consumer, a producer awaiting
    ``stream_partial``). From then on, calls from any other thread are queued
    and run on that loop in the order they were made; a call on the loop thread
    first runs what other threads queued before it, so a chunk handed over by a
    thread is never overtaken by a later push on the loop thread.
    """

    __slots__ = ("_lock", "loop", "queue", "thread")

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = 0
        self._lock = threading.RLock()
        # Calls from other threads not yet run; public so that a push on the loop
        # thread checks it without a call: ``if not home.queue``.
        self.queue: deque[tuple[Callable[..., object], tuple[object, ...]]] = deque()

    def adopt(self) -> None:
        """Make the running loop the home loop, if there is none yet (or it closed)."""
        if self.loop is not None and not self.loop.is_closed():
            return
        loop = running_loop()
        if loop is not None:
            with self._lock:
                self.loop, self.thread = loop, _get_ident()

    def foreign(self) -> bool:
        """Whether the caller runs on another thread than the home loop's."""
        return self.loop is not None and _get_ident() != self.thread

    def call(self, method: Callable[..., object], *args: object) -> None:
        """Run ``method(*args)`` on the home loop, in call order across threads."""
        loop = self.loop
        if loop is None or loop.is_closed():
            with self._lock:  # no loop (plain synchronous use): run here, one caller at a time
                if self.loop is None or self.loop.is_closed():
                    method(*args)
                    return
            loop = self.loop
        if _get_ident() == self.thread:
            if self.queue:
                self.run_queued()
            method(*args)
            return
        self.queue.append((method, args))
        loop.call_soon_threadsafe(self.run_queued)

    def call_and_wait(self, method: Callable[[], _T]) -> _T:
        """Run ``method()`` on the home loop and return its result here.

        From another thread this waits for the loop; if the loop is not running,
        nothing else touches the state, and it runs here.
        """
        loop = self.loop
        if loop is None or not loop.is_running() or _get_ident() == self.thread:
            with self._lock:
                if _get_ident() == self.thread and self.queue:
                    self.run_queued()
                return method()
        done: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(method())
            except BaseException as error:
                done.set_exception(error)

        self.queue.append((run, ()))
        loop.call_soon_threadsafe(self.run_queued)
        return done.result()

    def run_queued(self) -> None:
        queue = self.queue
        while queue:
            method, args = queue.popleft()
            method(*args)
