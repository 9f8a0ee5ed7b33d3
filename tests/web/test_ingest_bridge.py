"""The bridge: an agent's AG-UI stream in; out as the AI SDK UI message stream, and resumable."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kavalai import StreamContent, Streamer
from kavalai.web import MemoryHub, StreamResponse, connect, hub_routes, read_ag_ui

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
