"""Real terminals and a real browser for the display tests: tmux panes, headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: How long to wait for a pane to show something, polling tmux: a bound, not a measure.
WAIT_SECONDS = 60
_POLL_SECONDS = 0.02


class Pane:
    """One command in a detached tmux session, its raw output logged to a file."""

    def __init__(self, tmux: Callable[..., str], session: str, files: Path) -> None:
        self._tmux = tmux
        self.session = session
        self.log = files.with_suffix(".log")
        self.status = files.with_suffix(".status")  # the exit status, once it exited

    def screen(self) -> str:
        """What the pane shows now."""
        return self._tmux("capture-pane", "-p", "-t", self.session)

    def scrollback(self) -> str:
        """Everything the pane holds, its history above the screen included."""
        return self._tmux("capture-pane", "-p", "-S", "-", "-t", self.session)

    def raw(self) -> str:
        """The bytes the command wrote to the terminal, escape sequences and all."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, found: Callable[[str], bool]) -> str:
        """Poll the screen until ``found`` says yes; the screen then."""
        for _ in range(int(WAIT_SECONDS / _POLL_SECONDS)):
            screen = self.screen()
            if found(screen):
                return screen
            time.sleep(_POLL_SECONDS)
        pytest.fail(f"the pane never showed what was expected; it shows:\n{self.screen()}")

    def wait_until_done(self) -> None:
        """Wait for the command to exit with 0 and for its output log to be complete."""
        for _ in range(int(WAIT_SECONDS / _POLL_SECONDS)):
            status = self.status.read_text(encoding="utf-8") if self.status.exists() else ""
            if status.endswith("\n"):  # written whole
                assert status == "0\n", self.scrollback()
                break
            time.sleep(_POLL_SECONDS)
        else:
            pytest.fail(f"the command never ended; the pane shows:\n{self.screen()}")
        for _ in range(int(WAIT_SECONDS / _POLL_SECONDS)):
            if "done: " in self.raw():
                return
            time.sleep(_POLL_SECONDS)
        pytest.fail(f"the output log never ended; it holds:\n{self.raw()!r}")


#: Starts ``python -m kavalai ARGS`` in a ``columns`` x ``rows`` pane with ``env`` set.
StartPane = Callable[[list[str], int, int, dict[str, str]], Pane]


@pytest.fixture
def tmux_pane(tmp_path: Path) -> Iterator[StartPane]:
    """Panes on a tmux server of this test's own, killed at the end.

    The command starts at the top of a fresh pane, once its raw output is
    being logged; the pane stays after it exits, so its scrollback can be read,
    and the exit status goes to a file.
    ``.ci/run`` installs tmux when missing; elsewhere the test fails saying how.
    """
    if shutil.which("tmux") is None:
        pytest.fail("the terminal tests need tmux: apt-get install tmux")
    socket = f"kavalai-test-{uuid.uuid4().hex[:12]}"
    config = tmp_path / "tmux.conf"
    config.write_text("set -g remain-on-exit on\nset -g history-limit 50000\n", encoding="utf-8")
    # A clean environment: what the test sets is all the command sees.
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}

    def tmux(*args: str) -> str:
        ran = subprocess.run(
            ["tmux", "-L", socket, "-f", str(config), *args],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
            timeout=WAIT_SECONDS,
        )
        return ran.stdout

    def start(args: list[str], columns: int, rows: int, env: dict[str, str]) -> Pane:
        session = f"pane{uuid.uuid4().hex[:8]}"
        pane = Pane(tmux, session, tmp_path / session)
        gate = tmp_path / f"{session}.go"
        settings = " ".join(f"{name}={value}" for name, value in env.items())
        command = (
            f"while [ ! -e {gate} ]; do sleep 0.01; done; cd {ROOT}; "
            f"env {settings} {sys.executable} -m kavalai {' '.join(args)}; "
            f"echo $? > {pane.status}"
        )
        tmux("new-session", "-d", "-s", session, "-x", str(columns), "-y", str(rows), command)
        tmux("pipe-pane", "-t", session, f"cat > {pane.log}")
        gate.touch()
        return pane

    try:
        yield start
    finally:
        subprocess.run(
            ["tmux", "-L", socket, "kill-server"], capture_output=True, env=environment, check=False
        )
