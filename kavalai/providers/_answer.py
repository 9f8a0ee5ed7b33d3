"""One model answer written into a Streamer: the streams it needs, opened as content arrives."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

from ..partial_json import is_whole_json
from ..streamer import Streamer
from ..value_streamer import ValueStreamer
from ._parts import (
    Finish,
    Naming,
    Part,
    PartKind,
    ServerToolCall,
    ServerToolCalls,
    ToolArguments,
    ToolCall,
    ToolCalls,
    ToolResult,
    default_name,
)

__all__ = [
    "Answer",
    "Finish",
    "Naming",
    "Part",
    "PartKind",
    "ToolArguments",
    "ToolCall",
    "ToolCalls",
    "default_name",
]


class _Call:
    __slots__ = ("chunks", "given", "open", "stopped", "streamer")

    def __init__(self, streamer: ValueStreamer, given: str | None) -> None:
        self.streamer = streamer
        self.chunks: list[str] = []
        self.given = given  # arguments sent whole when the call began, if no pieces follow
        self.open = True
        self.stopped = False  # it ended without arguments before the answer said how it ended


class _Listing:
    """The calls of one kind in a choice: their positions by id, and the stream announcing them."""

    __slots__ = ("answered", "count", "positions", "streamer")

    def __init__(self) -> None:
        self.count = 0
        self.positions: dict[str, int] = {}  # by the provider's call id, for results to find
        self.answered: set[int] = set()  # the positions that have their result
        self.streamer: ValueStreamer | None = None

    def take(self, call_id: str | None) -> int:
        """The next position, under ``call_id`` if there is one."""
        position = self.count
        self.count += 1
        if call_id is not None:
            self.positions[call_id] = position
        return position


class _Choice:
    __slots__ = ("calls", "finish", "listings", "reason", "streams", "unfinished")

    def __init__(self, finish: ValueStreamer) -> None:
        self.finish = finish
        self.streams: dict[PartKind, ValueStreamer] = {}
        self.calls: dict[object, _Call] = {}  # by the provider's key: an index or an item id
        # The calls your code runs (False) and those the provider runs itself (True).
        self.listings = {False: _Listing(), True: _Listing()}
        self.reason: str | None = None
        self.unfinished: list[str] = []


class Answer:
    """Writes one answer's parts into a Streamer, opening each stream when it first has content.

    The ``finish`` stream is opened first and completed last, so the Streamer
    does not end between a tool call's completion and the next part.
    """

    def __init__(
        self,
        streamer: Streamer,
        naming: Naming,
        tools: Mapping[str, type[BaseModel]] | None,
        truncating: frozenset[str],
    ) -> None:
        self._streamer = streamer
        self._naming = naming
        self._tools = tools or {}
        self._truncating = truncating  # the reasons that mean the token limit cut it off
        self.usage: dict[str, Any] | None = None
        self._choices: dict[int, _Choice] = {0: _Choice(self._open_finish(0))}

    @property
    def finish(self) -> ValueStreamer:
        """The first choice's ``finish`` stream, through which a failure reaches the Streamer."""
        return self._choices[0].finish

    async def write(
        self, kind: Literal["text", "reasoning", "refusal"], chunk: str, choice: int = 0
    ) -> None:
        """Push ``chunk`` to the choice's text, reasoning or refusal stream."""
        if not chunk:
            return
        streams = self._choice(choice).streams
        value_streamer = streams.get(kind)
        if value_streamer is None:
            value_streamer = self._streamer.get_value_streamer(self._naming(Part(kind, choice)))
            streams[kind] = value_streamer
        await value_streamer.stream_partial(chunk)

    async def start_call(
        self,
        key: object,
        call_id: str | None,
        name: str | None,
        choice: int = 0,
        given: str | None = None,
        *,
        by_server: bool = False,
        server: str | None = None,
    ) -> None:
        """Open a tool call's arguments stream and announce it on ``tool_calls``.

        ``given``: arguments the call began with, which it has if no pieces
        follow. ``by_server``: a tool the provider runs itself, announced on
        ``server_tool_calls`` (with the MCP ``server`` whose tool it is, if any).
        """
        state = self._choice(choice)
        listing = state.listings[by_server]
        position = listing.take(call_id)
        stream = self._naming(
            Part("server_tool_call" if by_server else "tool_call", choice, position)
        )
        model = self._tools.get(name or "", ToolArguments)
        value_streamer = self._streamer.get_value_streamer(stream, response_model=model)
        state.calls[key] = _Call(value_streamer, given)
        if by_server:
            announced = _dumps(ServerToolCall(stream=stream, id=call_id, name=name, server=server))
        else:
            announced = _dumps(ToolCall(stream=stream, id=call_id, name=name))
        if listing.streamer is None:
            kind: PartKind = "server_tool_calls" if by_server else "tool_calls"
            listing.streamer = self._streamer.get_value_streamer(
                self._naming(Part(kind, choice)),
                response_model=ServerToolCalls if by_server else ToolCalls,
            )
            await listing.streamer.stream_partial(f"[{announced}")
        else:
            await listing.streamer.stream_partial(f", {announced}")

    async def write_result(self, call_id: str | None, result: str, choice: int = 0) -> None:
        """Write what a server tool returned (``result``, JSON) whole, paired with its call.

        The stream has the position of the call whose id it names, or without
        an id, of the last call if it has no result yet; a result of no call
        seen takes a position of its own, which no later call reuses.
        """
        listing = self._choice(choice).listings[True]
        if call_id is not None:
            position = listing.positions.get(call_id)
        else:
            last = listing.count - 1
            position = last if last >= 0 and last not in listing.answered else None
        if position is None:
            position = listing.take(None)
        listing.answered.add(position)
        name = self._naming(Part("server_tool_result", choice, position))
        value_streamer = self._streamer.get_value_streamer(name, response_model=ToolResult)
        await value_streamer.stream_partial(result)
        await value_streamer.stream_complete()

    def has_call(self, key: object, choice: int = 0) -> bool:
        """Whether the tool call under ``key`` was started."""
        return key in self._choice(choice).calls

    async def write_arguments(self, key: object, chunk: str, choice: int = 0) -> None:
        """Push a chunk of a tool call's JSON arguments."""
        if not chunk:
            return
        call = self._choice(choice).calls[key]
        call.chunks.append(chunk)
        await call.streamer.stream_partial(chunk)

    async def stop_call(
        self, key: object, choice: int = 0, whole: str | None = None, cut_off: bool = False
    ) -> None:
        """Complete a tool call's arguments.

        ``whole``: the arguments as the provider sends them at the end, used if
        no pieces came. A call that got no arguments at all gets ``{}``, unless
        the answer was cut off (``cut_off``, or the choice's reason says so):
        then it stays without a value and is listed as unfinished, never
        passing for a call to make with no arguments. Where the reason comes
        after the call ends, :meth:`end` decides.
        """
        state = self._choice(choice)
        call = state.calls[key]
        if not call.open:
            return
        if not call.chunks:
            await self.write_arguments(key, whole or call.given or "", choice)
        if not call.chunks and not cut_off and state.reason is None:
            call.stopped = True  # no arguments: {} unless the answer turns out cut off
            return
        await self._close_call(state, call, cut_off or state.reason in self._truncating)

    async def stop_calls(self, choice: int = 0) -> None:
        """Complete the choice's tool calls, for providers that end them all at once."""
        for key in list(self._choice(choice).calls):
            await self.stop_call(key, choice)

    def set_reason(self, reason: str | None, choice: int = 0) -> None:
        """Record how the choice ended; ``None`` (not said here) keeps what was said before."""
        if reason is not None:
            self._choice(choice).reason = reason

    async def end(self) -> None:
        """Complete every stream, each choice's ``finish`` last."""
        for _, state in sorted(self._choices.items()):
            for value_streamer in state.streams.values():
                await value_streamer.stream_complete()
            truncated = self._cut_off(state)
            for call in state.calls.values():
                if call.stopped:
                    await self._close_call(state, call, truncated)
                elif call.open:  # the answer ended inside it
                    call.open = False
                    state.unfinished.append(call.streamer.name)
                    await call.streamer.stream_complete()
            for listing in state.listings.values():
                if listing.streamer is not None:
                    await listing.streamer.stream_partial("]")
                    await listing.streamer.stream_complete()
        for _, state in sorted(self._choices.items()):
            finish = Finish(
                reason=state.reason,
                truncated=self._cut_off(state),
                unfinished=state.unfinished,
                usage=self.usage,
            )
            await state.finish.stream_partial(_dumps(finish))
            await state.finish.stream_complete()

    def _cut_off(self, state: _Choice) -> bool:
        """Whether the token limit cut the choice off, or its stream ended without saying how."""
        return state.reason is None or state.reason in self._truncating

    async def _close_call(self, state: _Choice, call: _Call, truncated: bool) -> None:
        """Complete a call that ended: with ``{}`` if it got no arguments and was not cut off."""
        call.open = call.stopped = False
        if not call.chunks and not truncated:
            call.chunks.append("{}")
            await call.streamer.stream_partial("{}")
        if not is_whole_json("".join(call.chunks)):
            state.unfinished.append(call.streamer.name)
        await call.streamer.stream_complete()

    def _choice(self, choice: int) -> _Choice:
        state = self._choices.get(choice)
        if state is None:
            state = self._choices[choice] = _Choice(self._open_finish(choice))
        return state

    def _open_finish(self, choice: int) -> ValueStreamer:
        name = self._naming(Part("finish", choice))
        return self._streamer.get_value_streamer(name, response_model=Finish)


def _dumps(value: BaseModel) -> str:
    # json.dumps' spacing, the same as the snapshots of the partial-JSON engine, so
    # a consumer sees one text in the partials and in the complete message.
    return json.dumps(value.model_dump(mode="json"))
