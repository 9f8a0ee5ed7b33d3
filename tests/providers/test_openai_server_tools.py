"""The Responses API's own tools (MCP, web search, code interpreter) on the server-tool streams."""

from __future__ import annotations

import json
from typing import Any

from kavalai import StreamContent, Streamer
from kavalai.providers import ServerToolCall

from .conftest import Replay, answer_keys
from .test_anthropic_blocks import calls_of
from .test_openai import (
    Connect,
    connect,
    events,
    finish,
    item_added,
    item_done,
    respond,
    response,
)

__all__ = ["connect"]  # the fixture, shared with the module it comes from

MCP = {"type": "mcp_call", "id": "mcp_1", "name": "echo", "server_label": "tools", "arguments": ""}
SEARCH = {"type": "web_search_call", "id": "ws_1", "status": "in_progress"}
SEARCHED = {
    **SEARCH,
    "status": "completed",
    "action": {
        "type": "search",
        "query": "kavalai",
        "sources": [{"type": "url", "url": "https://k.test/"}],
    },
}
CODE = {
    "type": "code_interpreter_call",
    "id": "ci_1",
    "code": "",
    "container_id": "c1",
    "status": "in_progress",
}
RAN = {
    **CODE,
    "code": "print(6 * 7)",
    "outputs": [{"type": "logs", "logs": "42\n"}],
    "status": "completed",
}
CALLED = {**MCP, "arguments": '{"text": "hi"}', "output": "hi", "status": "completed"}
MESSAGE = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "It is 42.", "annotations": []}],
}
TEXT = {"item_id": "msg_1", "output_index": 3, "content_index": 0, "logprobs": []}

TRANSCRIPT = events(
    {"type": "response.created", "response": response("in_progress")},
    item_added(0, MCP),
    {
        "type": "response.mcp_call_arguments.delta",
        "item_id": "mcp_1",
        "output_index": 0,
        "delta": '{"text"',
    },
    {
        "type": "response.mcp_call_arguments.delta",
        "item_id": "mcp_1",
        "output_index": 0,
        "delta": ': "hi"}',
    },
    item_done(0, CALLED),
    item_added(1, SEARCH),
    {"type": "response.web_search_call.searching", "item_id": "ws_1", "output_index": 1},
    item_done(1, SEARCHED),
    item_added(2, CODE),
    {
        "type": "response.code_interpreter_call_code.delta",
        "item_id": "ci_1",
        "output_index": 2,
        "delta": "print(",
    },
    {
        "type": "response.code_interpreter_call_code.delta",
        "item_id": "ci_1",
        "output_index": 2,
        "delta": "6 * 7)",
    },
    item_done(2, RAN),
    item_added(3, {"type": "message", "id": "msg_1", "role": "assistant", "content": []}),
    {
        "type": "response.content_part.added",
        "item_id": "msg_1",
        "output_index": 3,
        "content_index": 0,
        "part": {"type": "output_text", "text": "", "annotations": []},
    },
    {"type": "response.output_text.delta", **TEXT, "delta": "It is 42."},
    item_done(3, MESSAGE),
    {
        "type": "response.completed",
        "response": {**response("completed"), "output": [CALLED, SEARCHED, RAN, MESSAGE]},
    },
)


def announced(stream: str, call_id: str, name: str, server: str | None = None) -> str:
    return json.dumps(
        ServerToolCall(stream=stream, id=call_id, name=name, server=server).model_dump()
    )


def parsed(received: list[tuple[str, str, str | None]]) -> list[tuple[str, str, Any]]:
    """``received`` with the results as objects: the SDK's field order is its own."""
    return [
        (
            kind,
            name,
            json.loads(value) if name.startswith("server_tool_result.") and value else value,
        )
        for kind, name, value in received
    ]


async def test_server_tools_of_a_response_have_streams_of_their_own(connect: Connect) -> None:
    streamer = Streamer(stream_delta=True)
    await respond(connect, Replay(TRANSCRIPT), streamer)
    assert parsed(await answer_keys(streamer)) == [
        (
            "partial",
            "server_tool_calls",
            "[" + announced("server_tool_call.0", "mcp_1", "echo", "tools"),
        ),
        ("partial", "server_tool_call.0", '{"text"'),
        ("partial", "server_tool_call.0", ': "hi"}'),
        ("complete", "server_tool_call.0", None),
        (
            "partial",
            "server_tool_result.0",
            {**MCP, "arguments": '{"text": "hi"}', "output": "hi", "status": "completed"},
        ),
        ("complete", "server_tool_result.0", None),
        (
            "partial",
            "server_tool_calls",
            ", " + announced("server_tool_call.1", "ws_1", "web_search"),
        ),
        ("partial", "server_tool_call.1", json.dumps(SEARCHED["action"])),
        ("complete", "server_tool_call.1", None),
        ("partial", "server_tool_result.1", SEARCHED),
        ("complete", "server_tool_result.1", None),
        (
            "partial",
            "server_tool_calls",
            ", " + announced("server_tool_call.2", "ci_1", "code_interpreter"),
        ),
        ("partial", "server_tool_call.2", '{"code": "print('),
        ("partial", "server_tool_call.2", "6 * 7)"),
        ("partial", "server_tool_call.2", '"}'),
        ("complete", "server_tool_call.2", None),
        ("partial", "server_tool_result.2", RAN),
        ("complete", "server_tool_result.2", None),
        ("partial", "text", "It is 42."),
        ("complete", "text", None),
        ("partial", "server_tool_calls", "]"),
        ("complete", "server_tool_calls", None),
        ("partial", "finish", finish("completed")),
        ("complete", "finish", None),
    ]


async def test_nothing_of_the_server_tools_is_lost_against_the_sdks_final_response(
    connect: Connect,
) -> None:
    streamer = Streamer()
    await respond(connect, Replay(TRANSCRIPT), streamer)
    messages: list[StreamContent] = [message async for message in streamer]
    client = await connect(Replay(TRANSCRIPT))
    async with client.responses.stream(model="gpt-test", input="Hi") as stream:
        final = await stream.get_final_response()
    served = [item for item in final.output if item.type != "message"]
    assert [(i, n) for i, n, _ in calls_of(messages, "server_tool_calls")] == [
        ("mcp_1", "echo"),
        ("ws_1", "web_search"),
        ("ci_1", "code_interpreter"),
    ]
    values = {m.name: m.value for m in messages if m.type == "complete"}
    assert [json.loads(values[f"server_tool_result.{i}"] or "") for i in range(3)] == [
        item.model_dump(mode="json", exclude_unset=True) for item in served
    ]
    arguments = [json.loads(values[f"server_tool_call.{i}"] or "") for i in range(3)]
    assert arguments == [{"text": "hi"}, SEARCHED["action"], {"code": "print(6 * 7)"}]
    assert values["text"] == final.output_text
