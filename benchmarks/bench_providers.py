"""The Anthropic adapter on a large tool call, beside the SDK's own helper and its raw stream.

Run: ``python benchmarks/bench_providers.py``. Prints figures; asserts nothing.

A uvicorn child process on 127.0.0.1 replays one Messages answer: a single
``tool_use`` block whose input, a JSON object of about 200 KB, arrives in
10,000 ``input_json_delta`` events of 20 bytes. In this process the real
``anthropic`` client reads it three ways, best of a few rounds each:

1. floor: iterating the raw stream (``messages.create(stream=True)``) and
   touching each event, nothing else;
2. kavalai: ``stream_message`` into a delta-mode Streamer, with a consumer
   reading ``typed_partials(Rows, coalesce=True)`` of the tool call's stream
   through ``kavalai.iterate`` (one partial per burst of chunks, the newest
   whenever it looks, as a display wants); and, to show where the time goes,
   with a consumer iterating the messages instead;
3. the SDK's helper: ``messages.stream()``, reading the ``input_json`` event's
   snapshot, which the SDK re-parses from the whole buffer on every delta.

Targets: kavalai <= 1.5x the floor, and >= 10x faster than the SDK's helper.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sized
from typing import Any

from _child_server import child_server

DELTAS = 10_000
CHUNK = 20
ROUNDS = 3


def transcript() -> tuple[bytes, int]:
    """The SSE body of the answer, and the size of the tool input in bytes."""
    target = DELTAS * CHUNK
    rows: list[str] = []
    length = len('{"rows": []}')
    while True:
        row = json.dumps({"id": len(rows), "text": f"row {len(rows)} of the table, in words"})
        if length + len(row) + 2 > target:
            break
        rows.append(row)
        length += len(row) + 2
    text = ('{"rows": [' + ", ".join(rows) + "]}").ljust(target)  # DELTAS whole chunks
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_bench",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": "claude-bench",
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 1},
            },
        },
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "rows", "input": {}},
        },
    ]
    for start in range(0, len(text), CHUNK):
        delta = {"type": "input_json_delta", "partial_json": text[start : start + CHUNK]}
        events.append({"type": "content_block_delta", "index": 0, "delta": delta})
    events += [
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 50_000},
        },
        {"type": "message_stop"},
    ]
    body = "".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in events)
    return body.encode(), len(text.encode())


def run_server(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    body, _ = transcript()
    frames = [frame + b"\n\n" for frame in body.split(b"\n\n") if frame]

    async def messages(request: Request) -> Response:
        async def replay() -> Any:
            for frame in frames:
                yield frame

        return StreamingResponse(replay(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def measure(port: int) -> None:
    import anthropic
    from pydantic import BaseModel

    from kavalai import Streamer, iterate
    from kavalai.operators import typed_partials
    from kavalai.providers.anthropic import stream_message

    class Row(BaseModel):
        id: int
        text: str

    class Rows(BaseModel):
        rows: list[Row]

    client = anthropic.AsyncAnthropic(
        api_key="bench", base_url=f"http://127.0.0.1:{port}", max_retries=0
    )
    arguments: dict[str, Any] = {
        "model": "claude-bench",
        "max_tokens": 64_000,
        "messages": [{"role": "user", "content": "rows"}],
    }

    async def floor() -> int:
        events = 0
        stream = await client.messages.create(**arguments, stream=True)
        async for _event in stream:
            events += 1
        return events

    async def adapter() -> int:
        streamer = Streamer(stream_delta=True)
        task = streamer.start(
            stream_message(
                client.messages.create(**arguments, stream=True), streamer, tools={"rows": Rows}
            )
        )
        # A display: one partial per burst the network delivered, the newest values.
        partials = iterate(streamer.values("tool_call.0").pipe(typed_partials(Rows, coalesce=True)))
        rows = [
            len(partial.rows) if isinstance(partial.rows, Sized) else 0
            async for partial in partials
        ]
        await task
        return rows[-1]

    async def adapter_messages() -> int:
        streamer = Streamer(stream_delta=True)
        streamer.start(stream_message(client.messages.create(**arguments, stream=True), streamer))
        return sum([1 async for _message in streamer])

    async def helper() -> int:
        snapshot: object = None
        async with client.messages.stream(**arguments) as stream:
            async for event in stream:
                if event.type == "input_json":
                    snapshot = event.snapshot
        assert isinstance(snapshot, dict)
        return len(snapshot["rows"])

    _, size = transcript()
    print(
        f"Anthropic tool_use input: {size / 1000:.0f} KB in {DELTAS:,} input_json_delta "
        f"events over loopback, best of {ROUNDS}"
    )
    results: dict[str, tuple[float, int]] = {}
    for label, run in (
        ("raw SDK stream alone (floor)", floor),
        ("kavalai stream_message + typed_partials", adapter),
        ("kavalai stream_message + async for messages", adapter_messages),
        ("SDK messages.stream() input_json snapshots", helper),
    ):
        best = float("inf")
        for _ in range(ROUNDS):
            started = time.perf_counter()
            outcome = await run()
            best = min(best, time.perf_counter() - started)
        results[label] = (best, outcome)
    floor_seconds = results["raw SDK stream alone (floor)"][0]
    ours = results["kavalai stream_message + typed_partials"][0]
    for label, (seconds, _) in results.items():
        print(f"  {label:<46} {seconds:7.3f} s  {seconds / floor_seconds:5.2f}x the floor")
    sdk = results["SDK messages.stream() input_json snapshots"][0]
    print(f"  kavalai is {sdk / ours:.1f}x faster than the SDK's helper on this input")
    await client.close()


def main() -> None:
    with child_server(__file__) as port:
        asyncio.run(measure(port))


if __name__ == "__main__":
    if "--server" in sys.argv:
        run_server(int(sys.argv[-1]))
    else:
        main()
