"""How an answer is laid out in Redis: its keys, its entries and its stored base.

An answer lives at a stream key. Its first entry, ``0-1``, only marks it open
(field ``opened``), so the key exists from the moment its publisher starts;
each later entry's ``records`` field holds one or more :mod:`kavalai.wire`
records, one JSON line each. Entry ids are ``<n>-<k>``: ``n`` is how many
positions the answer had once the entry was written, ``k`` counts entries that
added none. ``<key>:base`` holds what trimmed entries amount to: a first line
``<n> <id>`` (the positions it stands for, and the id of the last entry it
folds), then its records.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from ..wire import Record

__all__ = [
    "ENTRIES_READ",
    "FIELD",
    "GIVE_UP_SECONDS",
    "MARKER",
    "OPENED",
    "RECORDS_PER_ENTRY",
    "TTL_SECONDS",
    "Base",
    "base_key",
    "entry_id",
    "logger",
    "parse_base",
    "read_base",
    "records_of",
    "without_retries",
]

logger = logging.getLogger("kavalai.redis")

#: Seconds a finished answer stays in Redis by default.
TTL_SECONDS = 3600.0
#: Seconds of lost connection after which a publisher (or a reader) gives up by default.
GIVE_UP_SECONDS = 30.0
#: Entries one read asks for at most.
ENTRIES_READ = 512
FIELD = b"records"
#: The field of the entry that marks an answer open, and that entry's id.
OPENED = b"opened"
MARKER = "0-1"
#: Records one entry carries at most.
RECORDS_PER_ENTRY = 2048


class Base(NamedTuple):
    """What trimmed entries amount to: the positions below ``position``, up to entry ``last``."""

    position: int
    last: tuple[int, int]
    records: list[Record]


def base_key(key: str) -> str:
    return f"{key}:base"


def entry_id(raw: object) -> tuple[int, int]:
    """An entry id ``n-k`` as a pair, which orders as Redis orders ids."""
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    n, _, k = text.partition("-")
    return int(n), int(k)


def parse_base(key: str, raw: object) -> Base | None:
    """The stored base of ``key`` from the value of its base key (None for none)."""
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    head, _, body = text.partition("\n")
    try:
        position, last = head.split(" ")
        return Base(int(position), entry_id(last), [Record.from_json(r) for r in body.split("\n")])
    except ValueError as error:
        raise ValueError(
            f"Redis key {base_key(key)!r} is not a kavalai base ({error}); delete it"
        ) from None


async def read_base(redis: Redis, key: str) -> Base | None:
    """The stored base of ``key``."""
    raw: Any = await redis.get(base_key(key))
    return parse_base(key, raw)


def records_of(key: str, raw_id: object, fields: dict[Any, Any]) -> list[Record] | None:
    """The records of an entry; None for the entry that marks the answer open."""
    raw = fields.get(FIELD, fields.get("records"))
    try:
        if raw is None:
            if OPENED in fields or "opened" in fields:
                return None
            raise ValueError("no 'records' field")
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return [Record.from_json(line) for line in text.split("\n")]
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(
            f"entry {raw_id!r} of Redis key {key!r} is not a kavalai record ({error}); "
            "the key holds something else: read another key, or delete this one"
        ) from None


def without_retries(redis: Redis) -> Redis:
    """A client to the same server that retries nothing by itself.

    redis-py retries a lost connection on its own (ten times by default),
    which hides a short outage; the publisher retries, logs and counts every
    one itself instead. Disconnect its pool (``connection_pool.disconnect()``)
    when done.
    """
    pool = redis.connection_pool
    settings = {**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)}
    return Redis(connection_pool=ConnectionPool(connection_class=pool.connection_class, **settings))
