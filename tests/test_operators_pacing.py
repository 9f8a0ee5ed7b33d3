"""The pacing operators under a virtual clock, and on a real asyncio loop without threads."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
from datetime import datetime, timedelta

import pytest
import reactivex
from reactivex import Observable
from reactivex import operators as ops
from reactivex.scheduler import HistoricalScheduler
from reactivex.subject import Subject

from kavalai import StreamContent, Streamer, iterate
from kavalai.operators import NoSchedulerError, smooth_text, throttle_latest

START = datetime(2026, 1, 1)


class Clocked:
    """A subject fed at virtual times, and what an operator over it emitted, with the times."""

    def __init__(self, operator: object) -> None:
        self.clock = HistoricalScheduler(START)
        self.subject: Subject[object] = Subject()
        self.items: list[tuple[float, object]] = []
        self.completed_at: float | None = None
        self.error: Exception | None = None
        chain: Observable[object] = self.subject.pipe(operator)  # type: ignore[call-overload]
        chain.subscribe(
            lambda item: self.items.append((self.now(), item)),
            self._failed,
            lambda: setattr(self, "completed_at", self.now()),
            scheduler=self.clock,
        )

    def now(self) -> float:
        return (self.clock.now - START).total_seconds()

    def at(self, seconds: float, item: object) -> None:
        self.clock.advance_to(START + timedelta(seconds=seconds))
        self.subject.on_next(item)

    def end(self, seconds: float) -> None:
        self.clock.advance_to(START + timedelta(seconds=seconds))
        self.subject.on_completed()

    def _failed(self, error: Exception) -> None:
        self.error = error

    @property
    def values(self) -> list[object]:
        return [item for _, item in self.items]


def test_throttle_latest_sends_the_first_at_once_and_the_newest_when_the_interval_ends() -> None:
    run = Clocked(throttle_latest(1.0))
    for at, text in [(0.0, "a"), (0.2, "ab"), (0.5, "abc"), (2.5, "abcd"), (2.6, "abcde")]:
        run.at(at, text)
    run.clock.advance_to(START + timedelta(seconds=10))
    assert run.items == [(0.0, "a"), (1.0, "abc"), (2.5, "abcd"), (3.5, "abcde")]


def test_throttle_latest_sends_the_held_item_when_the_source_completes() -> None:
    run = Clocked(throttle_latest(1.0))
    run.at(0.0, "a")
    run.at(0.3, "ab")
    run.end(0.4)
    assert run.items == [(0.0, "a"), (0.4, "ab")]
    assert run.completed_at == 0.4


def test_throttle_latest_sends_the_held_item_before_an_error() -> None:
    run = Clocked(throttle_latest(1.0))
    run.at(0.0, "a")
    run.at(0.3, "ab")
    run.subject.on_error(RuntimeError("dropped"))
    assert run.values == ["a", "ab"]
    assert isinstance(run.error, RuntimeError)


@pytest.mark.parametrize("seed", range(5))
def test_throttle_latest_keeps_one_item_per_interval_and_always_the_last(seed: int) -> None:
    rng = random.Random(seed)
    run = Clocked(throttle_latest(0.5))
    at = 0.0
    for number in range(200):
        at += rng.choice([0.01, 0.05, 0.2, 0.7])
        run.at(at, number)
    run.end(at + rng.choice([0.0, 0.1, 2.0]))
    assert run.values[-1] == 199
    assert run.values == sorted(int(str(value)) for value in run.values)
    times = [when for when, _ in run.items[:-1]]  # the last may come with the end
    assert all(later - earlier >= 0.5 - 1e-9 for earlier, later in itertools.pairwise(times))


def test_throttle_latest_holds_a_partial_per_stream_and_never_holds_back_a_complete() -> None:
    run = Clocked(throttle_latest(1.0))

    def partial(name: str, value: str) -> StreamContent:
        return StreamContent(type="partial", name=name, value=value)

    run.at(0.0, partial("a", "1"))
    run.at(0.1, partial("b", "x"))
    run.at(0.2, partial("a", "12"))
    run.at(0.3, StreamContent(type="complete", name="b", value="xy"))
    run.at(0.4, partial("a", "123"))
    run.clock.advance_to(START + timedelta(seconds=5))
    assert [(when, item.name, item.type, item.value) for when, item in run.items] == [  # type: ignore[attr-defined]
        (0.0, "a", "partial", "1"),
        (0.3, "a", "partial", "12"),
        (0.3, "b", "complete", "xy"),
        (1.0, "a", "partial", "123"),
    ]


def test_smooth_text_sends_a_word_per_interval_and_keeps_every_character() -> None:
    run = Clocked(smooth_text(0.1))
    run.at(0.0, "The quick br")
    run.at(0.01, "own fox jumps over")
    run.clock.advance_to(START + timedelta(seconds=0.35))
    assert run.items == [(0.0, "The "), (0.1, "quick "), (0.2, "brown "), (0.3, "fox ")]
    run.end(0.36)
    assert run.values[-1] == "jumps over"
    assert "".join(map(str, run.values)) == "The quick brown fox jumps over"


def test_smooth_text_by_line_ends_each_piece_with_its_newline() -> None:
    run = Clocked(smooth_text(0.5, chunking="line"))
    run.at(0.0, "one\ntw")
    run.at(0.1, "o\nthree\nfour")
    run.clock.advance_to(START + timedelta(seconds=3))
    assert run.items == [(0.0, "one\n"), (0.5, "two\n"), (1.0, "three\n")]
    run.end(3)
    assert run.values[-1] == "four"


@pytest.mark.parametrize("seed", range(5))
def test_smooth_text_of_any_chunking_joins_to_the_text(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(["word", " ", "  ", "\n", "x", "é", "\t"]) for _ in range(400))
    run = Clocked(smooth_text(0.05, chunking=rng.choice(["word", "line"])))
    at, start = 0.0, 0
    while start < len(text):
        end = start + rng.randint(1, 12)
        at += rng.choice([0.0, 0.01, 0.2])
        run.at(at, text[start:end])
        start = end
    run.end(at + 0.01)
    assert "".join(map(str, run.values)) == text
    times = [when for when, _ in run.items[:-1]]
    assert all(later - earlier >= 0.05 - 1e-9 for earlier, later in itertools.pairwise(times))


def test_a_pacing_operator_outside_a_loop_without_a_scheduler_fails_with_the_fix() -> None:
    errors: list[Exception] = []
    reactivex.of("a").pipe(throttle_latest(0.1)).subscribe(on_error=errors.append)
    (error,) = errors
    assert isinstance(error, NoSchedulerError)
    assert "pass scheduler=" in str(error)


@pytest.mark.parametrize("bad", [0, -1, True, "1"])
def test_a_pacing_interval_must_be_positive_seconds(bad: object) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        throttle_latest(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive number of seconds"):
        smooth_text(bad)  # type: ignore[arg-type]


async def test_throttle_latest_on_the_loop_delivers_a_streamers_complete_on_the_loops_thread() -> (
    None
):
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")

    async def produce() -> None:
        for word in ["Hello", ",", " world", "!"]:
            await answer.stream_partial(word)
            await asyncio.sleep(0)
        await answer.stream_complete()

    threads: set[int] = set()
    paced = streamer.pipe(ops.do_action(lambda _: None), throttle_latest(0.05))
    streamer.start(produce())
    messages = []
    async for message in iterate(
        paced.pipe(ops.do_action(lambda _: threads.add(threading.get_ident())))
    ):
        messages.append(message)
    assert threads == {threading.get_ident()}
    assert (messages[-1].type, messages[-1].value) == ("complete", "Hello, world!")


async def test_smooth_text_on_the_loop_gives_the_whole_text_with_async_for() -> None:
    chunks = reactivex.of("Once upon a ti", "me there was", " a stream.")
    pieces = [piece async for piece in iterate(chunks.pipe(smooth_text(0.001)))]
    assert "".join(pieces) == "Once upon a time there was a stream."
    assert pieces[0] == "Once "


def test_reactivex_throttle_first_without_a_scheduler_runs_on_a_timer_thread() -> None:
    """What the README warns of: reactivex's own time operators default to a thread."""
    seen = threading.Event()
    threads: list[int] = []
    subject: Subject[int] = Subject()

    def on_next(_: list[int]) -> None:
        threads.append(threading.get_ident())
        seen.set()

    subscription = subject.pipe(ops.buffer_with_time(0.01)).subscribe(on_next)
    try:
        assert seen.wait(5)
    finally:
        subscription.dispose()
    assert threads[0] != threading.get_ident()
