"""subscribe: follow an answer in Redis as a Streamer in this process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from ..errors import DataLostError, StreamUnavailableError
from ..streamer import Streamer
from ._log import (
    ENTRIES_READ,
    GIVE_UP_SECONDS,
    base_key,
    entry_id,
    logger,
    parse_base,
    read_base,
    records_of,
)
from ._mirror import Mirror

__all__ = ["subscribe"]

_LOST = (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError)


@contextlib.asynccontextmanager
async def subscribe(
    redis: Redis,
    key: str,
    *,
    after: int | None = None,
    wait_seconds: float = 10.0,
    block_ms: int = 1000,
    give_up_seconds: float = GIVE_UP_SECONDS,
) -> AsyncIterator[Streamer]:
    """Follow the answer in the Redis stream ``key`` as a Streamer in this process.

    The local Streamer is a consumer of the producer's: iterated, it gives
    the messages ``producer.messages(after=after)`` gives, at the producer's
    positions (``message.seq``), then follows the key until the producer's end
    or error (raised as :class:`~kavalai.RemoteStreamError` carrying its type
    name and message). Resuming after a position the key folded into its
    base (the publisher's ``maxlen``) gives the catch-up first, as a Streamer
    whose history was trimmed there does. The ``async with`` body starts once
    what the key held is applied.

    A key that does not exist yet is waited for up to ``wait_seconds``; then
    the Streamer fails with :class:`~kavalai.StreamUnavailableError` (a
    ``LookupError``), as it does when the key expires before the end came
    (its producer died). A lost connection is retried, and logged, for
    ``give_up_seconds``. A gap (the next message is further on than the
    next position, with nothing standing for those between) fails it with
    :class:`~kavalai.DataLostError`, never a normal end; an entry that is not a
    kavalai record, or a key of another type, with ``ValueError`` naming it.

    Raises:
        ValueError: ``after`` is not a position the answer has given so far
            (as ``Streamer.messages`` refuses it); raised on entering.
    """
    streamer = Streamer(history=None)
    mirror = Mirror(key, streamer, after)
    caught_up = asyncio.Event()
    follower = streamer.start(
        _follow(redis, mirror, wait_seconds, block_ms, give_up_seconds, caught_up)
    )
    waiting = asyncio.ensure_future(caught_up.wait())
    try:  # a caller cancelled while the key is replayed stops the follower too
        await asyncio.wait([waiting, follower], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if mirror.refused and follower.done() and not follower.cancelled():
            raise ValueError(str(follower.exception())) from None
        yield streamer
    finally:
        waiting.cancel()
        await mirror.replica.stop(follower)


async def _follow(
    redis: Redis,
    mirror: Mirror,
    wait_seconds: float,
    block_ms: int,
    give_up_seconds: float,
    caught_up: asyncio.Event,
) -> None:
    key = mirror.key
    try:
        last = await _replay(redis, mirror, give_up_seconds, caught_up)
        if last is None:  # it ended
            return
        caught_up.set()
        await _tail(redis, mirror, last, wait_seconds, block_ms, give_up_seconds)
    except DataLostError:
        if mirror.gap is None:
            raise
        raise await _lost(redis, key, *mirror.gap) from None
    except redis_errors.ResponseError as error:
        if "WRONGTYPE" not in str(error):
            raise
        kind: Any = await redis.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        raise ValueError(
            f"Redis key {key!r} holds a {kind}, not the stream of an answer: read another key"
        ) from None
    finally:
        caught_up.set()


async def _replay(
    redis: Redis, mirror: Mirror, give_up_seconds: float, caught_up: asyncio.Event
) -> str | None:
    """Apply what the key holds now, read at once; the id to follow after, None once ended.

    Resuming after a position, the reader may start as soon as that position
    was applied: it is one the answer gave. From the first, it starts once
    all was applied, so that the local Streamer knows every position given.
    """
    key = mirror.key

    async def snapshot() -> Any:
        pipeline = redis.pipeline(transaction=True)  # the base and its entries, as one
        pipeline.get(base_key(key))
        pipeline.xrange(key)
        return await pipeline.execute()

    raw_base, entries = await _retrying(key, give_up_seconds, snapshot)
    base = parse_base(key, raw_base)
    last = "0-0"
    if base is not None:
        if not await mirror.base(base.position, base.records):
            return None
        last = f"{base.last[0]}-{base.last[1]}"
    elif not entries and mirror.start is not None:
        mirror.settle()  # nothing there: no position to resume after
    for raw_id, fields in entries:
        n, k = entry_id(raw_id)
        if base is not None and (n, k) <= base.last:
            continue  # folded into the base
        last = f"{n}-{k}"
        records = records_of(key, raw_id, fields)
        if records is not None and not await mirror.entry(n, records):
            return None
        if mirror.start is not None and mirror.started:
            caught_up.set()
            await asyncio.sleep(0)  # the reader reads while the rest is applied
    mirror.settle()
    return last


async def _tail(
    redis: Redis,
    mirror: Mirror,
    last: str,
    wait_seconds: float,
    block_ms: int,
    give_up_seconds: float,
) -> None:
    """Follow the key after entry ``last`` until the answer ends."""
    key = mirror.key
    deadline = time.monotonic() + wait_seconds
    exists = last != "0-0"
    while True:
        # Any: redis-py types the reply for both RESP2 (a list) and RESP3 (a dict).
        answer: Any = await _retrying(
            key, give_up_seconds, redis.xread, {key: last}, count=ENTRIES_READ, block=block_ms
        )
        if _cancelled():
            # The client can swallow a cancellation that came while it read (its
            # command returns as usual): leaving must not hang, so honour it.
            raise asyncio.CancelledError
        entries: list[tuple[Any, dict[Any, Any]]] = answer[0][1] if answer else []
        if not entries:
            if await _retrying(key, give_up_seconds, redis.exists, key):
                exists = True
            elif exists:  # it expired: a producer that died never wrote the end
                raise StreamUnavailableError(
                    f"the answer at Redis key {key!r} expired before it ended: its producer "
                    "stopped without ending it; what it wrote is partial: ask for the answer again"
                )
            elif time.monotonic() > deadline:
                raise StreamUnavailableError(
                    f"no answer appeared at Redis key {key!r} in {wait_seconds}s: check the "
                    "key the producer publishes to, or raise wait_seconds"
                )
            continue
        exists = True
        for raw_id, fields in entries:
            records = records_of(key, raw_id, fields)
            last = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            if records is not None and not await mirror.entry(entry_id(raw_id)[0], records):
                return


async def _lost(redis: Redis, key: str, expected: int, got: int) -> DataLostError:
    """The error for the messages from ``expected`` to before ``got``, and why."""
    missing = f"positions {expected} to {got - 1} of the answer at Redis key {key!r}"
    try:
        base = await read_base(redis, key)
    except (redis_errors.RedisError, ValueError):
        base = None
    if base is not None and base.position > expected:
        return DataLostError(
            f"{missing} were trimmed into the key's base (the publisher's maxlen) before "
            "this reader read them: it lagged more than maxlen entries behind; subscribe "
            "again after the last position it read, to get the catch-up, or raise maxlen"
        )
    if got < expected:
        return DataLostError(
            f"Redis key {key!r} went back to position {got} after {expected - 1}: "
            "it holds entries of another answer, or Redis lost some; ask for the answer again"
        )
    return DataLostError(
        f"{missing} are missing and nothing in Redis stands for them: Redis lost them "
        "(restarted without persistence, appendonly no, or failed over to a replica that "
        "was behind); ask for the answer again"
    )


async def _retrying(
    key: str, give_up_seconds: float, command: Any, *args: Any, **kwargs: Any
) -> Any:
    """``command(*args)``, retried while the connection is lost, up to ``give_up_seconds``."""
    started = time.monotonic()
    delay = 0.05
    lost = False
    while True:
        try:
            result = await command(*args, **kwargs)
        except _LOST as error:
            if not lost:
                lost = True
                logger.warning("lost Redis while reading %s: %s; retrying", key, error)
            if time.monotonic() - started > give_up_seconds:
                raise ConnectionError(
                    f"Redis unreachable for {give_up_seconds:.0f}s while reading the answer at "
                    f"key {key!r}: {error}"
                ) from error
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
            continue
        if lost:
            logger.warning("Redis is back; reading %s goes on", key)
        return result


def _cancelled() -> bool:
    """Whether the running task was asked to cancel."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
