"""Wire records and the replica that rebuilds a Streamer from them."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable

import pytest

from kavalai import StreamContent, Streamer
from kavalai.wire import MAX_RECORD_TEXT, Record, RecordReader, Replica

from .conftest import restart_without_reset, retry_under_the_same_name

Produce = Callable[[Streamer], Awaitable[None]]


async def rebuilt(produce: Produce, reconnect_after: int | None = None) -> list[StreamContent]:
    """The messages of a Streamer rebuilt from ``produce``'s records (reconnecting once)."""
    remote = Streamer()
    await produce(remote)
    local = Streamer()
    replica = Replica(local)

    async def follow() -> None:
        reader = RecordReader(remote)
        applied = 0
        while not reader.done:
            for record in await reader.read():
                if not await replica.apply(record):
                    return
                applied += 1
                if applied == reconnect_after:  # a new connection announces every stream again
                    await reader.aclose()
                    reader = RecordReader(remote, replica.last_seq)
                    break

    local.start(follow())
    return [message async for message in local]


def keys(messages: list[StreamContent]) -> list[tuple[str, str, str | None]]:
    return [(m.type, m.name, m.value) for m in messages]


@pytest.mark.parametrize("produce", [restart_without_reset, retry_under_the_same_name])
@pytest.mark.parametrize("reconnect_after", [None, 2, 3])
async def test_a_replica_sees_what_a_local_consumer_sees(
    produce: Produce, reconnect_after: int | None
) -> None:
    local = Streamer()
    await produce(local)
    expected = keys([message async for message in local])
    assert keys(await rebuilt(produce, reconnect_after)) == expected


def test_a_stream_record_carries_its_serial() -> None:
    record = Record("stream", name="a", delta=True, serial=3)
    assert Record.from_json(record.to_json()) == record
    with pytest.raises(ValueError, match="serial must be an int"):
        Record.from_json('{"kind": "stream", "name": "a", "serial": "3"}')


@pytest.mark.parametrize("delta", [True, False])
async def test_a_record_reader_leaves_messages_unbuilt(delta: bool) -> None:
    streamer = Streamer(stream_delta=delta)
    reader = RecordReader(streamer)
    text = streamer.get_value_streamer("text")
    for chunk in ("a", "b", "c"):
        await text.stream_partial(chunk)
    await text.stream_complete()
    records = await reader.read()
    assert [record.kind for record in records] == ["stream", "partial", "complete", "end"]
    assert records[1].chunks == ("a", "b", "c")
    # The wire reads raw chunks: no message, and no cumulative value, was built for it.
    assert streamer._log.history.messages == [None] * 4


async def test_a_served_answer_keeps_no_object_per_message() -> None:
    # Thousands of answers served at once must not each hold an object per
    # message for the garbage collector to walk again and again.
    streamer = Streamer(stream_delta=True, history=None)
    reader = RecordReader(streamer)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("first")
    await reader.read()
    gc.collect()
    before = len(gc.get_objects())
    for number in range(2_000):
        await text.stream_partial(str(number))
    await reader.read()
    gc.collect()
    assert len(gc.get_objects()) - before < 100


async def test_a_partial_record_gathers_one_streams_chunks_up_to_its_size() -> None:
    streamer = Streamer(stream_delta=True)
    reader = RecordReader(streamer)
    text = streamer.get_value_streamer("text")
    other = streamer.get_value_streamer("other")
    chunk = "x" * 1000
    for _ in range(2 * MAX_RECORD_TEXT // len(chunk)):
        await text.stream_partial(chunk)
    await other.stream_partial("y")
    await text.stream_partial("z")
    records = [record for record in await reader.read() if record.kind == "partial"]
    assert [(record.name, record.seq) for record in records] == [
        ("text", 0),
        ("text", 33),
        ("other", 65),
        ("text", 66),
    ]
    assert [len(record.chunks) for record in records] == [33, 32, 1, 1]
