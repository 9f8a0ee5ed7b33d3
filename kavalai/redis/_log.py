"""How an answer is laid out in Redis: its keys, its entries and its stored base.

An answer lives at a stream key; each entry's ``records`` field holds one or
more :mod:`kavalai.wire` records, one JSON line each. ``<key>:open`` marks an
answer whose publisher started before its first entry, and ``<key>:base``
holds what trimmed entries amounted to: the position it covers up to on its
first line, then its records.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis

from ..wire import Record

__all__ = [
    "ENTRIES_READ",
    "FIELD",
    "GIVE_UP_SECONDS",
    "RECORDS_PER_ENTRY",
    "TTL_SECONDS",
    "base_key",
    "logger",
    "open_key",
    "read_base",
    "records_of",
]

logger = logging.getLogger("kavalai.redis")

#: Seconds a finished answer stays in Redis by default.
TTL_SECONDS = 3600.0
#: Seconds of lost connection after which a publisher gives up by default.
GIVE_UP_SECONDS = 30.0
#: The largest id part Redis takes: reading after ``n-MAX`` skips every ``n-k``.
ENTRIES_READ = 512
FIELD = b"records"
#: Records one entry carries at most.
RECORDS_PER_ENTRY = 2048


def base_key(key: str) -> str:
    return f"{key}:base"


def open_key(key: str) -> str:
    return f"{key}:open"


async def read_base(redis: Redis, key: str) -> tuple[int, list[Record]] | None:
    """The stored base of ``key``: the position it covers up to, and its records."""
    raw: Any = await redis.get(base_key(key))
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    head, _, body = text.partition("\n")
    try:
        return int(head), [Record.from_json(line) for line in body.split("\n")]
    except ValueError as error:
        raise ValueError(
            f"Redis key {base_key(key)!r} is not a kavalai base ({error}); delete it"
        ) from None


def records_of(key: str, entry_id: object, fields: dict[Any, Any]) -> list[Record]:
    raw = fields.get(FIELD, fields.get("records"))
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
