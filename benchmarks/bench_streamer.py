"""Streamer throughput and memory, beside a bare asyncio.Queue hand-off.

Run: ``python benchmarks/bench_streamer.py``. Prints figures; asserts nothing.

1. Delta mode: a producer task pushes 100,000 chunks over 4 value streamers while
   an ``async for`` consumer drains the Streamer. The floor is the same hand-off
   of pydantic messages through a bare ``asyncio.Queue`` in the same run.
2. Cumulative mode: one 256 KiB text in 16-byte chunks, with a concurrent
   consumer: wall time and peak RSS growth, measured in a fresh child process
   so earlier runs do not hide the growth.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import subprocess
import sys
import time

from kavalai import StreamContent, Streamer

MESSAGES = 100_000
STREAMS = 4
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


async def streamer_delta() -> float:
    streamer = Streamer(stream_delta=True)
    value_streamers = [streamer.get_value_streamer(f"s{i}") for i in range(STREAMS)]

    async def produce() -> None:
        for i in range(MESSAGES - STREAMS):
            await value_streamers[i % STREAMS].stream_partial("chunk")
        for value_streamer in value_streamers:
            await value_streamer.stream_complete()

    start = time.perf_counter()
    task = asyncio.create_task(produce())
    received = 0
    async for _ in streamer:
        received += 1
    await task
    elapsed = time.perf_counter() - start
    assert received == MESSAGES
    return MESSAGES / elapsed


async def streamer_cumulative() -> float:
    text = "x" * TEXT_BYTES
    streamer = Streamer()
    value_streamer = streamer.get_value_streamer("text")

    async def produce() -> None:
        for offset in range(0, TEXT_BYTES, CHUNK):
            await value_streamer.stream_partial(text[offset : offset + CHUNK])
        await value_streamer.stream_complete()

    start = time.perf_counter()
    task = asyncio.create_task(produce())
    last = None
    async for message in streamer:
        last = message.value
    await task
    elapsed = time.perf_counter() - start
    assert last == text
    return elapsed


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cumulative_child() -> None:
    """Runs in a child process: prints seconds and peak RSS growth in MiB."""
    before = peak_rss_mib()
    elapsed = asyncio.run(streamer_cumulative())
    print(f"{elapsed} {peak_rss_mib() - before}")


def main() -> None:
    floors: list[float] = []
    deltas: list[float] = []
    for _ in range(ROUNDS):  # interleaved, so machine noise hits both alike
        floors.append(asyncio.run(queue_floor()))
        deltas.append(asyncio.run(streamer_delta()))
    floor, delta = statistics.median(floors), statistics.median(deltas)
    print(f"delta mode, {MESSAGES:,} messages over {STREAMS} streams (median of {ROUNDS}):")
    print(f"  asyncio.Queue floor  {floor:>10,.0f} msg/s")
    print(f"  Streamer             {delta:>10,.0f} msg/s  ({delta / floor:.0%} of floor)")

    runs = []
    for _ in range(3):
        output = subprocess.run(
            [sys.executable, __file__, "--cumulative-child"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        runs.append((float(output[0]), float(output[1])))
    seconds = min(run[0] for run in runs)
    growth = max(run[1] for run in runs)
    print(f"cumulative mode, {TEXT_BYTES // 1024} KiB in {CHUNK}-byte chunks, concurrent consumer:")
    print(f"  best of 3            {seconds:.3f} s")
    print(f"  peak RSS growth      {growth:.1f} MiB (worst of 3)")


if __name__ == "__main__":
    if "--cumulative-child" in sys.argv:
        cumulative_child()
    else:
        main()
