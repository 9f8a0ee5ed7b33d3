"""Reading a provider's stream into an :class:`Answer`, owning the stream's cleanup."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from ..errors import StreamClosedError
from ._answer import Answer, Naming
from ._pump import Source, close_source, fail, open_source

if TYPE_CHECKING:
    from ..streamer import Streamer

__all__ = ["begin", "drive"]

_T = TypeVar("_T")


def begin(
    source: object,
    streamer: Streamer,
    names: Naming,
    tools: Mapping[str, type[BaseModel]] | None,
    truncating: frozenset[str],
) -> Answer:
    """Open the answer's ``finish`` stream before the request, so the Streamer waits for it.

    If that fails (a name already in use, a closed Streamer), a request not
    yet awaited is closed rather than left to warn that it was never awaited.
    """
    try:
        return Answer(streamer, names, tools, truncating)
    except BaseException:
        if inspect.iscoroutine(source):
            source.close()
        raise


async def drive(
    source: Source[_T], answer: Answer, handle: Callable[[_T], Awaitable[None]]
) -> None:
    """Read a provider's stream into ``answer`` event by event, owning the stream's cleanup.

    A failure (the request's, the stream's, or one ``handle`` raises) fails
    the Streamer through ``answer``; a closed Streamer ends the reading
    quietly; either way, and on cancellation, the stream is closed.
    """
    stream: AsyncIterable[_T] | None = None
    try:
        stream = await open_source(source)
        async for event in stream:
            await handle(event)
        await answer.end()
    except StreamClosedError:
        return
    except Exception as error:
        fail(answer.finish, error)
    finally:
        if stream is not None:
            await close_source(stream)
        elif inspect.iscoroutine(source):
            source.close()  # never started: a failure before the request was sent
