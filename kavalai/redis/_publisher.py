"""Publisher: a Streamer mirrored into a Redis stream key as it is written."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from ..streamer import Streamer
from ..wire import CatchUp, Record, RecordReader
from ._log import (
    FIELD,
    GIVE_UP_SECONDS,
    RECORDS_PER_ENTRY,
    TTL_SECONDS,
    base_key,
    logger,
    open_key,
)

__all__ = ["Publisher"]


class Publisher:
    """Mirrors a Streamer into the Redis stream ``key`` while it is written.

    Run :meth:`run` as a task next to the producer; it returns when the
    Streamer ends, after the terminal entry is written and the key's expiry set.
    It is one consumer of the Streamer: with ``max_buffer`` set, a slow Redis
    slows the producer, so memory stays bounded.

    Args:
        streamer: The Streamer to mirror, from its first message.
        redis: A ``redis.asyncio.Redis`` client.
        key: The stream key to write.
        ttl_seconds: The key expires this long after the answer ended.
        give_up_seconds: How long to retry a lost connection before failing the
            Streamer with ``ConnectionError``.
        maxlen: Keep about this many entries in the stream: once as many more
            were written, what they amount to (each stream's mode and value so
            far) is stored at ``<key>:base`` and the entries before it are
            trimmed, so a long answer takes memory in proportion to its values.
            A reader that starts before the kept entries gets that catch-up
            first (a ``restart``, then each stream's value so far), as a
            Streamer's own trimmed history does. ``None`` (the default) keeps
            every entry until the answer expires.

    Attributes:
        outages: How many times the connection was lost and found again.
    """

    def __init__(
        self,
        streamer: Streamer,
        redis: Redis,
        key: str,
        *,
        ttl_seconds: float = TTL_SECONDS,
        give_up_seconds: float = GIVE_UP_SECONDS,
        maxlen: int | None = None,
    ) -> None:
        if maxlen is not None and maxlen < 1:
            raise ValueError(f"maxlen must be a positive number of entries or None, got {maxlen!r}")
        self.streamer = streamer
        self.redis = redis
        self.key = key
        self.ttl_seconds = ttl_seconds
        self.give_up_seconds = give_up_seconds
        self.outages = 0
        self.maxlen = maxlen
        self._n = 0  # positions written so far
        self._k = 0  # entries written since n last grew
        self._folded = CatchUp()  # what the entries amount to, for the base
        # A consumer from now on, so that nothing pushed before run() starts is trimmed.
        self._reader = RecordReader(streamer)
        self._since_base = 0  # entries written since the base was stored

    async def run(self) -> None:
        """Write every record of the Streamer until it ends."""
        reader = self._reader
        try:
            # Registered: a reader may come before the first entry does.
            await self._retrying(
                self.redis.set, open_key(self.key), b"1", ex=max(1, int(self.ttl_seconds))
            )
            while not reader.done:
                # A round trip per batch: the more records in one, the fewer trips.
                records = await reader.read(None, 0.001, RECORDS_PER_ENTRY)
                if records:
                    await self._write(records)
            ttl = max(1, int(self.ttl_seconds))
            await self._retrying(self.redis.expire, self.key, ttl)
            await self._retrying(self.redis.expire, base_key(self.key), ttl)
        finally:
            await reader.aclose()

    async def _write(self, records: list[Record]) -> None:
        last = max((r.last_seq for r in records if r.last_seq is not None), default=None)
        if last is not None and last + 1 > self._n:
            self._n, self._k = last + 1, 0
        else:
            self._k += 1
        payload = "\n".join(record.to_json() for record in records)
        entry_id = f"{self._n}-{self._k}"
        try:
            await self._retrying(self._append, {FIELD: payload}, entry_id)
        except redis_errors.ResponseError as error:
            if "equal or smaller" not in str(error):
                raise
            # Written before a lost reply: the retry found it there.
        if self.maxlen is None:
            return
        for record in records:
            self._folded.fold(record)
        self._since_base += 1
        if self._since_base >= self.maxlen:
            await self._store_base()

    async def _append(self, fields: dict[bytes, str], entry_id: str) -> None:
        """Add the entry, and push the expiry back: a producer that dies mid-answer
        leaves a key that still expires ``ttl_seconds`` after its last entry."""
        pipeline = self.redis.pipeline(transaction=False)
        pipeline.xadd(self.key, fields, id=entry_id)  # type: ignore[arg-type]
        pipeline.expire(self.key, max(1, int(self.ttl_seconds)))
        await pipeline.execute()

    async def _store_base(self) -> None:
        """Store what the entries so far amount to, then trim them."""
        base = f"{self._n}\n" + "\n".join(r.to_json() for r in self._folded.records())
        await self._retrying(self.redis.set, base_key(self.key), base)
        # An entry n-0 holds positions below n: the base covers it and all before.
        await self._retrying(self.redis.xtrim, self.key, minid=f"{self._n}-1")
        self._since_base = 0

    async def _retrying(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        delay = 0.05
        lost = False
        while True:
            try:
                result = await command(*args, **kwargs)
            except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as error:
                if not lost:
                    lost = True
                    logger.warning("lost Redis while writing %s: %s; retrying", self.key, error)
                if time.monotonic() - started > self.give_up_seconds:
                    failure = ConnectionError(
                        f"Redis unreachable for {self.give_up_seconds:.0f}s while writing "
                        f"{self.key!r}: {error}; the answer stops here"
                    )
                    if not self.streamer.ended:
                        await self.streamer.stream_error(failure)
                    raise failure from error
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            if lost:
                self.outages += 1
                logger.warning("Redis is back; %s goes on", self.key)
            return result
