"""An agent's run, read in from its protocol, written into a Streamer: one stream per part.

The protocol readers (AG-UI, the UI message stream) turn events into calls on
a :class:`Run`, which opens each stream when it first has content, checks the
order of starts, contents and ends, and completes every stream at the end of
the run, ``finish`` last, so the Streamer never ends between two parts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Literal, NoReturn

from pydantic import BaseModel, JsonValue

from ..errors import EventStreamError
from ..partial_json import is_whole_json
from ..providers import ToolArguments, ToolCall, ToolCalls
from ..streamer import Streamer
from ..value_streamer import ValueStreamer
from ._ingest_parts import AgentState, IngestNaming, IngestPart, RunFinish
from ._ingest_state import GrowingValue

__all__ = ["Run", "short"]


_FIX = "the agent broke the protocol: fix the agent"


class _Call:
    __slots__ = ("stream", "written")

    def __init__(self, stream: ValueStreamer) -> None:
        self.stream = stream
        self.written: list[str] = []


class Run:
    """Writes one run's parts into a Streamer, checking the order of their events.

    ``number`` and ``event_type`` (of the event being read) are kept up to
    date by the reader, so a :meth:`bad` error says where the stream went wrong.
    """

    def __init__(
        self,
        streamer: Streamer,
        source: str,
        names: IngestNaming,
        initial_state: object = None,
    ) -> None:
        self._streamer = streamer
        self._names = names
        self.source = source
        self.number: int | None = None  # the event being read, from 1
        self.event_type: str | None = None
        self.finish = streamer.get_value_streamer(
            names(IngestPart("finish")), response_model=RunFinish
        )
        self._messages: dict[tuple[str, str], ValueStreamer | None] = {}  # open, by kind and id
        self._counts = {"text": 0, "reasoning": 0}
        self._calls: dict[str, _Call] = {}  # open, by call id
        self._started_calls: set[str] = set()
        self._listing: ValueStreamer | None = None
        self._unfinished: list[str] = []
        self._values: list[GrowingValue] = []  # closed at the end of the run
        self._state = self.growing(lambda number: IngestPart("state", number), initial_state)

    def bad(self, problem: str, fix: str = _FIX) -> NoReturn:
        """Raise the :class:`EventStreamError` of the event being read."""
        raise EventStreamError(
            self.source, problem, fix, event=self.number, event_type=self.event_type
        )

    def event(self, item: object) -> dict[str, object]:
        """An event as a JSON object: parsed from its text, or dumped from a pydantic model."""
        if isinstance(item, str):
            text = item
            try:
                item = json.loads(text)
            except ValueError:
                self.bad(f"the event {text[:200]!r} is not JSON")
        elif isinstance(item, BaseModel):
            item = item.model_dump(mode="json", by_alias=True)
        if isinstance(item, dict):
            return item
        if not isinstance(item, Mapping):
            self.bad(f"the event {item!r:.200} is not a JSON object")
        return dict(item)

    def field(self, event: Mapping[str, object], name: str) -> str:
        """A string field the event must have."""
        value = event.get(name)
        if not isinstance(value, str):
            self.bad(f"the event {short(event)} has no {name} string")
        return value

    def start_message(self, kind: Literal["text", "reasoning"], message_id: str) -> None:
        """A message starts; its stream opens with its first content."""
        if (kind, message_id) in self._messages:
            self.bad(f"{kind} message {message_id!r} started again before it ended")
        self._messages[kind, message_id] = None

    async def write_message(
        self, kind: Literal["text", "reasoning"], message_id: str, delta: str
    ) -> None:
        """Content of an open message."""
        if (kind, message_id) not in self._messages:
            self.bad(f"{kind} message {message_id!r} has content before its start")
        if not delta:
            return
        stream = self._messages[kind, message_id]
        if stream is None:
            name = self._names(IngestPart(kind, self._counts[kind]))
            self._counts[kind] += 1
            stream = self._messages[kind, message_id] = self._streamer.get_value_streamer(name)
        await stream.stream_partial(delta)

    async def end_message(self, kind: Literal["text", "reasoning"], message_id: str) -> None:
        """An open message ends."""
        if (kind, message_id) not in self._messages:
            self.bad(f"{kind} message {message_id!r} ends without a start")
        stream = self._messages.pop((kind, message_id))
        if stream is not None:
            await stream.stream_complete()

    def has_call(self, call_id: str) -> bool:
        """Whether that tool call is open."""
        return call_id in self._calls

    async def start_call(self, call_id: str, name: str) -> None:
        """A tool call starts: its arguments stream opens and ``tool_calls`` announces it."""
        if call_id in self._started_calls:
            self.bad(f"tool call {call_id!r} started a second time")
        self._started_calls.add(call_id)
        stream = self._names(IngestPart("tool_call", len(self._started_calls) - 1))
        self._calls[call_id] = _Call(
            self._streamer.get_value_streamer(stream, response_model=ToolArguments)
        )
        announced = json.dumps(ToolCall(stream=stream, id=call_id, name=name).model_dump())
        if self._listing is None:
            listing = self._names(IngestPart("tool_calls"))
            self._listing = self._streamer.get_value_streamer(listing, response_model=ToolCalls)
            await self._listing.stream_partial(f"[{announced}")
        else:
            await self._listing.stream_partial(f", {announced}")

    async def write_arguments(self, call_id: str, delta: str) -> None:
        """A piece of an open tool call's JSON arguments."""
        call = self._open_call(call_id, "has arguments")
        if delta:
            call.written.append(delta)
            await call.stream.stream_partial(delta)

    async def end_call(self, call_id: str, whole: object = None, failed: bool = False) -> None:
        """An open tool call ends: ``whole``, its arguments as a value if no pieces came.

        A call without arguments gets ``{}``; one that ``failed`` (the
        producer said its input is bad) or whose JSON is not whole is listed
        in ``unfinished``.
        """
        call = self._open_call(call_id, "ends")
        del self._calls[call_id]
        if not call.written:
            try:
                text = "{}" if whole is None else json.dumps(whole, allow_nan=False)
            except ValueError as error:
                self.bad(f"the input of tool call {call_id!r} is not JSON: {error}")
            call.written.append(text)
            await call.stream.stream_partial(text)
        if failed or not is_whole_json("".join(call.written)):
            self._unfinished.append(call.stream.name)
        await call.stream.stream_complete()

    def growing(self, part: Callable[[int], IngestPart], initial: object = None) -> GrowingValue:
        """A changing value in structured streams, the ``n``-th named after ``part(n)``."""

        def open_stream(number: int) -> ValueStreamer:
            name = self._names(part(number))
            return self._streamer.get_value_streamer(name, response_model=AgentState)

        value = GrowingValue(open_stream, initial)
        self._values.append(value)
        return value

    async def replace(self, value: GrowingValue, snapshot: object, what: str = "state") -> None:
        """A whole new value of the state (or of a data part)."""
        try:
            await value.replace(snapshot)
        except ValueError as error:
            self.bad(f"the {what} snapshot is not JSON: {error}")

    async def replace_state(self, snapshot: object) -> None:
        """A whole new state."""
        await self.replace(self._state, snapshot)

    async def patch_state(self, operations: object) -> None:
        """A JSON Patch of the state."""
        if not isinstance(operations, list):
            self.bad(f"the state delta {operations!r} is not a JSON Patch (a list)")
        try:
            await self._state.patch(operations)
        except ValueError as error:
            self.bad(
                f"the state delta does not apply: {error}",
                "the agent's state and its deltas disagree: fix the agent, or read the "
                "run with the state it began with (initial_state=)",
            )

    async def end(
        self,
        outcome: str | None,
        result: object = None,
        usage: object = None,
        interrupts: object = None,
    ) -> None:
        """Complete every stream: open messages as they are, open calls as unfinished."""
        for stream in self._messages.values():
            if stream is not None:
                await stream.stream_complete()
        self._messages.clear()
        for call in self._calls.values():
            self._unfinished.append(call.stream.name)
            await call.stream.stream_complete()
        self._calls.clear()
        if self._listing is not None:
            await self._listing.stream_partial("]")
            await self._listing.stream_complete()
        for value in self._values:
            await value.close()
        finish = RunFinish(
            outcome=outcome,
            unfinished=self._unfinished,
            result=_json_value(result),
            usage=_json_value(usage),
            interrupts=[_json_value(item) for item in interrupts]
            if isinstance(interrupts, list)
            else [],
        )
        await self.finish.stream_partial(json.dumps(finish.model_dump(mode="json")))
        await self.finish.stream_complete()

    def open_streams(self) -> list[str]:
        """The names of the streams still open, for an error that says what was cut off."""
        messages = [stream.name for stream in self._messages.values() if stream is not None]
        return messages + [call.stream.name for call in self._calls.values()]

    def _open_call(self, call_id: str, what: str) -> _Call:
        call = self._calls.get(call_id)
        if call is None:
            ended = "after it ended" if call_id in self._started_calls else "without a start"
            self.bad(f"tool call {call_id!r} {what} {ended}")
        return call


def short(event: object) -> str:
    """An event's JSON, at most about 200 characters of it, for an error message."""
    text = json.dumps(event, default=repr)
    return text if len(text) <= 200 else text[:200] + "..."


def _json_value(value: object) -> JsonValue:
    """A value sent as JSON, as a JSON value (a non-JSON one, of an event object, as text)."""
    try:
        loaded: JsonValue = json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)
    return loaded
