"""kavalai's SSE and NDJSON over a real uvicorn server, read by httpx and by connect()."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kavalai import RemoteStreamError, StreamClosedError, StreamContent, Streamer
from kavalai.web import StreamResponse, connect, sse, stream_response
from kavalai.wire import Record

from ..conftest import Serve
from .conftest import CuttingProxy


class Person(BaseModel):
    name: str
    birth_year: int


def keys(messages: list[StreamContent]) -> list[tuple[str, str, str | None]]:
    return [(message.type, message.name, message.value) for message in messages]


async def every_kind(streamer: Streamer) -> None:
    """Push a bit of everything: cumulative and delta text, a structured value, a restart."""
    text = streamer.get_value_streamer("text")
    deltas = streamer.get_value_streamer("deltas", stream_delta=True)
    person = streamer.get_value_streamer("person", response_model=Person)
    await text.stream_partial("Hello,")
    await deltas.stream_partial("a")
    await person.stream_partial('{"name": "Ti')
    await text.stream_partial(" world!")
    await streamer.stream_restart("retrying")
    streamer.reset_active()
    text = streamer.get_value_streamer("text")
    person = streamer.get_value_streamer("person", response_model=Person)
    await text.stream_partial("Hello again")
    await person.stream_partial('{"name": "Timo", "birth_year": 19')
    await person.stream_partial("86}")
    await person.stream_complete()
    await text.stream_complete()


def app_for(streamer: Streamer, **options: object) -> Starlette:
    async def endpoint(request: Request) -> Response:
        protocol = request.query_params.get("protocol", "sse")
        return stream_response(request, streamer, protocol, **options)  # type: ignore[arg-type]

    return Starlette(routes=[Route("/stream", endpoint)])


async def sse_records(client: httpx.AsyncClient, url: str, **headers: str) -> list[Record]:
    records: list[Record] = []
    async with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"].startswith("no-cache")
        assert response.headers["x-accel-buffering"] == "no"
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                records.append(Record.from_json(line.removeprefix("data: ")))
    return records


async def test_connect_rebuilds_every_kind_of_message_a_local_consumer_sees(serve: Serve) -> None:
    streamer = Streamer()
    base = await serve(app_for(streamer))
    await every_kind(streamer)
    local = [message async for message in streamer]
    async with connect(f"{base}/stream") as remote:
        rebuilt = [message async for message in remote]
    assert keys(rebuilt) == keys(local)


async def test_connect_follows_a_live_answer(serve: Serve) -> None:
    streamer = Streamer()
    base = await serve(app_for(streamer))
    async with connect(f"{base}/stream") as remote:
        following = asyncio.ensure_future(_collect(remote))
        await every_kind(streamer)
        rebuilt = await following
    assert keys(rebuilt) == keys([message async for message in streamer])


async def _collect(streamer: Streamer) -> list[StreamContent]:
    return [message async for message in streamer]


async def test_the_error_reaches_the_remote_consumer_by_type_and_message(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(app_for(streamer))
    result = streamer.get_value_streamer("result")
    await result.stream_partial("half")
    await streamer.stream_error(ConnectionError("model went away"))
    async with connect(f"{base}/stream") as remote:
        iterator = aiter(remote)
        assert (await anext(iterator)).value == "half"
        with pytest.raises(RemoteStreamError, match="ConnectionError: model went away") as caught:
            await anext(iterator)
    assert caught.value.type_name == "ConnectionError"


async def test_sse_events_carry_ids_kinds_and_raw_chunks(serve: Serve) -> None:
    streamer = Streamer()
    base = await serve(app_for(streamer))
    text = streamer.get_value_streamer("text")
    for chunk in ("a", "b", "c"):
        await text.stream_partial(chunk)
    await text.stream_complete()
    async with httpx.AsyncClient() as client, client.stream("GET", f"{base}/stream") as response:
        body = (await response.aread()).decode()
    assert body == (
        "event: stream\n"
        'data: {"kind":"stream","name":"text","delta":false,"structured":false,"serial":0}\n\n'
        "id: 2\nevent: partial\n"
        'data: {"kind":"partial","seq":0,"name":"text","chunks":["a","b","c"]}\n\n'
        'id: 3\nevent: complete\ndata: {"kind":"complete","seq":3,"name":"text"}\n\n'
        'event: end\ndata: {"kind":"end"}\n\n'
    )


async def test_ndjson_carries_the_same_records_one_per_line(serve: Serve) -> None:
    streamer = Streamer()
    base = await serve(app_for(streamer))
    await every_kind(streamer)
    async with httpx.AsyncClient() as client:
        sse = await sse_records(client, f"{base}/stream")
        response = await client.get(f"{base}/stream?protocol=ndjson")
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.text.split("\n")
    assert lines[-1] == ""
    assert [Record.from_json(line) for line in lines[:-1]] == sse


async def test_cumulative_text_costs_linear_bytes_on_the_wire(serve: Serve) -> None:
    streamer = Streamer()
    base = await serve(app_for(streamer))
    text = streamer.get_value_streamer("text")
    value = "x" * 65_536
    for offset in range(0, len(value), 16):
        await text.stream_partial(value[offset : offset + 16])
    await text.stream_complete()
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"{base}/stream")).content
    assert len(body) <= 2 * len(value)


@pytest.mark.parametrize("resume", ["header", "query"])
async def test_resume_after_every_position_gives_exactly_the_rest(
    serve: Serve, resume: str
) -> None:
    streamer = Streamer()
    base = await serve(app_for(streamer))
    await every_kind(streamer)
    count = len([message async for message in streamer])
    async with httpx.AsyncClient() as client:
        for after in range(count):
            if resume == "header":
                url, headers = f"{base}/stream", {"Last-Event-ID": str(after)}
            else:
                url, headers = f"{base}/stream?after={after}", {}
            records = await sse_records(client, url, **headers)
            rest = streamer.messages(after=after, delta=True)
            assert as_messages(records) == [(m.seq, m.type, m.name, m.value) async for m in rest]


def as_messages(records: list[Record]) -> list[tuple[int | None, str, str | None, str | None]]:
    """The messages the records carry, in delta form, with their positions."""
    messages: list[tuple[int | None, str, str | None, str | None]] = []
    for record in records:
        if record.kind == "partial":
            assert record.seq is not None
            messages += [
                (record.seq + index, "partial", record.name, chunk)
                for index, chunk in enumerate(record.chunks)
            ]
        elif record.kind == "complete":
            messages.append((record.seq, "complete", record.name, None))
        elif record.kind == "restart":
            messages.append((record.seq, "restart", "response", record.value))
    return messages


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "99", "9" * 40, "%203", "%EF%BC%93"])
async def test_a_malformed_or_unknown_last_event_id_gets_400(serve: Serve, bad: str) -> None:
    streamer = Streamer()
    base = await serve(app_for(streamer))
    await every_kind(streamer)
    async with httpx.AsyncClient() as client:
        if "%" in bad:  # a space or a full-width digit: only a query string can carry them
            response = await client.get(f"{base}/stream?after={bad}")
        else:
            response = await client.get(f"{base}/stream", headers={"Last-Event-ID": bad})
    assert response.status_code == 400
    assert "position" in response.text


async def test_a_trimmed_last_event_id_gets_the_catch_up(serve: Serve) -> None:
    streamer = Streamer(history=0)
    base = await serve(app_for(streamer))
    text = streamer.get_value_streamer("text")
    for _ in range(200):
        await text.stream_partial("x")
    await text.stream_complete()
    async with httpx.AsyncClient() as client:
        records = await sse_records(client, f"{base}/stream", **{"Last-Event-ID": "10"})
    assert records[0] == Record("restart", None, value="catch-up")
    assert "".join(chunk for record in records for chunk in record.chunks) == "x" * 200


async def test_close_policy_stops_the_producer_within_one_push(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(app_for(streamer))
    text = streamer.get_value_streamer("text")
    await text.stream_partial("first")
    async with httpx.AsyncClient() as client, client.stream("GET", f"{base}/stream") as response:
        async for line in response.aiter_lines():
            if line.startswith("data:") and "first" in line:
                break
    while streamer.statistics().consumers:  # the server notices the disconnect
        await asyncio.sleep(0.01)
    with pytest.raises(StreamClosedError, match="closed"):
        await text.stream_partial("nobody listens")


async def test_keep_policy_lets_the_producer_run_on(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(app_for(streamer, disconnect="keep"))
    text = streamer.get_value_streamer("text")
    await text.stream_partial("first")
    async with httpx.AsyncClient() as client, client.stream("GET", f"{base}/stream") as response:
        async for line in response.aiter_lines():
            if "first" in line:
                break
    while streamer.statistics().consumers:
        await asyncio.sleep(0.01)
    await text.stream_partial(" then more")
    await text.stream_complete()
    async with connect(f"{base}/stream") as remote:
        assert [m.value async for m in remote] == ["first", " then more", None]


async def test_a_client_that_stops_reading_is_dropped(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)

    async def endpoint(request: Request) -> Response:
        return StreamResponse(streamer, send_timeout=0.2)

    base = await serve(Starlette(routes=[Route("/stream", endpoint)]))
    text = streamer.get_value_streamer("text")
    chunk = "y" * 65_536
    async with httpx.AsyncClient() as client, client.stream("GET", f"{base}/stream") as response:
        assert response.status_code == 200
        pushed = 0
        while not streamer._log.closed and pushed < 2_000:  # bounded: fills any socket buffer
            try:
                await text.stream_partial(chunk)
            except StreamClosedError:
                break
            pushed += 1
            await asyncio.sleep(0.005)
    assert streamer._log.closed


async def test_a_client_that_stops_reading_before_an_idle_spell_is_dropped(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(app_for(streamer, ping_seconds=0.05, send_timeout=0.3))
    text = streamer.get_value_streamer("text")
    port = int(base.rsplit(":", 1)[1])
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    writer.write(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    transport = writer.transport
    assert isinstance(transport, asyncio.Transport)
    transport.pause_reading()  # connected, but it reads no more
    try:
        while not streamer.statistics().consumers:
            await asyncio.sleep(0.01)
        # Enough to fill every buffer on the way; then the answer goes quiet, so
        # the next thing the server sends is a ping, into the full buffer.
        await text.stream_partial("x" * 20_000_000)
        for _ in range(200):  # bounded: 10 s at most
            if streamer._log.closed:
                break
            await asyncio.sleep(0.05)
        assert streamer._log.closed
    finally:
        transport.abort()


async def test_a_response_that_fails_closes_its_streamer() -> None:
    streamer = Streamer(stream_delta=True)
    await streamer.get_value_streamer("text").stream_partial("first")
    never = asyncio.Event()

    async def receive() -> dict[str, object]:
        await never.wait()  # the client stays
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.body":
            raise RuntimeError("the server cannot send this")

    with pytest.raises(ExceptionGroup) as failed:  # from the response's task group
        await StreamResponse(streamer)({"type": "http"}, receive, send)  # type: ignore[arg-type]
    assert failed.group_contains(RuntimeError, match="cannot send")
    assert streamer._log.closed  # its producer stops rather than writing for nobody


async def test_idle_sse_sends_ping_comments(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(app_for(streamer, ping_seconds=0.05))
    text = streamer.get_value_streamer("text")
    async with httpx.AsyncClient() as client, client.stream("GET", f"{base}/stream") as response:
        lines = response.aiter_lines()
        assert await anext(lines) == ": ping"
        await text.stream_partial("after the ping")
        await text.stream_complete()
        rest = [line async for line in lines]
    assert any("after the ping" in line for line in rest)


async def test_a_surrogate_pair_split_between_chunks_crosses_the_wire(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(app_for(streamer))
    answer = streamer.get_value_streamer("answer")
    split = ["ok ", "\ud83d", "\ude00", " end"]  # a provider's split escape, decoded
    for chunk in split:
        await answer.stream_partial(chunk)
    await answer.stream_complete()
    async with connect(f"{base}/stream") as remote:
        assert [message.value async for message in remote] == [*split, None]
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{base}/stream?protocol=ndjson")
    records = [Record.from_json(line) for line in response.text.splitlines()]
    assert [chunk for record in records for chunk in record.chunks] == split


async def test_leaving_connect_ends_its_other_consumers_cleanly(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(app_for(streamer, disconnect="keep"))
    text = streamer.get_value_streamer("text")
    await text.stream_partial("first")
    received: list[str | None] = []

    async def consume(remote: Streamer) -> None:
        async for message in remote:
            received.append(message.value)

    async with connect(f"{base}/stream") as remote:
        consuming = asyncio.ensure_future(consume(remote))
        while not received:
            await asyncio.sleep(0.01)
    await consuming  # ended, not failed by the follower it left behind
    assert received == ["first"]
    await text.stream_complete()


async def test_connect_resumes_through_a_proxy_that_cuts_connections(serve: Serve) -> None:
    streamer = Streamer(history=None)
    base = await serve(app_for(streamer, disconnect="keep"))
    proxy = CuttingProxy(int(base.rsplit(":", 1)[1]), cuts=8, seed=7)
    port = await proxy.start()
    try:
        async with connect(
            f"http://127.0.0.1:{port}/stream", max_reconnects=20, reconnect_delay=0.01
        ) as remote:
            following = asyncio.ensure_future(_collect(remote))
            text = streamer.get_value_streamer("text")
            deltas = streamer.get_value_streamer("deltas", stream_delta=True)
            for number in range(300):
                await text.stream_partial(f"{number},")
                await deltas.stream_partial(str(number % 10))
                if number % 25 == 0:
                    await asyncio.sleep(0.01)  # let the proxy cut mid-answer
            await deltas.stream_complete()
            await text.stream_complete()
            rebuilt = await following
    finally:
        await proxy.close()
    assert proxy.cut >= 1
    assert keys(rebuilt) == keys([message async for message in streamer])


async def test_stream_response_refuses_an_unknown_protocol() -> None:
    with pytest.raises(ValueError, match="protocol must be"):
        StreamResponse(Streamer(), "websocket")  # type: ignore[arg-type]


def test_records_round_trip_through_json() -> None:
    for record in (
        Record("stream", name="a", delta=True, structured=True),
        Record("partial", 3, "a", ("x", "\n", "é")),
        Record("complete", 5, "a"),
        Record("restart", None, value="catch-up"),
        Record("end"),
        Record("error", value="boom", error_type="RuntimeError"),
    ):
        assert Record.from_json(record.to_json()) == record
    assert json.loads(Record("partial", 3, "a", ("x", "y")).to_json())["chunks"] == ["x", "y"]


@pytest.mark.parametrize("bad", ["{}", "[]", '{"kind": "nope"}', '{"kind": "partial"}', "not json"])
def test_malformed_records_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a kavalai wire record"):
        Record.from_json(bad)


async def test_a_streamer_timeout_becomes_an_error_event(serve: Serve) -> None:
    streamer = Streamer(timeout_seconds=0.05, stream_delta=True)
    base = await serve(app_for(streamer))
    streamer.get_value_streamer("quiet")
    async with httpx.AsyncClient() as client:
        records = await sse_records(client, f"{base}/stream")
    assert records[-1].kind == "error"
    assert records[-1].error_type == "StreamerTimeoutException"
    assert "'quiet'" in (records[-1].value or "")


def test_the_ui_message_stream_refuses_a_resume_position() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("answer").on_next("a")
    with pytest.raises(ValueError, match="no positions to resume after"):
        StreamResponse(streamer, "ui", after=0)


async def test_sse_pings_only_when_idle_not_when_another_consumer_leaves() -> None:
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")
    events = sse(streamer, ping_seconds=30, linger_seconds=0)
    first = asyncio.ensure_future(anext(events))
    other = streamer.messages()
    await asyncio.sleep(0)  # the encoder waits for a message
    await other.aclose()  # which wakes the waiting readers
    await asyncio.sleep(0)
    await text.stream_partial("after")
    assert "event: stream" in await first
    await events.aclose()
