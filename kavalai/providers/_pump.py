"""Feeding a value streamer from an async iterable, and owning that iterable's cleanup."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, Awaitable, Iterable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TypeAlias, TypeVar

from ..errors import StreamClosedError
from ..value_streamer import ValueStreamer
from ._thread import ThreadedStream, blocking

__all__ = ["Source", "close_source", "fail", "open_source", "pump"]

_T = TypeVar("_T")

Source: TypeAlias = (
    AsyncIterable[_T]
    | Awaitable[AsyncIterable[_T]]
    | AbstractAsyncContextManager[AsyncIterable[_T]]
    | Iterable[_T]
    | AbstractContextManager[Iterable[_T]]
)
"""A stream, a request that returns one (``client....create(..., stream=True)`` not yet
awaited), or a context manager that opens one (``client.messages.stream(...)``); or the
same of a sync client (its ``Stream``, or a sync manager), read on a worker thread."""


async def pump(chunks: AsyncIterable[str], value_streamer: ValueStreamer) -> None:
    """Feed every chunk of ``chunks`` into ``value_streamer``, then complete it.

    The text of any async source (an SDK's text stream, an async generator)
    reaches the consumers this way without a hand-written loop. The source is
    closed however the pump ends (``aclose()``, or ``close()`` when that is a
    coroutine), so an HTTP request behind it ends with it:

    * the source raises: the Streamer fails with that exception, which the
      consumers get after the chunks before it; ``pump`` itself returns;
    * the Streamer is closed (the consumer left): ``pump`` returns at the next
      chunk, or at once when it runs as ``streamer.start(pump(...))``, which the
      Streamer cancels.

    Example:
        >>> import asyncio
        >>> from kavalai import Streamer
        >>> async def words():
        ...     for word in ("Hello", ", ", "world"):
        ...         yield word
        >>> async def main():
        ...     streamer = Streamer()
        ...     streamer.start(pump(words(), streamer.get_value_streamer("answer")))
        ...     return [message.value async for message in streamer]
        >>> asyncio.run(main())
        ['Hello', 'Hello, ', 'Hello, world', 'Hello, world']

    Args:
        chunks: Text chunks, in order.
        value_streamer: Where they go; it is completed when ``chunks`` ends.
    """
    try:
        async for chunk in chunks:
            await value_streamer.stream_partial(chunk)
    except StreamClosedError:
        return
    except Exception as error:
        fail(value_streamer, error)
        return
    finally:
        await close_source(chunks)
    await value_streamer.stream_complete()


def fail(value_streamer: ValueStreamer, error: Exception) -> None:
    """Fail the Streamer with ``error``, unless it no longer listens."""
    try:
        value_streamer.on_error(error)
    except StreamClosedError:
        return


async def open_source(source: Source[_T]) -> AsyncIterable[_T] | object:
    """The stream itself: awaited if a request, entered if a context manager, read on a
    worker thread if a sync one; or, if ``source`` is no stream, what it turned out to be."""
    if isinstance(source, AsyncIterable):
        return source
    if isinstance(source, AbstractAsyncContextManager) or hasattr(source, "__aenter__"):
        entered: AsyncIterable[_T] = await source.__aenter__()
        return entered
    if blocking(source):
        return ThreadedStream[_T](source)
    if inspect.isawaitable(source):
        opened = await source
        return ThreadedStream[_T](opened) if blocking(opened) else opened
    return source


async def close_source(source: object) -> None:
    """Close a stream, so the HTTP request behind it ends: ``aclose()`` or ``close()``."""
    closer = getattr(source, "aclose", None) or getattr(source, "close", None)
    if closer is None:
        return
    result = closer()
    if inspect.isawaitable(result):
        await result
