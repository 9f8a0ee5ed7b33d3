"""Encoders: a Streamer's messages as wire text, for any ASGI framework's streaming response."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable

from ..streamer import Streamer
from ..wire import Record, RecordReader

__all__ = [
    "LINGER_SECONDS",
    "PING_SECONDS",
    "ndjson",
    "ndjson_lines",
    "sse",
    "sse_events",
    "sse_frame",
]

#: Seconds without a message after which an SSE stream sends a ``: ping`` comment,
#: so proxies and browsers do not take an idle answer for a dead connection.
PING_SECONDS = 15.0

#: Seconds a response waits, once a message is ready, for more to travel with it.
LINGER_SECONDS = 0.005


async def sse(
    streamer: Streamer,
    after: int | None = None,
    *,
    ping_seconds: float | None = PING_SECONDS,
    linger_seconds: float = LINGER_SECONDS,
) -> AsyncGenerator[str, None]:
    """kavalai's server-sent events: one event per wire record, ``id:`` its last position.

    Each event's type is the record's kind and its data the record's JSON (see
    :mod:`kavalai.wire`); streams travel as raw chunks whatever their mode, so a
    value of n bytes costs O(n) bytes. The stream ends with an ``end`` or
    ``error`` event. A browser ``EventSource`` resumes with ``Last-Event-ID``.

    Args:
        streamer: The Streamer to serve; this is one independent consumer of it.
        after: Serve the messages after this position (a ``Last-Event-ID``).
        ping_seconds: Send a ``: ping`` comment after this long without a message;
            ``None`` for none (a response that pings by itself).
        linger_seconds: Once a message is ready, wait this long for more to send
            with it (5 ms by default: fewer, larger events when chunks are small
            and fast; ``0`` sends each at once).
    """
    reader = RecordReader(streamer, after)
    try:
        while not reader.done:
            records = await reader.read(ping_seconds, linger_seconds)
            yield sse_events(records) if records else ": ping\n\n"
    finally:
        await reader.aclose()


async def ndjson(
    streamer: Streamer, after: int | None = None, *, linger_seconds: float = LINGER_SECONDS
) -> AsyncGenerator[str, None]:
    r"""The same wire records as newline-delimited JSON (``application/x-ndjson``).

    One record per line; a line is split on ``\n`` only (JSON escapes every
    other line break inside strings). ``linger_seconds`` is as for :func:`sse`.
    """
    reader = RecordReader(streamer, after)
    try:
        while not reader.done:
            records = await reader.read(None, linger_seconds)
            yield ndjson_lines(records)
    finally:
        await reader.aclose()


def sse_events(records: Iterable[Record]) -> str:
    """The server-sent events for ``records``, one after the other."""
    return "".join(map(sse_frame, records))


def ndjson_lines(records: Iterable[Record]) -> str:
    """The NDJSON lines for ``records``."""
    return "".join(record.to_json() + "\n" for record in records)


def sse_frame(record: Record) -> str:
    """One server-sent event for ``record``."""
    last = record.last_seq
    head = "" if last is None else f"id: {last}\n"
    return f"{head}event: {record.kind}\ndata: {record.to_json()}\n\n"
