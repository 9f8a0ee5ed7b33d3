"""A provider call's SSE answer recorded as it streamed, and replayed to the real SDK clients."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from kavalai import Streamer
from kavalai.providers.anthropic import stream_message
from kavalai.providers.openai import stream_chat_completion
from kavalai.testing import RecordingFormatError
from kavalai.testing.sse import SseExchange, SseRecording, SseRecordingProxy, SseReplayServer

from ..conftest import Serve
from ..providers.conftest import Replay, answer_keys, data, event

Ask = Callable[[str], Coroutine[Any, Any, Streamer]]

CHAT = [
    data(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-test",
            "choices": [
                {"index": 0, "delta": {"content": piece}, "finish_reason": None, "logprobs": None}
            ],
        }
    )
    for piece in ("Bonjour", ", ", "le monde ✓")
] + [
    data(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-test",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None}],
            "usage": {"completion_tokens": 3, "prompt_tokens": 5, "total_tokens": 8},
        }
    ),
    data("[DONE]"),
]

MESSAGE = [
    event(
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-test",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 5, "output_tokens": 1},
            },
        }
    ),
    event(
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    ),
    event(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}
    ),
    event(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " ✓"}}
    ),
    event({"type": "content_block_stop", "index": 0}),
    event(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 2},
        }
    ),
    event({"type": "message_stop"}),
]


async def ask_openai(base_url: str) -> Streamer:
    client = openai.AsyncOpenAI(api_key="test", base_url=f"{base_url}/v1", max_retries=0)
    streamer = Streamer()
    request = client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    streamer.start(stream_chat_completion(request, streamer))
    return streamer


async def ask_anthropic(base_url: str) -> Streamer:
    client = anthropic.AsyncAnthropic(api_key="test", base_url=base_url, max_retries=0)
    streamer = Streamer()
    request = client.messages.create(
        model="claude-test",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
    )
    streamer.start(stream_message(request, streamer))
    return streamer


PROVIDERS = [
    pytest.param(ask_openai, CHAT, "/v1/chat/completions", id="openai"),
    pytest.param(ask_anthropic, MESSAGE, "/v1/messages", id="anthropic"),
]


@pytest.mark.parametrize(("ask", "frames", "path"), PROVIDERS)
async def test_a_recorded_answer_replays_to_the_real_sdk_as_it_came(
    serve: Serve, tmp_path: Path, ask: Ask, frames: list[str], path: str
) -> None:
    provider = Replay(frames)
    async with SseRecordingProxy(await serve(provider)) as recorder, asyncio.timeout(10):
        live = await answer_keys(await ask(recorder.url))
    recorder.recording.save(tmp_path / "answer.jsonl")

    recording = SseRecording.load(tmp_path / "answer.jsonl")
    (exchange,) = recording.exchanges
    assert (exchange.method, exchange.path, exchange.status) == ("POST", path, 200)
    assert exchange.body == provider.requests[0]
    assert exchange.text == "".join(frames)
    assert ("content-type", "text/event-stream") in exchange.headers
    async with SseReplayServer(recording) as server, asyncio.timeout(10):
        replayed = await answer_keys(await ask(server.url))
    assert replayed == live
    assert server.requests == provider.requests


async def test_times_of_the_pieces_follow_the_answer(serve: Serve) -> None:
    provider = Replay(CHAT, gated=True)
    async with SseRecordingProxy(await serve(provider)) as recorder, asyncio.timeout(10):
        streamer = await ask_openai(recorder.url)
        provider.allow(2)
        messages = streamer.messages()
        await anext(messages)
        await asyncio.sleep(0.05)
        provider.allow(len(CHAT))
        async for _ in messages:
            pass
    times = [t for t, _ in recorder.recording.exchanges[0].chunks]
    assert times == sorted(times)
    assert times[-1] - times[0] >= 0.05 - 0.002


async def test_a_request_other_than_the_recorded_one_is_refused_saying_so() -> None:
    recording = SseRecording([SseExchange("POST", "/v1/responses", None, 200, [], [])])
    async with SseReplayServer(recording) as server, asyncio.timeout(10):
        with pytest.raises(openai.InternalServerError, match=r"was POST /v1/responses, got POST"):
            await (await ask_openai(server.url)).messages().__anext__()
        with pytest.raises(
            openai.InternalServerError, match=r"holds 1 request\(s\); this is request 2"
        ):
            await (await ask_openai(server.url)).messages().__anext__()


async def test_a_paced_replay_waits_for_the_recorded_times() -> None:
    frames = [(0.0, CHAT[0]), (0.1, "".join(CHAT[1:]))]
    headers = [("content-type", "text/event-stream")]
    recording = SseRecording(
        [SseExchange("POST", "/v1/chat/completions", None, 200, headers, frames)]
    )
    loop = asyncio.get_running_loop()
    async with SseReplayServer(recording, speed=2.0) as server, asyncio.timeout(10):
        arrived = [
            loop.time()
            async for message in await ask_openai(server.url)
            if message.type == "partial"
        ]
    assert arrived[-1] - arrived[0] >= 0.05 - 0.002


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"kavalai_recording": 1}\n', "not a kavalai SSE recording"),
        ('{"kavalai_sse_recording": 1}\n{"t": 0, "chunk": "x"}\n', "line 2: expected"),
        (
            '{"kavalai_sse_recording": 1}\n{"request": {"method": "POST"}}\n',
            "line 2: missing field 'headers'",
        ),
    ],
)
def test_a_malformed_sse_recording_is_refused_naming_its_line(text: str, message: str) -> None:
    with pytest.raises(RecordingFormatError, match=message):
        SseRecording.loads(text)


def test_an_sse_recording_is_one_json_line_a_piece() -> None:
    recording = SseRecording(
        [
            SseExchange(
                "POST",
                "/v1/messages",
                {"model": "m"},
                200,
                [("content-type", "text/event-stream")],
                [(0.5, "data: 1\n\n")],
            )
        ]
    )
    assert [json.loads(line) for line in recording.dumps().splitlines()] == [
        {"kavalai_sse_recording": 1},
        {
            "request": {"method": "POST", "path": "/v1/messages", "body": {"model": "m"}},
            "status": 200,
            "headers": [["content-type", "text/event-stream"]],
        },
        {"t": 0.5, "chunk": "data: 1\n\n"},
    ]
    assert SseRecording.loads(recording.dumps()) == recording
