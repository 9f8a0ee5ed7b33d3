"""Reading an agent's stream in: events per second through kavalai, beside reading the SSE alone.

Run: ``python benchmarks/bench_ingest.py``. Prints figures; asserts nothing.

One uvicorn process on 127.0.0.1 (a child process, one core) serves a recorded
run as fast as it can write it: an AG-UI run of about 90,000 events (a text
message and a reasoning message in short deltas, 20 tool calls whose
arguments come in 1,000 pieces each, and a state that gains 10,000 items by
``STATE_DELTA``), and the same parts as an AI SDK UI message stream. The
client, in this process:

1. the floor: httpx reads the body's lines (``aiter_lines``), and each
   server-sent event's JSON is parsed, as any reader must;
2. the same, each event's text then pushed into one delta-mode stream of a
   Streamer, which one ``async for`` consumer reads: what a Streamer costs,
   with no protocol read;
3. kavalai: ``read_ag_ui`` (or ``read_ui_message_stream``) writes the run into
   a delta-mode Streamer, one stream per part, which one ``async for``
   consumer reads to the end.

Events per second over the whole run: the best of five rounds, each round
reading with the three in turn, so a change of load on the machine hits them
alike.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from _child_server import child_server
from starlette.applications import Starlette

TEXT_DELTAS = 40_000
REASONING_DELTAS = 20_000
CALLS = 20
PIECES = 1_000
STATE_ITEMS = 10_000
ROUNDS = 5


def ag_ui_events() -> list[dict[str, object]]:
    events: list[dict[str, object]] = [{"type": "RUN_STARTED", "threadId": "t", "runId": "r"}]
    events.append({"type": "REASONING_MESSAGE_START", "messageId": "r1", "role": "reasoning"})
    events += [
        {"type": "REASONING_MESSAGE_CONTENT", "messageId": "r1", "delta": f"step {i} "}
        for i in range(REASONING_DELTAS)
    ]
    events.append({"type": "REASONING_MESSAGE_END", "messageId": "r1"})
    for call in range(CALLS):
        call_id = f"call-{call}"
        events.append({"type": "TOOL_CALL_START", "toolCallId": call_id, "toolCallName": "f"})
        events += [
            {"type": "TOOL_CALL_ARGS", "toolCallId": call_id, "delta": piece}
            for piece in arguments()
        ]
        events.append({"type": "TOOL_CALL_END", "toolCallId": call_id})
    events.append({"type": "STATE_SNAPSHOT", "snapshot": {"items": []}})
    events += [
        {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/items/-", "value": i}]}
        for i in range(STATE_ITEMS)
    ]
    events.append({"type": "TEXT_MESSAGE_START", "messageId": "m1", "role": "assistant"})
    events += [
        {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m1", "delta": f"word{i % 10} "}
        for i in range(TEXT_DELTAS)
    ]
    events.append({"type": "TEXT_MESSAGE_END", "messageId": "m1"})
    events.append({"type": "RUN_FINISHED", "threadId": "t", "runId": "r"})
    return events


def ui_chunks() -> list[dict[str, object]]:
    chunks: list[dict[str, object]] = [{"type": "start"}, {"type": "reasoning-start", "id": "r"}]
    chunks += [
        {"type": "reasoning-delta", "id": "r", "delta": f"step {i} "}
        for i in range(REASONING_DELTAS)
    ]
    chunks.append({"type": "reasoning-end", "id": "r"})
    for call in range(CALLS):
        call_id = f"call-{call}"
        chunks.append({"type": "tool-input-start", "toolCallId": call_id, "toolName": "f"})
        chunks += [
            {"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": piece}
            for piece in arguments()
        ]
        text = "".join(arguments())
        chunks.append(
            {
                "type": "tool-input-available",
                "toolCallId": call_id,
                "toolName": "f",
                "input": json.loads(text),
            }
        )
    chunks.append({"type": "text-start", "id": "t"})
    chunks += [
        {"type": "text-delta", "id": "t", "delta": f"word{i % 10} "} for i in range(TEXT_DELTAS)
    ]
    chunks += [{"type": "text-end", "id": "t"}, {"type": "finish", "finishReason": "stop"}]
    return chunks


def arguments() -> list[str]:
    """One call's arguments in pieces: ``{"values": [0, 1, ...]}``."""
    return ['{"values": [', *(f"{i}, " for i in range(PIECES - 2)), f"{PIECES}]}}"]


def body(events: list[dict[str, object]]) -> list[bytes]:
    """The SSE body in 64 KiB writes."""
    text = "".join(f"data: {json.dumps(event, separators=(',', ':'))}\n\n" for event in events)
    data = text.encode()
    return [data[i : i + 65536] for i in range(0, len(data), 65536)]


def server_app() -> Starlette:
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    bodies = {"ag-ui": body(ag_ui_events()), "ui": body(ui_chunks())}

    async def serve(request: Request) -> Response:
        chunks = bodies[request.path_params["kind"]]

        async def write() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return StreamingResponse(write(), media_type="text/event-stream")

    return Starlette(routes=[Route("/{kind}", serve, methods=["GET", "POST"])])


def run_server(port: int) -> None:
    import uvicorn

    uvicorn.run(server_app(), host="127.0.0.1", port=port, http="h11", log_level="warning")


async def read_raw(url: str) -> int:
    """The floor: the body's events, split and parsed, nothing done with them."""
    import httpx

    count = 0
    async with httpx.AsyncClient(timeout=30) as client, client.stream("GET", url) as response:
        data: list[str] = []
        async for line in response.aiter_lines():
            if not line:
                if data:
                    json.loads("\n".join(data))
                    count += 1
                    data.clear()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
    return count


async def read_into_one_stream(url: str) -> int:
    """The floor read into a Streamer: each event's text one message of one stream."""
    import httpx

    from kavalai import Streamer

    streamer = Streamer(stream_delta=True)
    events = streamer.get_value_streamer("events")

    async def produce() -> None:
        async with httpx.AsyncClient(timeout=30) as client, client.stream("GET", url) as response:
            data: list[str] = []
            async for line in response.aiter_lines():
                if not line:
                    if data:
                        text = "\n".join(data)
                        json.loads(text)
                        await events.stream_partial(text)
                        data.clear()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
        await events.stream_complete()

    streamer.start(produce())
    count = 0
    async for _ in streamer:
        count += 1
    return count - 1  # the complete message


async def read_kavalai(url: str, kind: str) -> int:
    """Through kavalai: the run into a Streamer, read by one consumer; its messages."""
    from kavalai import Streamer
    from kavalai.web import read_ag_ui, read_ui_message_stream

    streamer = Streamer(stream_delta=True)
    read = read_ag_ui if kind == "ag-ui" else read_ui_message_stream
    streamer.start(read(url, streamer))
    count = 0
    async for _ in streamer:
        count += 1
    if streamer.error is not None:
        raise streamer.error
    return count


async def measure(port: int) -> None:
    for kind, events in (("ag-ui", len(ag_ui_events())), ("ui", len(ui_chunks()))):
        url = f"http://127.0.0.1:{port}/{kind}"
        readers: dict[str, Callable[[], Awaitable[int]]] = {
            "raw": functools.partial(read_raw, url),
            "pushed": functools.partial(read_into_one_stream, url),
            "ingest": functools.partial(read_kavalai, url, kind),
        }
        times: dict[str, list[float]] = {name: [] for name in readers}
        counts: dict[str, int] = {}
        for _ in range(ROUNDS):  # the readers in turn, so a change of load hits them alike
            for name, read in readers.items():
                started = time.perf_counter()
                counts[name] = await read()
                times[name].append(time.perf_counter() - started)
        raw, pushed, ingest = (min(times[name]) for name in readers)
        assert counts["raw"] == counts["pushed"] == events
        print(
            f"{kind}: {events:,} events\n"
            f"  raw SSE read + JSON parse: {raw:.3f} s ({events / raw:,.0f} events/s)\n"
            f"  the same, each event pushed into one stream, one consumer: {pushed:.3f} s "
            f"({events / pushed:,.0f} events/s, {raw / pushed:.0%} of the raw rate)\n"
            f"  through kavalai's reader, one stream per part, one consumer: {ingest:.3f} s "
            f"({events / ingest:,.0f} events/s, {counts['ingest']:,} messages; "
            f"{raw / ingest:.0%} of the raw rate, {pushed / ingest:.0%} of the one-stream rate)"
        )


def main() -> None:
    with child_server(__file__) as port:
        asyncio.run(measure(port))


if __name__ == "__main__":
    if "--server" in sys.argv:
        run_server(int(sys.argv[-1]))
    else:
        main()
