"""kavalai.display outside a notebook: the final frame, once, for a pipe or a log."""

from __future__ import annotations

import asyncio
import io

import reactivex

from kavalai import StreamContent, Streamer, StreamerTimeoutException
from kavalai.display import display

HOSTILE = "<script>alert(1)</script>\x1b[2J\x1b]0;title\x07\x1b[31mred"


async def test_display_prints_the_whole_final_frame_once_into_a_pipe() -> None:
    streamer = Streamer(stream_delta=True)
    thought = streamer.get_value_streamer("thought")
    result = streamer.get_value_streamer("result")

    async def produce() -> None:
        for word in ("one ", "two ", "three"):
            await thought.stream_partial(word)
            await asyncio.sleep(0)
        await thought.stream_complete()
        await result.stream_partial('{"title": "T", "rows": [{"n": 1}, {"n": 2}]}')
        await result.stream_complete()

    streamer.start(produce())
    out = io.StringIO()
    await display(streamer, out=out)

    text = out.getvalue()
    assert "\x1b" not in text
    assert text.count("one two three") == 1
    assert "✓ complete" in text
    assert "title: T" in text
    assert text.rstrip().endswith("done · 6 messages · 0 of 2 streams active")


async def test_display_strips_control_sequences_of_values() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial(HOSTILE)
    await answer.stream_complete()
    out = io.StringIO()

    await display(streamer, out=out)

    assert "\x1b" not in out.getvalue()
    assert "\x07" not in out.getvalue()
    assert "<script>alert(1)</script>red" in out.getvalue()


async def test_display_shows_a_timeout_and_returns() -> None:
    streamer = Streamer(timeout_seconds=0.01)
    await streamer.get_value_streamer("slow").stream_partial("wai")
    out = io.StringIO()

    await display(streamer, out=out)

    assert StreamerTimeoutException.__name__ in out.getvalue()
    assert "failed · 1 message" in out.getvalue()


async def test_display_reads_any_observable_of_messages() -> None:
    messages = [
        StreamContent(type="partial", name="a", value="x"),
        StreamContent(type="partial", name="a", value="y"),
        StreamContent(type="complete", name="a"),
    ]
    out = io.StringIO()

    await display(reactivex.from_iterable(messages), delta=True, out=out)

    assert "xy" in out.getvalue()


async def test_display_takes_nothing_from_other_consumers() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")

    async def produce() -> None:
        await answer.stream_partial("Hello")
        await answer.stream_complete()

    streamer.start(produce())
    shown, read = await asyncio.gather(display(streamer, out=io.StringIO()), _values(streamer))

    assert shown is None
    assert read == ["Hello", "Hello"]


async def _values(streamer: Streamer) -> list[str | None]:
    return [message.value async for message in streamer]


async def test_display_of_a_streamer_over_many_chunks_shows_the_whole_final_text() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    chunks = [f"{index:05d}|" for index in range(5000)]

    async def produce() -> None:
        for chunk in chunks:
            await answer.stream_partial(chunk)
            await asyncio.sleep(0)  # the display reads while the text grows
        await answer.stream_complete()

    streamer.start(produce())
    out = io.StringIO()
    await display(streamer, out=out)

    header, *wrapped, status = out.getvalue().splitlines()
    assert header.startswith("── answer · ✓ complete · 5,001 ")
    assert "".join(wrapped) == "".join(chunks)
    assert status.startswith("done · 5,001 messages · 0 of 1 stream active")
