"""Helpers of the web tests: a proxy that cuts connections, the AI SDK reader, Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import pytest


class CuttingProxy:
    """A TCP proxy on 127.0.0.1 that cuts each connection after a random number of bytes.

    It cuts at most ``cuts`` connections, then forwards the rest whole, so every
    request loop that goes through it ends. With ``only``, it cuts only a
    connection that carries a request containing those bytes (``b"GET /streams/"``),
    counting from that request on.
    """

    def __init__(self, target_port: int, cuts: int, seed: int, only: bytes = b"") -> None:
        self.target_port = target_port
        self.only = only
        self.cuts_left = cuts
        self.cut = 0
        self._random = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        """Stop listening and close every connection still open, waiting for each."""
        if self._server is not None:
            self._server.close()
        writers = list(self._writers)
        for writer in writers:
            writer.close()
        for writer in writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {client_w, upstream_w}
        budget: int | None = None

        def request_seen(data: bytes) -> None:
            """Arm the cut when a request to cut goes upstream (any on a kept-alive line)."""
            nonlocal budget
            if budget is None and self.cuts_left > 0 and self.only in data:
                self.cuts_left -= 1
                budget = self._random.randint(1, 1500)

        async def pipe(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limited: bool
        ) -> None:
            nonlocal budget
            try:
                while data := await reader.read(256):
                    if not limited:
                        request_seen(data)
                    elif budget is not None:
                        if len(data) >= budget:
                            writer.write(data[:budget])
                            self.cut += 1
                            return
                        budget -= len(data)
                    writer.write(data)
                    await writer.drain()
            except ConnectionError:
                return

        upload = asyncio.ensure_future(pipe(client_r, upstream_w, limited=False))
        try:
            await pipe(upstream_r, client_w, limited=True)
        finally:
            upload.cancel()
            await asyncio.gather(upload, return_exceptions=True)
            for writer in (client_w, upstream_w):
                writer.close()
                self._writers.discard(writer)
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()


NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="session")
def node_reader() -> Path:
    """The Node script that reads a UI message stream with the AI SDK's own reader.

    ``make test`` installs its pinned dependencies (``npm ci``); without them the
    tests fail saying so, rather than skip.
    """
    if node() is None:
        pytest.fail(
            "the AI SDK tests need the Node.js that tests/web/node/package-lock.json pins: "
            f"run 'make test', or 'npm ci --prefix {NODE_DIR}' (npm: apt-get install npm)"
        )
    if not (NODE_DIR / "node_modules" / "ai6").is_dir():
        pytest.fail(
            f"the AI SDK is not installed: run 'make test', or 'npm ci --prefix {NODE_DIR}'"
        )
    return NODE_DIR / "read_ui_stream.mjs"


def node() -> str | None:
    """The pinned Node.js that ``npm ci`` put under node_modules, else the one on PATH."""
    for pinned in sorted(NODE_DIR.glob("node_modules/node-linux-*/bin/node")):
        if os.access(pinned, os.X_OK):
            return str(pinned)
    return shutil.which("node")


async def read_ui_stream(script: Path, version: str, url: str) -> dict[str, Any]:
    """Run the Node reader with ``ai`` ``version`` (ai5, ai6, ai7) on ``url``; its JSON result."""
    executable = node()
    assert executable is not None  # the node_reader fixture checked
    process = await asyncio.create_subprocess_exec(
        executable,
        str(script),
        version,
        url,
        cwd=script.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert stdout, stderr.decode()
    result: dict[str, Any] = json.loads(stdout)
    return result


class RawServer:
    """An HTTP server on 127.0.0.1 that answers every request with the bytes it is given.

    The answer goes out as it is, status line and headers included, so a test
    can send what no well-behaved server would: bad events, a body cut short,
    a chunked body that stops inside a chunk. Then the connection is closed,
    or with ``hold`` kept open until the client closes it (``peer_closed``).
    """

    def __init__(self, answer: bytes, *, hold: bool = False) -> None:
        self.answer = answer
        self.hold = hold
        self.peer_closed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            writer.write(self.answer)
            await writer.drain()
            if self.hold:
                while await reader.read(1024):
                    pass
                self.peer_closed.set()
        except (ConnectionError, asyncio.IncompleteReadError):
            self.peer_closed.set()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._handlers.discard(task)


class StartRaw(Protocol):
    """Starts a :class:`RawServer` for an answer; returns it and its URL."""

    async def __call__(self, answer: bytes, *, hold: bool = False) -> tuple[RawServer, str]: ...


@pytest.fixture
async def raw_server() -> AsyncIterator[StartRaw]:
    """Start :class:`RawServer` answers; all stop at the end of the test."""
    servers: list[RawServer] = []

    async def start(answer: bytes, *, hold: bool = False) -> tuple[RawServer, str]:
        server = RawServer(answer, hold=hold)
        servers.append(server)
        return server, await server.start()

    yield start
    for server in servers:
        await server.close()
