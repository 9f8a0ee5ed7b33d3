"""RedisHub races: an id is served everywhere once registered, and no stop is ever lost."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
from redis.asyncio import Redis

from kavalai import Streamer
from kavalai.redis import RedisHub

from .conftest import RedisServer, listening_socket, start_process

CHUNKS = 400  # paced at 5 ms: two seconds unless stopped


async def test_another_hub_serves_an_id_the_moment_register_returns(
    redis_server: RedisServer,
) -> None:
    producing, serving = redis_server.client(), redis_server.client()
    hub, other = RedisHub(producing), RedisHub(serving)
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")
    stream_id = hub.register(streamer)
    remote = await other.open(stream_id)  # before the publisher ran at all
    assert remote is not None
    await text.stream_partial("here")
    await text.stream_complete()
    async with asyncio.timeout(10):
        assert [m.value async for m in remote] == ["here", None]
    await other.release(remote)
    await hub.aclose()
    assert await other.open("an-id-nobody-registered") is None
    await producing.aclose()
    await serving.aclose()


async def test_a_stop_sent_before_the_producer_listens_is_not_lost(
    redis_server: RedisServer,
) -> None:
    producing, stopping = redis_server.client(), redis_server.client()
    hub, other = RedisHub(producing), RedisHub(stopping)
    await stopping.ping()  # connected: its stop goes out before the producer can listen
    streamer = Streamer(stream_delta=True)
    streamer.get_value_streamer("text")
    stream_id = hub.register(streamer)
    assert await other.stop(stream_id) in (True, False)  # the key may not be there yet
    async with asyncio.timeout(10):
        async for _ in streamer:
            pass
    assert streamer.ended
    await hub.aclose()
    await producing.aclose()
    await stopping.aclose()


async def test_stop_and_open_tell_a_known_id_from_an_unknown_one(
    redis: Redis,
) -> None:
    hub = RedisHub(redis, open_seconds=0.05)
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")
    known = hub.register(streamer)
    await text.stream_partial("x")
    while not await redis.exists(f"kavalai:{known}"):
        await asyncio.sleep(0.01)
    assert await hub.stop("unknown") is False
    assert await hub.stop(known) is True
    assert await hub.open("unknown") is None
    await hub.aclose()


async def start_worker(port: int, sock: socket.socket) -> asyncio.subprocess.Process:
    return await start_process(
        "worker",
        str(port),
        "--pace",
        "0.005",
        "--chunks",
        str(CHUNKS),
        "--fd",
        str(sock.fileno()),
        pass_fds=(sock.fileno(),),
    )


async def ready(client: httpx.AsyncClient, url: str) -> None:
    """Wait until the worker at ``url`` answers."""
    async with asyncio.timeout(30):
        while True:
            try:
                await client.get(f"{url}/streams/none", params={"protocol": "bad"})
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)


async def deltas_read(client: httpx.AsyncClient, url: str) -> int:
    """How many chunks of the answer's ``deltas`` stream a reader at ``url`` gets."""
    count = 0
    async with client.stream("GET", url) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                record = json.loads(line[6:])
                if record.get("name") == "deltas" and record["kind"] == "partial":
                    count += len(record["chunks"])
    return count


async def test_fresh_workers_lose_no_stop_and_serve_every_id_at_once(
    redis_server: RedisServer,
) -> None:
    """Each round starts fresh workers, asks each for an answer and stops it at once, from
    another worker; and asks a long-lived worker for answers that another one serves."""
    sockets = [listening_socket() for _ in range(2)]
    steady = [await start_worker(redis_server.port, sock) for sock in sockets]
    urls = [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    lost_stops = unknown = 0
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            for url in urls:
                await ready(client, url)
            for _ in range(4):  # rounds of fresh workers, 5 at a time: 20 in all
                fresh_sockets = [listening_socket() for _ in range(5)]
                fresh = [await start_worker(redis_server.port, s) for s in fresh_sockets]
                fresh_urls = [f"http://127.0.0.1:{s.getsockname()[1]}" for s in fresh_sockets]
                try:
                    for url in fresh_urls:
                        await ready(client, url)

                    async def ask_and_stop(url: str) -> int:
                        # Its first answer, then a stop at once through another worker.
                        stream_id = (await client.post(f"{url}/ask")).json()["id"]
                        await client.post(f"{urls[0]}/streams/{stream_id}/stop")
                        return await deltas_read(client, f"{urls[1]}/streams/{stream_id}")

                    chunks = await asyncio.gather(*(ask_and_stop(url) for url in fresh_urls))
                    lost_stops += sum(1 for count in chunks if count == CHUNKS)
                finally:
                    for worker in fresh:
                        worker.terminate()
                        await worker.wait()
                    for sock in fresh_sockets:
                        sock.close()
            for _ in range(50):  # asked on one worker, read at once on the other
                stream_id = (await client.post(f"{urls[0]}/ask")).json()["id"]
                async with client.stream("GET", f"{urls[1]}/streams/{stream_id}") as response:
                    unknown += response.status_code == 204
                await client.post(f"{urls[1]}/streams/{stream_id}/stop")
    finally:
        for worker in steady:
            worker.terminate()
            await worker.wait()
        for sock in sockets:
            sock.close()
    assert (lost_stops, unknown) == (0, 0)
