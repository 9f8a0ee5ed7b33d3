"""Event-loop affinity: hand calls made on other threads to the owning loop."""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from typing import Self

__all__ = ["AsyncClosing", "LoopAffinity", "running_loop"]

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
