"""A provider on 127.0.0.1: uvicorn replaying SSE transcripts to the real SDK clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest
from anthropic import Anthropic
from openai import OpenAI
from starlette.types import Receive, Scope, Send

from kavalai import StreamContent, Streamer


class Clients:
    """Real SDK clients for a server on 127.0.0.1, closed at the end of the test."""

    def __init__(self) -> None:
        self.opened: list[openai.AsyncOpenAI | anthropic.AsyncAnthropic] = []
        self.opened_sync: list[OpenAI | Anthropic] = []

    def openai(self, base_url: str) -> openai.AsyncOpenAI:
        client = openai.AsyncOpenAI(api_key="test", base_url=f"{base_url}/v1", max_retries=0)
        self.opened.append(client)
        return client

    def anthropic(self, base_url: str) -> anthropic.AsyncAnthropic:
        client = anthropic.AsyncAnthropic(api_key="test", base_url=base_url, max_retries=0)
        self.opened.append(client)
        return client

    def openai_sync(self, base_url: str) -> OpenAI:
        client = OpenAI(api_key="test", base_url=f"{base_url}/v1", max_retries=0)
        self.opened_sync.append(client)
        return client

    def anthropic_sync(self, base_url: str) -> Anthropic:
        client = Anthropic(api_key="test", base_url=base_url, max_retries=0)
        self.opened_sync.append(client)
        return client


@pytest.fixture
async def clients() -> AsyncIterator[Clients]:
    made = Clients()
    yield made
    for client in made.opened:
        await client.close()
    for sync_client in made.opened_sync:
        sync_client.close()


async def consume(streamer: Streamer) -> tuple[list[StreamContent], Exception | None]:
    """Every message a consumer gets, and the exception the Streamer ended with, if any."""
    received: list[StreamContent] = []
    try:
        async for message in streamer:
            received.append(message)
    except Exception as error:
        return received, error
    return received, None


def keys(messages: list[StreamContent]) -> list[tuple[str, str, str | None]]:
    return [(message.type, message.name, message.value) for message in messages]


async def answer_keys(streamer: Streamer) -> list[tuple[str, str, str | None]]:
    """What a consumer of the whole answer gets, as ``keys``; the answer must not fail."""
    messages, error = await consume(streamer)
    assert error is None
    return keys(messages)


def data(payload: object) -> str:
    """An SSE frame with only data, as OpenAI's Chat Completions sends them."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {text}\n\n"


def event(payload: dict[str, Any]) -> str:
    """An SSE frame named after its payload's type, as Anthropic and the Responses API send."""
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n"


class Replay:
    """An ASGI app that answers every POST with the same SSE transcript, frame by frame.

    ``requests`` keeps the JSON bodies it received (``requested`` is set at
    the first). With ``gated``, it sends a frame only when :meth:`allow` lets
    it, so a test decides exactly how far the answer got, and ``held`` is set
    while it waits for that; ``disconnected`` is set when the client goes
    away, and ``sent_at_disconnect`` says how many frames had been sent by then.
    """

    def __init__(self, frames: list[str], *, gated: bool = False) -> None:
        self.frames = frames
        self.gated = gated
        self.requests: list[dict[str, Any]] = []
        self.sent = 0
        self.disconnected = asyncio.Event()
        self.requested = asyncio.Event()
        self.held = asyncio.Event()
        self.sent_at_disconnect: int | None = None
        self._allowed = asyncio.Semaphore(0)

    def allow(self, frames: int = 1) -> None:
        """Let the server send ``frames`` more frames."""
        for _ in range(frames):
            self._allowed.release()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.requests.append(json.loads(body))
        self.requested.set()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        watcher = asyncio.ensure_future(self._watch(receive))
        for frame in self.frames:
            if self.gated:
                allowed = asyncio.ensure_future(self._allowed.acquire())
                if not allowed.done():
                    await asyncio.sleep(0)  # a frame allowed already is taken at once
                if not allowed.done():
                    self.held.set()
                await asyncio.wait({allowed, watcher}, return_when=asyncio.FIRST_COMPLETED)
                self.held.clear()
                if not allowed.done():
                    allowed.cancel()
            if watcher.done():
                return
            await send({"type": "http.response.body", "body": frame.encode(), "more_body": True})
            self.sent += 1
        await send({"type": "http.response.body", "body": b""})
        watcher.cancel()

    async def _watch(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.sent_at_disconnect = self.sent
        self.disconnected.set()
