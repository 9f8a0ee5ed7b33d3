"""The aioreactive adapter behind :meth:`kavalai.Streamer.to_async_observable`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .content import StreamContent

if TYPE_CHECKING:
    from aioreactive import AsyncObservable

    from .streamer import Streamer

__all__ = ["to_async_observable"]


def to_async_observable(streamer: Streamer) -> AsyncObservable[StreamContent]:
    try:
        import aioreactive
    except ImportError as error:
        raise ImportError(
            "Streamer.to_async_observable() needs aioreactive, which comes with the aio "
            "extra: pip install 'kavalai[aio]'"
        ) from error
    return aioreactive.from_async_iterable(streamer)
