"""The aioreactive adapter behind :meth:`kavalai.Streamer.to_async_observable`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ._extras import missing_extra
from .content import StreamContent

if TYPE_CHECKING:
    from aioreactive import AsyncObservable, AsyncObserver
    from expression.system import AsyncDisposable

    from .streamer import Streamer

__all__ = ["to_async_observable"]


def to_async_observable(streamer: Streamer) -> AsyncObservable[StreamContent]:
    try:
        import aioreactive
        from expression.system import AsyncDisposable
    except ImportError as error:
        raise missing_extra("Streamer.to_async_observable()", "aioreactive", "aio") from error

    async def subscribe_async(observer: AsyncObserver[StreamContent]) -> AsyncDisposable:
        # Each subscription is its own consumer, from the first message.
        messages = streamer.messages()

        async def forward() -> None:
            async with messages:
                try:
                    async for message in messages:
                        await observer.asend(message)
                except Exception as error:
                    await observer.athrow(error)
                    return
            await observer.aclose()

        task = asyncio.ensure_future(forward())

        async def cancel() -> None:
            task.cancel()
            await messages.aclose()

        return AsyncDisposable.create(cancel)

    return aioreactive.AsyncAnonymousObservable(subscribe_async)
