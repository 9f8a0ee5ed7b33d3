from __future__ import annotations

import asyncio
import gc
import sys
import threading
import weakref
from typing import Any

import pytest
import reactivex
from pydantic import BaseModel
from reactivex import operators as rx_ops
from reactivex.scheduler import ThreadPoolScheduler

from kavalai import (
    IncompleteStreamError,
    StreamClosedError,
    StreamContent,
    Streamer,
    StreamerTimeoutException,
    StreamRestartedError,
    ValueStreamer,
    iterate,
)
from kavalai._flow import YIELD_THRESHOLD
from kavalai.operators import Partial, stream_values, typed_partials

from .conftest import Consumed, Consumer

SEED_CUMULATIVE = [
    '{"type":"partial","name":"result","value":"Hello,"}',
    '{"type":"partial","name":"result","value":"Hello, world!"}',
    '{"type":"complete","name":"result","value":"Hello, world!"}',
]
SEED_DELTA = [
    '{"type":"partial","name":"result","value":"Hello,"}',
    '{"type":"partial","name":"result","value":" world!"}',
    '{"type":"complete","name":"result","value":null}',
]


async def push_hello(streamer: Streamer, name: str = "result") -> None:
    result = streamer.get_value_streamer(name)
    await result.stream_partial("Hello,")
    await result.stream_partial(" world!")
    await result.stream_complete()


async def test_messages_pushed_before_consuming_are_delivered(consumer: Consumer) -> None:
    streamer = Streamer()
    await push_hello(streamer)
    consumed = await consumer.consume(streamer)
    assert consumed.lines == SEED_CUMULATIVE
    assert consumed.error is None


async def test_background_producer_streams_to_concurrent_consumer(consumer: Consumer) -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    consumption = consumer.start(streamer)

    async def produce() -> None:
        await result.stream_partial("Hello,")
        await result.stream_partial(" world!")
        await result.stream_complete()

    await asyncio.gather(produce(), consumption)
    assert consumption.result().lines == SEED_CUMULATIVE


async def test_delta_mode_carries_chunks_and_null_complete(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    await push_hello(streamer)
    assert (await consumer.consume(streamer)).lines == SEED_DELTA


@pytest.mark.parametrize(
    ("default", "override", "expected"),
    [(False, True, SEED_DELTA), (True, False, SEED_CUMULATIVE)],
)
async def test_value_streamer_mode_overrides_streamer_default(
    consumer: Consumer, default: bool, override: bool, expected: list[str]
) -> None:
    streamer = Streamer(stream_delta=default)
    result = streamer.get_value_streamer("result", stream_delta=override)
    await result.stream_partial("Hello,")
    await result.stream_partial(" world!")
    await result.stream_complete()
    assert (await consumer.consume(streamer)).lines == expected


async def test_iteration_ends_after_the_last_stream_completes(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    first = streamer.get_value_streamer("first")
    second = streamer.get_value_streamer("second")
    await first.stream_partial("a")
    await first.stream_complete()
    await second.stream_partial("b")
    await second.stream_complete()
    consumed = await consumer.consume(streamer)
    assert [(m.type, m.name, m.value) for m in consumed.messages] == [
        ("partial", "first", "a"),
        ("complete", "first", None),
        ("partial", "second", "b"),
        ("complete", "second", None),
    ]


async def test_interleaved_completions_lose_no_message(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    names = [f"s{i}" for i in range(5)]
    value_streamers = [streamer.get_value_streamer(name) for name in names]
    consumption = consumer.start(streamer)

    async def produce(index: int) -> None:
        for chunk in range(20 + index):
            await value_streamers[index].stream_partial(str(chunk))
            if chunk % (index + 2) == 0:
                await asyncio.sleep(0)  # hand over to the other producers and the consumer
        await value_streamers[index].stream_complete()

    await asyncio.gather(*(produce(i) for i in range(5)), consumption)
    consumed = consumption.result()
    for index, name in enumerate(names):
        values = [m.value for m in consumed.messages if m.name == name]
        assert values == [str(chunk) for chunk in range(20 + index)] + [None]
    assert consumed.messages[-1].type == "complete"


async def test_value_streamer_added_while_others_are_active_merges_in(
    consumer: Consumer,
) -> None:
    streamer = Streamer(stream_delta=True)
    first = streamer.get_value_streamer("first")
    consumption = consumer.start(streamer)
    await first.stream_partial("a")
    late = streamer.get_value_streamer("late")
    await first.stream_complete()
    await late.stream_partial("b")
    await late.stream_complete()
    consumed = await consumption
    assert [(m.name, m.type) for m in consumed.messages] == [
        ("first", "partial"),
        ("first", "complete"),
        ("late", "partial"),
        ("late", "complete"),
    ]


async def test_get_value_streamer_after_the_end_raises() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    with pytest.raises(StreamClosedError, match=r"'again'.*already ended"):
        streamer.get_value_streamer("again")


async def test_active_name_cannot_be_registered_twice() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("result")
    with pytest.raises(ValueError, match="'result' is still active"):
        streamer.get_value_streamer("result")


async def test_name_of_a_completed_stream_can_be_reused_while_others_run(
    consumer: Consumer,
) -> None:
    streamer = Streamer(stream_delta=True)
    keep_open = streamer.get_value_streamer("other")
    first = streamer.get_value_streamer("result")
    await first.stream_complete()
    second = streamer.get_value_streamer("result")
    await second.stream_partial("x")
    await second.stream_complete()
    await keep_open.stream_complete()
    consumed = await consumer.consume(streamer)
    assert [(m.name, m.type) for m in consumed.messages] == [
        ("result", "complete"),
        ("result", "partial"),
        ("result", "complete"),
        ("other", "complete"),
    ]


async def test_timeout_names_the_quiet_streams() -> None:
    streamer = Streamer(timeout_seconds=0.01)
    streamer.get_value_streamer("thought")
    done = streamer.get_value_streamer("done")
    await done.stream_complete()
    with pytest.raises(StreamerTimeoutException) as caught:
        async for _ in streamer:
            pass
    assert caught.value.names == ["thought"]
    assert "'thought'" in str(caught.value)


async def test_iteration_goes_on_after_a_timeout() -> None:
    streamer = Streamer(timeout_seconds=0.01)
    result = streamer.get_value_streamer("result")
    iterator = aiter(streamer)
    with pytest.raises(StreamerTimeoutException):
        await anext(iterator)
    await result.stream_partial("late")
    assert (await anext(iterator)).value == "late"


async def test_stream_error_reaches_consumer_after_earlier_messages(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    await result.stream_partial("before")
    error = LookupError("model failed")
    await streamer.stream_error(error)
    consumed = await consumer.consume(streamer)
    assert [m.value for m in consumed.messages] == ["before"]
    assert consumed.error is error


async def test_stream_error_raises_the_same_object_from_async_for() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("result")
    error = KeyError("exact object")
    await streamer.stream_error(error)
    with pytest.raises(KeyError) as caught:
        async for _ in streamer:
            pass
    assert caught.value is error


async def test_value_streamer_refuses_chunks_after_stream_error() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    await streamer.stream_error(RuntimeError("boom"))
    with pytest.raises(StreamClosedError, match=r"'result'.*failed"):
        await result.stream_partial("more")


async def test_error_from_an_rx_source_ends_the_streamer(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    error = ValueError("source failed")
    reactivex.concat(reactivex.of("a"), reactivex.throw(error)).subscribe(result)
    consumed = await consumer.consume(streamer)
    assert [m.value for m in consumed.messages] == ["a"]
    assert consumed.error is error


async def test_rx_source_can_feed_a_value_streamer(consumer: Consumer) -> None:
    streamer = Streamer()
    reactivex.of("Hello,", " world!").subscribe(streamer.get_value_streamer("result"))
    assert (await consumer.consume(streamer)).lines == SEED_CUMULATIVE


async def test_restart_message_precedes_the_retry(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    attempt = streamer.get_value_streamer("result")
    await attempt.stream_partial("half an ans")
    await streamer.stream_restart("rate limited")
    streamer.reset_active()
    retry = streamer.get_value_streamer("result")
    await retry.stream_partial("whole answer")
    await retry.stream_complete()
    consumed = await consumer.consume(streamer)
    assert [(m.type, m.name, m.value) for m in consumed.messages] == [
        ("partial", "result", "half an ans"),
        ("restart", "response", "rate limited"),
        ("partial", "result", "whole answer"),
        ("complete", "result", None),
    ]


async def test_a_stream_that_goes_on_after_a_restart_has_a_new_value(consumer: Consumer) -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    person = streamer.get_value_streamer("person", response_model=PersonRecord)
    idle = streamer.get_value_streamer("idle")
    await text.stream_partial("half an ans")
    await person.stream_partial('{"name": "Ti')
    await idle.stream_partial("dropped")
    await streamer.stream_restart("rate limited")  # without reset_active(): they go on
    await text.stream_partial("whole ")
    await text.stream_partial("answer")
    await person.stream_partial('{"name": "Timo", "birth_year": 1986}')
    for value_streamer in (text, person, idle):
        await value_streamer.stream_complete()
    consumed = await consumer.consume(streamer)
    assert [(m.type, m.name, m.value) for m in consumed.messages] == [
        ("partial", "text", "half an ans"),
        ("partial", "person", '{"name": "Ti"}'),
        ("partial", "idle", "dropped"),
        ("restart", "response", "rate limited"),
        ("partial", "text", "whole "),
        ("partial", "text", "whole answer"),
        ("partial", "person", '{"name": "Timo", "birth_year": 1986}'),
        ("complete", "text", "whole answer"),
        ("complete", "person", '{"name": "Timo", "birth_year": 1986}'),
        ("complete", "idle", None),  # nothing since the restart: no value, as in delta mode
    ]


async def test_stale_streamer_completing_after_reset_is_harmless(consumer: Consumer) -> None:
    streamer = Streamer()
    stale = streamer.get_value_streamer("result")
    streamer.reset_active()
    retry = streamer.get_value_streamer("result")
    consumption = consumer.start(streamer)
    await stale.stream_complete()
    await retry.stream_partial("ok")
    await retry.stream_complete()
    consumed = await consumption
    assert [(m.type, m.value) for m in consumed.messages] == [
        ("partial", "ok"),
        ("complete", "ok"),
    ]


async def test_stale_streamer_refuses_chunks_after_reset() -> None:
    streamer = Streamer()
    stale = streamer.get_value_streamer("result")
    streamer.reset_active()
    with pytest.raises(StreamClosedError, match="'result' was retired by reset_active"):
        await stale.stream_partial("late")


async def test_reset_active_does_not_end_the_streamer() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("result")
    streamer.reset_active()
    await push_hello(streamer)
    assert [m.model_dump_json() async for m in streamer] == SEED_CUMULATIVE


async def test_restart_after_the_end_raises() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    with pytest.raises(StreamClosedError, match="already ended"):
        await streamer.stream_restart()


def test_streamer_is_an_rx_observable() -> None:
    assert isinstance(Streamer(), reactivex.Observable)


async def test_pipe_chains_rx_operators_on_the_streamer() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    types: list[str] = []

    def type_of(message: StreamContent) -> str:
        return message.type

    streamer.pipe(rx_ops.map(type_of)).subscribe(types.append)
    assert types == ["partial", "partial", "complete"]


async def test_later_rx_subscriber_replays_then_follows_live() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    first: list[str | None] = []
    later: list[str | None] = []
    await result.stream_partial("early")
    streamer.subscribe(lambda message: first.append(message.value))
    streamer.subscribe(lambda message: later.append(message.value))
    await result.stream_partial("late")
    assert first == ["early", "late"]
    assert later == ["early", "late"]


async def test_iteration_after_an_rx_consumer_gets_every_message() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    await result.stream_partial("early")
    streamer.subscribe(lambda message: None)
    iterator = aiter(streamer)
    await result.stream_partial("late")
    assert [(await anext(iterator)).value for _ in range(2)] == ["early", "late"]


async def test_subscriber_after_the_end_replays_and_completes(consumer: Consumer) -> None:
    streamer = Streamer()
    await push_hello(streamer)
    first = await Consumer("rx").consume(streamer)
    second = await consumer.consume(streamer)
    assert first.lines == SEED_CUMULATIVE
    assert second.lines == SEED_CUMULATIVE
    assert second.error is None


async def test_each_async_for_starts_from_the_first_message() -> None:
    streamer = Streamer()
    await push_hello(streamer)
    assert [m.model_dump_json() async for m in streamer] == SEED_CUMULATIVE
    assert [m.model_dump_json() async for m in streamer] == SEED_CUMULATIVE


async def test_failing_subscriber_gets_on_error_and_producer_goes_on() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    errors: list[Exception] = []
    healthy: list[StreamContent] = []

    def explode(message: StreamContent) -> None:
        raise ArithmeticError("consumer bug")

    streamer.subscribe(explode, errors.append)
    streamer.subscribe(healthy.append)
    await result.stream_partial("a")
    await result.stream_partial("b")
    await result.stream_complete()
    assert [type(error) for error in errors] == [ArithmeticError]
    assert [m.value for m in healthy] == ["a", "b", None]


async def test_subscriber_without_error_handler_never_raises_into_producer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")

    def explode(message: StreamContent) -> None:
        raise ArithmeticError("consumer bug")

    streamer.subscribe(explode)
    await result.stream_partial("a")  # must not raise
    assert "failed to handle an error" in caplog.text


async def test_disposed_subscription_receives_nothing_more() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    seen: list[str | None] = []
    subscription = streamer.subscribe(lambda message: seen.append(message.value))
    await result.stream_partial("a")
    subscription.dispose()
    await result.stream_partial("b")
    assert seen == ["a"]


async def test_stream_values_selects_one_stream_from_a_streamer() -> None:
    streamer = Streamer()
    thought = streamer.get_value_streamer("thought")
    answer = streamer.get_value_streamer("answer")
    values: list[str] = []
    streamer.pipe(stream_values("answer")).subscribe(values.append)
    await thought.stream_partial("hmm")
    await answer.stream_partial("4")
    await answer.stream_partial("2")
    await answer.stream_complete()
    await thought.stream_complete()
    assert values == ["4", "42"]


async def test_async_with_yields_the_streamer() -> None:
    async with Streamer() as streamer:
        assert isinstance(streamer, Streamer)


async def test_two_tasks_reading_one_iterator_share_its_messages() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    iterator = aiter(streamer)
    first = asyncio.ensure_future(anext(iterator))
    second = asyncio.ensure_future(anext(iterator))
    await result.stream_partial("a")
    await result.stream_partial("b")
    assert sorted([(await first).value or "", (await second).value or ""]) == ["a", "b"]


async def test_iterating_consumer_keeps_up_with_a_producer_that_never_suspends() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    longest_backlog = 0

    async def produce() -> None:
        nonlocal longest_backlog
        for _ in range(1_000):
            await text.stream_partial("x")
            longest_backlog = max(longest_backlog, streamer.statistics().buffered)
        await text.stream_complete()

    producer = asyncio.ensure_future(produce())
    values = [m.value async for m in streamer]
    await producer
    assert values[-1] == "x" * 1_000
    assert longest_backlog <= YIELD_THRESHOLD


async def test_to_async_observable_delivers_the_same_messages() -> None:
    streamer = Streamer()
    try:
        import aioreactive
    except ImportError:  # the environment without the aio extra: the error names it
        with pytest.raises(ImportError, match=r"kavalai\[aio\]"):
            streamer.to_async_observable()
        return
    await push_hello(streamer)
    lines: list[str] = []
    done = asyncio.get_running_loop().create_future()

    async def asend(message: StreamContent) -> None:
        lines.append(message.model_dump_json())

    async def aclose() -> None:
        done.set_result(None)

    observer = aioreactive.AsyncAnonymousObserver(asend, aclose=aclose)
    await streamer.to_async_observable().subscribe_async(observer)
    await done
    assert lines == SEED_CUMULATIVE


def test_to_async_observable_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aioreactive", None)
    with pytest.raises(ImportError, match=r"kavalai\[aio\]"):
        Streamer().to_async_observable()


def test_consumed_lines_render_messages() -> None:
    consumed = Consumed([StreamContent(type="complete", name="n")])
    assert consumed.lines == ['{"type":"complete","name":"n","value":null}']


class PersonRecord(BaseModel):
    name: str
    birth_year: int


async def test_structured_value_streams_best_effort_json(consumer: Consumer) -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result", response_model=PersonRecord)
    await result.stream_partial('{"name": "Ti')
    await result.stream_partial('mo", ')
    await result.stream_partial(' "birth_year": 1986}')
    await result.stream_complete()
    consumed = await consumer.consume(streamer)
    assert [m.value for m in consumed.messages] == [
        '{"name": "Ti"}',
        '{"name": "Timo"}',
        '{"name": "Timo", "birth_year": 1986}',
        '{"name": "Timo", "birth_year": 1986}',
    ]
    final = consumed.messages[-1]
    assert final.type == "complete"
    assert PersonRecord.model_validate_json(final.value or "") == PersonRecord(
        name="Timo", birth_year=1986
    )


async def test_structured_value_is_none_until_known(consumer: Consumer) -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result", response_model=PersonRecord)
    await result.stream_partial("Sure, here it is: ")
    await result.stream_partial('{"birth_year": 19')
    await result.stream_partial("86}")
    await result.stream_complete()
    consumed = await consumer.consume(streamer)
    assert [m.value for m in consumed.messages] == [
        None,
        "{}",
        '{"birth_year": 1986}',
        '{"birth_year": 1986}',
    ]


async def test_structured_value_in_delta_mode_carries_raw_chunks(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result", response_model=PersonRecord)
    await result.stream_partial('{"name": "Ti')
    await result.stream_partial('mo", "birth_year": 1986}')
    await result.stream_complete()
    consumed = await consumer.consume(streamer)
    assert [m.value for m in consumed.messages] == [
        '{"name": "Ti',
        'mo", "birth_year": 1986}',
        None,
    ]


async def test_cut_off_structured_stream_completes_with_the_text_as_written(
    consumer: Consumer,
) -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result", response_model=PersonRecord)
    await result.stream_partial('{"name": "Timo", "birth_year": 19')
    await result.stream_complete()
    consumed = await consumer.consume(streamer)
    # The last partial is the best effort: a number cut off by the end may be a
    # truncated one, so it is left out.
    assert consumed.messages[-2].value == '{"name": "Timo"}'
    # The complete message does not pass the closed-up snapshot off as the
    # answer: it carries the text as written, which fails validation loudly.
    assert consumed.messages[-1].type == "complete"
    assert consumed.messages[-1].value == '{"name": "Timo", "birth_year": 19'


@pytest.mark.parametrize("bad", [PersonRecord(name="x", birth_year=1), dict, "PersonRecord"])
def test_response_model_must_be_a_pydantic_model_class(bad: Any) -> None:
    with pytest.raises(TypeError, match="response_model of value streamer 'result'"):
        Streamer().get_value_streamer("result", response_model=bad)


async def test_typed_partials_read_a_delta_stream_with_async_for() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result", response_model=PersonRecord)
    await result.stream_partial('{"name": "Ti')
    await result.stream_partial('mo", "birth_year": 1986}')
    await result.stream_complete()
    people = [
        person
        async for person in iterate(
            streamer.pipe(stream_values("result"), typed_partials(PersonRecord))
        )
    ]
    assert [person.name for person in people] == ["Ti", "Timo", "Timo"]
    assert people[-1] == PersonRecord(name="Timo", birth_year=1986)


async def test_stream_partial_after_close_raises_naming_the_stream() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    await streamer.aclose()
    with pytest.raises(StreamClosedError, match=r"'result'.*closed"):
        await result.stream_partial("more")
    with pytest.raises(StreamClosedError, match=r"'result'.*closed"):
        await result.stream_complete()


async def test_close_is_idempotent() -> None:
    streamer = Streamer()
    streamer.close()
    streamer.close()
    await streamer.aclose()
    assert [m async for m in streamer] == []


async def test_leaving_async_with_closes_the_streamer() -> None:
    async with Streamer() as streamer:
        result = streamer.get_value_streamer("result")
    with pytest.raises(StreamClosedError):
        await result.stream_partial("late")
    with pytest.raises(StreamClosedError, match="was closed"):
        streamer.get_value_streamer("other")


async def test_close_ends_a_waiting_iteration() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("result")
    waiting = asyncio.ensure_future(anext(aiter(streamer)))
    await asyncio.sleep(0)
    streamer.close()
    with pytest.raises(StopAsyncIteration):
        await waiting


async def test_close_completes_and_lets_go_of_rx_subscribers() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("result")
    consumption = Consumer("rx").start(streamer)
    streamer.close()
    consumed = await consumption
    assert consumed.messages == []
    assert consumed.error is None
    assert streamer.statistics().consumers == 0


async def test_closed_streamer_keeps_no_value_streamer_alive() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    await result.stream_partial("x")
    streamer.close()
    value_ref = weakref.ref(result)
    streamer_ref = weakref.ref(streamer)
    del result
    gc.collect()
    assert value_ref() is None
    del streamer
    gc.collect()
    assert streamer_ref() is None


async def test_close_cancels_started_producers() -> None:
    streamer = Streamer()
    never = asyncio.get_running_loop().create_future()
    task = streamer.start(never)
    streamer.close()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelled_anext_loses_no_message() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    iterator = aiter(streamer)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(iterator), timeout=0.01)
    await result.stream_partial("arrived meanwhile")
    assert (await anext(iterator)).value == "arrived meanwhile"


async def test_started_producer_error_follows_its_messages(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    error = ConnectionError("model went away")

    async def produce() -> None:
        await result.stream_partial("partial answer")
        raise error

    consumption = consumer.start(streamer)
    streamer.start(produce())
    consumed = await consumption
    assert [m.value for m in consumed.messages] == ["partial answer"]
    assert consumed.error is error


async def test_started_producer_returning_early_reports_incomplete_streams(
    consumer: Consumer,
) -> None:
    streamer = Streamer(stream_delta=True)
    thought = streamer.get_value_streamer("thought")
    answer = streamer.get_value_streamer("answer")

    async def produce() -> None:
        await thought.stream_partial("thinking")
        await thought.stream_complete()
        await answer.stream_partial("forgot to complete")

    consumption = consumer.start(streamer)
    streamer.start(produce())
    consumed = await consumption
    assert isinstance(consumed.error, IncompleteStreamError)
    assert consumed.error.names == ["answer"]
    assert "'answer'" in str(consumed.error)
    assert [m.value for m in consumed.messages] == ["thinking", None, "forgot to complete"]


async def test_last_producer_returning_reports_streams_nobody_fed() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("never_fed")

    async def produce() -> None:
        return None

    streamer.start(produce())
    with pytest.raises(IncompleteStreamError, match="'never_fed'"):
        async for _ in streamer:
            pass


async def test_producer_returning_leaves_streams_of_other_producers_alone() -> None:
    streamer = Streamer(stream_delta=True)
    first = streamer.get_value_streamer("first")
    second = streamer.get_value_streamer("second")
    second_may_finish = asyncio.Event()

    async def produce_first() -> None:
        await first.stream_partial("a")
        await first.stream_complete()
        second_may_finish.set()

    async def produce_second() -> None:
        await second.stream_partial("b")
        await second_may_finish.wait()
        await second.stream_complete()

    streamer.start(produce_second())
    streamer.start(produce_first())
    assert [(m.name, m.type) async for m in streamer] == [
        ("second", "partial"),
        ("first", "partial"),
        ("first", "complete"),
        ("second", "complete"),
    ]


async def test_stream_handed_from_a_returning_producer_to_another_is_not_abandoned() -> None:
    streamer = Streamer(stream_delta=True)

    async def feed(answer: ValueStreamer) -> None:
        await answer.stream_partial("42")
        await answer.stream_complete()

    async def orchestrate() -> None:
        streamer.start(feed(streamer.get_value_streamer("answer")))

    streamer.start(orchestrate())
    assert [(m.name, m.value) async for m in streamer] == [("answer", "42"), ("answer", None)]


async def test_producer_that_pushed_after_the_caller_is_still_supervised() -> None:
    streamer = Streamer()
    status = streamer.get_value_streamer("status")
    await status.stream_partial("Thinking")

    async def produce() -> None:
        await status.stream_partial("...")

    streamer.start(produce())
    with pytest.raises(IncompleteStreamError, match="'status'"):
        async for _ in streamer:
            pass


async def test_streamer_ends_when_its_only_producer_gives_up_after_a_reset() -> None:
    streamer = Streamer()

    async def produce() -> None:
        attempt = streamer.get_value_streamer("result")
        await attempt.stream_partial("half")
        await streamer.stream_restart("giving up")
        streamer.reset_active()

    streamer.start(produce())
    assert [m.type async for m in streamer] == ["partial", "restart"]


async def test_streamer_waits_for_started_producers_before_ending(consumer: Consumer) -> None:
    streamer = Streamer(stream_delta=True)
    first_done = asyncio.Event()

    async def produce(name: str, after: asyncio.Event | None) -> None:
        if after is not None:
            await after.wait()
        value_streamer = streamer.get_value_streamer(name)
        await value_streamer.stream_partial(name)
        await value_streamer.stream_complete()
        first_done.set()

    consumption = consumer.start(streamer)
    streamer.start(produce("a", None))
    streamer.start(produce("b", first_done))
    consumed = await consumption
    assert [(m.name, m.type) for m in consumed.messages] == [
        ("a", "partial"),
        ("a", "complete"),
        ("b", "partial"),
        ("b", "complete"),
    ]
    assert consumed.error is None


async def test_failure_cancels_the_other_started_producers() -> None:
    streamer = Streamer()
    forever = streamer.start(asyncio.Event().wait())

    async def fail() -> None:
        raise OSError("lost")

    streamer.start(fail())
    with pytest.raises(OSError, match="lost"):
        async for _ in streamer:
            pass
    with pytest.raises(asyncio.CancelledError):
        await forever


async def test_failure_wakes_every_producer_waiting_for_room() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=1)
    streams = [streamer.get_value_streamer(f"s{i}") for i in range(3)]
    consuming = aiter(streamer)  # kept: a consumer that lets go no longer paces anyone
    await streams[0].stream_partial("fills the buffer")
    waiting = [asyncio.ensure_future(stream.stream_partial("x")) for stream in streams]
    await asyncio.sleep(0)
    await streamer.stream_error(RuntimeError("boom"))
    for task in waiting:
        with pytest.raises(StreamClosedError, match="failed"):
            await task
    assert (await anext(consuming)).value == "fills the buffer"


async def test_message_pushed_by_a_subscriber_follows_the_one_it_reacts_to(
    consumer: Consumer,
) -> None:
    streamer = Streamer(stream_delta=True)
    question = streamer.get_value_streamer("question")
    audit = streamer.get_value_streamer("audit")

    def react(message: StreamContent) -> None:
        if message.name == "question" and message.type == "partial":
            audit.on_next(f"saw {message.value}")
            audit.on_completed()

    consumption = consumer.start(streamer)
    await asyncio.sleep(0)  # let the consumer under test claim the buffered messages first
    streamer.subscribe(react)
    await question.stream_partial("why?")
    await question.stream_complete()
    consumed = await consumption
    assert [(m.name, m.type) for m in consumed.messages] == [
        ("question", "partial"),
        ("audit", "partial"),
        ("audit", "complete"),
        ("question", "complete"),
    ]


async def test_chunks_from_several_threads_keep_per_stream_order() -> None:
    # Every message kept: the threads may push more than the default history
    # before the consumer starts, which would then get a catch-up instead.
    streamer = Streamer(stream_delta=True, history=None)
    streams = [streamer.get_value_streamer(f"t{i}") for i in range(4)]

    def produce(index: int) -> None:
        for chunk in range(300):
            streams[index].on_next(str(chunk))
        streams[index].on_completed()

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    received = [message async for message in streamer]
    for thread in threads:
        thread.join()
    for index in range(4):
        values = [m.value for m in received if m.name == f"t{index}"]
        assert values == [str(chunk) for chunk in range(300)] + [None]


async def test_rx_source_on_a_thread_pool_delivers_into_the_loop(consumer: Consumer) -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    loop_thread = threading.get_ident()
    threads_seen: set[int] = set()
    streamer.subscribe(lambda message: threads_seen.add(threading.get_ident()))
    consumption = consumer.start(streamer)
    pool = ThreadPoolScheduler(2)
    reactivex.from_iterable(["He", "ll", "o"], scheduler=pool).subscribe(result)
    consumed = await consumption
    assert [m.value for m in consumed.messages][-1] == "Hello"
    assert threads_seen == {loop_thread}


async def test_non_str_chunk_from_a_thread_raises_in_that_thread() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    raised: list[BaseException] = []

    def produce() -> None:
        try:
            result.on_next(42)  # type: ignore[arg-type]
        except TypeError as error:
            raised.append(error)

    thread = threading.Thread(target=produce)
    thread.start()
    thread.join()
    assert "'result' takes str chunks, got int" in str(raised[0])


async def test_five_thousand_concurrent_value_streamers() -> None:
    streamer = Streamer(stream_delta=True)
    streams = [streamer.get_value_streamer(f"s{i}") for i in range(5_000)]

    async def produce(index: int) -> None:
        await streams[index].stream_partial("a")
        await asyncio.sleep(0)
        await streams[index].stream_partial("b")
        await streams[index].stream_complete()

    for index in range(5_000):
        streamer.start(produce(index))
    counts: dict[str, int] = {}
    async for message in streamer:
        counts[message.name] = counts.get(message.name, 0) + 1
    assert len(counts) == 5_000
    assert set(counts.values()) == {3}
    assert streamer.statistics().active_streams == 0


async def test_started_producer_cancelled_from_outside_reports_its_streams() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")

    async def produce() -> None:
        await result.stream_partial("half")
        await asyncio.Event().wait()

    task = streamer.start(produce())
    iterator = aiter(streamer)
    assert (await anext(iterator)).value == "half"
    task.cancel()
    with pytest.raises(IncompleteStreamError, match="'result' were still active") as caught:
        await anext(iterator)
    assert "was cancelled" in str(caught.value)
    assert caught.value.cancelled


async def test_completion_on_the_loop_waits_for_chunks_handed_over_by_a_thread() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")

    def callback_thread() -> None:
        for number in range(200):
            result.on_next(str(number))

    thread = threading.Thread(target=callback_thread)
    thread.start()
    thread.join()  # blocks the loop: every chunk is still queued for it
    await result.stream_complete()
    values = [m.value async for m in streamer]
    assert values == [str(number) for number in range(200)] + [None]


async def test_chunk_after_a_completion_from_the_same_thread_raises_there() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    raised: list[Exception] = []

    def callback_thread() -> None:
        result.on_next("all")
        result.on_completed()
        try:
            result.on_next("late")
        except StreamClosedError as error:
            raised.append(error)

    thread = threading.Thread(target=callback_thread)
    thread.start()
    thread.join()
    assert [m.value async for m in streamer] == ["all", "all"]
    assert "'result' is already complete" in str(raised[0])


async def test_producer_on_another_threads_loop_is_not_held_by_max_buffer() -> None:
    streamer = Streamer(stream_delta=True, max_buffer=2)
    result = streamer.get_value_streamer("result")

    async def produce() -> None:
        for number in range(100):
            await result.stream_partial(str(number))
        await result.stream_complete()

    thread = threading.Thread(target=asyncio.run, args=(produce(),))
    thread.start()
    values = [m.value async for m in streamer]
    thread.join()
    assert values == [str(number) for number in range(100)] + [None]


async def test_on_error_after_close_raises_instead_of_vanishing() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result")
    streamer.close()
    with pytest.raises(StreamClosedError, match="'result'"):
        result.on_error(RuntimeError("late failure"))


async def test_retired_stream_failing_later_does_not_fail_the_retry() -> None:
    streamer = Streamer()
    stale = streamer.get_value_streamer("result")
    streamer.reset_active()
    retry = streamer.get_value_streamer("result")
    stale.on_error(RuntimeError("the abandoned attempt"))
    await retry.stream_partial("ok")
    await retry.stream_complete()
    assert [m.value async for m in streamer] == ["ok", "ok"]


async def test_stream_values_end_at_a_restart_and_retry_follows_the_new_attempt() -> None:
    streamer = Streamer(stream_delta=True)
    attempt = streamer.get_value_streamer("answer", response_model=PersonRecord)
    errors: list[Exception] = []
    streamer.pipe(stream_values("answer")).subscribe(on_error=errors.append)
    people: list[Partial[PersonRecord]] = []
    streamer.values("answer").pipe(typed_partials(PersonRecord), rx_ops.retry()).subscribe(
        people.append
    )
    await attempt.stream_partial('{"name": "Ti')
    await streamer.stream_restart("rate limited")
    streamer.reset_active()
    retry = streamer.get_value_streamer("answer", response_model=PersonRecord)
    await retry.stream_partial('{"name": "Timo", "birth_year": 1986}')
    await retry.stream_complete()
    assert isinstance(errors[0], StreamRestartedError)
    assert errors[0].reason == "rate limited"
    assert people[-1] == PersonRecord(name="Timo", birth_year=1986)
    assert all(person.name in ("Ti", "Timo") for person in people)


async def test_a_streamer_says_whether_it_ended_and_with_what_error() -> None:
    finished = Streamer()
    value = finished.get_value_streamer("result")
    assert not finished.ended
    await value.stream_complete()
    assert finished.ended
    assert finished.error is None
    failed = Streamer()
    failed.get_value_streamer("result")
    error = RuntimeError("model overloaded")
    await failed.stream_error(error)
    assert failed.ended
    assert failed.error is error
    closed = Streamer()
    closed.get_value_streamer("result")
    await closed.aclose()
    assert closed.ended
    assert closed.error is None


class _Result:
    """What a producer task returns, to see whether the Streamer keeps it alive."""


async def test_a_finished_streamer_keeps_no_producer_task_nor_its_result() -> None:
    streamer = Streamer()
    results: list[weakref.ref[_Result]] = []

    async def produce() -> _Result:
        text = streamer.get_value_streamer("text")
        await text.stream_partial("hi")
        await text.stream_complete()
        result = _Result()
        results.append(weakref.ref(result))
        return result

    task = asyncio.create_task(produce())
    started = streamer.start(produce())
    await asyncio.wait([task, started])
    del task, started
    gc.collect()
    assert streamer.ended
    assert [ref() for ref in results] == [None, None]


async def test_a_read_given_up_on_another_loop_loses_no_message() -> None:
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")
    count = 3_000

    def read_with_timeouts() -> list[str | None]:
        async def read() -> list[str | None]:
            got: list[str | None] = []
            messages = streamer.messages()
            while True:
                try:
                    message = await asyncio.wait_for(anext(messages), 0.0005)
                except TimeoutError:
                    continue
                except StopAsyncIteration:
                    return got
                got.append(message.value)

        return asyncio.run(read())

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the threads take turns as often as they can
    try:
        reading = asyncio.create_task(asyncio.to_thread(read_with_timeouts))
        for index in range(count):
            await text.stream_partial(str(index))
            if index % 10 == 0:
                await asyncio.sleep(0.001)
        await text.stream_complete()
        got = await reading
    finally:
        sys.setswitchinterval(interval)
    assert got == [*map(str, range(count)), None]


async def test_fold_to_gives_the_catch_up_before_the_position_and_its_positions_after() -> None:
    streamer = Streamer(history=None)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("ab")
    streamer.fold_to(10)
    await text.stream_partial("c")
    await text.stream_complete()
    seen = [(m.seq, m.type, m.value) async for m in streamer]
    assert seen == [
        (None, "restart", "catch-up"),
        (9, "partial", "ab"),
        (10, "partial", "abc"),
        (11, "complete", "abc"),
    ]
    assert [(m.seq, m.value) async for m in streamer.messages(after=9)] == [
        (10, "abc"),
        (11, "abc"),
    ]


async def test_fold_to_without_catch_up_starts_consumers_at_the_position() -> None:
    streamer = Streamer(history=None)
    text = streamer.get_value_streamer("text")
    await text.stream_partial("ab")
    streamer.fold_to(5, catch_up=False)
    await text.stream_partial("c")
    await text.stream_complete()
    assert [(m.seq, m.value) async for m in streamer] == [(5, "abc"), (6, "abc")]
    assert [m.seq async for m in streamer.messages(after=2)] == [None, 4, 5, 6]


async def test_fold_to_refuses_a_position_behind_or_a_started_consumer() -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    await text.stream_partial("a")
    await text.stream_partial("b")
    with pytest.raises(ValueError, match="at least 2"):
        streamer.fold_to(1)
    reader = streamer.reader()
    with pytest.raises(ValueError, match="before any consumer starts"):
        streamer.fold_to(5)
    reader.close()
