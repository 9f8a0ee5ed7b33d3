"""iterate(): read any observable with ``async for``."""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

from reactivex import Observable, abc

from ._flow import Waiters
from ._loop import AsyncClosing, LoopAffinity

__all__ = ["ObservableIterator", "iterate"]

_T = TypeVar("_T")


def iterate(source: Observable[_T]) -> ObservableIterator[_T]:
    """Subscribe to ``source`` and return an async iterator over its items.

    The bridge from a ``.pipe(...)`` chain back to ``async for``: items are
    buffered until taken, an ``on_error`` is raised from the loop, and
    ``on_completed`` ends it. Leaving early? Use ``async with iterate(...) as
    items:`` (or call ``aclose()``) so the subscription is disposed.

    Example:
        >>> import asyncio, reactivex
        >>> from kavalai.operators import accumulate
        >>> async def main() -> list[str]:
        ...     return [text async for text in iterate(reactivex.of("a", "b").pipe(accumulate()))]
        >>> asyncio.run(main())
        ['a', 'ab']
    """
    return ObservableIterator(source)


class ObservableIterator(AsyncClosing, Generic[_T]):
    """The async iterator :func:`iterate` returns; owns its subscription."""

    def __init__(self, source: Observable[_T]) -> None:
        self._items: deque[_T] = deque()
        self._done = False
        self._error: Exception | None = None
        self._waiters = Waiters()
        self._affinity = LoopAffinity()
        self._subscription: abc.DisposableBase = source.subscribe(
            self._on_next, self._on_error, self._on_completed
        )

    def __aiter__(self) -> ObservableIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        while not self._items:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._done:
                raise StopAsyncIteration
            await self._waiters.wait()
        return self._items.popleft()

    async def aclose(self) -> None:
        """Dispose the subscription; iteration then ends, in every task waiting on it."""
        self._subscription.dispose()
        self._done = True
        self._items.clear()
        self._waiters.wake()

    def _on_next(self, item: _T) -> None:
        if self._affinity.hand_over(self._on_next, item):
            return
        if self._done:
            return  # handed over from another thread before aclose() disposed the source
        self._items.append(item)
        self._waiters.wake()

    def _on_error(self, error: Exception) -> None:
        if self._affinity.hand_over(self._on_error, error):
            return
        if self._done:
            return
        self._error = error
        self._done = True
        self._waiters.wake()

    def _on_completed(self) -> None:
        if self._affinity.hand_over(self._on_completed):
            return
        self._done = True
        self._waiters.wake()
