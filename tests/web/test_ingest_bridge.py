"""The bridge: an agent's AG-UI stream in; out as the AI SDK UI message stream, and resumable."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kavalai import StreamContent, Streamer, StreamInfo
from kavalai.web import (
    AguiPart,
    AguiRun,
    MemoryHub,
    StreamResponse,
    connect,
    default_agui_part,
    hub_routes,
    read_ag_ui,
)

from ..conftest import Serve
from .agent_app import AG_UI_BODY, STATE_SNAPSHOT, Produced, agent_app
from .conftest import CuttingProxy, read_ui_stream


@pytest.mark.parametrize("version", ["ai5", "ai6", "ai7"])
async def test_an_ag_ui_agent_reaches_the_ai_sdk_reader_through_a_streamer(
    serve: Serve, node_reader: Path, version: str
) -> None:
    produced = Produced()
    agent = await serve(agent_app(produced))

    async def chat(request: Request) -> Response:
        streamer = Streamer()
        streamer.start(read_ag_ui(f"{agent}/ag-ui", streamer, body=AG_UI_BODY))
        return StreamResponse(
            streamer, "ui", reasoning={"reasoning"}, tool_calls={"tool_call.0": "weather"}
        )

    base = await serve(Starlette(routes=[Route("/chat", chat)]))
    read = await read_ui_stream(node_reader, version, f"{base}/chat")
    assert read["failures"] == []
    by_type = {part["type"]: part for part in read["message"]["parts"]}
    [call] = produced.calls()
    assert by_type["reasoning"]["text"] == "".join(produced.thoughts())
    assert by_type["text"]["text"] == "".join(produced.texts())
    assert by_type["tool-weather"]["input"] == call.args_as_dict()
    assert by_type["tool-weather"]["toolCallId"] == call.tool_call_id  # the agent's own
    assert by_type["tool-weather"]["state"] == "input-available"
    assert by_type["data-state"]["data"] == {
        **STATE_SNAPSHOT,
        "forecast": [{"day": 1, "sky": "sun"}],
        "temperature": 21,
    }
    assert by_type["data-finish"]["data"]["outcome"] == "success"
    assert read["chunkTypes"][-1] == "finish"


def keys(messages: list[StreamContent]) -> list[tuple[str, str | None, str | None]]:
    return [(message.type, message.name, message.value) for message in messages]


async def test_an_ag_ui_run_in_a_hub_is_followed_through_cut_connections(serve: Serve) -> None:
    produced = Produced()
    agent = await serve(agent_app(produced))
    hub = MemoryHub()
    base = await serve(Starlette(routes=hub_routes(hub)))
    streamer = Streamer()
    streamer.start(read_ag_ui(f"{agent}/ag-ui", streamer, body=AG_UI_BODY))
    stream_id = hub.register(streamer)
    proxy = CuttingProxy(int(base.rsplit(":", 1)[1]), cuts=4, seed=11, only=b"GET /streams/")
    port = await proxy.start()
    try:
        url = f"http://127.0.0.1:{port}/streams/{stream_id}"
        async with connect(url, max_reconnects=20, reconnect_delay=0.01) as remote:
            rebuilt = [message async for message in remote]
    finally:
        await proxy.close()
    assert proxy.cut >= 1
    local = [message async for message in streamer]
    assert keys(rebuilt) == keys(local)
    final = {m.name: m.value for m in rebuilt if m.type == "complete"}
    assert final["text"] == "".join(produced.texts())


async def test_an_ag_ui_agent_read_in_and_served_out_as_ag_ui_reads_in_the_same(
    serve: Serve,
) -> None:
    produced = Produced()
    agent = await serve(agent_app(produced))

    def parts(stream: StreamInfo) -> AguiPart | None:
        if stream.name == "state":  # the agent's state is the whole state again
            return AguiPart("state", path="")
        return default_agui_part(stream)

    async def ag_ui(request: Request) -> Response:
        streamer = Streamer()
        streamer.start(read_ag_ui(f"{agent}/ag-ui", streamer, body=AG_UI_BODY))
        return StreamResponse(streamer, "ag-ui", agui=AguiRun(run_id="run-1", parts=parts))

    base = await serve(Starlette(routes=[Route("/ag-ui", ag_ui, methods=["POST"])]))
    streamer = Streamer()
    streamer.start(read_ag_ui(f"{base}/ag-ui", streamer, body=AG_UI_BODY))
    async with asyncio.timeout(10):
        final = {m.name: m.value async for m in streamer if m.type == "complete"}
    [call] = produced.calls()
    assert final["text"] == "".join(produced.texts())
    assert final["reasoning"] == "".join(produced.thoughts())
    assert json.loads(final["tool_call.0"] or "") == call.args_as_dict()
    assert json.loads(final["tool_calls"] or "") == [
        {"stream": "tool_call.0", "id": call.tool_call_id, "name": "weather"}
    ]
    assert json.loads(final["state"] or "") == {
        **STATE_SNAPSHOT,
        "forecast": [{"day": 1, "sky": "sun"}],
        "temperature": 21,
    }
