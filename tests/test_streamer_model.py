"""A stateful test: random interleavings of everything a Streamer's users do.

The model is a list of the messages a consumer must receive, computed from the
operations alone; the Streamer, consumed by ``async for`` or by an Rx
subscriber, must deliver exactly that (every chunk once, in order, cumulative
values the concatenations) and end exactly when the model says.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kavalai import MessageIterator, StreamClosedError, StreamContent, Streamer, ValueStreamer

_T = TypeVar("_T")

Expected = tuple[str, str, "str | None"]


@dataclass
class ModelStream:
    streamer: ValueStreamer
    delta: bool
    text: str = ""
    pushes: int = 0


@dataclass
class Model:
    expected: list[Expected] = field(default_factory=list)
    active: dict[str, ModelStream] = field(default_factory=dict)
    retired: list[ValueStreamer] = field(default_factory=list)
    ending: str | None = None  # "finished", "failed" or "closed"
    error: Exception | None = None


class StreamerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.model = Model()
        self.received: list[Expected] = []
        self.rx_ending: str | None = None
        self.rx_error: Exception | None = None
        self.iteration_ended: str | None = None
        self.iteration_error: Exception | None = None
        self.names = 0

    @initialize(way=st.sampled_from(["async_for", "rx"]), delta=st.booleans())
    def create(self, way: str, delta: bool) -> None:
        self.way = way
        self.streamer = self.run(self._new_streamer(delta))
        if way == "rx":
            self.streamer.subscribe(self._rx_next, self._rx_error, self._rx_completed)
        else:
            self.iterator = self.run(self._iterate())

    async def _new_streamer(self, delta: bool) -> Streamer:
        return Streamer(stream_delta=delta)

    async def _iterate(self) -> MessageIterator:
        return aiter(self.streamer)

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        return self.loop.run_until_complete(coroutine)

    def _rx_next(self, message: StreamContent) -> None:
        assert self.rx_ending is None, "on_next after a terminal event"
        self.received.append(_key(message))

    def _rx_error(self, error: Exception) -> None:
        assert self.rx_ending is None, "a second terminal event"
        self.rx_ending, self.rx_error = "failed", error

    def _rx_completed(self) -> None:
        assert self.rx_ending is None, "a second terminal event"
        self.rx_ending = "completed"

    @precondition(lambda self: self.model.ending is None)
    @rule(delta=st.none() | st.booleans())
    def add_stream(self, delta: bool | None) -> None:
        name = f"s{self.names}"
        self.names += 1
        value_streamer = self.run(self._get(name, delta))
        self.model.active[name] = ModelStream(value_streamer, value_streamer.stream_delta)

    async def _get(self, name: str, delta: bool | None) -> ValueStreamer:
        return self.streamer.get_value_streamer(name, stream_delta=delta)

    @precondition(lambda self: self.model.active and self.model.ending is None)
    @rule(data=st.data(), chunk=st.text(max_size=5))
    def push(self, data: st.DataObject, chunk: str) -> None:
        name = data.draw(st.sampled_from(sorted(self.model.active)))
        stream = self.model.active[name]
        self.run(stream.streamer.stream_partial(chunk))
        stream.text += chunk
        stream.pushes += 1
        self.model.expected.append(("partial", name, chunk if stream.delta else stream.text))

    @precondition(lambda self: self.model.active and self.model.ending is None)
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.model.active)))
        stream = self.model.active.pop(name)
        self.run(stream.streamer.stream_complete())
        # A cumulative stream that never got a chunk has no value to carry.
        final = None if stream.delta or not stream.pushes else stream.text
        self.model.expected.append(("complete", name, final))
        if not self.model.active:
            self.model.ending = "finished"

    @precondition(lambda self: self.model.ending is None)
    @rule()
    def fail(self) -> None:
        error = RuntimeError("producer failed")
        self.run(self.streamer.stream_error(error))
        self.model.ending, self.model.error = "failed", error
        self.model.active.clear()

    @precondition(lambda self: self.model.ending is None)
    @rule(reason=st.none() | st.text(max_size=3))
    def restart(self, reason: str | None) -> None:
        self.run(self.streamer.stream_restart(reason))
        self.streamer.reset_active()
        self.model.expected.append(("restart", "response", reason))
        self.model.retired.extend(stream.streamer for stream in self.model.active.values())
        self.model.active.clear()

    @precondition(lambda self: self.model.retired)
    @rule(data=st.data())
    def use_retired(self, data: st.DataObject) -> None:
        stale = data.draw(st.sampled_from(self.model.retired))
        with pytest.raises(StreamClosedError):
            self.run(stale.stream_partial("late"))
        self.run(stale.stream_complete())  # harmless

    @rule()
    def close(self) -> None:
        self.streamer.close()
        if self.model.ending is None:
            self.model.ending = "closed"
        for stream in self.model.active.values():
            with pytest.raises(StreamClosedError):
                self.run(stream.streamer.stream_partial("x"))
        self.model.active.clear()

    @precondition(lambda self: self.way == "async_for")
    @rule(count=st.integers(min_value=1, max_value=5))
    def consume(self, count: int) -> None:
        self.run(self._take(count))

    async def _take(self, count: int) -> None:
        for _ in range(count):
            if self.iteration_ended is not None:
                return
            if len(self.received) == len(self.model.expected) and self.model.ending is None:
                return  # nothing to take yet: waiting would block this one task
            try:
                self.received.append(_key(await anext(self.iterator)))
            except StopAsyncIteration:
                self.iteration_ended = "completed"
            except RuntimeError as error:
                self.iteration_error = error
                self.iteration_ended = "failed"

    @invariant()
    def delivered_a_prefix_of_the_model(self) -> None:
        expected = self.model.expected
        assert self.received == expected[: len(self.received)]
        if self.way == "rx":
            assert self.received == expected
            assert self.rx_ending == _rx_ending(self.model.ending)
            assert self.rx_error is self.model.error

    def teardown(self) -> None:
        if self.way == "async_for" and self.model.ending is not None:
            self.run(self._take(len(self.model.expected) + 2))
            assert self.received == self.model.expected
            assert self.iteration_ended == (
                "failed" if self.model.ending == "failed" else "completed"
            )
        self.streamer.close()
        self.loop.close()


def _key(message: StreamContent) -> Expected:
    return (message.type, message.name, message.value)


def _rx_ending(ending: str | None) -> str | None:
    return {"finished": "completed", "closed": "completed", "failed": "failed"}.get(ending or "")


StreamerMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None
)
test_streamer_behaves_like_its_model = StreamerMachine.TestCase
