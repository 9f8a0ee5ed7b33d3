"""Flow control: max_buffer, statistics, and producers waiting for room."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kavalai import StreamClosedError, Streamer, StreamerStatistics


async def settle() -> None:
    """Let every ready task run until it blocks (a few loop turns, no timers)."""
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_max_buffer_must_be_a_positive_int_or_none(bad: Any) -> None:
    with pytest.raises(
        ValueError, match=r"^max_buffer must be a positive int, or None for no limit; got"
    ):
        Streamer(max_buffer=bad)


def test_statistics_of_a_new_streamer() -> None:
    assert Streamer(max_buffer=8).statistics() == StreamerStatistics(
        buffered=0, max_buffer=8, active_streams=0, waiting_producers=0
    )


async def test_producer_waits_while_max_buffer_messages_are_unconsumed() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=2)
    result = streamer.get_value_streamer("result")
    iterator = aiter(streamer)
    await result.stream_partial("a")
    await result.stream_partial("b")
    third = asyncio.ensure_future(result.stream_partial("c"))
    await settle()
    assert not third.done()
    assert streamer.statistics() == StreamerStatistics(2, 2, 1, 1, consumers=1, history=2)
    assert (await anext(iterator)).value == "a"
    await third
    assert [(await anext(iterator)).value for _ in range(2)] == ["b", "c"]


async def test_pushing_before_anyone_iterates_never_waits() -> None:
    streamer = Streamer(max_buffer=1, stream_delta=True)
    result = streamer.get_value_streamer("result")
    for chunk in "abcde":
        await result.stream_partial(chunk)
    await result.stream_complete()
    assert streamer.statistics().history == 6
    assert [m.value async for m in streamer] == ["a", "b", "c", "d", "e", None]


async def test_slow_consumer_bounds_the_buffer() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=4)
    result = streamer.get_value_streamer("result")
    most_buffered = 0

    async def produce() -> None:
        for number in range(200):
            await result.stream_partial(str(number))
        await result.stream_complete()

    streamer.start(produce())
    received = []
    async for message in streamer:
        most_buffered = max(most_buffered, streamer.statistics().buffered)
        received.append(message.value)
        await asyncio.sleep(0)  # a consumer that does I/O between messages
    assert received == [str(number) for number in range(200)] + [None]
    assert most_buffered <= 4


async def test_several_waiting_producers_all_get_through() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=1)
    streams = [streamer.get_value_streamer(f"s{i}") for i in range(3)]
    iterator = aiter(streamer)

    async def produce(index: int) -> None:
        for chunk in range(10):
            await streams[index].stream_partial(str(chunk))
        await streams[index].stream_complete()

    for index in range(3):
        streamer.start(produce(index))
    received = [message async for message in iterator]
    for index in range(3):
        values = [m.value for m in received if m.name == f"s{index}"]
        assert values == [str(chunk) for chunk in range(10)] + [None]


async def test_close_wakes_a_waiting_producer_with_stream_closed_error() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=1)
    result = streamer.get_value_streamer("result")
    consuming = aiter(streamer)  # kept: a consumer that lets go no longer paces anyone
    await result.stream_partial("a")
    blocked = asyncio.ensure_future(result.stream_partial("b"))
    await settle()
    await streamer.aclose()
    with pytest.raises(StreamClosedError, match=r"'result'.*closed"):
        await blocked
    assert [m.value async for m in consuming] == ["a"]


async def test_cancelled_waiting_producer_passes_room_on() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=1)
    first = streamer.get_value_streamer("first")
    second = streamer.get_value_streamer("second")
    iterator = aiter(streamer)
    await first.stream_partial("a")
    cancelled = asyncio.ensure_future(first.stream_partial("x"))
    waiting = asyncio.ensure_future(second.stream_partial("b"))
    await settle()
    assert streamer.statistics().waiting_producers == 2
    cancelled.cancel()
    assert (await anext(iterator)).value == "a"
    await waiting
    assert (await anext(iterator)).value == "b"
