"""Recordings: a Streamer's wire records with their times, saved, loaded and replayed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from kavalai import Streamer
from kavalai.errors import RemoteStreamError
from kavalai.testing import Entry, Recording, RecordingFormatError, record
from kavalai.wire import Record

from ..conftest import restart_without_reset, retry_under_the_same_name

Produce = Callable[[Streamer], Coroutine[Any, Any, None]]


class Answer(BaseModel):
    title: str
    tags: list[str]


async def two_streams_interleaved(streamer: Streamer) -> None:
    text = streamer.get_value_streamer("text")
    notes = streamer.get_value_streamer("notes", stream_delta=True)
    for index in range(5):
        await text.stream_partial(f"t{index} ")
        await notes.stream_partial(f"n{index}")
        await asyncio.sleep(0)
    await notes.stream_complete()
    await text.stream_complete()


async def structured(streamer: Streamer) -> None:
    answer = streamer.get_value_streamer("answer", response_model=Answer)
    raw = streamer.get_value_streamer("raw", stream_delta=True, response_model=Answer)
    for piece in ['{"title": "Pla', 'nets", "tags": ["a', '", "b"', "]}"]:
        await answer.stream_partial(piece)
        await raw.stream_partial(piece)
    await answer.stream_complete()
    await raw.stream_complete()


async def fails_midway(streamer: Streamer) -> None:
    text = streamer.get_value_streamer("text")
    await text.stream_partial("half")
    await streamer.stream_error(ConnectionError("the model went away"))


PRODUCERS = [
    two_streams_interleaved,
    structured,
    fails_midway,
    restart_without_reset,
    retry_under_the_same_name,
]


async def seen(streamer: Streamer, delta: bool | None = None) -> tuple[list[str], object]:
    """Every message a consumer gets, as JSON, and how the Streamer failed, if it did."""
    lines: list[str] = []
    try:
        async for message in streamer.messages(delta=delta):
            lines.append(message.model_dump_json())
    except RemoteStreamError as error:
        return lines, (error.type_name, error.message)
    except Exception as error:
        return lines, (type(error).__name__, str(error))
    return lines, None


async def recorded(produce: Produce) -> tuple[Recording, tuple[list[str], object]]:
    streamer = Streamer()
    recorder = record(streamer)
    consumer = asyncio.create_task(seen(streamer))
    streamer.start(produce(streamer))
    async with asyncio.timeout(5):
        recording = await recorder.wait()
        return recording, await consumer


@pytest.mark.parametrize("produce", PRODUCERS)
@pytest.mark.parametrize("delta", [None, True, False])
async def test_a_replay_gives_its_consumers_what_the_recorded_streamers_got(
    produce: Produce, delta: bool | None
) -> None:
    streamer = Streamer()
    recorder = record(streamer)
    consumer = asyncio.create_task(seen(streamer, delta))
    streamer.start(produce(streamer))
    async with asyncio.timeout(5):
        original = await consumer
        replayed = await seen(Recording.loads((await recorder.wait()).dumps()).play(), delta)
    assert replayed == original


@pytest.mark.parametrize("produce", PRODUCERS)
async def test_a_recording_survives_its_file(produce: Produce, tmp_path: Path) -> None:
    recording, _ = await recorded(produce)
    recording.save(tmp_path / "deep" / "answer.jsonl")
    loaded = Recording.load(tmp_path / "deep" / "answer.jsonl")
    assert loaded.entries == recording.entries
    assert loaded.entries[-1].record.kind in ("end", "error")


async def test_a_recording_is_one_timed_record_a_line() -> None:
    recording = Recording(
        [
            Entry(0.0, Record("stream", name="text", delta=True, serial=0)),
            Entry(0.25, Record("partial", 0, "text", ("Hel", "lo"))),
            Entry(0.5, Record("complete", 2, "text")),
            Entry(0.5, Record("end")),
        ]
    )
    assert recording.dumps().splitlines() == [
        '{"kavalai_recording": 1}',
        '{"t":0.0,"kind":"stream","name":"text","delta":true,"structured":false,"serial":0}',
        '{"t":0.25,"kind":"partial","seq":0,"name":"text","chunks":["Hel","lo"]}',
        '{"t":0.5,"kind":"complete","seq":2,"name":"text"}',
        '{"t":0.5,"kind":"end"}',
    ]
    assert recording.duration == 0.5


async def test_times_follow_the_pushes_in_order() -> None:
    async def paused(streamer: Streamer) -> None:
        text = streamer.get_value_streamer("text")
        await text.stream_partial("a")
        await asyncio.sleep(0.05)
        await text.stream_partial("b")
        await text.stream_complete()

    recording, _ = await recorded(paused)
    times = [t for t, _ in recording.entries]
    assert times == sorted(times)
    first_b = next(t for t, wire in recording.entries if wire.chunks == ("b",))
    first_a = next(t for t, wire in recording.entries if wire.chunks == ("a",))
    assert first_b - first_a >= 0.05 - 0.002  # the loop's clock resolution


async def test_a_replay_at_a_speed_keeps_the_pauses_scaled() -> None:
    recording = Recording(
        [
            Entry(0.0, Record("stream", name="text", delta=True, serial=0)),
            Entry(0.0, Record("partial", 0, "text", ("a",))),
            Entry(0.2, Record("partial", 1, "text", ("b",))),
            Entry(0.2, Record("complete", 2, "text")),
            Entry(0.2, Record("end")),
        ]
    )
    loop = asyncio.get_running_loop()
    arrived: dict[str, float] = {}
    async with asyncio.timeout(5):
        async for message in recording.play(speed=2.0):
            arrived.setdefault(message.value or message.type, loop.time())
    assert arrived["b"] - arrived["a"] >= 0.1 - 0.002


async def test_an_instant_replay_does_not_wait_for_the_recorded_times() -> None:
    recording = Recording(
        [
            Entry(0.0, Record("stream", name="text", delta=True, serial=0)),
            Entry(3600.0, Record("partial", 0, "text", ("late",))),
            Entry(7200.0, Record("complete", 1, "text")),
            Entry(7200.0, Record("end")),
        ]
    )
    async with asyncio.timeout(5):
        values = [message.value async for message in recording.play()]
    assert values == ["late", None]


async def test_a_recording_cut_before_the_end_leaves_the_replay_open() -> None:
    recording = Recording(
        [
            Entry(0.0, Record("stream", name="text", delta=True, serial=0)),
            Entry(0.0, Record("partial", 0, "text", ("a",))),
        ]
    )
    streamer = Streamer()
    await recording.play_into(streamer)
    assert not streamer.ended
    reader = streamer.reader()
    assert reader.take() is not None
    assert [stream.name for stream in reader.active_streams] == ["text"]
    await reader.aclose()
    await streamer.aclose()


@pytest.mark.parametrize("speed", [0, -1.0, True, "fast"])
async def test_a_speed_must_be_positive(speed: object) -> None:
    with pytest.raises(ValueError, match="speed must be a positive number"):
        await Recording([]).play_into(Streamer(), speed)  # type: ignore[arg-type]


def test_times_must_not_go_back() -> None:
    with pytest.raises(RecordingFormatError, match=r"line 3: time 0\.1 is before"):
        Recording([Entry(0.2, Record("end")), Entry(0.1, Record("end"))])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a kavalai recording"),
        ('{"kavalai_recording": 2}\n', "not a kavalai recording"),
        ('{"kavalai_recording": 1}\n{"kind":"end"}\n', "line 2: missing field 't'"),
        ('{"kavalai_recording": 1}\n{"t":"soon","kind":"end"}\n', "line 2: t must be"),
        ('{"kavalai_recording": 1}\n{"t":0,"kind":"nope"}\n', "line 2: not a kavalai wire"),
    ],
)
def test_a_malformed_recording_is_refused_naming_its_line(text: str, message: str) -> None:
    with pytest.raises(RecordingFormatError, match=message):
        Recording.loads(text)


async def test_a_recorder_closed_early_keeps_what_it_recorded() -> None:
    streamer = Streamer()
    recorder = record(streamer)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("a")
    recorder.close()
    await text.stream_partial("b")
    assert not recorder.done
    assert [wire.kind for _, wire in recorder.recording.entries] == ["stream", "partial"]
    await streamer.aclose()


async def test_a_recorder_never_holds_a_paced_producer_back() -> None:
    streamer = Streamer(max_buffer=2)
    recorder = record(streamer)
    text = streamer.get_value_streamer("text")
    async with asyncio.timeout(5):
        for index in range(100):
            await text.stream_partial(str(index))
        await text.stream_complete()
        recording = await recorder.wait()
    assert sum(len(wire.chunks) for _, wire in recording.entries) == 100


async def test_a_late_recording_replays_the_catch_up_a_late_consumer_gets() -> None:
    streamer = Streamer(history=8)
    text = streamer.get_value_streamer("text")
    for index in range(100):
        await text.stream_partial(f"{index} ")
    recorder, late = record(streamer), streamer.messages()  # both start here
    await text.stream_partial("last")
    await text.stream_complete()
    async with asyncio.timeout(5):
        original = [message.model_dump_json() async for message in late]
        replayed, error = await seen((await recorder.wait()).play())
    assert json.loads(original[0])["type"] == "restart"
    assert (replayed, error) == (original, None)
