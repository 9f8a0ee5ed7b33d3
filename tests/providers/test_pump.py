"""pump: any async iterable of text into one value streamer, its source closed however it ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from kavalai import Streamer
from kavalai.partial_json import is_whole_json
from kavalai.providers import pump

from .conftest import consume, keys


class Source:
    """Text chunks, then an optional failure, or a wait that only closing ends."""

    def __init__(self, *chunks: str, error: Exception | None = None, hang: bool = False) -> None:
        self.chunks = chunks
        self.error = error
        self.hang = hang
        self.closed = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[str]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error
        if self.hang:
            await asyncio.Event().wait()

    async def aclose(self) -> None:
        self.closed.set()


async def test_pump_feeds_every_chunk_then_completes() -> None:
    streamer = Streamer(stream_delta=True)
    source = Source("Hel", "lo")
    streamer.start(pump(source, streamer.get_value_streamer("answer")))
    messages, error = await consume(streamer)
    assert error is None
    assert keys(messages) == [
        ("partial", "answer", "Hel"),
        ("partial", "answer", "lo"),
        ("complete", "answer", None),
    ]
    assert source.closed.is_set()


async def test_a_failing_source_fails_the_streamer_after_its_chunks() -> None:
    streamer = Streamer(stream_delta=True)
    failure = ConnectionError("connection reset")
    await pump(Source("Hel", error=failure), streamer.get_value_streamer("answer"))
    messages, error = await consume(streamer)
    assert keys(messages) == [("partial", "answer", "Hel")]
    assert error is failure


async def test_closing_the_streamer_closes_a_started_pumps_source() -> None:
    streamer = Streamer(stream_delta=True)
    source = Source("Hel", hang=True)
    task = streamer.start(pump(source, streamer.get_value_streamer("answer")))
    async with streamer.messages() as messages:
        assert (await anext(messages)).value == "Hel"
    await streamer.aclose()
    await source.closed.wait()
    assert task.cancelled()


async def test_a_pump_pushing_into_a_closed_streamer_closes_its_source_and_returns() -> None:
    streamer = Streamer(stream_delta=True)
    source = Source("Hel", "lo")
    answer = streamer.get_value_streamer("answer")
    await streamer.aclose()
    await pump(source, answer)
    assert source.closed.is_set()


def test_deeply_nested_tool_arguments_count_as_whole() -> None:
    deep = "[" * 5000 + "]" * 5000  # valid, deeper than json.loads goes
    assert is_whole_json(deep)
    assert not is_whole_json("[" * 5000)
    assert not is_whole_json('{"city": "Os')
