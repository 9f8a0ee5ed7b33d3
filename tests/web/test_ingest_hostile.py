"""Hostile input on the way in: a loopback server sending bad bytes, read by every consumer.

Each bad stream ends the Streamer with an error that says where and what to
do, after the messages before it, for every consumer at once; documented
skips go on reading. Nothing hangs: every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest

from kavalai import EventStreamError, ResponseFailedError, Streamer
from kavalai.web import RunFinish, _ingest_source, read_ag_ui, read_ui_message_stream

from ..conftest import Consumed, Consumer
from .conftest import StartRaw

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"


def sse(*events: object) -> bytes:
    return b"".join(f"data: {json.dumps(event)}\n\n".encode() for event in events)


START = {"type": "TEXT_MESSAGE_START", "messageId": "m"}
CONTENT = {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "Hel"}
FINISHED = {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"}
CALL = {"type": "TOOL_CALL_START", "toolCallId": "c", "toolCallName": "f"}
CALL_END = {"type": "TOOL_CALL_END", "toolCallId": "c"}

BAD_AG_UI = {
    "not JSON": (
        sse(START) + b"data: {not json\n\n",
        r"event 2: the event '\{not json' is not JSON; the agent broke the protocol",
    ),
    "not an object": (sse([1, 2]), r"event 1: the event \[1, 2\] is not a JSON object"),
    "no type": (
        sse({"messageId": "m"}),
        r"event 1: the event \{\"messageId\": \"m\"\} has no type",
    ),
    "content before start": (
        sse(CONTENT),
        r"event 1 \(TEXT_MESSAGE_CONTENT\): text message 'm' has content before its start",
    ),
    "end without start": (
        sse({"type": "TEXT_MESSAGE_END", "messageId": "m"}),
        r"text message 'm' ends without a start",
    ),
    "start twice": (sse(START, START), r"event 2 .*text message 'm' started again before it ended"),
    "arguments without start": (
        sse({"type": "TOOL_CALL_ARGS", "toolCallId": "c", "delta": "{}"}),
        r"tool call 'c' has arguments without a start",
    ),
    "call ended twice": (sse(CALL, CALL_END, CALL_END), r"tool call 'c' ends after it ended"),
    "call started twice": (sse(CALL, CALL_END, CALL), r"tool call 'c' started a second time"),
    "field missing": (
        sse(START, {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m"}),
        r"has no delta string",
    ),
    "field of the wrong type": (
        sse({"type": "TEXT_MESSAGE_START", "messageId": 7}),
        r"has no messageId string",
    ),
    "delta that does not apply": (
        sse({"type": "STATE_DELTA", "delta": [{"op": "remove", "path": "/x"}]}),
        r"the state delta does not apply: nothing is at '/x'; the agent's state and its deltas",
    ),
    "delta that is no patch": (
        sse({"type": "STATE_DELTA", "delta": {"x": 1}}),
        r"the state delta \{'x': 1\} is not a JSON Patch",
    ),
    "snapshot without snapshot": (sse({"type": "STATE_SNAPSHOT"}), r"has no snapshot"),
    "snapshot that is not JSON": (
        b'data: {"type": "STATE_SNAPSHOT", "snapshot": {"t": NaN}}\n\n',
        r"the state snapshot is not JSON: Out of range float values",
    ),
    "delta that adds what is not JSON": (
        b'data: {"type": "STATE_DELTA", "delta": [{"op": "add", "path": "/t", "value": -Infinity}]}'
        b"\n\n",
        r"the state delta does not apply: Out of range float values",
    ),
    "chunk continuing nothing": (
        sse({"type": "TEXT_MESSAGE_CHUNK", "delta": "x"}),
        r"continues no chunk and has no messageId",
    ),
    "stopped between events": (
        sse(START, CONTENT),
        r"it ended after 2 events, before RUN_FINISHED or RUN_ERROR \(streams open: 'text'\); "
        r"the connection was cut or the agent stopped: retry the run",
    ),
    "stopped inside an event": (
        sse(START, CONTENT) + b'data: {"type": "TEXT_MESSAGE_CONTENT",\n',
        r"the body ended inside an event; the server stopped mid-event",
    ),
    "stopped inside a line": (
        sse(START, CONTENT) + b'data: {"type": "TEXT_MESS',
        r"it ended after 2 events, before RUN_FINISHED",
    ),
}


async def drain(streamer: Streamer) -> None:
    """Read a Streamer to its end, for ten seconds at most."""
    async with asyncio.timeout(10):
        async for _ in streamer:
            pass


async def read_both_ways(streamer: Streamer, consumer: Consumer) -> tuple[Consumed, Consumed]:
    """What the fixture's consumer and a second ``async for`` consumer got, read at once."""
    other = Consumer("async_for").start(streamer)
    first = consumer.start(streamer)
    done = await asyncio.wait_for(asyncio.gather(first, other), 10)
    return done[0], done[1]


@pytest.mark.parametrize("case", list(BAD_AG_UI))
async def test_a_bad_ag_ui_stream_fails_every_consumer_saying_where(
    raw_server: StartRaw, consumer: Consumer, case: str
) -> None:
    body, message = BAD_AG_UI[case]
    _, base = await raw_server(HEAD + body)
    streamer = Streamer()
    streamer.start(read_ag_ui(f"{base}/run", streamer, body={"messages": []}))
    for consumed in await read_both_ways(streamer, consumer):
        assert isinstance(consumed.error, EventStreamError)
        assert consumed.error.source == f"{base}/run"
        assert re.search(message, str(consumed.error)), str(consumed.error)


async def test_the_messages_before_a_cut_arrive_before_its_error(
    raw_server: StartRaw, consumer: Consumer
) -> None:
    _, base = await raw_server(HEAD + BAD_AG_UI["stopped inside an event"][0])
    streamer = Streamer(stream_delta=True)
    streamer.start(read_ag_ui(base, streamer))
    consumed = await asyncio.wait_for(consumer.consume(streamer), 10)
    assert [(message.name, message.value) for message in consumed.messages] == [("text", "Hel")]
    assert isinstance(consumed.error, EventStreamError)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n"
            b"Connection: close\r\n\r\nboom",
            r"the server answered 500 Internal Server Error: 'boom'; check the URL",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html>",
            r"content type 'text/html', not text/event-stream; check that the URL is",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n40\r\ndata: {",
            r"the connection failed: RemoteProtocolError",
        ),
    ],
)
async def test_a_bad_answer_fails_the_streamer_saying_what(
    raw_server: StartRaw, answer: bytes, message: str
) -> None:
    _, base = await raw_server(answer)
    streamer = Streamer()
    streamer.start(read_ag_ui(base, streamer, body={}))
    with pytest.raises(EventStreamError, match=message):
        await drain(streamer)


async def test_a_bad_event_closes_the_connection_at_once(raw_server: StartRaw) -> None:
    server, base = await raw_server(HEAD + sse(CONTENT), hold=True)
    streamer = Streamer()
    streamer.start(read_ag_ui(base, streamer))
    with pytest.raises(EventStreamError):
        await drain(streamer)
    await asyncio.wait_for(server.peer_closed.wait(), 10)


async def test_a_server_that_stalls_mid_event_fails_at_the_clients_read_timeout(
    raw_server: StartRaw,
) -> None:
    _, base = await raw_server(HEAD + sse(START) + b'data: {"type": "TEXT_MESSAGE', hold=True)
    streamer = Streamer()
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.2)) as client:
        streamer.start(read_ag_ui(base, streamer, client=client))
        with pytest.raises(EventStreamError, match="the connection failed: ReadTimeout"):
            await drain(streamer)


@pytest.mark.parametrize(
    "body",
    [b"data: " + b"x" * 5_000, b"data: x\n" * 1_000],
    ids=["one endless line", "endless data lines"],
)
async def test_an_endless_event_fails_the_streamer_rather_than_fill_memory(
    raw_server: StartRaw, monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    monkeypatch.setattr(_ingest_source, "MAX_EVENT_CHARS", 1_000)
    _, base = await raw_server(HEAD + body, hold=True)
    streamer = Streamer()
    streamer.start(read_ag_ui(base, streamer))
    with pytest.raises(EventStreamError, match="an event is longer than 1,000 characters"):
        await drain(streamer)


async def test_unknown_events_comments_and_bad_bytes_are_read_past(raw_server: StartRaw) -> None:
    body = (
        b": a comment\r\n\r\n"
        + b"event: message\rid: 1\rdata: "
        + json.dumps(START).encode()
        + b"\r\r"
        + b'data: {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "caf\xff"}\n\n'
        + sse(
            {"type": "SOMETHING_NEW", "payload": [1]},
            {"type": "MESSAGES_SNAPSHOT", "messages": []},
            {"type": "CUSTOM", "name": "x", "value": 1},
            {"type": "TEXT_MESSAGE_END", "messageId": "m"},
            FINISHED,
        )
    )
    _, base = await raw_server(HEAD + body)
    streamer = Streamer()
    streamer.start(read_ag_ui(base, streamer))
    async with asyncio.timeout(10):
        final = {m.name: m.value async for m in streamer if m.type == "complete"}
    assert final["text"] == "caf\ufffd"  # not UTF-8: replaced, as SSE decoding does
    assert RunFinish.model_validate_json(final["finish"] or "").outcome == "success"


async def test_run_error_fails_the_streamer_with_its_code_and_message(
    raw_server: StartRaw, consumer: Consumer
) -> None:
    error = {"type": "RUN_ERROR", "message": "model overloaded", "code": "overloaded"}
    _, base = await raw_server(HEAD + sse(START, CONTENT, error))
    streamer = Streamer()
    streamer.start(read_ag_ui(base, streamer))
    for consumed in await read_both_ways(streamer, consumer):
        assert isinstance(consumed.error, ResponseFailedError)
        assert (consumed.error.code, consumed.error.message) == ("overloaded", "model overloaded")
        assert [message.value for message in consumed.messages] == ["Hel"]


BAD_UI = {
    "delta before start": (
        sse({"type": "text-delta", "id": "t", "delta": "x"}),
        r"event 1 \(text-delta\): text message 't' has content before its start",
    ),
    "stopped before finish": (
        sse({"type": "start"}, {"type": "text-start", "id": "t"}),
        r"it ended after 2 events, before its finish chunk",
    ),
    "delta of no call": (
        sse({"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": "{"}),
        r"tool call 'c' has arguments without a start",
    ),
    "not JSON": (b"data: <html>\n\n", r"the event '<html>' is not JSON"),
    "data without data": (sse({"type": "data-x", "id": "a"}), r"has no data"),
    "tool input that is not JSON": (
        b'data: {"type": "tool-input-available", "toolCallId": "c", "toolName": "f", '
        b'"input": {"x": NaN}}\n\n',
        r"the input of tool call 'c' is not JSON",
    ),
    "data id not a string": (sse({"type": "data-x", "id": 1, "data": 1}), r"is not a string"),
}


@pytest.mark.parametrize("case", list(BAD_UI))
async def test_a_bad_ui_message_stream_fails_every_consumer_saying_where(
    raw_server: StartRaw, consumer: Consumer, case: str
) -> None:
    body, message = BAD_UI[case]
    _, base = await raw_server(HEAD + body)
    streamer = Streamer()
    streamer.start(read_ui_message_stream(base, streamer))
    for consumed in await read_both_ways(streamer, consumer):
        assert isinstance(consumed.error, EventStreamError)
        assert re.search(message, str(consumed.error)), str(consumed.error)


async def test_a_ui_error_chunk_fails_the_streamer_and_unknowns_are_skipped(
    raw_server: StartRaw,
) -> None:
    body = sse(
        {"type": "start"},
        {"type": "data-weather", "data": {"sky": "sun"}},
        {"type": "text-start", "id": "t"},
        {"type": "text-delta", "id": "t", "delta": "Half"},
        {"type": "something-new"},
        {"type": "error", "errorText": "rate limited"},
    )
    _, base = await raw_server(HEAD + body)
    streamer = Streamer()
    streamer.start(read_ui_message_stream(base, streamer))
    consumed = await asyncio.wait_for(Consumer("async_for").consume(streamer), 10)
    assert isinstance(consumed.error, ResponseFailedError)
    assert "failed with an error: rate limited" in str(consumed.error)
    assert [(m.name, m.value) for m in consumed.messages if m.name == "text"] == [("text", "Half")]
