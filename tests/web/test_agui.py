"""AG-UI out: a Streamer read by @ag-ui/client's own HttpAgent, whole, resumed and cut."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from ag_ui.core import Event
from pydantic import BaseModel, TypeAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kavalai import Streamer
from kavalai.providers import ToolArguments, ToolCalls
from kavalai.web import (
    AguiRun,
    BadResumeError,
    MemoryHub,
    StreamResponse,
    hub_routes,
    resume_position,
)

from ..conftest import Serve
from .conftest import NODE_DIR, CuttingProxy, node

EVENT = TypeAdapter(Event)
SCRIPT = NODE_DIR / "run_agui.mjs"

TEXT = ["It is ", "sunny in ", "Paris, ", "22 °C ", "🌞."]
THOUGHT = ["The user ", "wants the ", "weather."]
ARGS = ['{"city": "Pa', 'ris", "units": ', '"metric", "days": [1, ', "2]}"]
PLAN = ['{"title": "Trip to Pa', 'ris", "steps": [{"do": "pack', '"}, {"do": "fly", "h": 2}', "]}"]
PLAN_VALUE = {"title": "Trip to Paris", "steps": [{"do": "pack"}, {"do": "fly", "h": 2}]}


class Plan(BaseModel):
    title: str


async def answer(streamer: Streamer, repeat: int = 1) -> None:
    """An answer named as the provider adapters name its streams, plus a state stream."""
    finish = streamer.get_value_streamer("finish", response_model=ToolArguments)
    reasoning = streamer.get_value_streamer("reasoning", stream_delta=True)
    for chunk in THOUGHT:
        await reasoning.stream_partial(chunk)
    await reasoning.stream_complete()
    text = streamer.get_value_streamer("text", stream_delta=True)
    plan = streamer.get_value_streamer("plan", response_model=Plan, stream_delta=True)
    for index, chunk in enumerate(TEXT * repeat):
        await text.stream_partial(chunk)
        if index < len(PLAN):
            await plan.stream_partial(PLAN[index])
    await plan.stream_complete()
    call = streamer.get_value_streamer("tool_call.0", response_model=ToolArguments)
    calls = streamer.get_value_streamer("tool_calls", response_model=ToolCalls)
    await calls.stream_partial('[{"stream": "tool_call.0", "id": "call_Wx1", "name": "weather"}')
    for chunk in ARGS:
        await call.stream_partial(chunk)
    await call.stream_complete()
    await text.stream_complete()
    await calls.stream_partial("]")
    await calls.stream_complete()
    await finish.stream_partial('{"reason": "tool_use"}')
    await finish.stream_complete()


def agent_app(streamer: Streamer) -> Starlette:
    async def run(request: Request) -> Response:
        try:
            after = resume_position(request, streamer)
        except BadResumeError as error:
            return PlainTextResponse(str(error), status_code=400)
        agui = AguiRun.from_input(await request.json(), run_id="answer-7")
        return StreamResponse(streamer, "ag-ui", after=after, disconnect="keep", agui=agui)

    return Starlette(routes=[Route("/agent", run, methods=["POST"])])


async def run_node(mode: str, url: str, *at: str) -> dict[str, Any]:
    executable = node()
    if executable is None or not (NODE_DIR / "node_modules" / "@ag-ui" / "client").is_dir():
        pytest.fail(f"@ag-ui/client is not installed: run 'npm ci --prefix {NODE_DIR}'")
    process = await asyncio.create_subprocess_exec(
        executable,
        str(SCRIPT),
        mode,
        url,
        *at,
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
    assert stdout, stderr.decode()
    result: dict[str, Any] = json.loads(stdout)
    return result


def check_answer(run: dict[str, Any], repeat: int = 1) -> None:
    """The client's messages and state are the Streamer's values."""
    assert run["failures"] == []
    messages = run["messages"]
    assert [message["role"] for message in messages] == ["reasoning", "assistant"]
    assert messages[0]["content"] == "".join(THOUGHT)
    assert messages[1]["content"] == "".join(TEXT) * repeat
    (call,) = messages[1]["toolCalls"]
    assert call["id"] == "call_Wx1"  # the provider's id
    assert call["function"]["name"] == "weather"
    assert json.loads(call["function"]["arguments"]) == json.loads("".join(ARGS))
    assert run["state"] == {"plan": PLAN_VALUE}


@pytest.fixture
async def finished(serve: Serve) -> str:
    streamer = Streamer()
    await answer(streamer)
    return await serve(agent_app(streamer)) + "/agent"


async def test_http_agent_rebuilds_the_messages_and_state(finished: str) -> None:
    run = await run_node("whole", finished)
    check_answer(run)
    assert run["connections"] == 1
    for event in run["events"]:
        EVENT.validate_python(event)  # every event, by the ag-ui-protocol models
    types = [event["type"] for event in run["events"]]
    assert types[0] == "RUN_STARTED"
    assert types[-1] == "RUN_FINISHED"
    assert "STATE_SNAPSHOT" in types
    assert {"REASONING_START", "REASONING_MESSAGE_CONTENT", "TOOL_CALL_END"} <= set(types)


async def test_every_position_resumes_to_the_same_messages_and_state(finished: str) -> None:
    result = await run_node("every", finished)
    check_answer(result["whole"])
    assert len(result["positions"]) >= 10
    for resumed in result["resumed"]:
        check_answer(resumed)
        assert resumed["connections"] == 2, resumed["position"]
        assert resumed["messages"] == result["whole"]["messages"]


@pytest.mark.parametrize("position", ["2", "3"])  # ids the first events carry
async def test_a_position_the_streamer_folded_resumes_through_a_snapshot(
    serve: Serve, position: str
) -> None:
    streamer = Streamer(history=16)
    resumed = asyncio.Event()
    produced = asyncio.Event()

    async def produce() -> None:
        """The start of the answer, then, once the client resumes, 600 more messages."""
        reasoning = streamer.get_value_streamer("reasoning", stream_delta=True)
        text = streamer.get_value_streamer("text", stream_delta=True)
        for chunk in THOUGHT:
            await reasoning.stream_partial(chunk)
        await text.stream_partial(TEXT[0])
        await resumed.wait()
        await reasoning.stream_complete()
        for chunk in TEXT[1:] * 150:
            await text.stream_partial(chunk)
        await text.stream_complete()
        produced.set()

    async def run(request: Request) -> Response:
        after = resume_position(request, streamer)
        if after is not None:  # the resumed client: its position is folded by the time it reads
            resumed.set()
            await produced.wait()
        agui = AguiRun.from_input(await request.json(), run_id="answer-8")
        return StreamResponse(streamer, "ag-ui", after=after, disconnect="keep", agui=agui)

    url = await serve(Starlette(routes=[Route("/agent", run, methods=["POST"])])) + "/agent"
    producer = asyncio.create_task(produce())
    result = await run_node("at", url, position)
    await producer
    (run_at,) = result["resumed"]
    assert run_at["failures"] == []
    assert run_at["connections"] == 2
    types = [event["type"] for event in await read_events(url, headers={"Last-Event-ID": "0"})]
    assert types[:2] == ["RUN_STARTED", "MESSAGES_SNAPSHOT"]  # the position is folded
    reasoning, text = run_at["messages"]
    assert reasoning["content"] == "".join(THOUGHT)
    assert text["content"] == TEXT[0] + "".join(TEXT[1:] * 150)
    assert run_at["messages"] == result["whole"]["messages"]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_proxy_cutting_at_random_bytes_loses_and_doubles_nothing(
    serve: Serve, seed: int
) -> None:
    streamer = Streamer()
    base = await serve(agent_app(streamer))
    proxy = CuttingProxy(int(base.rsplit(":", 1)[1]), cuts=6, seed=seed)
    port = await proxy.start()
    try:
        producer = asyncio.create_task(answer(streamer))
        run = await run_node("whole", f"http://127.0.0.1:{port}/agent")
        await producer
    finally:
        await proxy.close()
    check_answer(run)
    assert proxy.cut > 0
    assert run["connections"] == proxy.cut + 1


async def read_events(url: str, **kwargs: Any) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(url, json={}, **kwargs)
    return [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]


async def test_a_cut_off_tool_call_is_never_offered_as_a_call_to_run(serve: Serve) -> None:
    streamer = Streamer()
    call = streamer.get_value_streamer("tool_call.0", response_model=ToolArguments)
    await call.stream_partial('{"city": "Par')
    await call.stream_complete()
    events = await read_events(await serve(agent_app(streamer)) + "/agent")
    for event in events:
        EVENT.validate_python(event)
    types = [event["type"] for event in events]
    assert "TOOL_CALL_START" in types
    assert "TOOL_CALL_END" not in types
    assert types[-1] == "RUN_ERROR"
    assert events[-1]["code"] == "TOOL_CALL_CUT_OFF"


async def test_a_malformed_position_gets_400(finished: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for bad in ("x", "-1", "999"):
            response = await client.post(finished, json={}, headers={"Last-Event-ID": bad})
            assert response.status_code == 400


async def test_a_hub_answer_is_an_ag_ui_run_for_http_agent(serve: Serve) -> None:
    hub = MemoryHub()
    streamer = Streamer()
    stream_id = hub.register(streamer)
    base = await serve(Starlette(routes=hub_routes(hub)))
    url = f"{base}/streams/{stream_id}?protocol=ag-ui"
    producer = asyncio.create_task(answer(streamer))
    run = await run_node("whole", url)
    await producer
    check_answer(run)
    assert run["events"][0]["runId"] == stream_id
    assert run["events"][0]["threadId"] == "thread-1"  # from HttpAgent's RunAgentInput
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
        assert response.text.startswith("data: {")
        assert (await client.get(url, headers={"Last-Event-ID": "x"})).status_code == 400
        assert (await client.post(f"{base}/streams/{stream_id}", json={})).status_code == 405
        unknown = await client.post(f"{base}/streams/nope?protocol=ag-ui", json={})
        assert unknown.status_code == 204
