"""Independent consumers: every consumer sees every message, at its own position."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable
from itertools import pairwise

import pytest
from pydantic import BaseModel
from reactivex import operators as ops

from kavalai import (
    MessageIterator,
    StreamContent,
    Streamer,
    StreamRestartedError,
    ValueStreamer,
    iterate,
)
from kavalai.operators import completed_items, stream_values, typed_partials

from .conftest import Consumer

HELLO = [
    ("partial", "result", "Hello,"),
    ("partial", "result", "Hello, world!"),
    ("complete", "result", "Hello, world!"),
]


def keys(messages: list[StreamContent]) -> list[tuple[str, str, str | None]]:
    return [(message.type, message.name, message.value) for message in messages]


async def push_hello(streamer: Streamer) -> ValueStreamer:
    result = streamer.get_value_streamer("result")
    await result.stream_partial("Hello,")
    await result.stream_partial(" world!")
    await result.stream_complete()
    return result


async def settle() -> None:
    """Let every ready task run until it blocks (a few loop turns, no timers)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_two_concurrent_async_for_loops_each_get_every_message() -> None:
    streamer = Streamer()
    first = asyncio.ensure_future(Consumer("async_for").consume(streamer))
    second = asyncio.ensure_future(Consumer("async_for").consume(streamer))
    await settle()
    await push_hello(streamer)
    assert keys((await first).messages) == HELLO
    assert keys((await second).messages) == HELLO


async def test_debugging_subscriber_takes_nothing_from_the_main_consumer() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    await result.stream_partial("Hello,")
    printed: list[StreamContent] = []
    streamer.subscribe(printed.append)
    await result.stream_partial(" world!")
    await result.stream_complete()
    assert keys([message async for message in streamer]) == HELLO
    assert keys(printed) == HELLO


async def test_late_consumer_of_either_kind_replays_then_follows_live(consumer: Consumer) -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    await result.stream_partial("Hello,")
    consumption = consumer.start(streamer)
    await result.stream_partial(" world!")
    await result.stream_complete()
    assert keys((await consumption).messages) == HELLO


async def test_a_kept_iterator_continues_where_it_stopped() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    iterator = aiter(streamer)
    async for _ in iterator:
        break
    assert keys([message async for message in iterator]) == HELLO[1:]


async def test_every_message_has_the_next_position() -> None:
    streamer = Streamer(stream_delta=True)
    await push_hello(streamer)
    assert [message.seq async for message in streamer] == [0, 1, 2]


def test_position_stays_out_of_the_wire_form_and_of_equality() -> None:
    made = StreamContent(type="partial", name="result", value="Hello,")
    assert made.seq is None
    assert made.model_dump_json() == '{"type":"partial","name":"result","value":"Hello,"}'


async def test_positioned_message_equals_one_made_by_hand() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    first = await anext(aiter(streamer))
    assert first.seq == 0
    assert first == StreamContent(type="partial", name="result", value="Hello,")
    assert first.model_dump_json() == '{"type":"partial","name":"result","value":"Hello,"}'


async def test_messages_after_a_position_resume_there() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    assert keys([message async for message in streamer.messages(after=0)]) == HELLO[1:]
    assert [message async for message in streamer.messages(after=2)] == []


@pytest.mark.parametrize("after", [3, -2, 1.0, "0", True])
async def test_messages_after_a_position_never_given_raises(after: object) -> None:
    streamer = Streamer()
    await push_hello(streamer)
    with pytest.raises(ValueError, match=r"is not the position of a message.*0 to 2"):
        streamer.messages(after=after)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"is not the position of a message.*0 to 2"):
        streamer.check_position(after)  # type: ignore[arg-type]


async def test_a_position_given_or_none_passes_the_check() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    for after in (None, -1, 0, 2):
        streamer.check_position(after)


async def test_messages_in_delta_form_carry_the_raw_chunks_of_every_stream() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer", response_model=Planet)
    await push_hello(streamer)
    await answer.stream_partial('{"name": "Jup')
    await answer.stream_partial('iter", "moons": 95}')
    await answer.stream_complete()
    assert keys([message async for message in streamer.messages(delta=True)]) == [
        ("partial", "result", "Hello,"),
        ("partial", "result", " world!"),
        ("complete", "result", None),
        ("partial", "answer", '{"name": "Jup'),
        ("partial", "answer", 'iter", "moons": 95}'),
        ("complete", "answer", None),
    ]


async def test_messages_in_cumulative_form_accumulate_delta_streams() -> None:
    streamer = Streamer(stream_delta=True)
    await push_hello(streamer)
    assert keys([message async for message in streamer.messages(delta=False)]) == HELLO


class Planet(BaseModel):
    name: str
    moons: int


class Answer(BaseModel):
    planets: list[Planet]


async def test_values_give_the_raw_text_of_a_cumulative_structured_stream() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer", response_model=Answer)
    for chunk in [
        '{"planets": [{"name": "Jupiter", ',
        '"moons": 95}, {"name": "Saturn", ',
        '"moons": 146}]}',
    ]:
        await answer.stream_partial(chunk)
    await answer.stream_complete()
    typed = [
        partial async for partial in iterate(streamer.values("answer").pipe(typed_partials(Answer)))
    ]
    planets = [
        planet
        async for planet in iterate(
            streamer.values("answer").pipe(completed_items("planets", Planet))
        )
    ]
    assert typed[-1] == Answer(
        planets=[Planet(name="Jupiter", moons=95), Planet(name="Saturn", moons=146)]
    )
    assert planets == [Planet(name="Jupiter", moons=95), Planet(name="Saturn", moons=146)]


@pytest.mark.parametrize("history", [None, 0, 64])
async def test_values_replay_the_chunks_of_their_stream_among_others(history: int | None) -> None:
    # Streams before, during and after it; with a short history, some of its
    # chunks were folded into one, some of them all.
    streamer = Streamer(stream_delta=True, history=history)
    before, during = streamer.get_value_streamer("before"), streamer.get_value_streamer("during")
    for number in range(100):
        before.on_next(f"b{number} ")
    await before.stream_complete()
    middle = streamer.get_value_streamer("middle")
    for number in range(100):
        middle.on_next(f"m{number} ")
        during.on_next(f"d{number} ")
    await middle.stream_complete()
    after = streamer.get_value_streamer("after")
    for number in range(100):
        after.on_next(f"a{number} ")
    for name in ("before", "middle", "during", "after"):
        chunks: list[str] = []
        streamer.values(name).subscribe(chunks.append).dispose()
        assert "".join(chunks) == "".join(f"{name[0]}{number} " for number in range(100))
        if history is None:
            assert len(chunks) == 100
    await during.stream_complete()
    await after.stream_complete()


async def test_values_wait_for_a_stream_registered_later() -> None:
    streamer = Streamer()
    chunks = iterate(streamer.values("result"))
    await push_hello(streamer)
    assert [chunk async for chunk in chunks] == ["Hello,", " world!"]


async def test_values_of_a_name_that_never_came_fail_naming_it() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    with pytest.raises(ValueError, match=r"without a value streamer named 'typo'"):
        [chunk async for chunk in iterate(streamer.values("typo"))]


async def test_values_of_a_retired_stream_fail_with_the_restart_reason() -> None:
    streamer = Streamer()
    attempt = streamer.get_value_streamer("result")
    chunks = iterate(streamer.values("result"))
    await attempt.stream_partial("Hel")
    await streamer.stream_restart("rate limited")
    streamer.reset_active()
    with pytest.raises(StreamRestartedError, match="rate limited"):
        [chunk async for chunk in chunks]


async def test_trimmed_history_gives_a_late_consumer_the_catch_up() -> None:
    streamer = Streamer(history=0)  # trimmed in batches of 64
    text = streamer.get_value_streamer("text", stream_delta=True)
    summary = streamer.get_value_streamer("summary")
    for number in range(127):
        await text.stream_partial(f"{number} ")
    await summary.stream_partial("numbers")
    await text.stream_complete()
    await summary.stream_partial(" to 126")
    late = streamer.messages()
    received = [await anext(late) for _ in range(5)]
    assert keys(received) == [
        ("restart", "response", "catch-up"),
        ("partial", "text", "".join(f"{number} " for number in range(127))),
        ("partial", "summary", "numbers"),
        ("complete", "text", None),
        ("partial", "summary", "numbers to 126"),
    ]
    assert [message.seq for message in received] == [None, None, 127, 128, 129]


async def test_trimmed_catch_up_in_cumulative_form_carries_the_final_value() -> None:
    streamer = Streamer(history=0, stream_delta=True)
    text = streamer.get_value_streamer("text")
    for _ in range(127):
        await text.stream_partial("ab")
    await text.stream_complete()
    late = [message async for message in streamer.messages(delta=False)]
    assert keys(late) == [("restart", "response", "catch-up"), ("complete", "text", "ab" * 127)]


async def test_resuming_after_a_trimmed_position_gets_the_catch_up() -> None:
    streamer = Streamer(history=0, stream_delta=True)
    text = streamer.get_value_streamer("text")
    for _ in range(128):
        await text.stream_partial("x")
    resumed = streamer.messages(after=5)
    assert keys([await anext(resumed), await anext(resumed)]) == [
        ("restart", "response", "catch-up"),
        ("partial", "text", "x" * 128),
    ]


def behind(chunks: int) -> tuple[Streamer, ValueStreamer, MessageIterator]:
    """A Streamer that keeps no history, and a reader made before ``chunks`` chunks came."""
    streamer = Streamer(history=0, stream_delta=True)
    text = streamer.get_value_streamer("text")
    reader = streamer.messages()
    for number in range(chunks):
        text.on_next(str(number))
    return streamer, text, reader


async def test_history_a_consumer_still_needs_is_never_trimmed() -> None:
    _, text, slow = behind(200)
    await text.stream_complete()
    assert [message.value async for message in slow] == [str(n) for n in range(200)] + [None]


async def test_history_behind_a_reader_far_behind_is_folded_in_halving_steps() -> None:
    # Folding moves every message that stays: in steps at least as large as
    # what stays, a reader catching up on a long backlog costs O(1) a message.
    streamer, text, reader = behind(4096)
    kept = [streamer.statistics().history]
    values = []
    async for message in reader:
        values.append(message.value)
        kept.append(streamer.statistics().history)
        if len(values) == 4096:
            break
    assert values == [str(n) for n in range(4096)]
    folds = [after for before, after in pairwise(kept) if after < before]
    assert len(folds) <= 12
    assert kept[-1] <= 64
    await text.stream_complete()


@pytest.mark.parametrize("history", [-1, 1.5, True, "10"])
def test_history_must_be_a_non_negative_int_or_none(history: object) -> None:
    with pytest.raises(ValueError, match=r"^history must be a non-negative int"):
        Streamer(history=history)  # type: ignore[arg-type]


async def producer_paced_by(streamer: Streamer, chunks: int) -> asyncio.Future[None]:
    text = streamer.get_value_streamer("text")

    async def produce() -> None:
        for number in range(chunks):
            await text.stream_partial(str(number))
        await text.stream_complete()

    return asyncio.ensure_future(produce())


async def test_max_buffer_paces_producers_to_the_slowest_consumer() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=2)
    fast, slow = streamer.messages(), streamer.messages()
    producing = await producer_paced_by(streamer, 10)
    await settle()
    assert streamer.statistics().buffered == 2
    assert [(await anext(fast)).value for _ in range(2)] == ["0", "1"]
    await settle()
    assert streamer.statistics().waiting_producers == 1  # the slow one has not moved
    assert (await anext(slow)).value == "0"
    await settle()
    assert streamer.statistics().buffered == 2
    producing.cancel()


async def test_consumer_that_breaks_out_no_longer_holds_producers_back() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=1)
    producing = await producer_paced_by(streamer, 50)
    async for _ in streamer:
        break
    gc.collect()
    await producing
    assert streamer.statistics().consumers == 0


async def test_leaving_async_with_messages_releases_the_consumer() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=1)
    async with streamer.messages() as messages:
        producing = await producer_paced_by(streamer, 50)
        assert (await anext(messages)).value == "0"
    await producing
    assert [message async for message in messages] == []


async def test_disposed_rx_subscription_holds_nothing() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=1)
    subscription = streamer.subscribe(lambda message: None)
    assert streamer.statistics().consumers == 1
    subscription.dispose()
    assert streamer.statistics().consumers == 0
    await (await producer_paced_by(streamer, 50))


async def test_producer_on_a_thread_is_paced_by_max_buffer() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=2)
    text = streamer.get_value_streamer("text")
    messages = streamer.messages()
    pushed: list[int] = []

    def produce() -> None:
        for number in range(6):
            text.on_next(str(number))
            pushed.append(number)
        text.on_completed()

    thread = threading.Thread(target=produce)
    thread.start()
    while streamer.statistics().buffered < 2:
        await asyncio.sleep(0)
    await settle()
    assert len(pushed) <= 3  # blocked while the consumer is 2 behind
    received = [message.value async for message in messages]
    await asyncio.to_thread(thread.join)
    assert received == ["0", "1", "2", "3", "4", "5", None]


async def test_create_task_producer_that_raises_fails_the_streamer(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    error = ConnectionError("model went away")

    async def produce() -> None:
        await result.stream_partial("Hel")
        raise error

    consumption = consumer.start(streamer)
    task = asyncio.create_task(produce())
    consumed = await consumption
    assert [message.value for message in consumed.messages] == ["Hel"]
    assert consumed.error is error
    assert task.done()


async def test_value_streamer_made_in_a_thread_and_fed_there_wakes_the_consumer() -> None:
    streamer = Streamer()
    consuming = asyncio.ensure_future(Consumer("async_for").consume(streamer))
    await settle()

    def produce() -> None:
        result = streamer.get_value_streamer("result")
        result.on_next("Hello,")
        result.on_next(" world!")
        result.on_completed()

    await asyncio.to_thread(produce)
    consumed = await asyncio.wait_for(consuming, timeout=10)
    assert keys(consumed.messages) == HELLO


def test_streamer_made_outside_a_loop_serves_a_consumer_in_one() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    result.on_next("made before any loop ran; ")

    async def consume() -> list[str | None]:
        async def produce() -> None:
            result.on_next("then fed from a thread")
            result.on_completed()

        thread = threading.Thread(target=lambda: asyncio.run(produce()))
        iterator = aiter(streamer)
        thread.start()
        values = [message.value async for message in iterator]
        thread.join()
        return values

    assert asyncio.run(asyncio.wait_for(consume(), timeout=10)) == [
        "made before any loop ran; ",
        "then fed from a thread",
        None,
    ]


async def test_chunk_handed_over_by_a_thread_is_not_overtaken_by_a_later_push() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    thread = threading.Thread(target=result.on_next, args=("a",))
    thread.start()
    thread.join()
    await result.stream_partial("b")
    await result.stream_complete()
    assert [message.value async for message in streamer] == ["a", "b", None]


async def test_aioreactive_subscribers_each_get_every_message_and_the_error() -> None:
    streamer = Streamer(stream_delta=True)
    try:
        import aioreactive
    except ImportError:  # the environment without the aio extra: the error names it
        with pytest.raises(ImportError, match=r"kavalai\[aio\]"):
            streamer.to_async_observable()
        return
    result = streamer.get_value_streamer("result")
    await result.stream_partial("a")
    error = RuntimeError("boom")
    seen: list[list[str | None]] = [[], []]
    errors: list[asyncio.Future[Exception]] = [
        asyncio.get_running_loop().create_future() for _ in seen
    ]
    for index in range(2):

        async def asend(message: StreamContent, index: int = index) -> None:
            seen[index].append(message.value)

        async def athrow(failure: Exception, index: int = index) -> None:
            errors[index].set_result(failure)

        observer = aioreactive.AsyncAnonymousObserver(asend, athrow)
        await streamer.to_async_observable().subscribe_async(observer)
    await streamer.stream_error(error)
    assert [await failure for failure in errors] == [error, error]
    assert seen == [["a"], ["a"]]


@pytest.mark.parametrize("name", [None, 1, b"result"])
def test_a_name_that_is_not_a_str_is_refused(name: object) -> None:
    streamer = Streamer()
    with pytest.raises(TypeError, match=r"name of a value streamer must be a str"):
        streamer.get_value_streamer(name)  # type: ignore[arg-type]
    assert streamer.statistics().active_streams == 0


def test_an_empty_name_is_refused() -> None:
    streamer = Streamer()
    with pytest.raises(ValueError, match=r"must not be empty"):
        streamer.get_value_streamer("")
    assert streamer.statistics().active_streams == 0


async def test_stream_values_ignore_a_restart_before_their_stream_began() -> None:
    streamer = Streamer(history=0, stream_delta=True)
    text = streamer.get_value_streamer("text")
    for _ in range(100):
        await text.stream_partial("x")
    await text.stream_complete()
    late = [value async for value in iterate(streamer.pipe(stream_values("text")))]
    assert "".join(late) == "x" * 100


async def test_consumer_reading_a_catch_up_still_paces_producers() -> None:
    streamer = Streamer(history=0, stream_delta=True, max_buffer=2)
    first, second = (streamer.get_value_streamer(name) for name in ("first", "second"))
    for _ in range(64):
        first.on_next("x")
        second.on_next("y")
    late = streamer.messages(after=0)
    caught = [await anext(late) for _ in range(3)]  # restart, then the two values so far
    assert [message.type for message in caught] == ["restart", "partial", "partial"]
    assert streamer.statistics().buffered == 0
    pushing = asyncio.ensure_future(first.stream_partial("z"))
    await settle()
    assert pushing.done()
    await second.stream_partial("w")
    blocked = asyncio.ensure_future(first.stream_partial("!"))
    await settle()
    assert not blocked.done()  # the late consumer is 2 behind
    assert [(await anext(late)).value for _ in range(2)] == ["z", "w"]
    await blocked


async def test_every_values_observer_of_a_stream_ends_with_it() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    other = streamer.get_value_streamer("other")
    ends: list[str] = []

    def completed(index: int) -> Callable[[], None]:
        return lambda: ends.append(f"{index}")

    def failed(index: int) -> Callable[[Exception], None]:
        return lambda error: ends.append(f"m{index}")

    for index in range(3):
        streamer.values("answer").subscribe(on_completed=completed(index))
        streamer.values("missing").subscribe(on_error=failed(index))
    await answer.stream_complete()
    await other.stream_complete()
    assert sorted(ends) == ["0", "1", "2", "m0", "m1", "m2"]


@pytest.mark.parametrize("delta", [True, False])
async def test_a_catch_up_after_a_restart_carries_only_what_followed_it(delta: bool) -> None:
    streamer = Streamer(stream_delta=delta, history=0)
    text = streamer.get_value_streamer("text")
    done = streamer.get_value_streamer("done")
    await done.stream_partial("finished before")
    await done.stream_complete()
    await text.stream_partial("before ")
    await streamer.stream_restart("retry")  # without reset_active(): the stream goes on
    for _ in range(70):
        await text.stream_partial("x")
    late = streamer.messages()
    caught = [await anext(late) for _ in range(2)]
    assert keys(caught[:1]) == [("restart", "response", "catch-up")]
    await text.stream_complete()
    rest = [message async for message in late]
    if delta:  # as a consumer from the start has it
        assert "".join(m.value or "" for m in caught[1:] + rest) == "x" * 70
    else:
        assert keys(rest[-1:]) == [("complete", "text", "x" * 70)]
        assert caught[1].value is not None
        assert caught[1].value == "x" * len(caught[1].value)  # none of the text before
        assert caught[1].value


async def test_values_subscribed_after_a_restart_give_the_chunks_since() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    await text.stream_partial("before ")
    await streamer.stream_restart("retry")  # without reset_active(): the stream goes on
    await text.stream_partial("after")
    chunks = iterate(streamer.values("text"))
    await text.stream_complete()
    assert [chunk async for chunk in chunks] == ["after"]


async def test_values_subscribed_after_a_trimmed_restart_give_the_text_since() -> None:
    streamer = Streamer(history=0)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("before ")
    await streamer.stream_restart("retry")
    for _ in range(70):
        await text.stream_partial("x")
    chunks = iterate(streamer.values("text"))
    await text.stream_complete()
    assert "".join([chunk async for chunk in chunks]) == "x" * 70


async def test_values_retried_at_a_restart_follow_the_chunks_since() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    await text.stream_partial("before ")
    chunks: list[str] = []
    streamer.values("text").pipe(ops.retry(2)).subscribe(chunks.append)
    await streamer.stream_restart("retry")  # without reset_active(): the stream goes on
    await text.stream_partial("after")
    await text.stream_complete()
    assert chunks == ["before ", "after"]


async def test_a_stream_fed_by_values_ends_its_streamer_after_the_restart(
    consumer: Consumer,
) -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    loud = streamer.get_value_streamer("loud")
    streamer.values("answer").pipe(ops.map(str.upper)).subscribe(loud)
    consuming = consumer.start(streamer)
    await answer.stream_partial("half")
    await streamer.stream_restart("rate limited")  # answer goes on: loud's values are void
    consumed = await consuming
    assert keys(consumed.messages) == [
        ("partial", "answer", "half"),
        ("partial", "loud", "HALF"),
        ("restart", "response", "rate limited"),
    ]
    assert isinstance(consumed.error, StreamRestartedError)


async def test_values_that_gave_chunks_fail_at_a_restart() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    waiting = iterate(streamer.values("text"))  # nothing yet: the restart takes nothing back
    await streamer.stream_restart("first")
    await text.stream_partial("before ")
    chunks = iterate(streamer.values("text"))
    await streamer.stream_restart("retry")
    await text.stream_partial("after")
    await text.stream_complete()
    with pytest.raises(StreamRestartedError, match="retry"):
        [chunk async for chunk in chunks]
    with pytest.raises(StreamRestartedError, match="retry"):
        [chunk async for chunk in waiting]


def test_a_task_that_fed_a_module_level_streamer_and_raised_fails_it() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")  # made before any loop runs
    error = RuntimeError("boom")

    async def produce() -> None:
        await result.stream_partial("a")
        raise error

    async def main() -> list[str | None]:
        task = asyncio.create_task(produce())
        await asyncio.gather(task, return_exceptions=True)  # it fails before anyone reads
        iterator = aiter(streamer)
        first = await anext(iterator)
        with pytest.raises(RuntimeError, match="boom"):
            await anext(iterator)
        return [first.value]

    assert asyncio.run(asyncio.wait_for(main(), timeout=10)) == ["a"]


async def test_a_consumer_in_another_threads_loop_gets_every_message() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    received: list[str | None] = []

    def consume() -> None:
        async def read() -> None:
            async for message in streamer:
                received.append(message.value)

        asyncio.run(asyncio.wait_for(read(), timeout=10))

    thread = threading.Thread(target=consume)
    thread.start()
    await result.stream_partial("a")
    await result.stream_partial("b")
    await result.stream_complete()
    await asyncio.to_thread(thread.join)
    assert received == ["a", "b", None]
