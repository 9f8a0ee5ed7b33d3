"""One isolation rule: a consumer's callback that raises never raises into the producer.

Whatever kind of subscriber it is (an Rx subscriber of the Streamer, an
observer of ``values()``, a subscriber of a value streamer itself), it gets
``on_error`` with what its callback raised and is dropped; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from reactivex import Observable

from kavalai import Streamer, ValueStreamer

Subscribe = Callable[[Streamer, ValueStreamer], Observable[Any]]

KINDS: dict[str, Subscribe] = {
    "streamer": lambda streamer, _: streamer,
    "values": lambda streamer, _: streamer.values("text"),
    "value streamer": lambda _, value_streamer: value_streamer,
}


class Failing(Exception):
    pass


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_raising_callback_gets_on_error_and_the_producer_goes_on(kind: str) -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    source = KINDS[kind](streamer, text)
    errors: list[Exception] = []
    calls: list[object] = []

    def on_next(item: object) -> None:
        calls.append(item)
        raise Failing("consumer bug")

    source.subscribe(on_next, errors.append)
    others: list[object] = []
    source.subscribe(others.append)
    await text.stream_partial("a")
    await text.stream_partial("b")  # the producer never sees the consumer's bug
    await text.stream_complete()
    assert len(calls) == 1  # dropped after its first failure
    assert [type(error) for error in errors] == [Failing]
    assert len(others) == (3 if kind == "streamer" else 2)  # partials (and the complete)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_raising_callback_without_an_error_handler_is_dropped_quietly(kind: str) -> None:
    streamer = Streamer()
    text = streamer.get_value_streamer("text")
    source = KINDS[kind](streamer, text)

    def on_next(_: object) -> None:
        raise Failing("consumer bug")

    source.subscribe(on_next)
    await text.stream_partial("a")
    await text.stream_complete()
    assert streamer.ended
    assert streamer.error is None


async def test_a_push_from_inside_a_callback_reaches_every_observer_in_the_logs_order() -> None:
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")
    streamer.subscribe(lambda message: text.on_next("echo") if message.value == "1" else None)
    values: list[str] = []
    direct: list[str] = []
    streamer.values("text").subscribe(values.append)
    text.subscribe(direct.append)
    for chunk in "012":
        await text.stream_partial(chunk)
    await text.stream_complete()
    logged = [message.value async for message in streamer if message.type == "partial"]
    assert logged == ["0", "1", "echo", "2"]
    assert values == logged
    assert direct == logged


async def test_a_values_observer_made_inside_a_callback_gets_each_chunk_once() -> None:
    streamer = Streamer(stream_delta=True)
    text = streamer.get_value_streamer("text")
    late: list[str] = []

    def on_message(message: object) -> None:
        if not late:
            streamer.values("text").subscribe(late.append)

    streamer.values("text").subscribe(on_message)
    for chunk in "abc":
        await text.stream_partial(chunk)
    assert late == ["a", "b", "c"]
