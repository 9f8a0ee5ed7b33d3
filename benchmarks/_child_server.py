"""A benchmark's server in a child process on 127.0.0.1, so client and server each get a core."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["child_server"]


@contextmanager
def child_server(script: str) -> Iterator[int]:
    """Run ``python <script> --server <port>`` until the block ends; yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, script, "--server", str(port)])
    try:
        for _ in range(200):  # until it listens, ten seconds at most
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait()
