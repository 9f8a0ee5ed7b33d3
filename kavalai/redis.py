"""kavalai.redis: Redis Streams as the log behind a Streamer, across processes and machines.

Needs the ``redis`` extra: ``pip install 'kavalai[redis]'`` (redis-py's asyncio client).

* :class:`Publisher` mirrors a Streamer into a Redis stream key, as it is
  written: each batch of :mod:`kavalai.wire` records is one ``XADD`` entry whose
  id carries the positions, so a reader resumes after any position without a
  scan. A lost connection is retried (and logged) until ``give_up_seconds``;
  then the Streamer fails, so its producer stops instead of writing into the
  void. A finished answer expires after ``ttl_seconds``.
* :func:`subscribe` gives, in any process, a Streamer that replays the key from
  the start or after a position and then follows it (one ``XREAD BLOCK`` loop, so
  no gap between replay and tailing), ending with the producer's end or error.
  Readers are independent (plain ``XREAD``, no consumer groups).
* :class:`RedisHub` is the web transport's hub on Redis: an answer produced by
  one worker is served and resumed by any worker, and a stop request on any
  worker reaches the producer through a control channel.

Entry ids are ``<n>-<k>``: ``n`` is how many positions the answer had once the
entry was written, ``k`` counts entries that added none (the end, say).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from ._extras import missing_extra

try:
    from redis import exceptions as redis_errors
    from redis.asyncio import Redis
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.redis", "redis-py", "redis") from error

from .streamer import Streamer
from .wire import Record, RecordReader, Replica

__all__ = ["Publisher", "RedisHub", "subscribe"]

_logger = logging.getLogger("kavalai.redis")

#: Seconds a finished answer stays in Redis by default.
TTL_SECONDS = 3600.0
#: Seconds of lost connection after which a publisher gives up by default.
GIVE_UP_SECONDS = 30.0
#: The largest id part Redis takes: reading after ``n-MAX`` skips every ``n-k``.
_ENTRIES_READ = 512
_FIELD = b"records"
#: Records one entry carries at most.
_RECORDS_PER_ENTRY = 2048


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
        self._folded = _Folded()  # what the entries amount to, for the base
        # A consumer from now on, so that nothing pushed before run() starts is trimmed.
        self._reader = RecordReader(streamer)
        self._since_base = 0  # entries written since the base was stored

    async def run(self) -> None:
        """Write every record of the Streamer until it ends."""
        reader = self._reader
        try:
            # Registered: a reader may come before the first entry does.
            await self._retrying(
                self.redis.set, _open_key(self.key), b"1", ex=max(1, int(self.ttl_seconds))
            )
            while not reader.done:
                # A round trip per batch: the more records in one, the fewer trips.
                records = await reader.read(None, 0.001, _RECORDS_PER_ENTRY)
                if records:
                    await self._write(records)
            ttl = max(1, int(self.ttl_seconds))
            await self._retrying(self.redis.expire, self.key, ttl)
            await self._retrying(self.redis.expire, _base_key(self.key), ttl)
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
            await self._retrying(self._append, {_FIELD: payload}, entry_id)
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
        base = f"{self._n}\n" + "\n".join(r.to_json() for r in self._folded.catch_up())
        await self._retrying(self.redis.set, _base_key(self.key), base)
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
                    _logger.warning("lost Redis while writing %s: %s; retrying", self.key, error)
                if time.monotonic() - started > self.give_up_seconds:
                    failure = ConnectionError(
                        f"Redis unreachable for {self.give_up_seconds:.0f}s while writing "
                        f"{self.key!r}: {error}; the answer stops here"
                    )
                    if self.streamer._ending is None:
                        await self.streamer.stream_error(failure)
                    raise failure from error
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            if lost:
                self.outages += 1
                _logger.warning("Redis is back; %s goes on", self.key)
            return result


class _FoldedStream:
    __slots__ = ("announced", "chunks", "done", "shown_from")

    def __init__(self, announced: Record) -> None:
        self.announced = announced  # its "stream" record: mode and serial
        self.chunks: list[str] = []
        self.done = False
        self.shown_from = 0  # a delta consumer dropped the text before this, at a restart

    def text(self) -> str:
        self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0]


class _Folded:
    """What the records written so far amount to, as a consumer from the start has it."""

    def __init__(self) -> None:
        self._streams: dict[str, _FoldedStream] = {}  # the latest stream of each name
        self._shown: dict[str, None] = {}  # names with messages since the last restart
        self._ended: Record | None = None  # the end or the error, once written

    def fold(self, record: Record) -> None:
        kind, name = record.kind, record.name or ""
        if kind == "stream":
            self._streams[name] = _FoldedStream(record)
        elif kind == "partial":
            self._streams[name].chunks.extend(record.chunks)
            self._shown[name] = None
        elif kind == "complete":
            self._streams[name].done = True
            self._shown[name] = None
        elif kind == "restart":  # consumers drop what came before
            for shown in self._shown:
                self._streams[shown].shown_from = len(self._streams[shown].text())
            self._shown.clear()
        elif kind in ("end", "error"):
            self._ended = record

    def catch_up(self) -> list[Record]:
        """A restart, then each stream's mode and value so far, as one chunk each, then the end."""
        records = [Record("restart", None, value="catch-up")]
        for name in self._shown:
            stream = self._streams[name]
            records.append(stream.announced)
            text = stream.text()
            if stream.announced.delta:
                text = text[stream.shown_from :]
            if text or not stream.done:
                records.append(Record("partial", None, name, (text,)))
            if stream.done:
                records.append(Record("complete", None, name))
        if self._ended is not None:  # the last entry may be folded in too: keep its end
            records.append(self._ended)
        return records


def _base_key(key: str) -> str:
    return f"{key}:base"


def _open_key(key: str) -> str:
    return f"{key}:open"


async def _read_base(redis: Redis, key: str) -> tuple[int, list[Record]] | None:
    """The stored base of ``key``: the position it covers up to, and its records."""
    raw: Any = await redis.get(_base_key(key))
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    head, _, body = text.partition("\n")
    try:
        return int(head), [Record.from_json(line) for line in body.split("\n")]
    except ValueError as error:
        raise ValueError(
            f"Redis key {_base_key(key)!r} is not a kavalai base ({error}); delete it"
        ) from None


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
    with ``LookupError``. An entry
    that is not a kavalai record fails it with ``ValueError`` naming the entry.
    """
    streamer = Streamer(history=None)
    replica = Replica(streamer)
    caught_up = asyncio.Event()
    follower = streamer.start(
        _follow(redis, key, replica, after, wait_seconds, block_ms, caught_up)
    )
    waiting = asyncio.ensure_future(caught_up.wait())
    await asyncio.wait([waiting, follower], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    try:
        yield streamer
    finally:
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
        answer: Any = await redis.xread({key: last_id}, count=_ENTRIES_READ, block=block_ms)
        entries: list[tuple[Any, dict[Any, Any]]] = answer[0][1] if answer else []
        if not entries:
            exists = exists or bool(await redis.exists(key))
            if exists:
                caught_up.set()
            elif time.monotonic() > deadline:
                raise LookupError(f"no answer appeared at Redis key {key!r} in {wait_seconds}s")
            continue
        exists = True
        for entry_id, fields in entries:
            records = _records(key, entry_id, fields)
            first = min((r.seq for r in records if r.seq is not None), default=None)
            catch_up = records[0].kind == "restart" and records[0].seq is None
            if first is not None and first > (-1 if after is None else after) + 1 and not catch_up:
                # Trimmed past this reader while it lagged: start again from the base.
                base = await _read_base(redis, key)
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
            if len(entries) < _ENTRIES_READ:
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
    base = await _read_base(redis, key)
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
            announced += [r for r in _records(key, entry_id, fields) if r.kind == "stream"]
        for record in announced:
            await replica.apply(record)
    return after, False


def _records(key: str, entry_id: object, fields: dict[Any, Any]) -> list[Record]:
    raw = fields.get(_FIELD, fields.get("records"))
    try:
        if raw is None:
            raise ValueError("no 'records' field")
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return [Record.from_json(line) for line in text.split("\n")]
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(
            f"entry {entry_id!r} of Redis key {key!r} is not a kavalai record ({error}); "
            "the key holds something else: read another key, or delete this one"
        ) from None


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


class RedisHub:
    """The web transport's hub (:class:`kavalai.web.StreamHub`) on Redis.

    :meth:`register` publishes a Streamer under a new unguessable id; any
    worker's :meth:`open` follows it from Redis, with the producer's positions,
    so ``GET /streams/{id}`` resumes on any worker; :meth:`stop` on any worker
    reaches the worker that produces the answer, which closes its Streamer.

    Args:
        redis: A ``redis.asyncio.Redis`` client.
        prefix: Key prefix of the answers' streams.
        ttl_seconds: How long a finished answer stays readable.
    """

    def __init__(
        self, redis: Redis, *, prefix: str = "kavalai:", ttl_seconds: float = TTL_SECONDS
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._owned: dict[str, Streamer] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._open: dict[Streamer, contextlib.AbstractAsyncContextManager[Streamer]] = {}

    def register(self, streamer: Streamer) -> str:
        stream_id = secrets.token_urlsafe(16)
        key = self.prefix + stream_id
        self._owned[stream_id] = streamer
        publisher = Publisher(streamer, self.redis, key, ttl_seconds=self.ttl_seconds)
        task = asyncio.ensure_future(publisher.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._owned.pop(stream_id, None))
        if self._listener is None or self._listener.done():
            self._listener = asyncio.ensure_future(self._listen())
        return stream_id

    async def open(self, stream_id: str) -> Streamer | None:
        key = self.prefix + stream_id
        if not await self.redis.exists(key, _open_key(key)):
            return None
        following = subscribe(self.redis, key, wait_seconds=self.ttl_seconds)
        streamer = await following.__aenter__()
        self._open[streamer] = following
        return streamer

    async def release(self, streamer: Streamer) -> None:
        following = self._open.pop(streamer, None)
        if following is not None:
            await following.__aexit__(None, None, None)

    async def stop(self, stream_id: str) -> bool:
        await self.redis.publish(self._control(stream_id), b"stop")
        return bool(await self.redis.exists(self.prefix + stream_id))

    async def aclose(self) -> None:
        """Stop listening for stop requests and wait for the publishers to finish."""
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _control(self, stream_id: str) -> str:
        return f"{self.prefix}control:{stream_id}"

    async def _listen(self) -> None:
        """Close the Streamers this worker produces when any worker asks to stop them.

        A lost connection is logged and the subscription made again, so stop
        requests keep arriving after a Redis restart.
        """
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.psubscribe(f"{self.prefix}control:*")
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    streamer = self._owned.get(channel.rsplit(":", 1)[-1])
                    if streamer is not None:
                        await streamer.aclose()
            except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as error:
                _logger.warning("lost Redis while listening for stop requests: %s", error)
                await asyncio.sleep(0.5)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
