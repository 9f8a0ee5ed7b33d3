"""Soak: a million messages through a bounded Streamer to a slow consumer.

Run: ``python benchmarks/soak_streamer.py [messages]``. Prints figures; asserts nothing.

Four producer tasks push 1,000,000 delta chunks in total into
``Streamer(max_buffer=1024)``; the consumer
hands the event loop back after every message and sleeps a millisecond every
thousand, like one that writes to a socket. With flow control the producers
wait for it, so peak RSS must stay flat: the figure to watch is the growth of
peak RSS from the first tenth of the run to the end (target: < 50 MiB).
(Cumulative mode would measure the value, not the Streamer: each buffered
message holds the whole text so far, so there the bound is ``max_buffer``
times the value's size.)
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time

from kavalai import Streamer

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
STREAMS = 4
MAX_BUFFER = 1024


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def soak() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=MAX_BUFFER)
    value_streamers = [streamer.get_value_streamer(f"s{index}") for index in range(STREAMS)]
    per_stream = MESSAGES // STREAMS - 1

    async def produce(index: int) -> None:
        chunk = f"chunk {index} "
        for _ in range(per_stream):
            await value_streamers[index].stream_partial(chunk)
        await value_streamers[index].stream_complete()

    start = time.perf_counter()
    for index in range(STREAMS):
        streamer.start(produce(index))
    received = 0
    most_buffered = 0
    checkpoint = MESSAGES // 10
    baseline = 0.0
    async for _ in streamer:
        received += 1
        await asyncio.sleep(0)
        if received % 1000 == 0:
            most_buffered = max(most_buffered, streamer.statistics().buffered)
            await asyncio.sleep(0.001)
        if received == checkpoint:
            baseline = peak_rss_mib()
            print(f"  after {received:,} messages: peak RSS {baseline:.1f} MiB", flush=True)
    elapsed = time.perf_counter() - start
    final = peak_rss_mib()
    print(f"  after {received:,} messages: peak RSS {final:.1f} MiB")
    print(f"messages            {received:,}")
    print(f"throughput          {received / elapsed:,.0f} msg/s ({elapsed:.1f} s)")
    print(f"peak RSS growth     {final - baseline:.1f} MiB (first tenth to end)")
    print(f"most buffered       {most_buffered} (max_buffer {MAX_BUFFER})")


if __name__ == "__main__":
    print(f"soak: {MESSAGES:,} messages, {STREAMS} streams, max_buffer={MAX_BUFFER}, slow consumer")
    asyncio.run(soak())
