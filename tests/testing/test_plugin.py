"""The pytest plugin: kavalai_recording replays a saved recording; --kavalai-record makes it."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The plugin loaded by name, whether or not an installed entry point would load it.
PLUGIN_ARGS = (
    *("-p", "no:kavalai", "-p", "kavalai.testing.pytest_plugin"),
    *("-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"),
)

TEST = """
import asyncio
from pathlib import Path

from kavalai import Streamer


async def live(streamer: Streamer) -> None:
    Path("live-called").touch()
    text = streamer.get_value_streamer("text")
    for piece in ("Hel", "lo"):
        await text.stream_partial(piece)
        await asyncio.sleep(0)
    await text.stream_complete()


async def test_answer(kavalai_recording) -> None:
    streamer = kavalai_recording.streamer("hello", live)
    assert [message.value async for message in streamer] == ["Hel", "Hello", "Hello"]
"""


def test_the_flag_records_and_a_run_without_it_replays_without_the_live_call(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_answer=TEST)
    pytester.runpytest(*PLUGIN_ARGS, "--kavalai-record").assert_outcomes(passed=1)
    saved = Path(pytester.path, "recordings", "hello.jsonl").read_text(encoding="utf-8")
    assert saved.splitlines()[0] == '{"kavalai_recording": 1}'
    assert '"chunks":["Hel"]' in saved
    Path(pytester.path, "live-called").unlink()

    pytester.runpytest(*PLUGIN_ARGS).assert_outcomes(passed=1)
    assert not Path(pytester.path, "live-called").exists()


def test_a_missing_recording_fails_saying_how_to_record_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_answer=TEST)
    result = pytester.runpytest(*PLUGIN_ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RecordingNotFoundError: no recording 'hello'*--kavalai-record*"])
    assert not Path(pytester.path, "live-called").exists()


def test_a_test_that_ends_before_its_streamer_saves_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_answer=TEST.replace("asyncio.sleep(0)", "asyncio.sleep(60)").replace(
            "assert [message.value async for message in streamer] ==",
            "assert [(await anext(aiter(streamer))).value, 'Hello', 'Hello'] ==",
        )
    )
    result = pytester.runpytest(*PLUGIN_ARGS, "--kavalai-record")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*recording *hello.jsonl not saved: the test ended before*"])
    assert not Path(pytester.path, "recordings", "hello.jsonl").exists()


def test_a_recording_name_must_make_a_file_name(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_answer=TEST.replace('streamer("hello"', 'streamer("../hello"'))
    result = pytester.runpytest(*PLUGIN_ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*a recording's name becomes its file name*"])


SSE_TEST = """
import json

import openai

from kavalai.testing.sse import SseExchange, SseRecording, SseReplayServer

FRAME = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "created": 0,
    "model": "m",
    "choices": [{"index": 0, "delta": {"content": "Bonjour"}, "finish_reason": "stop"}],
}
PIECES = [(0.0, f"data: {json.dumps(FRAME)}\\n\\n"), (0.0, "data: [DONE]\\n\\n")]
SSE = [("content-type", "text/event-stream")]
PROVIDER = SseRecording([SseExchange("POST", "/v1/chat/completions", None, 200, SSE, PIECES)])


async def ask(url: str) -> str:
    client = openai.AsyncOpenAI(api_key="test", base_url=f"{url}/v1", max_retries=0)
    async with client:
        answer = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        return "".join([chunk.choices[0].delta.content or "" async for chunk in answer])


async def test_answer(kavalai_recording) -> None:
    async with SseReplayServer(PROVIDER) as provider:  # the provider, live
        upstream = provider.url if kavalai_recording.recording else "http://127.0.0.1:9"
        async with kavalai_recording.sse("chat", upstream) as server:
            assert await ask(server.url) == "Bonjour"
"""


def test_an_sse_recording_is_made_with_the_flag_and_replayed_without(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_answer=SSE_TEST)
    pytester.runpytest(*PLUGIN_ARGS, "--kavalai-record").assert_outcomes(passed=1)
    saved = Path(pytester.path, "recordings", "chat.sse.jsonl").read_text(encoding="utf-8")
    assert saved.splitlines()[0] == '{"kavalai_sse_recording": 1}'
    assert "Bonjour" in saved

    pytester.runpytest(*PLUGIN_ARGS).assert_outcomes(passed=1)


def test_a_missing_sse_recording_fails_naming_the_upstream(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_answer=SSE_TEST)
    result = pytester.runpytest(*PLUGIN_ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no SSE recording 'chat'*--kavalai-record once*127.0.0.1:9*"])
