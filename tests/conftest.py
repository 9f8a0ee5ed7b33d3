"""Shared test helpers: every Streamer behaviour is checked for both ways of consuming it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright
from starlette.types import ASGIApp

from kavalai import StreamContent, Streamer

#: kavalai's pytest plugin, which its entry point loads once kavalai is installed.
PLUGIN = "kavalai.testing.pytest_plugin"
# pytester runs the plugin's tests in an inner pytest; a tree whose installed metadata
# predates the entry point (or belongs to another tree) loads the plugin itself.
pytest_plugins = [
    "pytester",
    *(() if any(e.value == PLUGIN for e in entry_points(group="pytest11")) else (PLUGIN,)),
]


async def restart_without_reset(streamer: Streamer) -> None:
    """A stream that goes on after a restart, as the same value streamer."""
    text = streamer.get_value_streamer("text")
    await text.stream_partial("x")
    await streamer.stream_restart("retry")
    await text.stream_partial("y")
    await text.stream_complete()


async def retry_under_the_same_name(streamer: Streamer) -> None:
    """A restart, reset_active(), and a fresh value streamer under the same name."""
    text = streamer.get_value_streamer("text")
    await text.stream_partial("draft")
    await streamer.stream_restart("retry")
    streamer.reset_active()
    text = streamer.get_value_streamer("text")
    await text.stream_partial("final")
    await text.stream_complete()


@dataclass
class Consumed:
    """What one consumer received: the messages, then how the stream ended."""

    messages: list[StreamContent] = field(default_factory=list)
    error: Exception | None = None

    @property
    def lines(self) -> list[str]:
        return [message.model_dump_json() for message in self.messages]


class Consumer:
    """Consumes a Streamer either with ``async for`` or as an Rx subscriber.

    ``start`` attaches the consumer right away (the Rx subscription is made
    synchronously; the ``async for`` task claims the Streamer when first run),
    ``result`` waits for the stream to end.
    """

    def __init__(self, way: str) -> None:
        self.way = way

    def start(self, streamer: Streamer) -> asyncio.Future[Consumed]:
        if self.way == "async_for":
            return asyncio.ensure_future(self._iterate(streamer))
        return self._subscribe(streamer)

    async def consume(self, streamer: Streamer) -> Consumed:
        return await self.start(streamer)

    @staticmethod
    async def _iterate(streamer: Streamer) -> Consumed:
        consumed = Consumed()
        try:
            async for message in streamer:
                consumed.messages.append(message)
        except Exception as error:
            consumed.error = error
        return consumed

    @staticmethod
    def _subscribe(streamer: Streamer) -> asyncio.Future[Consumed]:
        done: asyncio.Future[Consumed] = asyncio.get_running_loop().create_future()
        consumed = Consumed()

        def on_error(error: Exception) -> None:
            consumed.error = error
            done.set_result(consumed)

        streamer.subscribe(consumed.messages.append, on_error, lambda: done.set_result(consumed))
        return done


@pytest.fixture(params=["async_for", "rx"])
def consumer(request: pytest.FixtureRequest) -> Consumer:
    """One fixture, two ways of consuming: each test runs once per way."""
    return Consumer(str(request.param))


Serve = Callable[[ASGIApp], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start a real uvicorn server for an ASGI app; returns its base URL.

    The socket is bound and listening before uvicorn takes it, so requests can
    be made at once; every server stops at the end of the test.
    """
    running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(app: ASGIApp) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        server = uvicorn.Server(config)
        running.append((server, asyncio.create_task(server.serve(sockets=[sock]))))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server, task in running:
        server.should_exit = True
        await task


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium (Debian's), driven by Playwright, with a fresh profile.

    ``.ci/run`` installs Chromium when missing; elsewhere the test fails saying how.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: apt-get install chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            await launched.close()
