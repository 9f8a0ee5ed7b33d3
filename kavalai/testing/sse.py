"""The HTTP answers of a provider call, recorded as they streamed and replayed over 127.0.0.1.

A test of provider code runs offline against what the provider once sent.
Record the call once through :class:`SseRecordingProxy`, an HTTP server on
127.0.0.1 that the SDK client is pointed at and that forwards each request to
the provider; replay it with :class:`SseReplayServer`, an HTTP server on
127.0.0.1 that answers as the provider did. Both work with any SDK whatever
HTTP library it uses, and every byte goes through the SDK's own SSE parsing,
as it did live::

    async with SseReplayServer(SseRecording.load("hello.jsonl")) as server:
        client = openai.AsyncOpenAI(api_key="test", base_url=f"{server.url}/v1")
        ...

A recording is JSON Lines: a header line ``{"kavalai_sse_recording": 1}``;
then for each request in order, a line with its ``request`` (``method``,
``path``, and its JSON ``body``), the answer's ``status`` and ``headers``;
then one line per piece of the answer as it arrived, ``{"t": .., "chunk": ..}``,
``t`` in seconds from the request. Of the answer's headers only those in
:data:`KEPT_HEADERS` are kept, and none of the request's, so no key or account
detail is written.
"""

from __future__ import annotations

import abc
import asyncio
import codecs
import contextlib
import json
import time
from http import HTTPStatus
from typing import Any, Self

from .._extras import missing_extra
from ..errors import SseRecordingError
from ._sse_format import SseExchange, SseRecording, json_or_text

__all__ = [
    "KEPT_HEADERS",
    "SseExchange",
    "SseRecording",
    "SseRecordingError",
    "SseRecordingProxy",
    "SseReplayServer",
]

#: The answer headers a recording keeps: what an SDK reads, and nothing about the account.
KEPT_HEADERS = frozenset(("content-type", "x-request-id", "request-id"))


_Writer = asyncio.StreamWriter


class _Loopback(abc.ABC):
    """An HTTP/1.1 server on 127.0.0.1 answering one request a connection."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Any] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for handler in self._handlers:
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            # A client that goes away ends its connection, and nothing more.
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, path, _ = head[0].split(" ", 2)
                pairs = [line.split(":", 1) for line in head[1:] if ":" in line]
                headers = {name.strip().lower(): value.strip() for name, value in pairs}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(json_or_text(body))
                await self._answer(method, path, headers, body, writer)
        finally:
            self._handlers.discard(task)
            writer.close()

    @abc.abstractmethod
    async def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes, writer: _Writer
    ) -> None:
        """Answer one request: the proxy forwards it, the replay server plays an exchange."""


class SseReplayServer(_Loopback):
    """An HTTP server on 127.0.0.1 answering each request with the next recorded exchange.

    Use it as an async context manager; :attr:`url` is its base URL, to give
    the SDK client in place of the provider's (``f"{server.url}/v1"`` for
    OpenAI). A request whose method and path differ from the recorded one's,
    or one more than the recording holds, gets a 500 answer whose message says
    which, and the SDK raises it. The bodies received are in :attr:`requests`.

    Args:
        recording: What to answer.
        speed: ``None`` to send each answer at once; ``1.0`` with its recorded
            pauses, ``2.0`` twice as fast.
    """

    def __init__(self, recording: SseRecording, speed: float | None = None) -> None:
        super().__init__()
        self.recording = recording
        self.speed = speed

    async def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes, writer: _Writer
    ) -> None:
        number, exchanges = len(self.requests), self.recording.exchanges
        if number > len(exchanges):
            held = len(exchanges)
            return await _fail(
                writer, f"the recording holds {held} request(s); this is request {number}"
            )
        exchange = exchanges[number - 1]
        if (method, path) != (exchange.method, exchange.path):
            return await _fail(
                writer,
                f"recorded request {number} was {exchange.method} {exchange.path}, got "
                f"{method} {path}; record the call again",
            )
        _open(writer, exchange.status, exchange.headers)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for t, chunk in exchange.chunks:
            if self.speed is not None and (wait := start + t / self.speed - loop.time()) > 0:
                await asyncio.sleep(wait)
            await _send(writer, chunk.encode())
        await _send(writer, b"")


class SseRecordingProxy(_Loopback):
    """An HTTP server on 127.0.0.1 that forwards each request upstream and records the answer.

    Point the SDK client at :attr:`url` in place of the provider, with the real
    key: each answer reaches the client piece by piece as it arrives, and lands
    in :attr:`recording`. It asks for answers without compression
    (``accept-encoding: identity``), so that the recording is the text the SDK
    parsed. Needs httpx (the ``web`` extra and the OpenAI SDK install it).

    Args:
        upstream: The provider's base URL, ``https://api.openai.com`` say.
        timeout: Seconds an answer may keep quiet before the proxy gives up on it.
    """

    _DROPPED = frozenset(("host", "content-length", "accept-encoding", "connection"))

    def __init__(self, upstream: str, timeout: float = 60.0) -> None:
        try:
            import httpx  # noqa: F401  (here, so a missing one is said before any request)
        except ImportError as error:
            raise missing_extra("kavalai.testing.sse's proxy", "httpx", "web") from error
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.recording = SseRecording()
        self._timeout = timeout

    async def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes, writer: _Writer
    ) -> None:
        import httpx

        sent = {name: value for name, value in headers.items() if name not in self._DROPPED}
        sent["accept-encoding"] = "identity"
        exchange = SseExchange(method, path, json_or_text(body))
        start = time.monotonic()
        async with (
            httpx.AsyncClient(timeout=self._timeout) as client,
            client.stream(method, self.upstream + path, headers=sent, content=body) as answer,
        ):
            encoding = answer.headers.get("content-encoding", "identity")
            if encoding != "identity":
                await _fail(writer, f"the answer came compressed ({encoding})")
                raise SseRecordingError(
                    f"the answer to {method} {path} came compressed ({encoding}) though the "
                    "recorder asked for identity; record from an upstream that does not compress"
                )
            exchange.status = answer.status_code
            exchange.headers = [
                (name, value) for name, value in answer.headers.items() if name in KEPT_HEADERS
            ]
            self.recording.exchanges.append(exchange)
            _open(writer, exchange.status, exchange.headers)
            decoder = codecs.getincrementaldecoder("utf-8")()
            async for data in answer.aiter_raw():
                if text := decoder.decode(data):
                    exchange.chunks.append((round(time.monotonic() - start, 6), text))
                await _send(writer, data)
        await _send(writer, b"")


def _open(writer: _Writer, status: int, headers: list[tuple[str, str]]) -> None:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "transfer-encoding: chunked"]
    lines += ["connection: close", *(f"{name}: {value}" for name, value in headers)]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


async def _send(writer: _Writer, data: bytes) -> None:
    """One piece of a chunked body; the empty one ends it."""
    writer.write(b"%x\r\n%s\r\n" % (len(data), data) if data else b"0\r\n\r\n")
    await writer.drain()


async def _fail(writer: _Writer, message: str) -> None:
    body = json.dumps({"error": {"message": message, "type": "kavalai_replay"}}).encode()
    head = (
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
