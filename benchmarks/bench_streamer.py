"""Streamer throughput, fan-out, catch-up and memory, beside a bare asyncio.Queue hand-off.

Run: ``python benchmarks/bench_streamer.py``. Prints figures; asserts nothing.

1. One consumer, delta mode: a producer task pushes 100,000 chunks over 4 value
   streamers while an ``async for`` consumer drains the Streamer. The floor is
   the same hand-off of pydantic messages through a bare ``asyncio.Queue``.
   Target: >= 80% of the floor.
2. Fan-out: the same 100,000 messages to 100 concurrent ``async for``
   consumers. Target: deliveries per second >= 3x the one-consumer messages
   per second, since a delivery must cost far less than producing.
3. Catch-up: a consumer that starts after 1,000,000 messages were pushed
   (default settings) reads until it has caught up. Target: < 10 ms. And a
   consumer that was there from the start but reads only once 250,000, then
   1,000,000 messages wait for it: four times the backlog should take about
   four times as long (target: at most 5x).
4. Memory, each in a fresh child process so earlier runs do not hide growth:
   1,000,000 messages with default settings and one consumer (target: peak
   RSS growth < 50 MiB); one 256 KiB cumulative text in 16-byte chunks to one
   consumer and to 10 consumers (target for 10: < 64 MiB).
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from kavalai import StreamContent, Streamer

MESSAGES = 100_000
STREAMS = 4
FAN_OUT = 100
LATE_AFTER = 1_000_000
TEXT_BYTES = 256 * 1024
CHUNK = 16
ROUNDS = 5


async def queue_floor() -> float:
    queue: asyncio.Queue[StreamContent | None] = asyncio.Queue()
    names = [f"s{i}" for i in range(STREAMS)]

    async def produce() -> None:
        for i in range(MESSAGES):
            await queue.put(StreamContent(type="partial", name=names[i % STREAMS], value="chunk"))
        await queue.put(None)

    start = time.perf_counter()
    task = asyncio.create_task(produce())
    received = 0
    while await queue.get() is not None:
        received += 1
    await task
    elapsed = time.perf_counter() - start
    assert received == MESSAGES
    return MESSAGES / elapsed


async def produce_delta(streamer: Streamer, messages: int) -> None:
    value_streamers = [streamer.get_value_streamer(f"s{i}") for i in range(STREAMS)]
    for i in range(messages - STREAMS):
        await value_streamers[i % STREAMS].stream_partial("chunk")
    for value_streamer in value_streamers:
        await value_streamer.stream_complete()


async def count(streamer: Streamer) -> int:
    received = 0
    async for _ in streamer:
        received += 1
    return received


async def streamer_delta(consumers: int) -> float:
    """Deliveries per second: messages times consumers, over the wall time."""
    streamer = Streamer(stream_delta=True)
    start = time.perf_counter()
    counting = [asyncio.ensure_future(count(streamer)) for _ in range(consumers)]
    await asyncio.sleep(0)  # every consumer waits before the first push
    await produce_delta(streamer, MESSAGES)
    received = await asyncio.gather(*counting)
    elapsed = time.perf_counter() - start
    assert received == [MESSAGES] * consumers
    return MESSAGES * consumers / elapsed


async def late_catch_up() -> tuple[float, int]:
    """Seconds a consumer starting after LATE_AFTER messages takes to reach the head."""
    streamer = Streamer(stream_delta=True)
    value_streamers = [streamer.get_value_streamer(f"s{i}") for i in range(STREAMS)]
    for i in range(LATE_AFTER):
        value_streamers[i % STREAMS].on_next("chunk ")
    start = time.perf_counter()
    read = 0
    async with streamer.messages() as late:
        async for message in late:
            read += 1
            if message.seq == LATE_AFTER - 1:  # caught up: the last message pushed
                break
    return time.perf_counter() - start, read


async def backlog(messages: int) -> float:
    """Seconds a consumer made before ``messages`` were pushed takes to read them all."""
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")
    reader = streamer.messages()
    for _ in range(messages):
        text.on_next("chunk ")
    start = time.perf_counter()
    read = 0
    async for _ in reader:
        read += 1
        if read == messages:
            break
    elapsed = time.perf_counter() - start
    await reader.aclose()
    return elapsed


async def cumulative(consumers: int) -> float:
    text = "x" * TEXT_BYTES
    streamer = Streamer()
    value_streamer = streamer.get_value_streamer("text")

    async def last_value() -> str | None:
        last = None
        async for message in streamer:
            last = message.value
        return last

    start = time.perf_counter()
    reading = [asyncio.ensure_future(last_value()) for _ in range(consumers)]
    await asyncio.sleep(0)
    for offset in range(0, TEXT_BYTES, CHUNK):
        await value_streamer.stream_partial(text[offset : offset + CHUNK])
    await value_streamer.stream_complete()
    assert await asyncio.gather(*reading) == [text] * consumers
    return time.perf_counter() - start


async def million_default() -> float:
    streamer = Streamer(stream_delta=True)
    start = time.perf_counter()
    counting = asyncio.ensure_future(count(streamer))
    await asyncio.sleep(0)
    await produce_delta(streamer, LATE_AFTER)
    assert await counting == LATE_AFTER
    return time.perf_counter() - start


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM, which unlike ru_maxrss starts afresh at exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CHILDREN: dict[str, Callable[[], Coroutine[Any, Any, float]]] = {
    "million": million_default,
    "cumulative-1": partial(cumulative, 1),
    "cumulative-10": partial(cumulative, 10),
}


def child(name: str) -> None:
    """Runs in a child process: prints seconds and peak RSS growth in MiB."""
    before = peak_rss_mib()
    elapsed = asyncio.run(CHILDREN[name]())
    print(f"{elapsed} {peak_rss_mib() - before}")


def in_child(name: str) -> tuple[float, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", name], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(output[0]), float(output[1])


def main() -> None:
    floors: list[float] = []
    singles: list[float] = []
    fans: list[float] = []
    for _ in range(ROUNDS):  # interleaved, so machine noise hits all alike
        floors.append(asyncio.run(queue_floor()))
        singles.append(asyncio.run(streamer_delta(1)))
        fans.append(asyncio.run(streamer_delta(FAN_OUT)))
    floor, single, fan = (statistics.median(runs) for runs in (floors, singles, fans))
    print(f"delta mode, {MESSAGES:,} messages over {STREAMS} streams (median of {ROUNDS}):")
    print(f"  asyncio.Queue floor      {floor:>12,.0f} msg/s")
    print(f"  Streamer, 1 consumer     {single:>12,.0f} msg/s  ({single / floor:.0%} of floor)")
    print(
        f"  Streamer, {FAN_OUT} consumers {fan:>12,.0f} deliveries/s  "
        f"({fan / single:.1f}x the one-consumer rate)"
    )

    catch_ups = [asyncio.run(late_catch_up()) for _ in range(3)]
    seconds, read = min(catch_ups)
    print(f"a consumer joining after {LATE_AFTER:,} messages (default history, best of 3):")
    print(f"  caught up in {seconds * 1000:.1f} ms, {read:,} messages read (catch-up + history)")
    short, long = (min(asyncio.run(backlog(n)) for _ in range(3)) for n in (250_000, 1_000_000))
    print("a consumer reading a backlog it was there for (best of 3):")
    print(
        f"  250,000 messages {short:.3f} s, 1,000,000 {long:.3f} s: "
        f"{long / short:.1f}x (target <= 5x)"
    )

    for name, label in [
        ("million", f"{LATE_AFTER:,} messages, default settings, one consumer"),
        ("cumulative-1", f"cumulative {TEXT_BYTES // 1024} KiB in {CHUNK}-byte chunks, 1 consumer"),
        (
            "cumulative-10",
            f"cumulative {TEXT_BYTES // 1024} KiB in {CHUNK}-byte chunks, 10 consumers",
        ),
    ]:
        runs = [in_child(name) for _ in range(3)]
        print(f"{label}:")
        print(f"  best of 3            {min(run[0] for run in runs):.3f} s")
        print(f"  peak RSS growth      {max(run[1] for run in runs):.1f} MiB (worst of 3)")


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(sys.argv[-1])
    else:
        main()
