"""The AI SDK UI message stream, read by the `ai` package's own reader (5.x, 6.x and 7.x)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kavalai import StreamClosedError, Streamer, ValueStreamer
from kavalai.web import StreamResponse

from ..conftest import Serve
from .conftest import read_ui_stream


class Planet(BaseModel):
    name: str
    moons: int


async def answer_with_every_part(streamer: Streamer) -> None:
    thought = streamer.get_value_streamer("thought", stream_delta=True)
    answer = streamer.get_value_streamer("answer")
    result = streamer.get_value_streamer("result", response_model=Planet)
    call = streamer.get_value_streamer("call_1", response_model=Planet)
    for chunk in ("Let me ", "think."):
        await thought.stream_partial(chunk)
    await thought.stream_complete()
    for chunk in ('{"name": "Jup', 'iter", "mo', 'ons": 95}'):
        await result.stream_partial(chunk)
        await call.stream_partial(chunk)
    await call.stream_complete()
    for chunk in ("Jupiter has ", "95 moons ", "<b>&amp;</b>"):
        await answer.stream_partial(chunk)
    await result.stream_complete()
    await answer.stream_complete()


def ui_app(streamer: Streamer) -> Starlette:
    async def endpoint(request: Request) -> Response:
        return StreamResponse(
            streamer, "ui", reasoning={"thought"}, tool_calls={"call_1": "find_planet"}
        )

    return Starlette(routes=[Route("/chat", endpoint)])


@pytest.mark.parametrize("version", ["ai5", "ai6", "ai7"])
async def test_the_ai_sdk_reader_rebuilds_every_part(
    serve: Serve, node_reader: Path, version: str
) -> None:
    streamer = Streamer()
    base = await serve(ui_app(streamer))
    await answer_with_every_part(streamer)
    read = await read_ui_stream(node_reader, version, f"{base}/chat")
    assert read["failures"] == []
    assert read["header"] == "v1"
    parts = read["message"]["parts"]
    by_type = {part["type"]: part for part in parts}
    assert by_type["reasoning"]["text"] == "Let me think."
    assert by_type["text"]["text"] == "Jupiter has 95 moons <b>&amp;</b>"
    assert by_type["text"]["state"] == "done"
    assert by_type["data-result"]["data"] == {"name": "Jupiter", "moons": 95}
    assert by_type["tool-find_planet"]["input"] == {"name": "Jupiter", "moons": 95}
    assert by_type["tool-find_planet"]["state"] == "input-available"
    assert [part["type"] for part in parts].count("data-result") == 1  # replaced by id
    assert read["chunkTypes"][0] == "start"
    assert read["chunkTypes"][-1] == "finish"


async def test_the_error_reaches_the_ai_sdk_reader(serve: Serve, node_reader: Path) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(ui_app(streamer))
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("Half an answer")
    await streamer.stream_error(ConnectionError("model went away"))
    read = await read_ui_stream(node_reader, "ai6", f"{base}/chat")
    assert read["failures"] == []
    assert read["errorTexts"] == ["ConnectionError: model went away"]
    assert read["message"]["parts"][0]["text"] == "Half an answer"


async def test_a_retry_after_a_restart_gets_parts_of_its_own(
    serve: Serve, node_reader: Path
) -> None:
    streamer = Streamer()
    base = await serve(ui_app(streamer))
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("Draft")
    await streamer.stream_restart("rate limited")
    streamer.reset_active()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("Final")
    await answer.stream_complete()
    read = await read_ui_stream(node_reader, "ai7", f"{base}/chat")
    assert read["failures"] == []
    texts = [part["text"] for part in read["message"]["parts"] if part["type"] == "text"]
    assert texts == ["Draft", "Final"]


async def test_structured_snapshots_are_throttled(serve: Serve, node_reader: Path) -> None:
    streamer = Streamer()
    base = await serve(ui_app(streamer))
    result = streamer.get_value_streamer("result", response_model=Planet)
    text = json.dumps({"name": "J" * 20_000, "moons": 95})
    for offset in range(0, len(text), 16):
        await result.stream_partial(text[offset : offset + 16])
    await result.stream_complete()
    read = await read_ui_stream(node_reader, "ai6", f"{base}/chat")
    assert read["failures"] == []
    assert read["chunkTypes"].count("data-result") < 20  # not one copy per 16-byte chunk
    assert read["message"]["parts"][-1]["data"] == json.loads(text)


@pytest.mark.parametrize("version", ["ai5", "ai6", "ai7"])
async def test_a_tool_call_cut_off_or_not_json_is_never_ready_to_run(
    serve: Serve, node_reader: Path, version: str
) -> None:
    streamer = Streamer()

    async def endpoint(request: Request) -> Response:
        return StreamResponse(streamer, "ui", tool_calls={"cut": "delete", "prose": "delete"})

    base = await serve(Starlette(routes=[Route("/chat", endpoint)]))
    cut = streamer.get_value_streamer("cut", response_model=Planet)
    prose = streamer.get_value_streamer("prose", response_model=Planet)
    await cut.stream_partial('{"name": "Jupiter", "moons": 9')  # the model hit its token limit
    await prose.stream_partial("I cannot help with that.")
    await cut.stream_complete()
    await prose.stream_complete()
    read = await read_ui_stream(node_reader, version, f"{base}/chat")
    assert read["failures"] == []
    assert "tool-input-available" not in read["chunkTypes"]
    assert read["chunkTypes"].count("tool-input-error") == 2
    states = [part["state"] for part in read["message"]["parts"]]
    assert states == ["output-error", "output-error"]
    texts = [part["errorText"] for part in read["message"]["parts"]]
    assert texts[0] == "the input of tool call 'cut' was cut off"
    assert texts[1].startswith("the input of tool call 'prose' is not JSON")


async def test_a_structured_value_cut_short_by_a_restart_keeps_its_own_id(
    serve: Serve, node_reader: Path
) -> None:
    streamer = Streamer()
    base = await serve(ui_app(streamer))
    result = streamer.get_value_streamer("result", response_model=Planet)
    await result.stream_partial('{"name": "Saturn", "moons": 146}')
    await streamer.stream_restart("rate limited")
    streamer.reset_active()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("No result this time.")
    await answer.stream_complete()
    read = await read_ui_stream(node_reader, "ai7", f"{base}/chat")
    assert read["failures"] == []
    data = [(part["id"], part["data"]) for part in read["message"]["parts"] if "data" in part]
    assert data == [("result", {"name": "Saturn", "moons": 146})]


async def test_a_late_reader_gets_the_ids_an_early_one_got(serve: Serve, node_reader: Path) -> None:
    streamer = Streamer(history=0)  # a late reader starts with the catch-up
    base = await serve(ui_app(streamer))
    await answer_with_every_part(streamer)
    reads = [await read_ui_stream(node_reader, "ai6", f"{base}/chat") for _ in range(2)]
    ids = []
    for read in reads:
        assert read["failures"] == []
        parts = read["message"]["parts"]
        assert [part["id"] for part in parts if part["type"] == "data-result"] == ["result"]
        ids.append([part.get("toolCallId") for part in parts if "toolCallId" in part])
    assert ids[0] == ids[1]
    assert len(ids[0]) == 1
    assert ids[0] != ["call_1"]  # never the stream's name, which other answers share


async def test_a_surrogate_pair_split_between_chunks_arrives_whole(
    serve: Serve, node_reader: Path
) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(ui_app(streamer))
    answer = streamer.get_value_streamer("answer")
    for chunk in ("ok ", "\ud83d", "\ude00", " end"):  # a provider's split escape, decoded
        await answer.stream_partial(chunk)
    await answer.stream_complete()
    read = await read_ui_stream(node_reader, "ai7", f"{base}/chat")
    assert read["failures"] == []
    assert read["message"]["parts"][0]["text"] == "ok \U0001f600 end"


async def test_an_idle_ui_stream_sends_ping_comments(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)

    async def endpoint(request: Request) -> Response:
        return StreamResponse(streamer, "ui", ping_seconds=0.05)

    base = await serve(Starlette(routes=[Route("/chat", endpoint)]))
    answer = streamer.get_value_streamer("answer")
    async with httpx.AsyncClient() as client, client.stream("GET", f"{base}/chat") as response:
        lines = response.aiter_lines()
        assert await anext(lines) == 'data: {"type":"start"}'
        assert await anext(lines) == ""
        assert await anext(lines) == ": ping"
        await answer.stream_complete()


async def test_a_name_used_again_gets_a_part_of_its_own(serve: Serve, node_reader: Path) -> None:
    streamer = Streamer()
    base = await serve(ui_app(streamer))
    answer = streamer.get_value_streamer("answer")  # keeps the Streamer open meanwhile
    for planet in ("Mars", "Venus"):
        for name in ("result", "call_1"):
            value_streamer = streamer.get_value_streamer(name, response_model=Planet)
            await value_streamer.stream_partial(json.dumps({"name": planet, "moons": 0}))
            await value_streamer.stream_complete()
    await answer.stream_complete()
    read = await read_ui_stream(node_reader, "ai7", f"{base}/chat")
    assert read["failures"] == []
    parts = read["message"]["parts"]
    data = [(part["id"], part["data"]["name"]) for part in parts if "data" in part]
    assert data == [("result", "Mars"), ("result:1", "Venus")]
    calls = [(part["toolCallId"], part["input"]["name"]) for part in parts if "input" in part]
    assert [planet for _, planet in calls] == ["Mars", "Venus"]
    assert len({call_id for call_id, _ in calls} - {"call_1"}) == 2


#: Pushes a producer may make after its client left before the test gives up on it
#: (a server notices a disconnect within a few turns of the event loop).
PUSH_LIMIT = 1_000


async def pushes_until_closed(value_streamer: ValueStreamer, limit: int) -> int | None:
    """Push as a producer that only yields would; the pushes before StreamClosedError.

    None when ``limit`` pushes went through: the producer was never stopped.
    """
    for pushes in range(limit):
        try:
            await value_streamer.stream_partial(" more")
        except StreamClosedError:
            return pushes
        await asyncio.sleep(0)  # the producer's only pause: it never waits for a reader
    return None


@pytest.mark.parametrize("protocol", ["ui", "sse", "ndjson"])
async def test_a_client_leaving_stops_a_producer_that_only_yields(
    serve: Serve, protocol: str
) -> None:
    streamer = Streamer(stream_delta=True)

    async def endpoint(request: Request) -> Response:
        return StreamResponse(streamer, protocol)  # type: ignore[arg-type]

    base = await serve(Starlette(routes=[Route("/chat", endpoint)]))
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("first")
    async with httpx.AsyncClient() as client, client.stream("GET", f"{base}/chat") as response:
        async for line in response.aiter_lines():
            if "first" in line:
                break
    assert await pushes_until_closed(answer, PUSH_LIMIT) is not None
