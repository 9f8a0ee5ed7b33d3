"""Publisher: a Streamer mirrored into a Redis stream key as it is written."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from ..errors import PublishError
from ..streamer import Streamer
from ..wire import CatchUp, Record, RecordReader
from ._log import (
    FIELD,
    GIVE_UP_SECONDS,
    MARKER,
    OPENED,
    RECORDS_PER_ENTRY,
    TTL_SECONDS,
    base_key,
    entry_id,
    logger,
    without_retries,
)

__all__ = ["Publisher"]

_LOST = (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError)

# Between the two halves of a surrogate pair.
_PAIR = re.compile("(?<=[\ud800-\udbff])(?=[\udc00-\udfff])")

# Add entry ARGV[2] if the key's last entry is ARGV[1] (none: ''), or it is there already.
_APPEND = """
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local last = top and top[1] or ''
if last == ARGV[2] then return 0 end
if last ~= ARGV[1] then return redis.error_reply('KAVALAI_LAST ' .. (top and last or 'none')) end
redis.call('XADD', KEYS[1], ARGV[2], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class Publisher:
    """Mirrors a Streamer into the Redis stream ``key`` while it is written.

    Run :meth:`run` as a task next to the producer; it returns when the
    Streamer ends, after the terminal entry is written and the key's expiry set.
    It is one consumer of the Streamer: with ``max_buffer`` set, a slow Redis
    slows the producer, so memory stays bounded.

    Every failure to write fails the Streamer with
    :class:`~kavalai.PublishError` naming the key and the cause, so the
    producer's next push raises instead of producing into the void: Redis
    unreachable for ``give_up_seconds``, a refused write (out of memory, a key
    holding another type), an entry in the key that this publisher did not
    write, or entries gone after an outage (Redis restarted without
    persistence). :meth:`run` then raises that error too.

    Args:
        streamer: The Streamer to mirror, from its first message.
        redis: A ``redis.asyncio.Redis`` client; the publisher writes through a
            client of its own to the same server that leaves retrying to it.
        key: The stream key to write; one answer a key.
        ttl_seconds: The key expires this long after the answer ended.
        give_up_seconds: How long to retry a lost connection before failing.
        maxlen: Keep about this many entries in the stream: once as many more
            were written, what they amount to (each stream's mode and value so
            far) is stored at ``<key>:base`` and the entries before it are
            trimmed, so a long answer takes memory in proportion to its values.
            A reader that starts before the kept entries gets that catch-up
            first, as from a Streamer's own trimmed history. ``None`` (the
            default) keeps every entry until the answer expires.

    Attributes:
        outages: How many times the connection was lost and found again; each
            one, however short, is logged once when lost and once when back.
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
        self._k = 1  # entries written since n last grew (the marker is 0-1)
        self._written: tuple[int, int] | None = None  # the id of the last entry acknowledged
        self._folded = CatchUp()  # what the entries amount to, for the base
        # A consumer from now on, so that nothing pushed before run() starts is trimmed.
        self._reader = RecordReader(streamer)
        self._since_base = 0  # entries written since the base was stored
        self._append: Any = None  # the script that adds an entry, once run() made its client

    async def run(self) -> None:
        """Write every record of the Streamer until it ends.

        Raises:
            PublishError: a write failed; the Streamer failed with this error.
        """
        reader = self._reader
        writer = without_retries(self.redis)
        self._append = writer.register_script(_APPEND)
        ttl = max(1, int(self.ttl_seconds))
        try:
            # The key exists from now on: a reader may come before the first message.
            await self._add(writer, {OPENED: b"1"}, MARKER)
            while not reader.done:
                # A round trip per batch: the more records in one, the fewer trips.
                records = await reader.read(None, 0.001, RECORDS_PER_ENTRY)
                if records:
                    await self._write(writer, records)
            await self._retrying(writer, writer.expire, self.key, ttl)
            await self._retrying(writer, writer.expire, base_key(self.key), ttl)
        except PublishError as error:
            await self._fail(error)
            raise
        except redis_errors.RedisError as error:
            failure = PublishError(
                f"Redis refused a write of the answer at key {self.key!r}: {_cause(error)}; "
                "the answer stops here"
            )
            await self._fail(failure)
            raise failure from error
        finally:
            await reader.aclose()
            await writer.connection_pool.disconnect()

    async def _fail(self, error: PublishError) -> None:
        logger.error("%s", error)
        if not self.streamer.ended:
            await self.streamer.stream_error(error)

    async def _write(self, writer: Redis, records: list[Record]) -> None:
        last = max((r.last_seq for r in records if r.last_seq is not None), default=None)
        if last is not None and last + 1 > self._n:
            self._n, self._k = last + 1, 0
        else:
            self._k += 1
        payload = "\n".join(record.to_json() for record in records)
        await self._add(writer, {FIELD: payload.encode()}, f"{self._n}-{self._k}")
        if self.maxlen is None:
            return
        for record in records:
            self._folded.fold(record)
        self._since_base += 1
        if self._since_base >= self.maxlen:
            await self._store_base(writer)

    async def _add(self, writer: Redis, fields: dict[bytes, bytes], raw_id: str) -> None:
        """Add the entry right after the last one acknowledged, and push the expiry back.

        One script, so the check and the write are one step: the key's last
        entry must be the one this publisher wrote last (or, after a lost reply,
        this very one), else Redis lost entries or something else writes to
        the key. The expiry moves with every entry: a producer that dies
        mid-answer leaves a key that still expires ``ttl_seconds`` after its last.
        """
        ((field, value),) = fields.items()
        written = "" if self._written is None else "{}-{}".format(*self._written)
        ttl = max(1, int(self.ttl_seconds))
        try:
            await self._retrying(
                writer,
                self._append,
                [self.key],
                [written, raw_id, field, value, ttl],
            )
        except redis_errors.ResponseError as error:
            text = str(error)
            if not text.startswith("KAVALAI_LAST"):
                raise
            found = text.split(" ", 1)[1]
            if found == "none" or entry_id(found) < (self._written or (0, 0)):
                await self._tell_readers(writer, raw_id)
                raise PublishError(
                    f"Redis lost entries of the answer at key {self.key!r} (its last entry "
                    f"was {written}, now {found}): it restarted without persistence "
                    "(appendonly no), lost its last writes (appendfsync everysec), or failed "
                    "over to a replica that was behind; the answer stops here"
                ) from None
            raise PublishError(
                f"Redis key {self.key!r} holds an entry this publisher did not write "
                f"({found}), so entry {raw_id} cannot follow it: something else writes to "
                "the key; give each answer a key of its own"
            ) from None
        self._written = entry_id(raw_id)

    async def _tell_readers(self, writer: Redis, raw_id: str) -> None:
        """Write why the answer stops, past the entries lost: its readers see the gap."""
        error = Record.failure(PublishError(f"Redis lost entries of the answer at {self.key!r}"))
        with contextlib.suppress(redis_errors.RedisError):
            n, k = entry_id(raw_id)
            await writer.xadd(self.key, {FIELD: error.to_json()}, id=f"{n}-{k + 1}")
            await writer.expire(self.key, max(1, int(self.ttl_seconds)))

    async def _store_base(self, writer: Redis) -> None:
        """Store what the entries so far amount to, then trim them."""
        n, k = self._written or (0, 0)
        head = f"{self._n} {n}-{k}\n"
        base = head + "\n".join(_kept_apart(r).to_json() for r in self._folded.records())
        await self._retrying(writer, writer.set, base_key(self.key), base)
        # The last entry stays: the next one is checked against it.
        await self._retrying(writer, writer.xtrim, self.key, minid=f"{n}-{k}", approximate=False)
        self._since_base = 0

    async def _retrying(self, writer: Redis, command: Any, *args: Any, **kwargs: Any) -> Any:
        """``command(*args)``, retried while the connection is lost, up to ``give_up_seconds``.

        Each outage is logged when found and when over, and counted once.
        """
        started = time.monotonic()
        delay = 0.05
        lost: Exception | None = None
        while True:
            try:
                result = await command(*args, **kwargs)
            except _LOST as error:
                if lost is None:
                    lost = error
                    logger.warning("lost Redis while writing %s: %s; retrying", self.key, error)
                if time.monotonic() - started > self.give_up_seconds:
                    raise PublishError(
                        f"Redis unreachable for {self.give_up_seconds:.0f}s while writing the "
                        f"answer at key {self.key!r}: {error}; the answer stops here"
                    ) from error
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            if lost is not None:
                self.outages += 1
                logger.warning("Redis is back; %s goes on", self.key)
            return result


def _kept_apart(record: Record) -> Record:
    """``record`` with its chunks cut between the halves of a surrogate pair.

    The base joins a stream's chunks into one, and JSON reads the two halves
    of a pair, once in one string, back as one character: cut there, they come
    back as the two the producer pushed, as in the messages a reader replays.
    """
    if record.kind != "partial" or not any(_PAIR.search(chunk) for chunk in record.chunks):
        return record
    chunks = tuple(piece for chunk in record.chunks for piece in _PAIR.split(chunk))
    return Record("partial", record.seq, record.name, chunks)


def _cause(error: redis_errors.RedisError) -> str:
    text = str(error)
    if isinstance(error, redis_errors.OutOfMemoryError) or text.startswith("OOM"):
        return f"{text} (Redis is full: raise maxmemory, or give answers a smaller maxlen)"
    if "WRONGTYPE" in text:
        return f"{text} (the key holds a value that is not a stream: use another key)"
    return text
