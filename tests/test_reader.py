"""The LogReader's contract: what it takes, when it waits, and how it ends."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from kavalai import StreamContent, StreamerTimeoutException
from kavalai import reader as reader_module
from kavalai.content import StreamInfo
from kavalai.reader import RawMessage
from kavalai.streamer import Streamer


async def test_take_gives_none_when_nothing_is_ready_and_more_may_come() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("text")
    reader = streamer.reader()
    assert reader.take() is None
    assert not reader.done
    assert not reader.ready()


async def test_take_gives_each_message_then_none_and_done_after_the_last() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    reader = streamer.reader()
    await text.stream_partial("a")
    await text.stream_complete()
    assert reader.ready()
    assert reader.take() == StreamContent(type="partial", name="text", value="a")
    assert reader.take() == StreamContent(type="complete", name="text", value="a")
    assert reader.take() is None
    assert reader.done
    assert reader.ended
    assert reader.error is None


async def test_take_raw_gives_the_chunk_and_the_stream_it_belongs_to() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    await text.stream_partial("a")
    await streamer.stream_restart("again")
    reader = streamer.reader(delta=True)
    info = StreamInfo("text", False, False, 0)
    assert reader.take_raw() == RawMessage("partial", info, "a", 0)
    assert reader.take_raw() == RawMessage("restart", None, "again", 1)
    assert reader.take_raw() is None


async def test_take_chunks_gathers_the_partials_of_one_stream_and_stops_at_another() -> None:
    streamer = Streamer()
    text, other = streamer.get_value_streamer("text"), streamer.get_value_streamer("other")
    for chunk in ("a", "b", "c"):
        await text.stream_partial(chunk)
    await other.stream_partial("x")
    reader = streamer.reader(delta=True)
    first = reader.take_raw()
    assert first is not None
    assert first.stream is not None
    assert reader.take_chunks(first.stream, 100) == ["b", "c"]
    assert reader.position == 3
    assert reader.take_chunks(first.stream, 100) == []


async def test_take_chunks_takes_no_more_than_room() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    for chunk in ("aa", "bb", "cc"):
        await text.stream_partial(chunk)
    reader = streamer.reader(delta=True)
    assert reader.take_chunks(StreamInfo("text", False, False, 0), 3) == ["aa", "bb"]


async def test_a_reader_after_a_position_starts_right_after_it() -> None:
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")
    for chunk in ("a", "b", "c"):
        await text.stream_partial(chunk)
    reader = streamer.reader(after=1)
    assert reader.position == 2
    assert reader.take() == StreamContent(type="partial", name="text", value="c")


async def test_wait_returns_false_when_it_timed_out() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("text")
    reader = streamer.reader()
    assert await reader.wait(0.01) is False


async def test_wait_returns_true_once_a_message_is_ready() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    reader = streamer.reader()
    waiting = asyncio.create_task(reader.wait(30))
    await asyncio.sleep(0)
    await text.stream_partial("a")
    assert await waiting is True
    assert reader.take() is not None


async def test_wait_returns_true_at_once_when_the_streamer_ended() -> None:
    streamer = Streamer()
    streamer.close()
    reader = streamer.reader()
    assert await reader.wait(30) is True
    assert reader.take() is None
    assert reader.done


async def test_wait_is_not_ended_by_another_reader_leaving() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    reader, other = streamer.reader(), streamer.reader()
    waiting = asyncio.create_task(reader.wait(30))
    await asyncio.sleep(0)
    await other.aclose()
    await asyncio.sleep(0)
    assert not waiting.done()
    await text.stream_partial("a")
    assert await waiting is True


async def test_wait_raises_the_streamers_timeout_naming_the_quiet_streams() -> None:
    streamer = Streamer(timeout_seconds=0.01)
    streamer.get_value_streamer("text")
    reader = streamer.reader()
    with pytest.raises(StreamerTimeoutException, match="text"):
        await reader.wait()


async def test_a_reader_of_a_failed_streamer_is_done_with_its_error() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    reader = streamer.reader()
    await text.stream_partial("a")
    await streamer.stream_error(RuntimeError("boom"))
    assert reader.take() is not None
    assert reader.take() is None
    assert reader.done
    assert isinstance(reader.error, RuntimeError)


async def test_a_closed_reader_takes_nothing_and_no_longer_paces_producers() -> None:
    streamer = Streamer(max_buffer=1)
    text = streamer.get_value_streamer("text")
    reader = streamer.reader()
    assert streamer.statistics().consumers == 1
    await reader.aclose()
    await reader.aclose()  # idempotent
    for chunk in "abc":
        await text.stream_partial(chunk)  # would wait for a reader that paces
    assert reader.take() is None
    assert reader.done
    assert streamer.statistics().consumers == 0


async def test_async_with_closes_the_reader() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("text")
    async with streamer.reader() as reader:
        assert streamer.statistics().consumers == 1
    assert reader.done
    assert streamer.statistics().consumers == 0


async def test_async_for_gives_the_ready_messages_in_batches() -> None:
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")

    async def produce() -> None:
        await text.stream_partial("a")
        await text.stream_partial("b")
        await asyncio.sleep(0)
        await text.stream_partial("c")
        await text.stream_complete()

    reader = streamer.reader()
    streamer.start(produce())
    batches = [[message.value for message in batch] async for batch in reader]
    assert [value for batch in batches for value in batch] == ["a", "b", "c", None]
    assert len(batches) < 4


async def test_async_for_raises_the_streamers_error_after_the_last_batch() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    await text.stream_partial("a")
    await streamer.stream_error(RuntimeError("boom"))
    reader = streamer.reader()
    assert len(await anext(reader)) == 1
    with pytest.raises(RuntimeError, match="boom"):
        await anext(reader)


async def test_active_streams_describes_the_open_streams() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("text", stream_delta=True)
    answer = streamer.get_value_streamer("answer")
    await answer.stream_complete()
    reader = streamer.reader()
    assert reader.active_streams == (StreamInfo("text", True, False, 0),)


async def test_a_reader_before_the_kept_history_gets_the_catch_up() -> None:
    streamer = Streamer(history=0)
    text = streamer.get_value_streamer("text")
    for index in range(200):
        await text.stream_partial(str(index % 10))
    reader = streamer.reader()
    first = reader.take()
    assert first is not None
    assert first.type == "restart"
    assert first.value == "catch-up"
    second = reader.take()
    assert second is not None
    assert second.type == "partial"


@pytest.fixture
def quick_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader warns of a Streamer nothing can end after 10 ms, not 10 s."""
    monkeypatch.setattr(reader_module, "QUIET_WARNING_SECONDS", 0.01)


async def test_a_reader_waiting_on_a_streamer_nothing_can_end_warns(
    caplog: pytest.LogCaptureFixture, quick_warning: None
) -> None:
    streamer = Streamer()
    reader = streamer.reader()
    with caplog.at_level(logging.WARNING, logger="kavalai"):
        assert await reader.wait(0.2) is False
    assert "nothing the Streamer knows of can end it" in caplog.text
    assert "streamer.start()" in caplog.text


async def test_a_reader_waiting_while_a_started_producer_runs_does_not_warn(
    caplog: pytest.LogCaptureFixture, quick_warning: None
) -> None:
    streamer = Streamer()
    gate = asyncio.Event()

    async def produce() -> None:
        await gate.wait()
        text = streamer.get_value_streamer("text")
        await text.stream_complete()

    streamer.start(produce())
    reader = streamer.reader()
    with caplog.at_level(logging.WARNING, logger="kavalai"):
        assert await reader.wait(0.05) is False
    gate.set()
    assert caplog.text == ""
    assert await reader.wait(30) is True


async def test_a_reader_warns_once_the_task_that_pushed_returns_without_completing(
    caplog: pytest.LogCaptureFixture, quick_warning: None
) -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    gate = asyncio.Event()

    async def produce() -> None:  # forgets stream_complete()
        await text.stream_partial("x")
        await gate.wait()

    producer = asyncio.create_task(produce())
    reader = streamer.reader()
    with caplog.at_level(logging.WARNING, logger="kavalai"):
        assert await reader.wait(30)
        assert reader.take() is not None
        waiting = asyncio.create_task(reader.wait(0.5))
        await asyncio.sleep(0)
        gate.set()  # the producer returns while the reader waits
        await producer
        assert await waiting is False
    assert "nothing the Streamer knows of can end it" in caplog.text
    assert "(text)" in caplog.text


async def test_a_thread_that_pushed_counts_as_a_producer_that_runs(
    caplog: pytest.LogCaptureFixture, quick_warning: None
) -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    pushed, resume = threading.Event(), threading.Event()

    def produce() -> None:
        text.on_next("x")
        pushed.set()
        resume.wait(30)
        text.on_next("y")
        text.on_completed()

    thread = threading.Thread(target=produce)
    thread.start()
    await asyncio.to_thread(pushed.wait, 30)
    reader = streamer.reader()
    with caplog.at_level(logging.WARNING, logger="kavalai"):
        assert await reader.wait(30)
        assert reader.take() is not None
        assert await reader.wait(0.1) is False  # the thread is between chunks
    resume.set()
    await asyncio.to_thread(thread.join)
    assert caplog.text == ""


async def test_a_closed_reader_raises_the_streamers_error_no_more() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("text")
    await streamer.stream_error(RuntimeError("boom"))
    reader = streamer.reader()
    await reader.aclose()
    with pytest.raises(StopAsyncIteration):
        await anext(reader)


async def test_async_for_over_a_reader_raises_the_error_once() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("text")
    await streamer.stream_error(RuntimeError("boom"))
    reader = streamer.reader()
    with pytest.raises(RuntimeError, match="boom"):
        await anext(reader)
    with pytest.raises(StopAsyncIteration):
        await anext(reader)


async def test_an_unpaced_reader_holds_no_producer_back_and_is_made_from_any_thread() -> None:
    streamer = Streamer(max_buffer=1, stream_delta=True)
    text = streamer.get_value_streamer("text")
    reader = await asyncio.to_thread(streamer.reader, paced=False)
    for chunk in "abc":
        await text.stream_partial(chunk)  # would wait for a paced reader
    assert streamer.statistics().consumers == 0
    assert [raw.text for raw in iter(reader.take_raw, None)] == ["a", "b", "c"]
