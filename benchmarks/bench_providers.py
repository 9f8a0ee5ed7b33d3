"""Every provider adapter on ~200 KB answers, beside iterating the same SDK stream alone.

Run: ``python benchmarks/bench_providers.py [WORD]``, WORD to run only the rows whose
label has it (``sync``, ``gemini``, ...). Prints figures; asserts nothing.

A uvicorn child process on 127.0.0.1 replays one answer per provider and kind
(``_provider_streams.py``): its text, or one tool call's JSON arguments, of
about 200 KB in 10,000 events of 20 bytes, framed as OpenAI Chat Completions,
the Responses API, Anthropic Messages and Gemini (``partial_args``) frame them.
In this process the real SDK clients read each answer two ways, alternating,
best of a few rounds each:

1. floor: iterating the SDK's stream and touching each event, nothing else;
2. kavalai: the adapter (``stream_chat_completion``, ``stream_response``,
   ``stream_message``, ``stream_content``) into a delta-mode Streamer, with an
   ``async for`` consumer of every message.

The same for the sync clients (``OpenAI``, ``Anthropic``): the floor iterates
their ``Stream`` in a thread, the adapter reads it on its worker thread. Then,
for a display, the Anthropic tool call through ``typed_partials(coalesce=True)``
beside the SDK's own ``messages.stream()`` snapshots.

Target: each adapter at most 1.5x its floor.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sized
from typing import Any

from _child_server import child_server
from _provider_streams import EVENTS, KINDS, PROVIDERS, body, payload

ROUNDS = 5
ONLY = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "--server" else ""

Run = Callable[[], Awaitable[int]]


def run_server(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    bodies = {(provider, kind): body(provider, kind) for provider in PROVIDERS for kind in KINDS}

    def replay(provider: str, kind: str) -> Response:
        async def frames() -> Any:
            for frame in bodies[provider, kind]:
                yield frame

        return StreamingResponse(frames(), media_type="text/event-stream")

    def route(provider: str) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            return replay(provider, (await request.json())["model"])

        return answer

    async def gemini(request: Request) -> Response:
        return replay("gemini", request.path_params["rest"].split(":")[0])

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", route("chat"), methods=["POST"]),
            Route("/v1/responses", route("responses"), methods=["POST"]),
            Route("/v1/messages", route("anthropic"), methods=["POST"]),
            Route("/{version}/models/{rest}", gemini, methods=["POST"]),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def best(run: Run) -> float:
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started


async def side_by_side(label: str, floor: Run, ours: Run) -> None:
    """Best of ``ROUNDS`` for each, alternating, printed with their ratio."""
    if ONLY not in label:
        return
    floors, adapters = [], []
    for _ in range(ROUNDS):
        floors.append(await best(floor))
        adapters.append(await best(ours))
    low, mine = min(floors), min(adapters)
    print(f"  {label:<34} {low:7.3f} s {mine:9.3f} s {mine / low:8.2f}x")


async def measure(port: int) -> None:
    import anthropic
    import openai
    from google import genai
    from google.genai import types
    from pydantic import BaseModel

    from kavalai import Streamer, iterate
    from kavalai.operators import typed_partials
    from kavalai.providers.anthropic import stream_message
    from kavalai.providers.gemini import stream_content
    from kavalai.providers.openai import stream_chat_completion, stream_response

    url = f"http://127.0.0.1:{port}"
    gpt = openai.AsyncOpenAI(api_key="bench", base_url=f"{url}/v1", max_retries=0)
    claude = anthropic.AsyncAnthropic(api_key="bench", base_url=url, max_retries=0)
    gemini = genai.Client(api_key="bench", http_options=types.HttpOptions(base_url=url))
    gpt_sync = openai.OpenAI(api_key="bench", base_url=f"{url}/v1", max_retries=0)
    claude_sync = anthropic.Anthropic(api_key="bench", base_url=url, max_retries=0)
    hi: Any = [{"role": "user", "content": "rows"}]

    # Any: each SDK's overloads give unions a benchmark does not need to narrow.
    requests: dict[str, Callable[[str], Any]] = {
        "chat": lambda kind: gpt.chat.completions.create(model=kind, messages=hi, stream=True),
        "responses": lambda kind: gpt.responses.create(model=kind, input="rows", stream=True),
        "anthropic": lambda kind: claude.messages.create(
            model=kind, max_tokens=64_000, messages=hi, stream=True
        ),
        "gemini": lambda kind: gemini.aio.models.generate_content_stream(
            model=kind, contents="rows"
        ),
    }
    adapters: dict[str, Callable[..., Any]] = {
        "chat": stream_chat_completion,
        "responses": stream_response,
        "anthropic": stream_message,
        "gemini": stream_content,
    }
    sync_requests: dict[str, Callable[[str], Any]] = {
        "chat": lambda kind: gpt_sync.chat.completions.create(model=kind, messages=hi, stream=True),
        "anthropic": lambda kind: claude_sync.messages.create(
            model=kind, max_tokens=64_000, messages=hi, stream=True
        ),
    }

    async def consume(adapter: Callable[..., Any], source: object) -> int:
        streamer = Streamer(stream_delta=True)
        streamer.start(adapter(source, streamer))
        return sum([1 async for _message in streamer])

    print(
        f"{len(payload('text')) / 1000:.0f} KB answers in {EVENTS:,} events over loopback, "
        f"best of {ROUNDS} alternating rounds"
    )
    print(f"  {'adapter, answer':<34} {'floor':>9} {'kavalai':>11} {'ratio':>9}")
    for provider in PROVIDERS:
        for kind in KINDS:

            async def floor(provider: str = provider, kind: str = kind) -> int:
                return sum([1 async for _event in await requests[provider](kind)])

            async def ours(provider: str = provider, kind: str = kind) -> int:
                return await consume(adapters[provider], requests[provider](kind))

            await side_by_side(f"{provider}, {kind}", floor, ours)
    for provider, request in sync_requests.items():
        for kind in KINDS:

            async def sync_floor(request: Callable[[str], Any] = request, kind: str = kind) -> int:
                return await asyncio.to_thread(lambda: sum(1 for _event in request(kind)))

            async def sync_ours(
                request: Callable[[str], Any] = request,
                kind: str = kind,
                adapter: Callable[..., Any] = adapters[provider],
            ) -> int:
                return await consume(adapter, asyncio.to_thread(request, kind))

            await side_by_side(f"{provider} sync client, {kind}", sync_floor, sync_ours)

    class Row(BaseModel):
        id: int
        text: str

    class Rows(BaseModel):
        rows: list[Row]

    async def typed() -> int:
        streamer = Streamer(stream_delta=True)
        source = requests["anthropic"]("tool")
        task = streamer.start(stream_message(source, streamer, tools={"rows": Rows}))
        partials = iterate(streamer.values("tool_call.0").pipe(typed_partials(Rows, coalesce=True)))
        rows = [len(p.rows) if isinstance(p.rows, Sized) else 0 async for p in partials]
        await task
        return rows[-1]

    async def helper() -> int:
        snapshot: object = None
        async with claude.messages.stream(model="tool", max_tokens=64_000, messages=hi) as stream:
            async for event in stream:
                if event.type == "input_json":
                    snapshot = event.snapshot
        assert isinstance(snapshot, dict)
        return len(snapshot["rows"])

    async def display() -> None:
        print("For a display: the Anthropic tool call's typed partials")
        print(f"  {'':<34} {'SDK helper':>9} {'kavalai':>11} {'speed-up':>9}")
        helpers, ours_typed = [], []
        for _ in range(ROUNDS):
            helpers.append(await best(helper))
            ours_typed.append(await best(typed))
        slow, fast = min(helpers), min(ours_typed)
        label = "messages.stream() / typed_partials"
        print(f"  {label:<34} {slow:7.3f} s {fast:9.3f} s {slow / fast:7.1f}x")

    if ONLY in "display":
        await display()
    await gpt.close()
    await claude.close()
    await gemini.aio.aclose()
    gpt_sync.close()
    claude_sync.close()


def main() -> None:
    with child_server(__file__) as port:
        asyncio.run(measure(port))


if __name__ == "__main__":
    if "--server" in sys.argv:
        run_server(int(sys.argv[-1]))
    else:
        main()
