"""A test of the project's own on the kavalai_recording fixture: an OpenAI answer, replayed.

The live producer is the real OpenAI SDK and adapter, answered offline by the
SSE replay server from ``recordings/chat.sse.jsonl``; ``pytest --kavalai-record``
runs it and saves ``recordings/chat.jsonl``, which a plain run replays.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openai

from kavalai import Streamer
from kavalai.providers import Finish
from kavalai.providers.openai import stream_chat_completion
from kavalai.testing.pytest_plugin import Recordings
from kavalai.testing.sse import SseRecording, SseReplayServer

SSE = Path(__file__).parent / "recordings" / "chat.sse.jsonl"


async def ask_the_model(streamer: Streamer) -> None:
    async with SseReplayServer(SseRecording.load(SSE), speed=1.0) as server:
        client = openai.AsyncOpenAI(api_key="test", base_url=f"{server.url}/v1", max_retries=0)
        async with client:
            request = client.chat.completions.create(
                model="gpt-test",
                messages=[{"role": "user", "content": "Say hello in French."}],
                stream=True,
                stream_options={"include_usage": True},
            )
            await stream_chat_completion(request, streamer)


async def answer_of(streamer: Streamer) -> tuple[str, Finish]:
    """The code under test: the answer's text and how it finished."""
    values = {
        message.name: message.value async for message in streamer if message.type == "complete"
    }
    return values["text"] or "", Finish.model_validate(json.loads(values["finish"] or "{}"))


async def test_the_answer_and_its_finish_come_from_the_recording(
    kavalai_recording: Recordings,
) -> None:
    async with asyncio.timeout(10):
        text, finish = await answer_of(kavalai_recording.streamer("chat", ask_the_model))
    assert text == "Bonjour, le monde !"
    assert finish == Finish(
        reason="stop", usage={"completion_tokens": 6, "prompt_tokens": 9, "total_tokens": 15}
    )


def test_the_recording_is_the_adapters_streams() -> None:
    lines = (Path(__file__).parent / "recordings" / "chat.jsonl").read_text().splitlines()
    streams = [json.loads(line)["name"] for line in lines if '"kind":"stream"' in line]
    assert streams == ["text", "finish"]
