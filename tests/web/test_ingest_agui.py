"""AG-UI in: pydantic-ai's AGUIAdapter under uvicorn, and ag_ui.core events, into a Streamer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable

import httpx
from ag_ui.core import (
    BaseEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateDeltaEvent,
    StateSnapshotEvent,
    StepStartedEvent,
    TextMessageChunkEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallChunkEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

from kavalai import StreamContent, Streamer
from kavalai.web import IngestPart, RunFinish, ingest_name, read_ag_ui

from ..conftest import Consumer, Serve
from .agent_app import (
    AG_UI_BODY,
    ARGUMENT_PIECES,
    STATE_SNAPSHOT,
    Produced,
    agent_app,
)


def finals(messages: Iterable[StreamContent]) -> dict[str, str | None]:
    """Each stream's final value, by name."""
    return {
        message.name: message.value
        for message in messages
        if message.type == "complete" and message.name is not None
    }


async def test_a_pydantic_ai_run_reads_into_the_values_the_agent_produced(
    serve: Serve, consumer: Consumer
) -> None:
    produced = Produced()
    base = await serve(agent_app(produced))
    streamer = Streamer()
    streamer.start(read_ag_ui(f"{base}/ag-ui", streamer, body=AG_UI_BODY))
    consumed = await consumer.consume(streamer)
    assert consumed.error is None
    final = finals(consumed.messages)
    assert set(final) == {"reasoning", "tool_calls", "tool_call.0", "state", "text", "finish"}
    [call] = produced.calls()
    assert final["text"] == "".join(produced.texts()) == "It is sunny in Paris."
    assert final["reasoning"] == "".join(produced.thoughts()) == "Let me look it up."
    assert json.loads(final["tool_call.0"] or "") == call.args_as_dict()
    assert json.loads(final["tool_calls"] or "") == [
        {"stream": "tool_call.0", "id": call.tool_call_id, "name": call.tool_name}
    ]
    assert json.loads(final["state"] or "") == {
        **STATE_SNAPSHOT,
        "forecast": [{"day": 1, "sky": "sun"}],
        "temperature": 21,
    }
    assert RunFinish.model_validate_json(final["finish"] or "") == RunFinish(outcome="success")
    arguments = [m.value for m in consumed.messages if m.name == "tool_call.0"]
    assert len(arguments) > len(ARGUMENT_PIECES) // 2  # read as it came, not only at the end
    assert consumed.messages[-1].name == "finish"


async def test_closing_the_streamer_closes_the_request_and_the_agent_stops(serve: Serve) -> None:
    produced = Produced()
    base = await serve(agent_app(produced, endless=True))
    streamer = Streamer()
    streamer.start(read_ag_ui(f"{base}/ag-ui", streamer, body=AG_UI_BODY))
    first = await asyncio.wait_for(anext(aiter(streamer.messages())), 10)
    assert (first.name, first.value) == ("text", "Thinking...")
    await streamer.aclose()
    await asyncio.wait_for(produced.stopped.wait(), 10)


async def test_names_choose_every_stream_name(serve: Serve) -> None:
    base = await serve(agent_app(Produced()))
    streamer = Streamer()

    def names(part: IngestPart) -> str:
        return f"weather.{ingest_name(part)}"

    async with httpx.AsyncClient() as client:
        streamer.start(
            read_ag_ui(f"{base}/ag-ui", streamer, body=AG_UI_BODY, client=client, names=names)
        )
        messages = [message async for message in streamer]
        assert not client.is_closed  # a client passed in stays the caller's
    assert {message.name for message in messages} == {
        "weather.reasoning",
        "weather.tool_calls",
        "weather.tool_call.0",
        "weather.state",
        "weather.text",
        "weather.finish",
    }
    listing = finals(messages)["weather.tool_calls"] or ""
    assert json.loads(listing)[0]["stream"] == "weather.tool_call.0"


class Events:
    """An async iterable of events that notes whether it was closed."""

    def __init__(self, events: list[BaseEvent | dict[str, object]]) -> None:
        self.events = events
        self.closed = False

    def __aiter__(self) -> AsyncIterator[BaseEvent | dict[str, object]]:
        return self._generate()

    async def _generate(self) -> AsyncIterator[BaseEvent | dict[str, object]]:
        try:
            for event in self.events:
                yield event
        finally:
            self.closed = True


async def iterable_events() -> AsyncIterator[BaseEvent]:
    yield RunStartedEvent(thread_id="t", run_id="r")
    yield StepStartedEvent(step_name="plan")
    yield TextMessageChunkEvent(message_id="m1", role="assistant", delta="Hel")
    yield TextMessageChunkEvent(delta="lo")
    yield ToolCallChunkEvent(tool_call_id="c1", tool_call_name="search", delta='{"q": ')
    yield ToolCallChunkEvent(delta='"moons"}')
    yield ToolCallResultEvent(message_id="t1", tool_call_id="c1", content="95")
    yield ReasoningMessageStartEvent(message_id="r1", role="reasoning")
    yield ReasoningMessageContentEvent(message_id="r1", delta="Count them.")
    yield ReasoningMessageEndEvent(message_id="r1")
    yield ToolCallStartEvent(tool_call_id="c2", tool_call_name="ping")
    yield ToolCallEndEvent(tool_call_id="c2")
    yield TextMessageStartEvent(message_id="m2", role="assistant")
    yield TextMessageContentEvent(message_id="m2", delta="95 moons.")
    yield StateSnapshotEvent(snapshot={"moons": 0})
    yield StateDeltaEvent.model_validate(
        {"delta": [{"op": "replace", "path": "/moons", "value": 95}]}
    )
    yield TextMessageEndEvent(message_id="m2")
    yield ToolCallStartEvent(tool_call_id="c3", tool_call_name="late")
    yield ToolCallArgsEvent(tool_call_id="c3", delta='{"cut": ')
    yield RunFinishedEvent(thread_id="t", run_id="r", result={"answer": 95})


async def test_ag_ui_core_events_read_directly(consumer: Consumer) -> None:
    streamer = Streamer()
    streamer.start(read_ag_ui(iterable_events(), streamer))
    consumed = await consumer.consume(streamer)
    assert consumed.error is None
    final = finals(consumed.messages)
    assert final["text"] == "Hello"
    assert final["text.1"] == "95 moons."
    assert final["reasoning"] == "Count them."
    assert json.loads(final["tool_call.0"] or "") == {"q": "moons"}
    assert json.loads(final["tool_call.1"] or "") == {}  # a call without arguments
    assert final["tool_call.2"] == '{"cut": '
    assert [call["id"] for call in json.loads(final["tool_calls"] or "")] == ["c1", "c2", "c3"]
    assert json.loads(final["state"] or "") == {"moons": 0}
    assert json.loads(final["state.1"] or "") == {"moons": 95}
    assert RunFinish.model_validate_json(final["finish"] or "") == RunFinish(
        outcome="success", unfinished=["tool_call.2"], result={"answer": 95}
    )


async def test_the_iterable_is_closed_and_nothing_after_the_run_is_read() -> None:
    events = Events(
        [
            {"type": "RUN_STARTED", "threadId": "t", "runId": "r"},
            {"type": "TEXT_MESSAGE_START", "messageId": "m"},
            {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "done"},
            {"type": "TEXT_MESSAGE_END", "messageId": "m"},
            {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
            {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "never read"},
        ]
    )
    streamer = Streamer()
    streamer.start(read_ag_ui(events, streamer))
    final = finals([message async for message in streamer])
    assert final["text"] == "done"
    assert events.closed


async def test_an_interrupted_run_says_what_it_waits_for() -> None:
    interrupt = {"id": "i1", "reason": "approval", "toolCallId": "c1"}
    usage = [{"provider": "p", "model": "m", "inputTokens": 3, "outputTokens": 5}]
    finished = RunFinishedEvent.model_validate(
        {
            "threadId": "t",
            "runId": "r",
            "outcome": {"type": "interrupt", "interrupts": [interrupt]},
            "usage": usage,
        }
    )
    streamer = Streamer()
    streamer.start(read_ag_ui(Events([finished]), streamer))
    async with asyncio.timeout(10):
        final = finals([message async for message in streamer])
    assert RunFinish.model_validate_json(final["finish"] or "") == RunFinish.model_validate(
        {"outcome": "interrupt", "interrupts": [interrupt], "usage": usage}
    )


async def test_a_delta_before_any_snapshot_patches_the_state_of_the_run_input() -> None:
    events: list[BaseEvent | dict[str, object]] = [
        {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/items/-", "value": "b"}]},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
    ]
    streamer = Streamer()
    streamer.start(read_ag_ui(Events(events), streamer, initial_state={"items": ["a"]}))
    final = finals([message async for message in streamer])
    assert json.loads(final["state"] or "") == {"items": ["a", "b"]}


async def test_the_run_input_and_the_events_are_left_as_they_were() -> None:
    snapshot = {"items": [{"n": 1}]}
    added = {"n": 2}
    events: list[BaseEvent | dict[str, object]] = [
        {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/items/-", "value": added}]},
        {"type": "STATE_SNAPSHOT", "snapshot": snapshot},
        {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/items/0/m", "value": 0}]},
        {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/items/-", "value": added}]},
        {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/items/1/m", "value": 0}]},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
    ]
    body = {"threadId": "t", "runId": "r", "messages": [], "state": {"items": []}}
    streamer = Streamer()
    streamer.start(read_ag_ui(Events(events), streamer, body=body))
    async with asyncio.timeout(10):
        final = finals([message async for message in streamer])
    assert json.loads(final["state"] or "") == {"items": [{"n": 2}]}
    assert json.loads(final["state.1"] or "") == {"items": [{"n": 1, "m": 0}, {"n": 2, "m": 0}]}
    assert body["state"] == {"items": []}
    assert (snapshot, added) == ({"items": [{"n": 1}]}, {"n": 2})


async def test_pydantic_ais_pre_1_0_thinking_events_read_as_reasoning(serve: Serve) -> None:
    produced = Produced()
    base = await serve(agent_app(produced))
    streamer = Streamer()
    streamer.start(read_ag_ui(f"{base}/ag-ui-0.1.10", streamer, body=AG_UI_BODY))
    async with asyncio.timeout(10):
        final = finals([message async for message in streamer])
    assert final["reasoning"] == "".join(produced.thoughts()) == "Let me look it up."
    assert final["text"] == "".join(produced.texts())


async def test_pre_1_0_thinking_messages_read_as_reasoning() -> None:
    events: list[BaseEvent | dict[str, object]] = [
        {"type": "THINKING_START"},
        {"type": "THINKING_TEXT_MESSAGE_START"},
        {"type": "THINKING_TEXT_MESSAGE_CONTENT", "delta": "Hmm."},
        {"type": "THINKING_TEXT_MESSAGE_END"},
        {"type": "THINKING_END"},
        {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"},
    ]
    streamer = Streamer()
    streamer.start(read_ag_ui(Events(events), streamer))
    assert finals([message async for message in streamer])["reasoning"] == "Hmm."
