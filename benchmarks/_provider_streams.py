"""The SSE bodies bench_providers.py replays: one answer per provider and kind, ~200 KB each.

Each answer carries its payload, text or one tool call's JSON arguments, in
``EVENTS`` events of ``CHUNK`` bytes, framed as the provider frames them.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["CHUNK", "EVENTS", "KINDS", "PROVIDERS", "body", "payload"]

EVENTS = 10_000
CHUNK = 20
KINDS = ("text", "tool")
PROVIDERS = ("chat", "responses", "anthropic", "gemini")


def payload(kind: str) -> str:
    """``EVENTS * CHUNK`` characters: prose for text, a JSON object for a tool call."""
    target = EVENTS * CHUNK
    if kind == "text":
        sentence = "The quick brown fox jumps over the lazy dog. "
        return (sentence * (target // len(sentence) + 1))[:target]
    rows: list[str] = []
    length = len('{"rows": []}')
    while True:
        row = json.dumps({"id": len(rows), "text": f"row {len(rows)} of the table, in words"})
        if length + len(row) + 2 > target:
            break
        rows.append(row)
        length += len(row) + 2
    return ('{"rows": [' + ", ".join(rows) + "]}").ljust(target)


def _chunks(kind: str) -> list[str]:
    text = payload(kind)
    return [text[start : start + CHUNK] for start in range(0, len(text), CHUNK)]


def _data(value: object) -> str:
    return f"data: {json.dumps(value)}\n\n"


def _event(value: dict[str, Any]) -> str:
    return f"event: {value['type']}\ndata: {json.dumps(value)}\n\n"


def _chat(kind: str) -> list[str]:
    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "bench"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _data({**base, "choices": [choice]})

    frames = []
    for number, piece in enumerate(_chunks(kind)):
        if kind == "text":
            frames.append(chunk({"content": piece}))
        else:
            call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
            if number == 0:
                call.update(id="call_1", type="function")
                call["function"]["name"] = "rows"
            frames.append(chunk({"tool_calls": [call]}))
    return [*frames, chunk({}, "stop" if kind == "text" else "tool_calls"), "data: [DONE]\n\n"]


def _responses(kind: str) -> list[str]:
    response = {"id": "r", "object": "response", "created_at": 1, "model": "bench", "output": []}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**response, "status": "in_progress"}}
    ]
    call = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "rows"}
    if kind == "tool":
        item = {**call, "arguments": "", "status": "in_progress"}
        events.append({"type": "response.output_item.added", "output_index": 0, "item": item})
    for piece in _chunks(kind):
        if kind == "text":
            where = {"item_id": "m", "output_index": 0, "content_index": 0, "logprobs": []}
            events.append({"type": "response.output_text.delta", **where, "delta": piece})
        else:
            where = {"item_id": "fc_1", "output_index": 0}
            events.append(
                {"type": "response.function_call_arguments.delta", **where, "delta": piece}
            )
    if kind == "tool":
        item = {**call, "arguments": payload(kind), "status": "completed"}
        events.append({"type": "response.output_item.done", "output_index": 0, "item": item})
    events.append({"type": "response.completed", "response": {**response, "status": "completed"}})
    return [_event({**value, "sequence_number": n}) for n, value in enumerate(events)]


def _anthropic(kind: str) -> list[str]:
    message: dict[str, Any] = {
        "id": "msg",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "bench",
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    }
    block: dict[str, Any] = {"type": "text", "text": ""}
    if kind == "tool":
        block = {"type": "tool_use", "id": "toolu_1", "name": "rows", "input": {}}
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": block},
    ]
    for piece in _chunks(kind):
        delta = {"type": "text_delta", "text": piece}
        if kind == "tool":
            delta = {"type": "input_json_delta", "partial_json": piece}
        events.append({"type": "content_block_delta", "index": 0, "delta": delta})
    reason = "end_turn" if kind == "text" else "tool_use"
    events += [
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": None},
            "usage": {"output_tokens": 50_000},
        },
        {"type": "message_stop"},
    ]
    return [_event(value) for value in events]


def _gemini(kind: str) -> list[str]:
    """Text parts; or one function call whose string argument streams as ``partial_args``."""

    def response(part: dict[str, Any], **candidate: object) -> str:
        content = {"role": "model", "parts": [part]}
        return _data({"candidates": [{"content": content, "index": 0, **candidate}]})

    frames = []
    if kind == "tool":
        frames.append(response({"functionCall": {"name": "rows", "willContinue": True}}))
    for piece in _chunks(kind):
        if kind == "text":
            frames.append(response({"text": piece}))
        else:
            argument = {"jsonPath": "$.text", "stringValue": piece, "willContinue": True}
            call = {"partialArgs": [argument], "willContinue": True}
            frames.append(response({"functionCall": call}))
    last: dict[str, Any] = {"text": ""} if kind == "text" else {"functionCall": {}}
    return [*frames, response(last, finishReason="STOP")]


def body(provider: str, kind: str) -> list[bytes]:
    """The frames of ``provider``'s answer of ``kind``, as the server sends them."""
    build = {"chat": _chat, "responses": _responses, "anthropic": _anthropic, "gemini": _gemini}
    return [frame.encode() for frame in build[provider](kind)]
