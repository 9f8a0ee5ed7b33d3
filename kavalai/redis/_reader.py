"""subscribe: follow an answer in Redis as a Streamer in this process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis

from ..errors import StreamUnavailableError
from ..streamer import Streamer
from ..wire import Record, Replica
from ._log import ENTRIES_READ, read_base, records_of

__all__ = ["subscribe"]


@contextlib.asynccontextmanager
async def subscribe(
    redis: Redis,
    key: str,
    *,
    after: int | None = None,
    wait_seconds: float = 10.0,
    block_ms: int = 1000,
) -> AsyncIterator[Streamer]:
    """Follow the answer in the Redis stream ``key`` as a Streamer in this process.

    Replays the key from its first entry (or the messages after position
    ``after``), then follows it until the producer's end or error (raised as
    :class:`~kavalai.RemoteStreamError` carrying its type name and message).
    Positions equal the producer's; with ``after``, the local Streamer holds
    what follows it only, so its positions count from there (add ``after + 1``
    for the producer's). The ``async with`` body starts once what the key held
    is applied (at once if the key does not exist yet). A key that does not
    exist yet is waited for up to ``wait_seconds``; then the Streamer fails
    with :class:`~kavalai.StreamUnavailableError` (a ``LookupError``), as it
    does when the key expires before the end came (its producer died). An
    entry that is not a kavalai record fails it with ``ValueError`` naming
    the entry.
    """
    streamer = Streamer(history=None)
    replica = Replica(streamer)
    caught_up = asyncio.Event()
    follower = streamer.start(
        _follow(redis, key, replica, after, wait_seconds, block_ms, caught_up)
    )
    waiting = asyncio.ensure_future(caught_up.wait())
    try:  # a caller cancelled while the key is replayed stops the follower too
        await asyncio.wait([waiting, follower], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        yield streamer
    finally:
        waiting.cancel()
        await replica.stop(follower)


async def _follow(
    redis: Redis,
    key: str,
    replica: Replica,
    after: int | None,
    wait_seconds: float,
    block_ms: int,
    caught_up: asyncio.Event,
) -> None:
    deadline = time.monotonic() + wait_seconds
    exists = bool(await redis.exists(key))
    if exists:
        after, ended = await _start(redis, key, replica, after)
        if ended:  # all of it was in the base
            caught_up.set()
            return
    else:
        caught_up.set()  # nothing to replay yet: follow it as it appears
    # An entry n-k holds positions below n: after position p, read past (p+1)-0.
    last_id = "0-0" if after is None else f"{after + 1}-0"
    while True:
        # Any: redis-py types the reply for both RESP2 (a list) and RESP3 (a dict).
        answer: Any = await redis.xread({key: last_id}, count=ENTRIES_READ, block=block_ms)
        if _cancelled():
            # The client can swallow a cancellation that came while it read (its
            # command returns as usual): leaving must not hang, so honour it.
            raise asyncio.CancelledError
        entries: list[tuple[Any, dict[Any, Any]]] = answer[0][1] if answer else []
        if not entries:
            if await redis.exists(key):
                exists = True
                caught_up.set()
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
        for entry_id, fields in entries:
            records = records_of(key, entry_id, fields)
            first = min((r.seq for r in records if r.seq is not None), default=None)
            catch_up = records[0].kind == "restart" and records[0].seq is None
            if first is not None and first > (-1 if after is None else after) + 1 and not catch_up:
                # Trimmed past this reader while it lagged: start again from the base.
                base = await read_base(redis, key)
                if base is not None and base[0] - 1 > (-1 if after is None else after):
                    after, ended = await _start(redis, key, replica, None)
                    if ended:
                        caught_up.set()
                        return
                    last_id = "0-0" if after is None else f"{after + 1}-0"
                    break
            for record in records:
                kept = _after(record, after)
                if kept is not None and not await replica.apply(kept):
                    caught_up.set()
                    return
                if record.last_seq is not None:
                    after = max(record.last_seq, -1 if after is None else after)
            last_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        else:
            if len(entries) < ENTRIES_READ:
                caught_up.set()


async def _start(
    redis: Redis, key: str, replica: Replica, after: int | None
) -> tuple[int | None, bool]:
    """Prepare to read ``key`` after position ``after``.

    Returns the position to read after, and whether the answer already ended.
    If the entries up to there were trimmed, the base stands for them: its
    records are applied and reading goes on after it (unless the base holds
    the end). Otherwise the modes of the streams announced before the position
    are applied, for what follows.
    """
    base = await read_base(redis, key)
    if base is not None and (after is None or after + 1 < base[0]):
        position, records = base
        for record in records:
            if not await replica.apply(record):
                return position - 1, True
        return position - 1, False
    if base is not None and base[1][-1].kind in ("end", "error"):
        # Everything is in the base and this reader had all of it but the end.
        await replica.apply(base[1][-1])
        return after, True
    if after is not None:
        announced = [] if base is None else [r for r in base[1] if r.kind == "stream"]
        before: Any = await redis.xrange(key, "-", f"{after + 1}-0")
        for entry_id, fields in before:
            announced += [r for r in records_of(key, entry_id, fields) if r.kind == "stream"]
        for record in announced:
            await replica.apply(record)
    return after, False


def _after(record: Record, after: int | None) -> Record | None:
    """``record`` without its messages at or before position ``after``."""
    if after is None or record.seq is None:
        return record
    if record.kind == "partial":
        skip = after + 1 - record.seq
        if skip >= len(record.chunks):
            return None
        if skip > 0:
            return Record("partial", record.seq + skip, record.name, record.chunks[skip:])
        return record
    return None if record.seq <= after else record


def _cancelled() -> bool:
    """Whether the running task was asked to cancel."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
