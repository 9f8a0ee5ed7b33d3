"""An optional part whose dependency is missing says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kavalai._extras import missing_extra

# Each part, what blocking its dependency looks like, and the extra that installs it.
PARTS = [
    ("import kavalai.providers.openai", "openai", "openai"),
    ("import kavalai.providers.anthropic", "anthropic", "anthropic"),
    ("import kavalai.redis", "redis", "redis"),
    ("import kavalai.web", "starlette", "web"),
    ("import kavalai.display._terminal", "rich", "display"),
    ("import kavalai.display._notebook", "IPython", "display"),
    ("import kavalai; kavalai.Streamer().to_async_observable()", "aioreactive", "aio"),
    ("import kavalai.telemetry", "opentelemetry", "otel"),
    ("from kavalai.testing.sse import SseRecordingProxy as P; P('http://x')", "httpx", "web"),
]


@pytest.mark.parametrize(("statement", "blocked", "extra"), PARTS)
def test_a_part_without_its_dependency_names_the_extra_to_install(
    statement: str, blocked: str, extra: str
) -> None:
    code = f"import sys; sys.modules[{blocked!r}] = None; {statement}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert done.returncode != 0
    assert "ImportError: kavalai" in done.stderr or "ImportError: Streamer" in done.stderr
    assert f"pip install 'kavalai[{extra}]'" in done.stderr


def test_the_message_names_the_part_what_it_needs_and_the_extra() -> None:
    error = missing_extra("kavalai.redis", "redis-py", "redis")

    assert str(error) == (
        "kavalai.redis needs redis-py, from the redis extra: pip install 'kavalai[redis]' "
        "(from a clone: pip install '.[redis]')"
    )
