"""connect(): a Streamer in this process that follows one served by kavalai.web."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx

from ..errors import StreamUnavailableError
from ..streamer import Streamer
from ..wire import Record, Replica
from ._sse_read import sse_lines, utf8_texts

__all__ = ["StreamUnavailableError", "connect"]


@asynccontextmanager
async def connect(
    url: str,
    *,
    after: int | None = None,
    headers: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    max_reconnects: int = 5,
    reconnect_delay: float = 0.2,
) -> AsyncIterator[Streamer]:
    """Follow a Streamer served over kavalai's SSE, as a Streamer in this process.

    The local Streamer's messages equal what a local consumer of the server's
    Streamer sees, in each stream's own mode, so operators and ``values()``
    work the same. After a dropped connection the client reconnects with
    ``Last-Event-ID`` and goes on with nothing lost or repeated; after
    ``max_reconnects`` failed attempts in a row (or a 204: no such answer), the
    local Streamer fails with the error. Leaving the ``async with`` stops
    following and closes the local Streamer::

        async with kavalai.web.connect("http://127.0.0.1:8000/streams/abc") as streamer:
            async for message in streamer:
                ...

    Args:
        url: The SSE endpoint, such as a hub's ``/streams/{id}``.
        after: Start after this remote position instead of the first message;
            the local values are then built from what follows it only.
        headers: Sent with every request (an ``Authorization`` header, say).
        client: An ``httpx.AsyncClient`` to use; by default one made for this.
        max_reconnects: Attempts in a row before giving up.
        reconnect_delay: Seconds before the first reconnect; doubles each time.
    """
    streamer = Streamer()
    replica = Replica(streamer)
    replica.last_seq = after
    owned = client is None
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None)) if client is None else client
    follower = streamer.start(
        _follow(http, url, dict(headers or {}), replica, max_reconnects, reconnect_delay)
    )
    try:
        yield streamer
    finally:
        await replica.stop(follower)
        if owned:
            await http.aclose()


async def _follow(
    http: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    replica: Replica,
    max_reconnects: int,
    delay: float,
) -> None:
    failures = 0
    while True:
        request_headers = {"Accept": "text/event-stream", **headers}
        if replica.last_seq is not None:
            request_headers["Last-Event-ID"] = str(replica.last_seq)
        try:
            async with http.stream("GET", url, headers=request_headers) as response:
                if response.status_code == 204:
                    raise StreamUnavailableError(
                        f"no answer at {url} for this client (unknown, expired or not allowed)"
                    )
                response.raise_for_status()
                async for record in _records(response):
                    failures = 0
                    if not await replica.apply(record):
                        return
        except (httpx.TransportError, httpx.RemoteProtocolError) as error:
            failures += 1
            if failures > max_reconnects:
                raise ConnectionError(
                    f"lost the stream at {url} and {max_reconnects} reconnects failed: {error}"
                ) from error
            await asyncio.sleep(delay * 2 ** (failures - 1))
            continue
        # The body ended without an end or error record: the connection was cut.
        failures += 1
        if failures > max_reconnects:
            raise ConnectionError(f"the stream at {url} kept ending early; gave up reconnecting")
        await asyncio.sleep(delay * 2 ** (failures - 1))


async def _records(response: httpx.Response) -> AsyncIterator[Record]:
    """The wire records of an SSE body, one per complete event."""
    data: list[str] = []
    async for line in sse_lines(utf8_texts(response.aiter_bytes())):
        if not line:
            if data:
                yield Record.from_json("\n".join(data))
                data.clear()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
