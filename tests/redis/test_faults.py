"""Faults a Redis answer meets: each one fails loudly, at the side it happened to, in seconds."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from pathlib import Path

import pytest
from redis.asyncio import Redis

from kavalai import DataLostError, PublishError, StreamClosedError, Streamer, ValueStreamer
from kavalai.redis import Publisher, RedisHub, subscribe

from .conftest import RedisServer, free_port, start_process


async def push(stream: ValueStreamer, count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        await stream.stream_partial(f"{number},")


async def push_all(stream: ValueStreamer, chunks: list[str]) -> None:
    for chunk in chunks:
        await stream.stream_partial(chunk)


async def pushes_until_refused(stream: ValueStreamer, limit: int = 20_000) -> int:
    """Push until the Streamer refuses; how many pushes it took (the test fails at ``limit``)."""
    for number in range(limit):
        try:
            await stream.stream_partial(f"{number},")
        except StreamClosedError:
            return number
        await asyncio.sleep(0)
    raise AssertionError(f"the producer pushed {limit} chunks and nothing stopped it")


async def test_a_foreign_entry_fails_the_publisher_and_stops_the_producer(redis: Redis) -> None:
    streamer = Streamer(stream_delta=True, max_buffer=16)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:foreign").run())
    text = streamer.get_value_streamer("text")
    await push(text, 10)
    while await redis.xlen("answer:foreign") < 2:
        await asyncio.sleep(0.01)
    await redis.xadd("answer:foreign", {"hello": "world"})  # an id far past the answer's
    async with asyncio.timeout(10):
        await pushes_until_refused(text)
        with pytest.raises(PublishError, match=r"'answer:foreign' holds an entry this publisher"):
            await publishing
    assert isinstance(streamer.error, PublishError)


async def test_a_key_of_another_type_fails_the_streamer_naming_the_key(redis: Redis) -> None:
    await redis.set("answer:string", "not a stream")
    streamer = Streamer(stream_delta=True, max_buffer=16)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:string").run())
    text = streamer.get_value_streamer("text")
    async with asyncio.timeout(10):
        assert await pushes_until_refused(text) < 2000
        with pytest.raises(PublishError, match=r"'answer:string'.*WRONGTYPE.*another key"):
            await publishing
    assert "answer:string" in str(streamer.error)


async def test_redis_out_of_memory_fails_the_streamer(redis: Redis) -> None:
    await redis.config_set("maxmemory", "3mb")
    await redis.config_set("maxmemory-policy", "noeviction")
    streamer = Streamer(stream_delta=True, max_buffer=16)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:full").run())
    text = streamer.get_value_streamer("text")
    chunk = "x" * 4096
    async with asyncio.timeout(20):
        with pytest.raises(StreamClosedError):
            await push_all(text, [chunk] * 2000)  # 8 MB, far past maxmemory
        with pytest.raises(PublishError, match=r"'answer:full'.*maxmemory.*raise maxmemory"):
            await publishing


async def test_a_hub_publisher_that_cannot_write_fails_its_streamer_and_logs_it(
    redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    hub = RedisHub(redis, prefix="taken:")
    streamer = Streamer(stream_delta=True, max_buffer=16)
    text = streamer.get_value_streamer("text")
    stream_id = hub.register(streamer)
    await redis.delete(f"taken:{stream_id}")
    await redis.set(f"taken:{stream_id}", "someone else's")
    async with asyncio.timeout(10):
        await pushes_until_refused(text)
        await hub.aclose()
    assert isinstance(streamer.error, PublishError)
    assert any(r.levelno == logging.ERROR and stream_id in r.getMessage() for r in caplog.records)


async def test_a_short_outage_is_counted_and_logged(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kavalai.redis")
    redis = redis_server.client()
    streamer = Streamer(stream_delta=True)
    publisher = Publisher(streamer, redis, "answer:blink")
    publishing = asyncio.ensure_future(publisher.run())
    text = streamer.get_value_streamer("text")
    await push(text, 10)
    while await redis.xlen("answer:blink") < 2:
        await asyncio.sleep(0.01)
    redis_server.stop()
    pushing = asyncio.ensure_future(push(text, 10, 10))
    while "lost Redis" not in caplog.text:
        await asyncio.sleep(0.01)
    redis_server.start()  # back at once, well inside redis-py's own retries
    await pushing
    await text.stream_complete()
    async with asyncio.timeout(20):
        await publishing
    assert publisher.outages == 1
    assert caplog.text.count("lost Redis while writing answer:blink") == 1
    assert caplog.text.count("Redis is back; answer:blink goes on") == 1
    await redis.aclose()


async def test_a_restart_without_persistence_fails_producer_and_readers_with_data_lost(
    tmp_path: Path,
) -> None:
    server = RedisServer(free_port(), tmp_path, appendonly=False)
    server.start()
    redis = server.client()
    try:
        streamer = Streamer(stream_delta=True, max_buffer=64)
        publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:gone").run())
        text = streamer.get_value_streamer("text")
        reader = await start_process("read", str(server.port), "answer:gone")
        assert reader.stdout is not None
        assert reader.pid is not None
        await push(text, 100)
        while await redis.xlen("answer:gone") < 3:
            await asyncio.sleep(0.01)
        first = json.loads(await reader.stdout.readline())
        assert first["seq"] == 0
        os.kill(reader.pid, signal.SIGSTOP)  # the reader is paused behind
        server.kill()
        server.start()  # empty: nothing was persisted
        async with asyncio.timeout(20):
            await pushes_until_refused(text)
            with pytest.raises(PublishError, match=r"lost entries .*'answer:gone'.*appendonly"):
                await publishing
        os.kill(reader.pid, signal.SIGCONT)
        stdout, _ = await asyncio.wait_for(reader.communicate(), 30)
        said = [json.loads(line) for line in stdout.decode().splitlines()]
        assert said[-1]["error"] == "DataLostError", said[-1]
        assert "restarted without persistence" in said[-1]["message"]
        # A reader that comes later sees the gap too: never a normal end.
        async with subscribe(redis, "answer:gone") as late:
            with pytest.raises(DataLostError, match=r"positions 0 to \d+ .*'answer:gone'"):
                [message async for message in late]
    finally:
        await redis.aclose()
        server.stop()


async def test_a_reader_paused_past_maxlen_fails_with_data_lost(
    redis_server: RedisServer, redis: Redis
) -> None:
    streamer = Streamer(stream_delta=True)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:lag", maxlen=2).run())
    text = streamer.get_value_streamer("text")
    await text.stream_partial("0,")
    reader = await start_process("read", str(redis_server.port), "answer:lag")
    assert reader.stdout is not None
    assert reader.pid is not None
    assert json.loads(await reader.stdout.readline())["seq"] == 0
    os.kill(reader.pid, signal.SIGSTOP)  # it reads nothing while the entries are trimmed
    for number in range(1, 40):
        await text.stream_partial(f"{number},")
        await asyncio.sleep(0.002)  # one entry each
    await text.stream_complete()
    await publishing
    os.kill(reader.pid, signal.SIGCONT)
    stdout, _ = await asyncio.wait_for(reader.communicate(), 30)
    said = [json.loads(line) for line in stdout.decode().splitlines()]
    assert said[-1].get("error") == "DataLostError", said[-3:]
    assert "trimmed into the key's base" in said[-1]["message"]


async def test_a_paused_redis_holds_the_reader_which_then_goes_on(
    redis_server: RedisServer,
) -> None:
    redis = redis_server.client()
    streamer = Streamer(stream_delta=True)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:paused").run())
    text = streamer.get_value_streamer("text")
    await push(text, 5)
    assert redis_server.process is not None
    async with subscribe(redis, "answer:paused") as remote:
        messages = aiter(remote)
        assert [(await anext(messages)).value for _ in range(5)] == ["0,", "1,", "2,", "3,", "4,"]
        redis_server.process.send_signal(signal.SIGSTOP)
        await push(text, 5, 5)
        await asyncio.sleep(0.2)  # paused a while, with writes waiting
        redis_server.process.send_signal(signal.SIGCONT)
        await text.stream_complete()
        async with asyncio.timeout(20):
            rest = [message async for message in messages]
            await publishing
    assert [m.seq for m in rest] == list(range(5, 11))
    await redis.aclose()


async def test_subscribe_to_a_key_of_another_type_names_the_key(redis: Redis) -> None:
    await redis.set("answer:plain", "text")
    async with subscribe(redis, "answer:plain") as remote:
        with pytest.raises(ValueError, match=r"'answer:plain' holds a string, not the stream"):
            [message async for message in remote]
