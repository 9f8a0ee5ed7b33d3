"""Streamer.watch: a watcher is told of each message added, each consumer's reads and the end."""

from __future__ import annotations

from collections.abc import Callable

from kavalai import LogReader, Streamer, StreamInfo
from kavalai.wire import RecordReader


class Notes:
    """A watcher that notes every call, the readers by the order they opened."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.readers: list[LogReader] = []

    def appended(
        self, position: int, kind: str, stream: StreamInfo | None, chunk: str | None
    ) -> None:
        self.calls.append(("appended", position, kind, stream and stream.name, chunk))

    def opened(self, reader: LogReader) -> Callable[[int], None]:
        number = len(self.readers)
        self.readers.append(reader)
        self.calls.append(("opened", number))
        return lambda position: self.calls.append(("taken", number, position))

    def ended(self, ending: str, error: Exception | None) -> None:
        self.calls.append(("ended", ending, error and str(error)))


async def test_a_watcher_is_told_of_pushes_reads_and_the_end() -> None:
    streamer, notes = Streamer(), Notes()
    streamer.watch(notes)
    text = streamer.get_value_streamer("text")
    messages = streamer.messages()
    await text.stream_partial("Hel")
    assert (await anext(messages)).value == "Hel"
    await text.stream_partial("lo")
    await streamer.stream_restart("again")
    await text.stream_complete()
    assert [message.type async for message in messages] == ["partial", "restart", "complete"]
    assert notes.calls == [
        ("opened", 0),
        ("appended", 0, "partial", "text", "Hel"),
        ("taken", 0, 1),
        ("appended", 1, "partial", "text", "lo"),
        ("appended", 2, "restart", None, None),
        ("appended", 3, "complete", "text", None),
        ("ended", "finished", None),
        ("taken", 0, 2),
        ("taken", 0, 3),
        ("taken", 0, 4),
    ]


async def test_a_watcher_is_told_of_a_transports_reads_in_chunks() -> None:
    streamer, notes = Streamer(), Notes()
    streamer.watch(notes)
    text = streamer.get_value_streamer("text", stream_delta=True)
    reader = RecordReader(streamer)
    for chunk in "abc":
        await text.stream_partial(chunk)
    records = await reader.read(timeout=5)
    assert [record.kind for record in records] == ["stream", "partial"]
    assert ("taken", 0, 3) in notes.calls
    await reader.aclose()
    await streamer.aclose()


async def test_a_failure_and_a_close_end_the_watch_with_their_words() -> None:
    failed, notes = Streamer(), Notes()
    failed.watch(notes)
    await failed.stream_error(ValueError("boom"))
    closed, closing = Streamer(), Notes()
    closed.watch(closing)
    await closed.aclose()
    assert notes.calls == [("ended", "failed", "boom")]
    assert closing.calls == [("ended", "closed", None)]


async def test_rx_subscribers_are_not_told_as_takes() -> None:
    streamer, notes = Streamer(), Notes()
    streamer.watch(notes)
    got: list[str | None] = []
    streamer.subscribe(lambda message: got.append(message.value))
    text = streamer.get_value_streamer("text")
    await text.stream_partial("a")
    await text.stream_complete()
    assert got == ["a", "a"]
    assert [call[0] for call in notes.calls] == ["appended", "appended", "ended"]


async def test_a_watcher_that_returns_none_is_not_told_of_that_consumers_takes() -> None:
    class Quiet(Notes):
        def opened(self, reader: LogReader) -> None:  # type: ignore[override]
            super().opened(reader)

    streamer, notes = Streamer(), Quiet()
    streamer.watch(notes)
    text = streamer.get_value_streamer("text")
    messages = streamer.messages()
    await text.stream_partial("a")
    await text.stream_complete()
    assert [message.type async for message in messages] == ["partial", "complete"]
    assert [call[0] for call in notes.calls] == ["opened", "appended", "appended", "ended"]


async def test_a_watcher_taken_off_is_told_nothing_more() -> None:
    streamer, notes = Streamer(), Notes()
    streamer.watch(notes)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("a")
    streamer.watch(None)
    await text.stream_partial("b")
    await text.stream_complete()
    assert notes.calls == [("appended", 0, "partial", "text", "a")]


async def test_an_unpaced_look_is_not_a_consumer() -> None:
    streamer, notes = Streamer(), Notes()
    streamer.watch(notes)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("a")
    look = streamer.reader(paced=False)
    assert look.take_raw() is not None
    assert [call[0] for call in notes.calls] == ["appended"]
    await streamer.aclose()
