"""Redis Streams behind a Streamer, across real processes and a real redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from kavalai import (
    PublishError,
    RemoteStreamError,
    StreamClosedError,
    StreamContent,
    Streamer,
    StreamUnavailableError,
)
from kavalai.redis import Publisher, RedisHub, subscribe
from kavalai.web import connect, hub_routes

from ..conftest import Serve
from .conftest import RedisServer, listening_socket, run_process, start_process
from .processes import Person, answer, line

CHUNKS = 200


async def expected_lines(chunks: int = CHUNKS) -> list[dict[str, object]]:
    """What a local consumer of the producer's Streamer sees."""
    streamer = Streamer()
    await answer(streamer, chunks, 0.0)
    return [line(message) async for message in streamer]


async def test_readers_in_other_processes_rebuild_every_stream(redis_server: RedisServer) -> None:
    port = str(redis_server.port)
    readers = [await start_process("read", port, "answer:1") for _ in range(2)]
    produced = await run_process("produce", port, "answer:1", "--pace", "0.001")
    assert produced == [{"done": True, "outages": 0}]
    expected = await expected_lines()
    for reader in readers:
        stdout, stderr = await asyncio.wait_for(reader.communicate(), 60)
        lines = [json.loads(text) for text in stdout.decode().splitlines()]
        assert lines[:-1] == expected, stderr.decode()
        assert lines[-1] == {"end": True}


async def test_a_reader_killed_mid_stream_resumes_from_its_last_position(
    redis_server: RedisServer,
) -> None:
    port = str(redis_server.port)
    producer = await start_process("produce", port, "answer:2", "--pace", "0.002")
    reader = await start_process("read", port, "answer:2")
    assert reader.stdout is not None
    first: list[dict[str, object]] = []
    while len(first) < 50:
        first.append(json.loads(await reader.stdout.readline()))
    reader.kill()
    await reader.wait()
    last = max(int(str(item["seq"])) for item in first if item["seq"] is not None)
    rest = await run_process("read", port, "answer:2", "--after", str(last))
    await producer.wait()
    expected = await expected_lines()
    seqs = [item["seq"] for item in first + rest[:-1]]
    assert seqs == list(range(len(expected)))  # nothing lost, nothing twice
    assert [item["value"] for item in rest[:-1] if item["name"] == "deltas"] == [
        item["value"] for item in expected[last + 1 :] if item["name"] == "deltas"
    ]


async def test_the_producers_error_reaches_readers_by_type_and_message(redis: Redis) -> None:
    streamer = Streamer(stream_delta=True)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:3").run())
    result = streamer.get_value_streamer("result")
    await result.stream_partial("half")
    await streamer.stream_error(ConnectionError("model went away"))
    await publishing
    async with subscribe(redis, "answer:3") as remote:
        iterator = aiter(remote)
        assert (await anext(iterator)).value == "half"
        with pytest.raises(RemoteStreamError, match="ConnectionError: model went away"):
            await anext(iterator)


async def test_a_key_that_never_appears_fails_after_the_wait_as_unavailable(
    redis: Redis,
) -> None:
    async with subscribe(redis, "answer:never", wait_seconds=0.2, block_ms=50) as remote:
        with pytest.raises(StreamUnavailableError, match="no answer appeared") as caught:
            [message async for message in remote]
    assert isinstance(caught.value, LookupError)
    assert "'answer:never'" in str(caught.value)
    assert "raise wait_seconds" in str(caught.value)


async def test_a_key_that_appears_later_is_followed(redis: Redis) -> None:
    async with subscribe(redis, "answer:later", wait_seconds=10, block_ms=50) as remote:
        streamer = Streamer()
        publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:later").run())
        result = streamer.get_value_streamer("result")
        await result.stream_partial("late")
        await result.stream_complete()
        assert [m.value async for m in remote] == ["late", "late"]
        await publishing


async def test_bad_entries_give_a_clear_error(redis: Redis) -> None:
    await redis.xadd("answer:bad", {"records": "not json"})
    async with subscribe(redis, "answer:bad") as remote:
        with pytest.raises(ValueError, match=r"of Redis key 'answer:bad' is not a kavalai record"):
            [message async for message in remote]


async def test_a_finished_answer_expires(redis: Redis) -> None:
    streamer = Streamer()
    publisher = Publisher(streamer, redis, "answer:ttl", ttl_seconds=1)
    publishing = asyncio.ensure_future(publisher.run())
    result = streamer.get_value_streamer("result")
    await result.stream_partial("brief")
    await result.stream_complete()
    await publishing
    assert 0 < await redis.ttl("answer:ttl") <= 1
    assert await redis.pexpire("answer:ttl", 1)  # the rest of the second, at once
    while await redis.exists("answer:ttl"):
        await asyncio.sleep(0.01)


async def test_redis_restarted_mid_stream_loses_nothing_acknowledged(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kavalai.redis")
    redis = redis_server.client()
    streamer = Streamer(max_buffer=64)
    publisher = Publisher(streamer, redis, "answer:4", give_up_seconds=30)
    publishing = asyncio.ensure_future(publisher.run())
    deltas = streamer.get_value_streamer("deltas", stream_delta=True)
    for number in range(100):
        await deltas.stream_partial(f"{number},")
    while await redis.xlen("answer:4") == 0:
        await asyncio.sleep(0.01)
    redis_server.stop()
    pushing = asyncio.ensure_future(_push_more(deltas))
    while "lost Redis" not in caplog.text:  # the publisher reports the outage
        await asyncio.sleep(0.01)
    redis_server.start()  # append-only file on: what was acknowledged is back
    await pushing
    await publishing
    assert publisher.outages == 1
    assert "Redis is back" in caplog.text
    async with subscribe(redis, "answer:4") as remote:
        values = [m.value async for m in remote]
    assert "".join(value or "" for value in values) == "".join(f"{n}," for n in range(200))
    await redis.aclose()


async def _push_more(deltas: object) -> None:
    from kavalai import ValueStreamer

    assert isinstance(deltas, ValueStreamer)
    for number in range(100, 200):
        await deltas.stream_partial(f"{number},")
    await deltas.stream_complete()


async def test_a_publisher_that_cannot_reach_redis_fails_the_streamer() -> None:
    redis = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.1)
    streamer = Streamer(stream_delta=True)
    publisher = Publisher(streamer, redis, "answer:void", give_up_seconds=0.3)
    publishing = asyncio.ensure_future(publisher.run())
    result = streamer.get_value_streamer("result")
    await result.stream_partial("into the void")
    with pytest.raises(PublishError, match=r"Redis unreachable .* 'answer:void'"):
        await publishing
    with pytest.raises(StreamClosedError, match="failed"):
        await result.stream_partial("stops here")
    await redis.aclose()


async def test_web_workers_serve_resume_and_stop_an_answer_of_another_worker(
    redis_server: RedisServer,
) -> None:
    port = str(redis_server.port)
    sockets = [listening_socket() for _ in range(2)]
    workers = [
        await start_process(
            "worker",
            port,
            "--pace",
            "0.01",
            "--chunks",
            "100",
            "--fd",
            str(sock.fileno()),
            pass_fds=(sock.fileno(),),
        )
        for sock in sockets
    ]
    urls = [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            stream_id = (await client.post(f"{urls[0]}/ask")).json()["id"]
            async with connect(f"{urls[1]}/streams/{stream_id}") as remote:
                first = [await anext(aiter(remote)) for _ in range(1)]
                assert first[0].seq == 0
            # Resume on the other worker, after what was seen there.
            async with client.stream(
                "GET", f"{urls[0]}/streams/{stream_id}", headers={"Last-Event-ID": "0"}
            ) as response:
                body = [text async for text in response.aiter_lines()]
            records = [json.loads(text[6:]) for text in body if text.startswith("data: ")]
            assert records[-1] == {"kind": "end"}
            seqs = [r["seq"] for r in records if r.get("seq") is not None]
            assert min(seqs) == 1
            # A stop on one worker reaches the producer on the other.
            second = (await client.post(f"{urls[0]}/ask")).json()["id"]
            stop = await client.post(f"{urls[1]}/streams/{second}/stop")
            assert stop.status_code == 204
            async with connect(f"{urls[1]}/streams/{second}") as remote:
                messages = [m async for m in remote]
            assert len(messages) < 210  # it stopped well before its 100 paced chunks ended
    finally:
        for worker in workers:
            worker.terminate()
            await worker.wait()
        for sock in sockets:
            sock.close()


async def publish_long(
    redis: Redis, key: str, maxlen: int, restart_at: int | None = None
) -> Streamer:
    """A long answer, each message its own entry, kept to about ``maxlen`` entries.

    With ``restart_at``, a restart comes before that number, and every stream goes on.
    """
    streamer = Streamer()
    publisher = Publisher(streamer, redis, key, maxlen=maxlen)
    publishing = asyncio.ensure_future(publisher.run())
    text = streamer.get_value_streamer("text")
    deltas = streamer.get_value_streamer("deltas", stream_delta=True)
    person = streamer.get_value_streamer("person", response_model=Person)
    await person.stream_partial('{"name": "Ti')
    for number in range(120):
        if number == restart_at:
            await streamer.stream_restart("again")
        await text.stream_partial(f"{number},")
        await deltas.stream_partial(str(number % 10))
        await asyncio.sleep(0.002)  # one entry each: the publisher keeps up
        assert await redis.xlen(key) <= maxlen + 2
    await person.stream_partial('mo", "birth_year": 1986}')
    await person.stream_complete()
    await deltas.stream_complete()
    await text.stream_complete()
    await publishing
    return streamer


def keys(messages: list[StreamContent]) -> list[tuple[str, str, str | None]]:
    return [(message.type, message.name, message.value) for message in messages]


def seqs(messages: list[StreamContent]) -> list[tuple[int | None, str, str, str | None]]:
    return [(m.seq, m.type, m.name, m.value) for m in messages]


def rebuilt(messages: list[StreamContent]) -> dict[str, str | None]:
    """Each stream's value as a consumer rebuilds it (dropping all at a restart)."""
    values: dict[str, str | None] = {}
    for message in messages:
        if message.type == "restart":
            values.clear()
        elif message.name == "deltas":
            values["deltas"] = (values.get("deltas") or "") + (message.value or "")
        elif message.type == "partial" or message.value is not None:
            values[message.name] = message.value
    return values


async def test_a_trimmed_answer_gives_a_late_reader_the_catch_up(redis: Redis) -> None:
    streamer = await publish_long(redis, "answer:long", maxlen=8)
    assert await redis.xlen("answer:long") <= 10
    local = [message async for message in streamer]
    async with subscribe(redis, "answer:long") as remote:
        late = [message async for message in remote]
    assert (late[0].type, late[0].value) == ("restart", "catch-up")
    assert rebuilt(late) == rebuilt(local)
    assert rebuilt(late)["person"] == '{"name": "Timo", "birth_year": 1986}'


async def test_a_late_reader_gets_only_what_followed_a_restart_the_streams_went_on_after(
    redis: Redis,
) -> None:
    streamer = await publish_long(redis, "answer:again", maxlen=8, restart_at=60)
    local = [message async for message in streamer]
    async with subscribe(redis, "answer:again") as remote:
        late = [message async for message in remote]
    assert (late[0].type, late[0].value) == ("restart", "catch-up")
    assert rebuilt(late) == rebuilt(local)
    assert rebuilt(local)["text"] == "".join(f"{number}," for number in range(60, 120))
    assert rebuilt(local)["person"] == 'mo", "birth_year": 1986}'  # not JSON: as written


async def test_a_reader_from_the_base_follows_a_stream_silent_since_a_restart(
    redis: Redis,
) -> None:
    streamer = Streamer()
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:silent", maxlen=4).run())
    text = streamer.get_value_streamer("text")
    person = streamer.get_value_streamer("person", response_model=Person)
    await person.stream_partial('{"name": "Ti')
    await streamer.stream_restart("again")  # both go on; person says nothing for a while
    for number in range(40):
        await text.stream_partial(f"{number},")
        await asyncio.sleep(0.002)  # one entry each: the base is stored every 4
    while await redis.xlen("answer:silent") > 8:
        await asyncio.sleep(0.002)
    async with subscribe(redis, "answer:silent") as remote:
        messages = aiter(remote)
        first = await anext(messages)
        assert (first.type, first.value) == ("restart", "catch-up")
        await person.stream_partial('{"name": "Timo", "birth_year": 1986}')
        await person.stream_complete()
        await text.stream_complete()
        late = [first, *[message async for message in messages]]
    await publishing
    local = [message async for message in streamer]
    assert rebuilt(late) == rebuilt(local)
    assert rebuilt(late)["person"] == '{"name": "Timo", "birth_year": 1986}'


@pytest.mark.parametrize("leave", ["at the end of the body", "by an exception"])
async def test_a_reader_leaves_a_live_answer_without_waiting_for_it(
    redis: Redis, leave: str
) -> None:
    streamer = Streamer()
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:live").run())
    text = streamer.get_value_streamer("text")
    await text.stream_partial("still being written")

    async def read_and_leave() -> None:
        async with subscribe(redis, "answer:live") as remote:
            first = await anext(aiter(remote))
            assert first.value == "still being written"
            if leave == "by an exception":
                raise LookupError("the reader gives up")

    # The client can swallow the cancellation of a blocking read: leaving
    # must not wait for an answer that goes on.
    with pytest.raises(LookupError) if leave == "by an exception" else contextlib.nullcontext():
        await asyncio.wait_for(read_and_leave(), timeout=30)
    await text.stream_complete()
    await publishing


async def test_a_reader_cancelled_while_it_replays_leaves_nothing_running(redis: Redis) -> None:
    streamer = Streamer(stream_delta=True)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:cancelled").run())
    text = streamer.get_value_streamer("text")
    for number in range(100):
        await text.stream_partial(f"{number},")
    while not await redis.exists("answer:cancelled"):
        await asyncio.sleep(0.01)

    async def read() -> None:
        async with subscribe(redis, "answer:cancelled") as remote:
            async for _ in remote:
                pass

    reading = asyncio.ensure_future(read())
    for _ in range(2):
        await asyncio.sleep(0)  # it waits for the key's replay, a Redis round trip away
    reading.cancel()
    await asyncio.gather(reading, return_exceptions=True)
    assert reading.cancelled()
    left = [task for task in asyncio.all_tasks() if "_follow" in repr(task.get_coro())]
    assert left == []
    await text.stream_complete()
    await publishing


async def test_a_reader_of_an_answer_whose_producer_died_fails_as_unavailable_once_it_expires(
    redis: Redis,
) -> None:
    streamer = Streamer()
    publisher = Publisher(streamer, redis, "answer:dead", ttl_seconds=1)
    publishing = asyncio.ensure_future(publisher.run())
    await streamer.get_value_streamer("text").stream_partial("half an answer")
    while await redis.xlen("answer:dead") < 2:  # the entry after the one that marks it open
        await asyncio.sleep(0.01)
    publishing.cancel()  # its process died: no end is ever written
    await asyncio.gather(publishing, return_exceptions=True)
    received: list[str | None] = []

    async def read() -> None:
        async with subscribe(redis, "answer:dead", block_ms=100) as remote:
            async for message in remote:
                received.append(message.value)

    with pytest.raises(StreamUnavailableError, match=r"'answer:dead' expired before it ended"):
        await read()
    assert received == ["half an answer"]


async def test_a_late_reader_gets_an_empty_value_from_the_base_as_it_was(redis: Redis) -> None:
    streamer = Streamer()
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:empty", maxlen=1).run())
    text = streamer.get_value_streamer("text")
    other = streamer.get_value_streamer("other")
    await text.stream_partial("")
    await text.stream_complete()
    for number in range(5):
        await other.stream_partial(f"{number},")
        await asyncio.sleep(0.002)  # one entry each: every one goes into the base
    await other.stream_complete()
    await publishing
    async with subscribe(redis, "answer:empty") as remote:
        late = [message async for message in remote]
    assert (late[0].type, late[0].value) == ("restart", "catch-up")
    # As a Streamer's own catch-up gives a completed cumulative stream: its final value.
    assert keys(late[1:2]) == [("complete", "text", "")]


async def test_resuming_after_any_position_of_a_trimmed_answer(redis: Redis) -> None:
    streamer = await publish_long(redis, "answer:kept", maxlen=8)
    local = [message async for message in streamer]
    base = await redis.get("answer:kept:base")
    assert base is not None
    text = base.decode() if isinstance(base, bytes) else base
    covered = int(text.split(" ", 1)[0])  # the base stands for the positions below this
    for after in [*range(0, len(local) - 1, 17), len(local) - 2]:
        async with subscribe(redis, "answer:kept", after=after) as remote:
            rest = [m async for m in remote]
        if after + 1 >= covered:  # kept: exactly the messages after it, at their positions
            assert seqs(rest) == seqs(local[after + 1 :]), after
        else:  # folded into the base: the catch-up, then the rest
            assert (rest[0].type, rest[0].value) == ("restart", "catch-up"), after
            assert rest[len(rest) - (len(local) - covered) - 1].seq == covered - 1
            assert seqs(rest[len(rest) - (len(local) - covered) :]) == seqs(local[covered:])
            assert rebuilt(rest) == rebuilt(local), after


async def test_the_hub_serves_an_answer_registered_before_its_first_message(
    redis: Redis, serve: Serve
) -> None:
    hub = RedisHub(redis)
    base = await serve(Starlette(routes=hub_routes(hub)))
    streamer = Streamer(stream_delta=True)
    answer = streamer.get_value_streamer("answer")
    stream_id = hub.register(streamer)
    async with connect(f"{base}/streams/{stream_id}") as remote:
        await answer.stream_partial("first token")
        await answer.stream_complete()
        assert [m.value async for m in remote] == ["first token", None]
    await hub.aclose()


async def test_a_key_left_by_a_producer_that_died_still_expires(redis: Redis) -> None:
    streamer = Streamer(stream_delta=True)
    publisher = Publisher(streamer, redis, "answer:dead", ttl_seconds=30)
    publishing = asyncio.ensure_future(publisher.run())
    result = streamer.get_value_streamer("result")
    await result.stream_partial("half")
    while not await redis.exists("answer:dead"):
        await asyncio.sleep(0.01)
    publishing.cancel()  # the producer's process dies mid-answer
    await asyncio.gather(publishing, return_exceptions=True)
    assert 0 < await redis.ttl("answer:dead") <= 30


async def test_a_publisher_that_starts_late_writes_the_catch_up_and_readers_follow(
    redis: Redis,
) -> None:
    streamer = Streamer(history=0, stream_delta=True)
    text = streamer.get_value_streamer("text")
    for _ in range(200):  # nobody reads yet: the Streamer folds most of it
        await text.stream_partial("x")
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:late").run())
    await text.stream_partial("y")
    await text.stream_complete()
    await publishing
    async with subscribe(redis, "answer:late") as remote:
        received = [m async for m in asyncio_timeout_guard(remote)]
    assert received[0].type == "restart"
    assert "".join(m.value or "" for m in received[1:]) == "x" * 200 + "y"


async def asyncio_timeout_guard(streamer: Streamer) -> AsyncIterator[StreamContent]:
    """The messages of ``streamer``, failing the test rather than hanging it."""
    iterator = aiter(streamer)
    while True:
        try:
            yield await asyncio.wait_for(anext(iterator), timeout=10)
        except StopAsyncIteration:
            return


@pytest.mark.parametrize("after", [None, 0, 1, 2, 3])
async def test_a_reader_sees_the_end_when_the_last_entry_went_into_the_base(
    redis: Redis, after: int | None
) -> None:
    # With maxlen=1 every entry is folded into the base at once, the last one too.
    streamer = Streamer(stream_delta=True)
    publisher = Publisher(streamer, redis, "answer:folded", maxlen=1)
    publishing = asyncio.ensure_future(publisher.run())
    text = streamer.get_value_streamer("text")
    for chunk in ("a", "b", "c"):
        await text.stream_partial(chunk)
    await text.stream_complete()
    await publishing
    assert await redis.xlen("answer:folded") == 1  # the last entry stays, and is in the base
    async with asyncio.timeout(10):  # a reader that missed the end would wait forever
        async with subscribe(redis, "answer:folded", after=after) as remote:
            rest = [message async for message in remote]
    # The answer's messages: partials a, b, c at positions 0 to 2, the complete at 3.
    if after == 3:
        assert rest == []
    else:
        assert (rest[0].type, rest[0].value) == ("restart", "catch-up")
        assert [(m.type, m.value) for m in rest[1:]] == [("partial", "abc"), ("complete", None)]


async def test_the_base_keeps_every_stream_of_a_name_used_again(redis: Redis) -> None:
    streamer = Streamer(stream_delta=True)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:again", maxlen=1).run())
    keeper = streamer.get_value_streamer("keeper")  # open to the end: nothing ends early
    for number in (1, 7, 13, 19):
        value = streamer.get_value_streamer("s1")
        await value.stream_partial(f"s1:{number};")
        await value.stream_complete()
        await asyncio.sleep(0.002)  # one entry each: every one goes into the base
    await keeper.stream_complete()
    await publishing
    async with subscribe(redis, "answer:again") as remote:
        late = [message async for message in remote]
    local = [message async for message in streamer]
    assert [m.value for m in late if m.name == "s1" and m.type == "partial"] == [
        "s1:1;",
        "s1:7;",
        "s1:13;",
        "s1:19;",
    ]
    assert keys([m for m in late if m.type != "restart"]) == keys(local)


async def test_the_base_keeps_the_halves_of_a_surrogate_pair_pushed_apart(redis: Redis) -> None:
    streamer = Streamer(stream_delta=True, history=None)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:pair", maxlen=1).run())
    text = streamer.get_value_streamer("text")
    for half in ("\ud83d", "\ude00"):
        await text.stream_partial(half)
        await asyncio.sleep(0.002)  # one entry each: both go into the base
    await text.stream_complete()
    await publishing
    async with subscribe(redis, "answer:pair") as remote:
        late = [message async for message in remote]
    assert (late[1].type, late[1].value) == ("partial", "\ud83d\ude00")  # two halves, not one
    assert late[1].value != "\U0001f600"
