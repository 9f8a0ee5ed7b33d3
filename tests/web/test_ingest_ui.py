"""UI message stream in: pydantic-ai's VercelAIAdapter under uvicorn, kavalai's own, and chunks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kavalai import Streamer
from kavalai.web import RunFinish, StreamResponse, read_ui_message_stream

from ..conftest import Consumer, Serve
from .agent_app import CHAT_BODY, Produced, agent_app
from .test_ingest_agui import finals


async def test_a_pydantic_ai_chat_reads_into_the_values_the_agent_produced(
    serve: Serve, consumer: Consumer
) -> None:
    produced = Produced()
    base = await serve(agent_app(produced))
    streamer = Streamer()
    streamer.start(read_ui_message_stream(f"{base}/chat", streamer, body=CHAT_BODY))
    consumed = await asyncio.wait_for(consumer.consume(streamer), 10)
    assert consumed.error is None
    final = finals(consumed.messages)
    assert set(final) == {"reasoning", "tool_calls", "tool_call.0", "text", "finish"}
    [call] = produced.calls()
    assert final["text"] == "".join(produced.texts()) == "It is sunny in Paris."
    assert final["reasoning"] == "".join(produced.thoughts())
    assert json.loads(final["tool_call.0"] or "") == call.args_as_dict()
    assert json.loads(final["tool_calls"] or "") == [
        {"stream": "tool_call.0", "id": call.tool_call_id, "name": "weather"}
    ]
    assert RunFinish.model_validate_json(final["finish"] or "").unfinished == []


async def test_closing_the_streamer_stops_the_chat(serve: Serve) -> None:
    produced = Produced()
    base = await serve(agent_app(produced, endless=True))
    streamer = Streamer()
    streamer.start(read_ui_message_stream(f"{base}/chat", streamer, body=CHAT_BODY))
    first = await asyncio.wait_for(anext(aiter(streamer.messages())), 10)
    assert first.value == "Thinking..."
    await streamer.aclose()
    await asyncio.wait_for(produced.stopped.wait(), 10)


async def test_kavalais_own_ui_message_stream_reads_back(serve: Serve) -> None:
    served = Streamer(stream_delta=True)
    thought = served.get_value_streamer("thought")
    answer = served.get_value_streamer("answer")
    call = served.get_value_streamer("call_1", response_model=RunFinish)
    result = served.get_value_streamer("result", response_model=RunFinish)

    async def endpoint(request: Request) -> Response:
        return StreamResponse(
            served, "ui", reasoning={"thought"}, tool_calls={"call_1": "find_planet"}
        )

    base = await serve(Starlette(routes=[Route("/chat", endpoint)]))
    for chunk in ("Let me ", "think."):
        await thought.stream_partial(chunk)
    await thought.stream_complete()
    for chunk in ('{"outcome": "Jup', 'iter"}'):
        await call.stream_partial(chunk)
    await call.stream_complete()
    await answer.stream_partial("Jupiter.")
    await answer.stream_complete()
    text = json.dumps({"outcome": "J" * 5_000, "unfinished": ["a", "b"]})
    for offset in range(0, len(text), 16):
        await result.stream_partial(text[offset : offset + 16])
    await result.stream_complete()
    streamer = Streamer()
    streamer.start(read_ui_message_stream(f"{base}/chat", streamer))
    async with asyncio.timeout(10):
        final = finals([message async for message in streamer])
    assert final["reasoning"] == "Let me think."
    assert final["text"] == "Jupiter."
    assert json.loads(final["tool_call.0"] or "") == {"outcome": "Jupiter"}
    assert json.loads(final["tool_calls"] or "")[0]["name"] == "find_planet"
    assert json.loads(final["data.result"] or "") == json.loads(text)
    assert [name for name in final if name.startswith("data.")] == ["data.result"]


async def chunks() -> AsyncIterator[dict[str, object]]:
    yield {"type": "start", "messageId": "a1"}
    yield {"type": "start-step"}
    yield {"type": "reasoning-start", "id": "r"}
    yield {"type": "reasoning-delta", "id": "r", "delta": "Hm."}
    yield {"type": "reasoning-end", "id": "r"}
    yield {"type": "tool-input-available", "toolCallId": "c1", "toolName": "f", "input": {"a": 1}}
    yield {"type": "tool-input-start", "toolCallId": "c2", "toolName": "g"}
    yield {"type": "tool-input-delta", "toolCallId": "c2", "inputTextDelta": '{"b": tru'}
    yield {"type": "tool-input-error", "toolCallId": "c2", "toolName": "g", "errorText": "bad"}
    yield {"type": "tool-output-available", "toolCallId": "c1", "output": 2}
    yield {"type": "text-start", "id": "t1"}
    yield {"type": "text-delta", "id": "t1", "delta": "One."}
    yield {"type": "text-end", "id": "t1"}
    yield {"type": "text-start", "id": "t2"}
    yield {"type": "text-delta", "id": "t2", "delta": "Two."}
    yield {"type": "finish-step"}
    yield {"type": "finish", "finishReason": "tool-calls"}


async def data_chunks() -> AsyncIterator[dict[str, object]]:
    yield {"type": "data-weather", "id": "w1", "data": {"sky": "su"}}
    yield {"type": "data-weather", "id": "w1", "data": {"sky": "sun", "temp": 21}}
    yield {"type": "data-note", "data": "a part of its own"}
    yield {"type": "data-weather", "id": "w2", "data": [1]}
    yield {"type": "data-weather", "id": "w1", "data": {"sky": "rain"}}
    yield {"type": "data-weather", "id": "w2", "data": [1, 2], "transient": True}
    yield {"type": "finish"}


async def test_data_parts_are_replaced_by_id_and_grown_in_place() -> None:
    streamer = Streamer(stream_delta=True)
    streamer.start(read_ui_message_stream(data_chunks(), streamer))
    async with asyncio.timeout(10):
        messages = [message async for message in streamer]
    chunks: dict[str, str] = {}
    for message in messages:
        if message.type == "partial" and message.name is not None:
            chunks[message.name] = chunks.get(message.name, "") + (message.value or "")
    assert {name: json.loads(text) for name, text in chunks.items() if name != "finish"} == {
        "data.weather": {"sky": "sun", "temp": 21},  # w1, grown in place
        "data.note": "a part of its own",
        "data.weather.1": [1, 2],  # w2, grown in place
        "data.weather.2": {"sky": "rain"},  # w1 again, taken back
    }
    assert chunks["data.weather.1"] == "[1 , 2 ]"  # one stream, grown


async def test_chunks_read_directly(consumer: Consumer) -> None:
    streamer = Streamer()
    streamer.start(read_ui_message_stream(chunks(), streamer))
    consumed = await asyncio.wait_for(consumer.consume(streamer), 10)
    assert consumed.error is None
    final = finals(consumed.messages)
    assert (final["reasoning"], final["text"], final["text.1"]) == ("Hm.", "One.", "Two.")
    assert json.loads(final["tool_call.0"] or "") == {"a": 1}  # sent whole
    assert final["tool_call.1"] == '{"b": tru'
    assert RunFinish.model_validate_json(final["finish"] or "") == RunFinish(
        outcome="tool-calls", unfinished=["tool_call.1"]
    )
