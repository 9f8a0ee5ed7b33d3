"""A real redis-server for the Redis tests, and the helper processes they run."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RedisServer:
    """A redis-server on 127.0.0.1 with its data in a temporary folder.

    The append-only file is on (fsync at every write) unless ``appendonly`` is
    false, and no snapshot is ever saved: without it, a restart loses everything.
    """

    port: int
    folder: Path
    appendonly: bool = True
    process: subprocess.Popen[str] | None = None
    _log: threading.Thread | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--appendfsync",
                "always",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()
        self._log = threading.Thread(target=self._read_log, args=(self.process, ready))
        self._log.start()
        if not ready.wait(timeout=30):
            raise RuntimeError(f"redis-server on port {self.port} did not start")

    @staticmethod
    def _read_log(process: subprocess.Popen[str], ready: threading.Event) -> None:
        """Read its log to the end (a full pipe would block it), noting when it is ready."""
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                if "Ready to accept connections" in line:
                    ready.set()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self._log is not None:
                self._log.join(timeout=10)
            self.process = None

    def kill(self) -> None:
        """Kill it at once (SIGKILL), as a crash would: it writes nothing more."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            if self._log is not None:
                self._log.join(timeout=10)
            self.process = None

    def client(self) -> Redis:
        return Redis(host="127.0.0.1", port=self.port)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """Debian's redis-server, started for the test; ``make test`` needs it installed."""
    if shutil.which("redis-server") is None:
        pytest.fail("the Redis tests need redis-server: apt-get install redis-server")
    server = RedisServer(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = redis_server.client()
    try:
        yield client
    finally:
        await client.aclose()


async def run_process(*args: str, timeout: float = 60) -> list[Any]:
    """Run ``python -m tests.redis.processes <args>``; the JSON lines it printed."""
    process = await start_process(*args)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, stderr.decode()
    return [json.loads(line) for line in stdout.decode().splitlines() if line]


async def start_process(*args: str, pass_fds: tuple[int, ...] = ()) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.redis.processes",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        pass_fds=pass_fds,
    )


def listening_socket() -> socket.socket:
    """A socket on 127.0.0.1 already listening, for a worker process to take over."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock
