"""A tool call's toolCallId in the UI message stream: the provider's id, or one per call."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kavalai import Streamer
from kavalai.providers import ToolArguments, ToolCalls
from kavalai.web import StreamResponse

from ..conftest import Serve
from .conftest import read_ui_stream


async def weather_call(streamer: Streamer, listed: str | None) -> None:
    """A tool call as the provider adapters write it, listed with its id or not."""
    call = streamer.get_value_streamer("tool_call.0", response_model=ToolArguments)
    if listed is not None:
        calls = streamer.get_value_streamer("tool_calls", response_model=ToolCalls)
        await calls.stream_partial(f'[{{"stream": "tool_call.0", "id": "{listed}"}}]')
        await calls.stream_complete()
    await call.stream_partial('{"city": "Paris"}')
    await call.stream_complete()


def app(streamers: list[Streamer]) -> Starlette:
    async def turn(request: Request) -> Response:
        streamer = streamers[int(request.path_params["n"])]
        return StreamResponse(streamer, "ui", tool_calls={"tool_call.0": "weather"})

    return Starlette(routes=[Route("/turn/{n}", turn)])


async def tool_call_ids(node_reader: Path, base: str, turns: int) -> list[str]:
    ids = []
    for n in range(turns):
        read = await read_ui_stream(node_reader, "ai6", f"{base}/turn/{n}")
        assert read["failures"] == []
        (tool,) = [part for part in read["message"]["parts"] if part["type"] == "tool-weather"]
        assert tool["input"] == {"city": "Paris"}
        ids.append(tool["toolCallId"])
    return ids


async def test_two_turns_calling_the_same_tool_get_distinct_ids(
    serve: Serve, node_reader: Path
) -> None:
    streamers = [Streamer(), Streamer()]
    for streamer in streamers:
        await weather_call(streamer, None)
    first, second = await tool_call_ids(node_reader, await serve(app(streamers)), 2)
    assert first != second
    assert "tool_call.0" not in (first, second)


async def test_the_tool_call_id_is_the_providers(serve: Serve, node_reader: Path) -> None:
    streamers = [Streamer(), Streamer()]
    await weather_call(streamers[0], "call_Wx1")
    await weather_call(streamers[1], "toolu_9")
    ids = await tool_call_ids(node_reader, await serve(app(streamers)), 2)
    assert ids == ["call_Wx1", "toolu_9"]
