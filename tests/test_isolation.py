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
