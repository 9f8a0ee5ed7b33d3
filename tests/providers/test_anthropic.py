"""Anthropic Messages streams, read by the real SDK from a server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
import pytest
from pydantic import BaseModel

from kavalai import StreamContent, Streamer, iterate
from kavalai.operators import typed_partials
from kavalai.providers import Finish, Part, ToolCall, default_name
from kavalai.providers.anthropic import stream_message

from ..conftest import Serve
from .conftest import Clients, Replay, consume, event, keys

Connect = Callable[[Replay], Awaitable[anthropic.AsyncAnthropic]]


class Weather(BaseModel):
    city: str
    unit: str


def start(input_tokens: int = 12) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": "claude-test",
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        },
    }


def block(index: int, content_block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": content_block}


def delta(index: int, **fields: str) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": fields}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def end(stop_reason: str, output_tokens: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
        {"type": "message_stop"},
    ]


def text_block(index: int, *chunks: str) -> list[dict[str, Any]]:
    return [
        block(index, {"type": "text", "text": ""}),
        *(delta(index, type="text_delta", text=chunk) for chunk in chunks),
        stop(index),
    ]


def tool_block(index: int, call_id: str, name: str, *chunks: str) -> list[dict[str, Any]]:
    return [
        block(index, {"type": "tool_use", "id": call_id, "name": name, "input": {}}),
        *(delta(index, type="input_json_delta", partial_json=chunk) for chunk in chunks),
        stop(index),
    ]


def frames(*events: dict[str, Any]) -> list[str]:
    return [event(payload) for payload in events]


def finish(reason: str | None, output_tokens: int, **fields: object) -> str:
    usage = {"input_tokens": 12, "output_tokens": output_tokens}
    return json.dumps(Finish(reason=reason, usage=usage, **fields).model_dump(mode="json"))  # type: ignore[arg-type]


@pytest.fixture
def connect(serve: Serve, clients: Clients) -> Connect:
    async def client_for(replay: Replay) -> anthropic.AsyncAnthropic:
        return clients.anthropic(await serve(replay))

    return client_for


def request(client: anthropic.AsyncAnthropic) -> Any:
    # Any: the SDK's overloads give a union this test does not need to narrow.
    return client.messages.create(
        model="claude-test",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
    )


async def answer(connect: Connect, replay: Replay, streamer: Streamer) -> list[StreamContent]:
    client = await connect(replay)
    streamer.start(stream_message(request(client), streamer))
    return [message async for message in streamer]


async def test_text_reaches_the_text_stream_then_finish(connect: Connect) -> None:
    replay = Replay(frames(start(), *text_block(0, "Hello", ", world"), *end("end_turn", 5)))
    messages = await answer(connect, replay, Streamer())
    assert keys(messages) == [
        ("partial", "text", "Hello"),
        ("partial", "text", "Hello, world"),
        ("complete", "text", "Hello, world"),
        ("partial", "finish", finish("end_turn", 5)),
        ("complete", "finish", finish("end_turn", 5)),
    ]
    assert replay.requests[0]["stream"] is True


async def test_thinking_goes_to_reasoning_apart_from_the_text(connect: Connect) -> None:
    replay = Replay(
        frames(
            start(),
            block(0, {"type": "thinking", "thinking": "", "signature": ""}),
            delta(0, type="thinking_delta", thinking="Two plus"),
            delta(0, type="thinking_delta", thinking=" two is four."),
            delta(0, type="signature_delta", signature="c2lnbmF0dXJl"),
            stop(0),
            *text_block(1, "4"),
            *end("end_turn", 9),
        )
    )
    messages = await answer(connect, replay, Streamer(stream_delta=True))
    assert keys(messages) == [
        ("partial", "reasoning", "Two plus"),
        ("partial", "reasoning", " two is four."),
        ("partial", "text", "4"),
        ("complete", "reasoning", None),
        ("complete", "text", None),
        ("partial", "finish", finish("end_turn", 9)),
        ("complete", "finish", None),
    ]


async def test_each_tool_use_block_is_a_structured_stream_announced_with_id_and_name(
    connect: Connect,
) -> None:
    replay = Replay(
        frames(
            start(),
            *text_block(0, "Checking."),
            *tool_block(1, "toolu_a", "weather", '{"city": "Pa', 'ris", "unit": "C"}'),
            *tool_block(2, "toolu_b", "weather", '{"city": "Oslo", ', '"unit": "F"}'),
            *end("tool_use", 40),
        )
    )
    messages = await answer(connect, replay, Streamer())
    calls = [
        json.dumps(ToolCall(stream="tool_call.0", id="toolu_a", name="weather").model_dump()),
        json.dumps(ToolCall(stream="tool_call.1", id="toolu_b", name="weather").model_dump()),
    ]
    assert keys(messages) == [
        ("partial", "text", "Checking."),
        ("partial", "tool_calls", f"[{calls[0]}]"),
        ("partial", "tool_call.0", '{"city": "Pa"}'),
        ("partial", "tool_call.0", '{"city": "Paris", "unit": "C"}'),
        ("complete", "tool_call.0", '{"city": "Paris", "unit": "C"}'),
        ("partial", "tool_calls", f"[{calls[0]}, {calls[1]}]"),
        ("partial", "tool_call.1", '{"city": "Oslo"}'),
        ("partial", "tool_call.1", '{"city": "Oslo", "unit": "F"}'),
        ("complete", "tool_call.1", '{"city": "Oslo", "unit": "F"}'),
        ("complete", "text", "Checking."),
        ("partial", "tool_calls", f"[{calls[0]}, {calls[1]}]"),
        ("complete", "tool_calls", f"[{calls[0]}, {calls[1]}]"),
        ("partial", "finish", finish("tool_use", 40)),
        ("complete", "finish", finish("tool_use", 40)),
    ]


async def test_a_tool_model_types_the_partials_of_its_calls(connect: Connect) -> None:
    replay = Replay(
        frames(
            start(),
            *tool_block(0, "toolu_a", "weather", '{"city": "Pa', 'ris", "unit": "C"}'),
            *end("tool_use", 20),
        )
    )
    client = await connect(replay)
    streamer = Streamer()
    streamer.start(stream_message(request(client), streamer, tools={"weather": Weather}))
    typed = [
        weather
        async for weather in iterate(streamer.values("tool_call.0").pipe(typed_partials(Weather)))
    ]
    assert [repr(weather) for weather in typed] == [
        "Weather(city='Pa', unit=None)",
        "Weather(city='Paris', unit='C')",
        "Weather(city='Paris', unit='C')",
    ]
    assert typed[-1] == Weather(city="Paris", unit="C")


async def test_max_tokens_mid_tool_call_reports_it_truncated_and_unfinished(
    connect: Connect,
) -> None:
    cut = [
        block(0, {"type": "tool_use", "id": "toolu_a", "name": "weather", "input": {}}),
        delta(0, type="input_json_delta", partial_json='{"city": "Par'),
        stop(0),
    ]
    replay = Replay(frames(start(), *cut, *end("max_tokens", 64)))
    messages = await answer(connect, replay, Streamer(stream_delta=True))
    call = json.dumps(ToolCall(stream="tool_call.0", id="toolu_a", name="weather").model_dump())
    cut_off = finish("max_tokens", 64, truncated=True, unfinished=["tool_call.0"])
    assert keys(messages) == [
        ("partial", "tool_calls", f"[{call}"),
        ("partial", "tool_call.0", '{"city": "Par'),
        ("complete", "tool_call.0", None),
        ("partial", "tool_calls", "]"),
        ("complete", "tool_calls", None),
        ("partial", "finish", cut_off),
        ("complete", "finish", None),
    ]


OSLO = {"city": "Oslo"}


@pytest.mark.parametrize("stop_reason", ["tool_use", "max_tokens"])
async def test_a_tool_use_block_without_input_pieces(connect: Connect, stop_reason: str) -> None:
    blocks = [
        block(0, {"type": "tool_use", "id": "toolu_a", "name": "now", "input": {}}),
        stop(0),
        block(1, {"type": "tool_use", "id": "toolu_b", "name": "weather", "input": OSLO}),
        stop(1),
    ]
    replay = Replay(frames(start(), *blocks, *end(stop_reason, 64)))
    messages = await answer(connect, replay, Streamer())
    values = {m.name: m.value for m in messages if m.type == "complete"}
    assert values["tool_call.1"] == '{"city": "Oslo"}'  # the input the block began with
    # A call with no input is {} to make, unless the answer was cut off there.
    assert values["tool_call.0"] == ("{}" if stop_reason == "tool_use" else None)


async def test_an_error_event_after_text_fails_the_streamer_with_the_sdks_exception(
    connect: Connect,
) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    replay = Replay(
        frames(start(), block(0, {"type": "text", "text": ""}))
        + frames(delta(0, type="text_delta", text="Hel"), overloaded)
    )
    streamer = Streamer(stream_delta=True)
    client = await connect(replay)
    streamer.start(stream_message(request(client), streamer))
    received, error = await consume(streamer)
    assert keys(received) == [("partial", "text", "Hel")]
    # The SDK's own exception with what the server sent; its wording is the SDK's.
    assert type(error) is anthropic.APIStatusError
    assert error.body == overloaded


async def test_ping_and_unknown_events_are_skipped(connect: Connect) -> None:
    replay = Replay(
        frames(
            start(),
            {"type": "ping"},
            {"type": "future_event", "detail": {"anything": [1, 2]}},
            block(0, {"type": "text", "text": ""}),
            delta(0, type="future_delta", payload="?"),
            delta(0, type="text_delta", text="Hi"),
            stop(0),
            block(1, {"type": "future_block", "data": 1}),
            stop(1),
            *end("end_turn", 3),
        )
    )
    messages = await answer(connect, replay, Streamer(stream_delta=True))
    assert keys(messages) == [
        ("partial", "text", "Hi"),
        ("complete", "text", None),
        ("partial", "finish", finish("end_turn", 3)),
        ("complete", "finish", None),
    ]


async def test_the_sdks_message_stream_helper_gives_the_same_messages(connect: Connect) -> None:
    transcript = frames(
        start(),
        *text_block(0, "Sure."),
        *tool_block(1, "toolu_a", "weather", '{"city": "Rome", "unit": "C"}'),
        *end("tool_use", 30),
    )
    raw = await answer(connect, Replay(transcript), Streamer())
    client = await connect(Replay(transcript))
    streamer = Streamer()
    helper = client.messages.stream(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    )
    streamer.start(stream_message(helper, streamer))
    assert keys([message async for message in streamer]) == keys(raw)


async def test_names_of_your_own(connect: Connect) -> None:
    replay = Replay(frames(start(), *text_block(0, "Hi"), *end("end_turn", 2)))

    def names(part: Part) -> str:
        return f"agent.{default_name(part)}"

    client = await connect(replay)
    streamer = Streamer(stream_delta=True)
    streamer.start(stream_message(request(client), streamer, names=names))
    assert [message.name async for message in streamer] == [
        "agent.text",
        "agent.text",
        "agent.finish",
        "agent.finish",
    ]


async def test_closing_the_streamer_ends_the_request(connect: Connect) -> None:
    replay = Replay(
        frames(start(), *text_block(0, *(f"word{i} " for i in range(50))), *end("end_turn", 50)),
        gated=True,
    )
    client = await connect(replay)
    streamer = Streamer(stream_delta=True)
    task = streamer.start(stream_message(request(client), streamer))
    replay.allow(4)  # message_start, the block's start and two words
    async with streamer.messages() as messages:
        async for message in messages:
            if message.value == "word1 ":
                break
    await streamer.aclose()
    await replay.disconnected.wait()
    assert replay.sent_at_disconnect == 4
    assert task.cancelled()
