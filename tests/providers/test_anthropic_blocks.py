"""Anthropic content beyond streamed text and tool calls: whole in message_start, server
and MCP tools with their results, the beta client, and sources that are no Anthropic stream."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from kavalai import StreamContent, Streamer
from kavalai.providers import Finish, ServerToolCall, ToolCall
from kavalai.providers.anthropic import stream_message

from ..conftest import Serve
from .conftest import Clients, Replay, consume, data, keys
from .test_anthropic import (
    Connect,
    answer,
    block,
    connect,
    delta,
    end,
    finish,
    frames,
    request,
    start,
    stop,
    text_block,
    tool_block,
)

__all__ = ["connect"]  # the fixture, shared with the module it comes from


def whole_start(content: list[dict[str, Any]], stop_reason: str | None) -> dict[str, Any]:
    payload = start()
    payload["message"] = {**payload["message"], "content": content, "stop_reason": stop_reason}
    return payload


LOOKUP = {"type": "tool_use", "id": "toolu_p", "name": "weather", "input": {"city": "Oslo"}}


async def test_an_answer_that_comes_whole_in_message_start_keeps_its_tool_call(
    connect: Connect,
) -> None:
    # Programmatic tool calling: the whole answer is in message_start, then message_stop.
    transcript = frames(whole_start([LOOKUP], "tool_use"), {"type": "message_stop"})
    messages = await answer(connect, Replay(transcript), Streamer())
    call = json.dumps(ToolCall(stream="tool_call.0", id="toolu_p", name="weather").model_dump())
    usage = {"input_tokens": 12, "output_tokens": 1}
    ending = json.dumps(Finish(reason="tool_use", usage=usage).model_dump(mode="json"))
    assert keys(messages) == [
        ("partial", "tool_calls", f"[{call}]"),
        ("partial", "tool_call.0", '{"city": "Oslo"}'),
        ("complete", "tool_call.0", '{"city": "Oslo"}'),
        ("partial", "tool_calls", f"[{call}]"),
        ("complete", "tool_calls", f"[{call}]"),
        ("partial", "finish", ending),
        ("complete", "finish", ending),
    ]
    final = await final_message(connect, transcript)
    assert final.stop_reason == "tool_use"
    assert calls_of(messages) == [
        (block.id, block.name, block.input) for block in final.content if block.type == "tool_use"
    ]


async def test_text_and_a_call_whole_in_message_start_come_before_streamed_blocks(
    connect: Connect,
) -> None:
    content: list[dict[str, Any]] = [{"type": "text", "text": "Looking it up."}, LOOKUP]
    transcript = frames(
        whole_start(content, None),
        *tool_block(2, "toolu_s", "weather", '{"city": "Rome"}'),  # after the start's two
        *end("tool_use", 9),
    )
    messages = await answer(connect, Replay(transcript), Streamer())
    values = {m.name: m.value for m in messages if m.type == "complete"}
    assert values["text"] == "Looking it up."
    assert calls_of(messages) == [
        ("toolu_p", "weather", {"city": "Oslo"}),
        ("toolu_s", "weather", {"city": "Rome"}),
    ]
    assert values["finish"] == finish("tool_use", 9)
    final = await final_message(connect, transcript)
    assert [(b.id, b.name, b.input) for b in final.content if b.type == "tool_use"] == (
        calls_of(messages)
    )


def calls_of(messages: list[StreamContent], listing: str = "tool_calls") -> list[Any]:
    """(id, name, arguments) of each call a consumer sees, from the listing and each call."""
    values = {m.name: m.value for m in messages if m.type == "complete"}
    announced = json.loads(values.get(listing) or "[]")
    return [(c["id"], c["name"], json.loads(values[c["stream"]] or "null")) for c in announced]


async def final_message(connect: Connect, transcript: list[str], beta: bool = False) -> Any:
    """The SDK's own accumulated message for ``transcript``: what nothing may be lost against."""
    # Any: the beta and the plain client's message classes are different types.
    client = await connect(Replay(transcript))
    messages: Any = client.beta.messages if beta else client.messages
    async with messages.stream(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    ) as helper:
        return await helper.get_final_message()


def server_tool_blocks(first: int) -> list[dict[str, Any]]:
    """A web search and an MCP tool call with their results, then text, from block ``first``."""
    return [
        block(
            first + 0,
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
        ),
        delta(first + 0, type="input_json_delta", partial_json='{"query": "kavalai"}'),
        stop(first + 0),
        block(
            first + 1,
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": [{"type": "web_search_result", "title": "K", "url": "https://k.test/"}],
            },
        ),
        stop(first + 1),
        block(
            first + 2,
            {
                "type": "mcp_tool_use",
                "id": "mcptoolu_1",
                "name": "echo",
                "server_name": "tools",
                "input": {},
            },
        ),
        delta(first + 2, type="input_json_delta", partial_json='{"text": "hi"}'),
        stop(first + 2),
        block(
            first + 3,
            {
                "type": "mcp_tool_result",
                "tool_use_id": "mcptoolu_1",
                "is_error": False,
                "content": [{"type": "text", "text": "hi"}],
            },
        ),
        stop(first + 3),
        *text_block(first + 4, "Found it."),
    ]


SERVER_TOOLS = frames(start(), *server_tool_blocks(0), *end("end_turn", 50))


def server_call(stream: str, call_id: str, name: str, server: str | None) -> str:
    call = ServerToolCall(stream=stream, id=call_id, name=name, server=server)
    return json.dumps(call.model_dump())


SEARCH = {
    "type": "web_search_tool_result",
    "tool_use_id": "srvtoolu_1",
    "content": [{"type": "web_search_result", "title": "K", "url": "https://k.test/"}],
}
ECHOED = {
    "type": "mcp_tool_result",
    "tool_use_id": "mcptoolu_1",
    "is_error": False,
    "content": [{"type": "text", "text": "hi"}],
}


def results_parsed(received: list[tuple[str, str, str | None]]) -> list[tuple[str, str, Any]]:
    """``received`` with the result blocks as objects: the SDK's field order is its own."""
    return [
        (
            kind,
            name,
            json.loads(value) if name.startswith("server_tool_result.") and value else value,
        )
        for kind, name, value in received
    ]


def beta_request(client: anthropic.AsyncAnthropic) -> Any:
    # Any: the SDK's overloads give a union this test does not need to narrow.
    return client.beta.messages.create(
        model="claude-test",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        betas=["mcp-client-2025-04-04"],
    )


@pytest.mark.parametrize("beta", [True, False], ids=["beta client", "client"])
async def test_server_and_mcp_tool_calls_and_their_results_have_streams_of_their_own(
    connect: Connect, beta: bool
) -> None:
    client = await connect(Replay(SERVER_TOOLS))
    streamer = Streamer(stream_delta=True)
    source = beta_request(client) if beta else request(client)
    streamer.start(stream_message(source, streamer))
    messages = [message async for message in streamer]
    search = server_call("server_tool_call.0", "srvtoolu_1", "web_search", None)
    echo = server_call("server_tool_call.1", "mcptoolu_1", "echo", "tools")
    assert results_parsed(keys(messages)) == [
        ("partial", "server_tool_calls", f"[{search}"),
        ("partial", "server_tool_call.0", '{"query": "kavalai"}'),
        ("complete", "server_tool_call.0", None),
        ("partial", "server_tool_result.0", SEARCH),
        ("complete", "server_tool_result.0", None),
        ("partial", "server_tool_calls", f", {echo}"),
        ("partial", "server_tool_call.1", '{"text": "hi"}'),
        ("complete", "server_tool_call.1", None),
        ("partial", "server_tool_result.1", ECHOED),
        ("complete", "server_tool_result.1", None),
        ("partial", "text", "Found it."),
        ("complete", "text", None),
        ("partial", "server_tool_calls", "]"),
        ("complete", "server_tool_calls", None),
        ("partial", "finish", finish("end_turn", 50)),
        ("complete", "finish", None),
    ]


async def test_nothing_of_a_beta_answer_is_lost_against_the_sdks_final_message(
    connect: Connect,
) -> None:
    transcript = frames(
        start(),
        block(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, type="thinking_delta", thinking="Search first."),
        stop(0),
        *tool_block(1, "toolu_a", "weather", '{"city": "Pa', 'ris", "unit": "C"}'),
    ) + frames(*server_tool_blocks(2), *end("end_turn", 50))
    client = await connect(Replay(transcript))
    streamer = Streamer()
    streamer.start(stream_message(beta_request(client), streamer))
    messages = [message async for message in streamer]
    final = await final_message(connect, transcript, beta=True)
    values = {m.name: m.value for m in messages if m.type == "complete"}
    assert values["reasoning"] == "".join(b.thinking for b in final.content if b.type == "thinking")
    assert values["text"] == "".join(b.text for b in final.content if b.type == "text")
    assert calls_of(messages) == [
        (b.id, b.name, b.input) for b in final.content if b.type == "tool_use"
    ]
    server_calls = ("server_tool_use", "mcp_tool_use")
    assert calls_of(messages, "server_tool_calls") == [
        (b.id, b.name, b.input) for b in final.content if b.type in server_calls
    ]
    results = [b for b in final.content if b.type.endswith("_tool_result")]
    assert [json.loads(values[f"server_tool_result.{i}"] or "") for i in range(2)] == [
        b.model_dump(mode="json", exclude_unset=True) for b in results
    ]
    assert json.loads(values["finish"] or "")["reason"] == final.stop_reason == "end_turn"


async def test_a_stream_of_another_provider_is_refused_with_a_type_error(
    serve: Serve, clients: Clients
) -> None:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    replay = Replay([data({**chunk, "choices": []}), data("[DONE]")])
    client = clients.openai(await serve(replay))
    streamer = Streamer()
    chat = client.chat.completions.create(model="m", messages=[], stream=True)
    streamer.start(stream_message(chat, streamer))
    received, error = await consume(streamer)
    assert received == []  # never an empty answer said to be cut off
    assert isinstance(error, TypeError)
    assert str(error) == (
        "stream_message cannot read ChatCompletionChunk (the answer streamed into 'finish'): "
        "pass an Anthropic Messages stream: client.messages.create(..., stream=True) or "
        "client.messages.stream(...), of the client or of its beta (client.beta.messages)"
    )


async def test_a_request_without_stream_true_is_refused_with_a_type_error() -> None:
    async def not_a_stream() -> dict[str, str]:
        return {"type": "message"}

    streamer = Streamer()
    streamer.start(stream_message(not_a_stream(), streamer))  # type: ignore[arg-type]
    received, error = await consume(streamer)
    assert received == []
    assert isinstance(error, TypeError)
    assert str(error).startswith("stream_message cannot read dict (the answer streamed into")
