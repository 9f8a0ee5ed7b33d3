"""The AI SDK UI message stream, read by the `ai` package's own reader (5.x, 6.x and 7.x)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kavalai import Streamer
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
