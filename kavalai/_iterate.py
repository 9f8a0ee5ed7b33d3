"""iterate(): read any observable with ``async for``.

An observable pushes: ``on_next`` cannot wait for a consumer, so whatever a
consumer has not taken yet is kept. How much is a choice per source, because
dropping an item is right for some and data loss for others: a snapshot
(``partial_json``, ``typed_partials``) makes the ones before it stale, while
an element of ``completed_items`` or a chunk of text is never stale.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

from reactivex import Observable, abc

from ._flow import Waiters
from ._loop import AsyncClosing, LoopAffinity

__all__ = ["SNAPSHOTS_KEPT", "ObservableIterator", "Snapshots", "iterate"]

_T = TypeVar("_T")

#: How many untaken snapshots :func:`iterate` keeps by default.
SNAPSHOTS_KEPT = 64


class Snapshots(Observable[_T]):
    """An observable whose every item supersedes the ones before it.

    The JSON snapshot operators return one, so that :func:`iterate` knows a
    consumer that falls behind loses nothing by skipping to the newest.
    """


def iterate(source: Observable[_T], *, latest: int | None = None) -> ObservableIterator[_T]:
    """Subscribe to ``source`` and return an async iterator over its items.

    The bridge from a ``.pipe(...)`` chain back to ``async for``: items are
    kept until taken, an ``on_error`` is raised from the loop, and
    ``on_completed`` ends it. Leaving early? Use ``async with iterate(...) as
    items:`` (or call ``aclose()``) so the subscription is disposed.

    An observable cannot be made to wait, so memory is bounded by conflation,
    not backpressure: with ``latest=N`` only the ``N`` newest items not yet
    taken are kept, older ones are dropped, and the last item is never
    dropped (it is the newest). By default a stream of snapshots
    (:func:`~kavalai.operators.partial_json`,
    :func:`~kavalai.operators.typed_partials`, directly) keeps the newest
    ``SNAPSHOTS_KEPT`` (64): a consumer that falls behind skips to fresher
    partials, and the validated value still comes last. Any other source keeps
    every item until taken, since each matters (a completed item, a chunk);
    its own pace bounds the memory.

    Example:
        >>> import asyncio, reactivex
        >>> from kavalai.operators import accumulate
        >>> async def main() -> list[str]:
        ...     return [text async for text in iterate(reactivex.of("a", "b").pipe(accumulate()))]
        >>> asyncio.run(main())
        ['a', 'ab']
    """
    if latest is not None and (
        isinstance(latest, bool) or not isinstance(latest, int) or latest < 1
    ):
        raise ValueError(f"iterate(latest=...) must be a positive int or None, not {latest!r}")
    if latest is None and isinstance(source, Snapshots):
        latest = SNAPSHOTS_KEPT
    return ObservableIterator(source, latest)


class ObservableIterator(AsyncClosing, Generic[_T]):
    """The async iterator :func:`iterate` returns; owns its subscription."""

    def __init__(self, source: Observable[_T], latest: int | None = None) -> None:
        self._items: deque[_T] = deque(maxlen=latest)
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
        if self._affinity.foreign():
            self._affinity.schedule(self._on_next, item)
            return
        if self._done:
            return  # handed over from another thread before aclose() disposed the source
        self._items.append(item)
        if self._waiters:
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
