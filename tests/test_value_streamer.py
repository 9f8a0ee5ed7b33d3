from __future__ import annotations

import pytest
import reactivex
from reactivex import operators as ops
from reactivex.subject import Subject

from kavalai import StreamClosedError, Streamer, ValueStreamer


def test_value_streamer_is_an_rx_subject_of_raw_chunks() -> None:
    value_streamer = Streamer().get_value_streamer("result")
    chunks: list[str] = []
    value_streamer.subscribe(chunks.append)
    value_streamer.on_next("a")
    value_streamer.on_next("b")
    assert isinstance(value_streamer, Subject)
    assert chunks == ["a", "b"]


def test_value_streamer_exposes_its_settings() -> None:
    value_streamer = Streamer(stream_delta=True).get_value_streamer("result")
    assert (value_streamer.name, value_streamer.stream_delta) == ("result", True)
    assert value_streamer.response_model is None


async def test_second_stream_complete_raises() -> None:
    value_streamer = ValueStreamer("result")
    await value_streamer.stream_complete()
    with pytest.raises(StreamClosedError, match="'result' is already complete"):
        await value_streamer.stream_complete()


async def test_stream_partial_after_complete_raises() -> None:
    value_streamer = ValueStreamer("result")
    await value_streamer.stream_complete()
    with pytest.raises(StreamClosedError, match="'result' is already complete"):
        await value_streamer.stream_partial("late")


async def test_non_str_chunk_raises_type_error_and_the_stream_goes_on() -> None:
    value_streamer = ValueStreamer("result")
    chunks: list[str] = []
    value_streamer.subscribe(chunks.append)
    with pytest.raises(TypeError, match="'result' takes str chunks, got bytes"):
        await value_streamer.stream_partial(b"raw")  # type: ignore[arg-type]
    await value_streamer.stream_partial("text")
    assert chunks == ["text"]


async def test_dispose_lets_its_subscribers_go_and_the_stream_still_completes() -> None:
    streamer = Streamer()
    value_streamer = streamer.get_value_streamer("result")
    chunks: list[str] = []
    value_streamer.subscribe(chunks.append)
    await value_streamer.stream_partial("a")
    value_streamer.dispose()
    await value_streamer.stream_partial("b")
    await value_streamer.stream_complete()
    assert chunks == ["a"]
    assert [message.type async for message in streamer] == ["partial", "partial", "complete"]


async def test_retire_forgets_one_stream_and_refuses_its_chunks() -> None:
    streamer = Streamer()
    draft, other = streamer.get_value_streamer("draft"), streamer.get_value_streamer("other")
    await draft.stream_partial("x")
    draft.retire()
    with pytest.raises(StreamClosedError, match="'draft' was retired"):
        await draft.stream_partial("y")
    await draft.stream_complete()  # harmless
    assert streamer.statistics().active_streams == 1
    await other.stream_complete()
    assert streamer.ended


async def test_a_retired_value_streamers_own_subscribers_complete_so_a_retry_stops() -> None:
    streamer = Streamer()
    draft = streamer.get_value_streamer("draft")
    subscriptions: list[int] = []
    chunks: list[str] = []
    ended: list[str] = []

    def subscribe_again(_: object) -> ValueStreamer:
        subscriptions.append(1)
        return draft

    retried = reactivex.defer(subscribe_again).pipe(ops.retry(1000))
    retried.subscribe(
        chunks.append, lambda error: ended.append("error"), lambda: ended.append("done")
    )
    await draft.stream_partial("x")
    await streamer.stream_restart("retry")
    streamer.reset_active()
    assert (chunks, ended, len(subscriptions)) == (["x"], ["done"], 1)
    late: list[str] = []
    draft.subscribe(on_completed=lambda: late.append("done"))
    assert late == ["done"]


async def test_a_value_streamers_own_subscribers_complete_when_its_streamer_closes() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    ended: list[str] = []
    text.subscribe(on_completed=lambda: ended.append("done"))
    await streamer.aclose()
    assert ended == ["done"]


async def test_a_value_streamers_own_subscribers_get_the_streamers_error() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    errors: list[Exception] = []
    text.subscribe(on_error=errors.append)
    await streamer.stream_error(RuntimeError("boom"))
    assert [str(error) for error in errors] == ["boom"]
