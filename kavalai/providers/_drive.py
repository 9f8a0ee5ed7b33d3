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

__all__ = ["begin", "drive", "refusal"]

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


def refusal(answer: Answer, reader: str, got: object, expected: str) -> TypeError:
    """The error for a source (or an event of it) that ``reader`` cannot read."""
    return TypeError(
        f"{reader} cannot read {type(got).__name__} (the answer streamed into "
        f"{answer.finish.name!r}): pass {expected}"
    )


async def drive(
    source: Source[_T],
    answer: Answer,
    handle: Callable[[_T], Awaitable[None]],
    reader: str,
    expected: str,
) -> None:
    """Read a provider's stream into ``answer`` event by event, owning the stream's cleanup.

    A failure (the request's, the stream's, or one ``handle`` raises) fails
    the Streamer through ``answer``; a closed Streamer ends the reading
    quietly; either way, and on cancellation, the stream is closed. A source
    that is no stream at all fails it with :func:`refusal`'s ``TypeError``
    (``reader``, the adapter's name, takes ``expected``).
    """
    stream: AsyncIterable[_T] | None = None
    try:
        opened = await open_source(source)
        if not isinstance(opened, AsyncIterable):
            raise refusal(answer, reader, opened, expected)
        stream = opened
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
