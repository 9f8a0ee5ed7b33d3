"""kavalai.redis on a local redis-server, beside raw pipelined XADD.

Run: ``python benchmarks/bench_redis.py``. Prints figures; asserts nothing.
Starts its own redis-server (Debian's) on 127.0.0.1 in a temporary folder,
persistence off.

1. Publish: 100,000 delta messages pushed into a Streamer with a Publisher
   mirroring it, beside raw ``redis.asyncio`` pipelined ``XADD`` of the same
   record payloads, 1,000 per pipeline (the floor). Target: >= 70% of the floor.
2. Latency from ``stream_partial`` in this process to a reader in another
   process (``subscribe``), one message a millisecond: p50 and p99
   (target p50 < 2 ms).
3. 100 concurrent readers (in another process) of one finished 10,000-message
   answer: deliveries per second.
4. Redis memory of one finished 1,000-message answer, before and after expiry.
5. Resume after a random position of a finished 100,000-message answer
   published with ``maxlen=1000`` (50 messages an entry, so half the entries
   were folded into the base): time to the first message and to the end,
   p50 over 20 random positions.
6. 100 readers in other processes (4 processes of 25) of one live answer,
   one message a millisecond: p50 and p99 push-to-reader latency, beside the
   one reader of 2.
7. Durability: for ``appendonly no``, ``appendfsync everysec`` and
   ``appendfsync always``, the publish rate of 1, and what a SIGKILL of
   redis-server mid-answer followed by a restart did to the publisher.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from redis.asyncio import Redis

from kavalai import Streamer
from kavalai.redis import Publisher, subscribe
from kavalai.wire import Record

MESSAGES = 100_000
RESUMES = 20
PER_ENTRY = 50
LIVE_PROCESSES = 4
LIVE_READERS = 25  # per process
LATENCY_MESSAGES = 2_000
READERS = 100
SHARED_MESSAGES = 10_000


def start_redis(
    *persistence: str, port: int = 0, folder: str = ""
) -> tuple[subprocess.Popen[bytes], int]:
    """A redis-server on ``port`` (a free one by default) with its data in ``folder``."""
    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    folder = folder or tempfile.mkdtemp()
    server = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            folder,
            "--save",
            "",
            *(persistence or ("--appendonly", "no")),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


async def publish_times(redis: Redis, key: str) -> None:
    """Publish LATENCY_MESSAGES chunks at ``key``, each the time it was pushed, 1 ms apart."""
    streamer = Streamer(stream_delta=True)
    publisher = asyncio.ensure_future(Publisher(streamer, redis, key).run())
    text = streamer.get_value_streamer("text")
    for _ in range(LATENCY_MESSAGES):
        await text.stream_partial(f"{time.time():.6f}")
        await asyncio.sleep(0.001)
    await text.stream_complete()
    await publisher


async def publish(redis: Redis, key: str, messages: int) -> float:
    streamer = Streamer(stream_delta=True, max_buffer=1024)
    publisher = asyncio.ensure_future(Publisher(streamer, redis, key).run())
    streams = [streamer.get_value_streamer(f"s{index}") for index in range(4)]
    start = time.perf_counter()
    for number in range(messages - 4):
        await streams[number % 4].stream_partial("chunk ")
    for stream in streams:
        await stream.stream_complete()
    await publisher
    return messages / (time.perf_counter() - start)


async def floor(redis: Redis, key: str, messages: int) -> float:
    start = time.perf_counter()
    for first in range(0, messages, 1000):
        pipeline = redis.pipeline(transaction=False)
        for seq in range(first, min(first + 1000, messages)):
            record = Record("partial", seq, f"s{seq % 4}", ("chunk ",)).to_json()
            pipeline.xadd(key, {"records": record})
        await pipeline.execute()
    return messages / (time.perf_counter() - start)


async def latency(redis: Redis, port: int) -> list[float]:
    reader = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--latency-reader",
        str(port),
        stdout=asyncio.subprocess.PIPE,
    )
    assert reader.stdout is not None
    assert await reader.stdout.readline() == b"ready\n"
    await publish_times(redis, "bench:latency")
    output, _ = await reader.communicate()
    latencies: list[float] = json.loads(output)
    return latencies


async def latency_reader(port: int) -> None:
    redis = Redis(host="127.0.0.1", port=port)
    print("ready", flush=True)
    latencies: list[float] = []
    async with subscribe(redis, "bench:latency", wait_seconds=30, block_ms=1000) as remote:
        async for message in remote:
            if message.type == "partial" and message.value:
                latencies.append(time.time() - float(message.value))
    print(json.dumps(latencies))
    await redis.aclose()


async def shared_readers(port: int) -> None:
    redis = Redis(host="127.0.0.1", port=port, max_connections=READERS + 10)

    async def read() -> int:
        async with subscribe(redis, "bench:shared") as remote:
            return len([message async for message in remote])

    start = time.perf_counter()
    counts = await asyncio.gather(*(read() for _ in range(READERS)))
    elapsed = time.perf_counter() - start
    print(json.dumps({"deliveries": sum(counts), "seconds": elapsed}))
    await redis.aclose()


async def resume(redis: Redis) -> tuple[float, float, int]:
    """p50 seconds to the first message and to the end of resumes at random positions."""
    streamer = Streamer(stream_delta=True)
    publisher = asyncio.ensure_future(Publisher(streamer, redis, "bench:resume", maxlen=1000).run())
    streams = [streamer.get_value_streamer(f"s{index}") for index in range(4)]
    for number in range(MESSAGES - 4):
        await streams[number % 4].stream_partial("chunk ")
        if number % PER_ENTRY == PER_ENTRY - 1:
            await asyncio.sleep(0.002)  # the publisher writes these as one entry
    for stream in streams:
        await stream.stream_complete()
    await publisher
    entries = await redis.xlen("bench:resume")
    firsts, ends = [], []
    rng = random.Random(7)
    for _ in range(RESUMES):
        after = rng.randrange(MESSAGES - 1)
        start = time.perf_counter()
        async with subscribe(redis, "bench:resume", after=after) as remote:
            messages = aiter(remote)
            await anext(messages)
            firsts.append(time.perf_counter() - start)
            async for _ in messages:
                pass
        ends.append(time.perf_counter() - start)
    return percentile(firsts, 0.5), percentile(ends, 0.5), entries


async def live_readers(port: int) -> list[float]:
    """Push-to-reader latencies of LIVE_PROCESSES x LIVE_READERS readers of one live answer."""
    redis = Redis(host="127.0.0.1", port=port)
    readers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--latency-readers",
            str(LIVE_READERS),
            str(port),
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(LIVE_PROCESSES)
    ]
    for reader in readers:
        assert reader.stdout is not None
        assert await reader.stdout.readline() == b"ready\n"
    await publish_times(redis, "bench:live")
    latencies: list[float] = []
    for reader in readers:
        output, _ = await reader.communicate()
        latencies += json.loads(output)
    await redis.aclose()
    return latencies


async def latency_readers(count: int, port: int) -> None:
    redis = Redis(host="127.0.0.1", port=port, max_connections=count + 4)
    print("ready", flush=True)
    latencies: list[float] = []

    async def read() -> None:
        async with subscribe(redis, "bench:live", wait_seconds=30, block_ms=1000) as remote:
            async for message in remote:
                if message.type == "partial" and message.value:
                    latencies.append(time.time() - float(message.value))

    await asyncio.gather(*(read() for _ in range(count)))
    print(json.dumps(latencies))
    await redis.aclose()


async def durability(persistence: tuple[str, ...]) -> tuple[float, str]:
    """The publish rate under ``persistence``, and what a SIGKILL mid-answer did."""
    folder = tempfile.mkdtemp()
    server, port = start_redis(*persistence, folder=folder)
    redis = Redis(host="127.0.0.1", port=port)
    try:
        rate = await publish(redis, "bench:durable:rate", MESSAGES)
        streamer = Streamer(stream_delta=True)
        publisher = Publisher(streamer, redis, "bench:durable", give_up_seconds=10)
        publishing = asyncio.ensure_future(publisher.run())
        text = streamer.get_value_streamer("text")
        pushed = 0
        for _ in range(200):
            await text.stream_partial("x")
            pushed += 1
            await asyncio.sleep(0.001)
        server.kill()  # a crash: whatever it had not written to disk is gone
        server.wait()
        restarted, _ = start_redis(*persistence, port=port, folder=folder)
        try:
            try:
                while True:
                    await text.stream_partial("x")
                    pushed += 1
                    if pushed >= 400:
                        await text.stream_complete()
                        break
                    await asyncio.sleep(0.001)
                await publishing
                kept: Any = await redis.xrevrange("bench:durable", count=1)
                outcome = f"no loss; answer complete, {kept[0][0].decode()} last entry"
            except Exception as error:
                await asyncio.gather(publishing, return_exceptions=True)
                outcome = f"producer stopped after {pushed} pushes: {str(error)[:90]}..."
        finally:
            restarted.terminate()
            restarted.wait()
        return rate, outcome
    finally:
        await redis.aclose()
        server.terminate()
        server.wait()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(port: int) -> None:
    redis = Redis(host="127.0.0.1", port=port)
    rates: dict[str, list[float]] = {"floor": [], "kavalai": []}
    for round_ in range(3):  # interleaved, so machine noise hits both alike
        rates["floor"].append(await floor(redis, f"bench:floor:{round_}", MESSAGES))
        rates["kavalai"].append(await publish(redis, f"bench:publish:{round_}", MESSAGES))
    best_floor, best = max(rates["floor"]), max(rates["kavalai"])
    print(f"publish {MESSAGES:,} delta messages (best of 3):")
    print(f"  raw pipelined XADD      {best_floor:>10,.0f} msg/s")
    print(f"  kavalai Publisher       {best:>10,.0f} msg/s  ({best / best_floor:.0%} of the floor)")

    latencies = await latency(redis, port)
    print(f"stream_partial to a reader in another process ({len(latencies):,} messages):")
    print(
        f"  p50 {percentile(latencies, 0.5) * 1000:.2f} ms   "
        f"p99 {percentile(latencies, 0.99) * 1000:.2f} ms"
    )

    await publish(redis, "bench:shared", SHARED_MESSAGES)
    output = subprocess.run(
        [sys.executable, __file__, "--shared-readers", str(port)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    shared = json.loads(output)
    print(f"{READERS} concurrent readers of one {SHARED_MESSAGES:,}-message answer:")
    print(
        f"  {shared['deliveries'] / shared['seconds']:,.0f} deliveries/s "
        f"({shared['seconds']:.2f} s for all)"
    )

    await publish(redis, "bench:memory", 1000)
    size = await redis.memory_usage("bench:memory", samples=0) or 0
    ttl = await redis.ttl("bench:memory")
    await redis.pexpire("bench:memory", 1)  # fast-forward the expiry
    while await redis.exists("bench:memory"):
        await asyncio.sleep(0.01)
    print("Redis memory of one finished 1,000-message answer (MEMORY USAGE):")
    print(f"  before expiry {size / 1024:,.1f} KiB (expires in {ttl} s), after: key gone, 0 KiB")

    first, end, entries = await resume(redis)
    print(
        f"resume after a random position of a {MESSAGES:,}-message answer, maxlen=1000 "
        f"({entries} entries kept), p50 of {RESUMES}:"
    )
    print(f"  first message {first * 1000:.1f} ms, end {end * 1000:.1f} ms")

    live = await live_readers(port)
    print(
        f"{LIVE_PROCESSES * LIVE_READERS} readers in {LIVE_PROCESSES} other processes of one "
        f"live answer ({len(live):,} deliveries):"
    )
    print(
        f"  p50 {percentile(live, 0.5) * 1000:.2f} ms   p99 {percentile(live, 0.99) * 1000:.2f} ms"
    )
    await redis.aclose()

    print(f"durability: publish {MESSAGES:,} delta messages; SIGKILL mid-answer, restart:")
    for name, persistence in (
        ("appendonly no", ("--appendonly", "no")),
        ("appendfsync everysec", ("--appendonly", "yes", "--appendfsync", "everysec")),
        ("appendfsync always", ("--appendonly", "yes", "--appendfsync", "always")),
    ):
        rate, outcome = await durability(persistence)
        print(f"  {name:<22} {rate:>10,.0f} msg/s; {outcome}")


def main() -> None:
    server, port = start_redis()
    try:
        asyncio.run(measure(port))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    if "--latency-reader" in sys.argv:
        asyncio.run(latency_reader(int(sys.argv[-1])))
    elif "--latency-readers" in sys.argv:
        asyncio.run(latency_readers(int(sys.argv[-2]), int(sys.argv[-1])))
    elif "--shared-readers" in sys.argv:
        asyncio.run(shared_readers(int(sys.argv[-1])))
    else:
        main()
