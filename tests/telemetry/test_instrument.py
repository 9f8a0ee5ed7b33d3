"""A Streamer's span and metrics, exported in memory by the OpenTelemetry SDK."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openai
import pytest
from opentelemetry.trace import StatusCode

from kavalai import Streamer
from kavalai.providers import Finish
from kavalai.providers.openai import stream_chat_completion
from kavalai.telemetry import instrument
from kavalai.testing.sse import SseRecording, SseReplayServer
from kavalai.wire import RecordReader

from .conftest import Exported

SSE = Path(__file__).parents[1] / "testing" / "recordings" / "chat.sse.jsonl"
PAUSE = 0.05
EARLY = 0.002  # how much sooner than asked the loop's clock may wake


#: The mode attributes of a cumulative text stream named "text".
STREAM = {
    "kavalai.stream.name": "text",
    "kavalai.stream.delta": False,
    "kavalai.stream.structured": False,
}


def instrumented(
    exported: Exported,
    operation: str | None = None,
    provider: str | None = None,
    model: str | None = None,
) -> Streamer:
    streamer = Streamer()
    instrument(
        streamer,
        operation=operation,
        provider=provider,
        model=model,
        tracer_provider=exported.tracer_provider,
        meter_provider=exported.meter_provider,
    )
    return streamer


async def scripted(streamer: Streamer) -> None:
    """A text of three chunks after a pause, then an answer's finish in two."""
    text = streamer.get_value_streamer("text")
    finish = streamer.get_value_streamer("finish", response_model=Finish)
    await asyncio.sleep(PAUSE)
    for chunk in ("Bon", "jour", " ✓"):
        await text.stream_partial(chunk)
        await asyncio.sleep(0)
    await text.stream_complete()
    body = json.dumps({"reason": "stop", "usage": {"prompt_tokens": 9, "completion_tokens": 6}})
    await finish.stream_partial(body[:10])
    await finish.stream_partial(body[10:])
    await finish.stream_complete()


async def test_the_span_carries_the_streams_the_answer_and_the_ending(exported: Exported) -> None:
    streamer = instrumented(exported, operation="chat", provider="openai", model="gpt-test")
    streamer.start(scripted(streamer))
    async with asyncio.timeout(5):
        assert len([message async for message in streamer]) == 7
    (span,) = exported.finished_spans()
    assert span.name == "kavalai.streamer"
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-test",
        "kavalai.streams": ("text", "finish"),
        "kavalai.messages": 7,
        "kavalai.ending": "finished",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 9,
        "gen_ai.usage.output_tokens": 6,
    }
    assert [(event.name, dict(event.attributes or {})) for event in span.events] == [
        (
            "kavalai.stream",
            {
                "kavalai.stream.name": "text",
                "kavalai.stream.delta": False,
                "kavalai.stream.structured": False,
                "kavalai.stream.chunks": 3,
                "kavalai.stream.bytes": 11,
            },
        ),
        (
            "kavalai.stream",
            {
                "kavalai.stream.name": "finish",
                "kavalai.stream.delta": False,
                "kavalai.stream.structured": True,
                "kavalai.stream.chunks": 2,
                "kavalai.stream.bytes": 73,
            },
        ),
    ]
    assert span.status.status_code == StatusCode.UNSET


async def test_each_stream_gets_the_genai_streaming_metrics(exported: Exported) -> None:
    streamer = instrumented(exported, operation="chat")
    streamer.start(scripted(streamer))
    async with asyncio.timeout(5):
        [message async for message in streamer]
    points = exported.points()
    text = {"gen_ai.operation.name": "chat", "kavalai.stream.name": "text"}
    finish = {"gen_ai.operation.name": "chat", "kavalai.stream.name": "finish"}
    first = points["gen_ai.client.operation.time_to_first_chunk"]
    assert [(p.attributes, p.count, p.unit) for p in first] == [(text, 1, "s"), (finish, 1, "s")]
    assert first[0].value >= PAUSE - EARLY
    per_chunk = points["gen_ai.client.operation.time_per_output_chunk"]
    assert [(p.attributes, p.count) for p in per_chunk] == [(text, 1), (finish, 1)]
    assert all(0 <= p.value < first[0].value for p in per_chunk)
    assert [(p.attributes, p.value, p.unit) for p in points["kavalai.stream.chunks"]] == [
        (text, 3, "{chunk}"),
        (finish, 2, "{chunk}"),
    ]
    assert [(p.attributes, p.value) for p in points["kavalai.stream.bytes"]] == [
        (text, 11),
        (finish, 73),
    ]
    usage = points["gen_ai.client.token.usage"]
    assert sorted((p.attributes["gen_ai.token.type"], p.value, p.count) for p in usage) == [
        ("input", 9, 1),
        ("output", 6, 1),
    ]


async def test_each_consumer_gets_its_lag_and_its_time_to_first_message(
    exported: Exported,
) -> None:
    streamer = instrumented(exported)
    text = streamer.get_value_streamer("text")
    prompt, late = streamer.messages(), streamer.messages()
    await text.stream_partial("a")
    assert (await anext(prompt)).value == "a"
    await asyncio.sleep(PAUSE)  # the late consumer's first message waits that long
    await text.stream_complete()
    async with asyncio.timeout(5):
        assert [message.type async for message in late] == ["partial", "complete"]
        assert [message.type async for message in prompt] == ["complete"]
    points = exported.points()
    lags = sorted(point.value for point in points["kavalai.consumer.lag"])
    assert [point.count for point in points["kavalai.consumer.lag"]] == [2]
    firsts = points["kavalai.consumer.time_to_first_message"]
    assert [point.count for point in firsts] == [2]
    assert firsts[0].value >= PAUSE - EARLY  # the sum: the late one's alone is that long
    assert lags[0] >= PAUSE - EARLY


async def test_a_failure_sets_the_spans_status_and_error_type(exported: Exported) -> None:
    streamer = instrumented(exported)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("half")
    await streamer.stream_error(ConnectionError("the model went away"))
    with pytest.raises(ConnectionError):
        [message async for message in streamer]
    (span,) = exported.finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "the model went away"
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ConnectionError"
    assert span.attributes["kavalai.ending"] == "failed"
    assert [event.name for event in span.events] == ["kavalai.stream", "exception"]


async def test_a_restart_is_an_event_of_the_span(exported: Exported) -> None:
    streamer = instrumented(exported)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("draft")
    await streamer.stream_restart("retry")
    await text.stream_complete()
    (span,) = exported.finished_spans()
    assert [(event.name, dict(event.attributes or {})) for event in span.events] == [
        ("kavalai.restart", {"kavalai.position": 1}),
        ("kavalai.stream", {**STREAM, "kavalai.stream.chunks": 1, "kavalai.stream.bytes": 5}),
    ]


async def test_the_openai_adapters_answer_lands_under_the_genai_names(exported: Exported) -> None:
    streamer = instrumented(exported, operation="chat", provider="openai", model="gpt-test")
    async with SseReplayServer(SseRecording.load(SSE)) as server, asyncio.timeout(10):
        client = openai.AsyncOpenAI(api_key="test", base_url=f"{server.url}/v1", max_retries=0)
        async with client:
            request = client.chat.completions.create(
                model="gpt-test",
                messages=[{"role": "user", "content": "Say hello in French."}],
                stream=True,
                stream_options={"include_usage": True},
            )
            streamer.start(stream_chat_completion(request, streamer))
            [message async for message in streamer]
    (span,) = exported.finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] == 9
    assert attributes["gen_ai.usage.output_tokens"] == 6
    assert attributes["kavalai.streams"] == ("text", "finish")
    chunks = {
        p.attributes["kavalai.stream.name"]: p.value
        for p in exported.points()["kavalai.stream.chunks"]
    }
    assert chunks["text"] == 5


async def test_a_streamer_not_instrumented_exports_nothing(exported: Exported) -> None:
    streamer = Streamer()
    await scripted(streamer)
    [message async for message in streamer]
    assert exported.finished_spans() == ()
    assert exported.points() == {}


async def test_a_retired_stream_and_one_cut_off_still_get_their_event(exported: Exported) -> None:
    streamer = instrumented(exported)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("draft")
    await streamer.stream_restart("retry")
    streamer.reset_active()
    again = streamer.get_value_streamer("text")
    notes = streamer.get_value_streamer("notes")
    await again.stream_partial("final")
    await again.stream_complete()
    await notes.stream_partial("cut")
    await streamer.aclose()
    (span,) = exported.finished_spans()
    events = [dict(event.attributes or {}) for event in span.events]
    assert [(e.get("kavalai.stream.name"), e.get("kavalai.stream.bytes")) for e in events] == [
        (None, None),  # the restart
        ("text", 5),
        ("text", 5),
        ("notes", 3),
    ]
    assert dict(span.attributes or {})["kavalai.streams"] == ("text", "text", "notes")
    assert dict(span.attributes or {})["kavalai.ending"] == "closed"


async def test_a_transport_and_a_consumer_that_left_early_get_their_lag_once(
    exported: Exported,
) -> None:
    streamer = instrumented(exported)
    text = streamer.get_value_streamer("text", stream_delta=True)
    transport, leaving = RecordReader(streamer), streamer.messages()
    for chunk in "abc":
        await text.stream_partial(chunk)
    assert (await anext(leaving)).value == "a"
    await leaving.aclose()
    async with asyncio.timeout(5):
        assert [record.kind for record in await transport.read()] == ["stream", "partial"]
        await text.stream_complete()
        while not transport.done:
            await transport.read()
    (lags,) = exported.points()["kavalai.consumer.lag"]
    assert lags.count == 2
    (firsts,) = exported.points()["kavalai.consumer.time_to_first_message"]
    assert firsts.count == 2
