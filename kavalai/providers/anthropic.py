"""Anthropic Messages streams into a Streamer: raw events, or ``client.messages.stream()``.

Needs the ``anthropic`` extra: ``pip install 'kavalai[anthropic]'``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._extras import missing_extra

try:
    import anthropic  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.providers.anthropic", "the Anthropic SDK", "anthropic") from error

from anthropic.types import (
    InputJSONDelta,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    ServerToolUseBlock,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
)
from pydantic import BaseModel

from ._answer import Answer, Naming, default_name
from ._drive import begin, drive
from ._pump import Source

if TYPE_CHECKING:
    from ..streamer import Streamer

__all__ = ["stream_message"]

_TRUNCATING = frozenset({"max_tokens", "model_context_window_exceeded"})
_TOOL_BLOCKS = (ToolUseBlock, ServerToolUseBlock)


async def stream_message(
    source: Source[object],
    streamer: Streamer,
    *,
    names: Naming = default_name,
    tools: Mapping[str, type[BaseModel]] | None = None,
) -> None:
    """Stream a Messages answer into ``streamer``: text, thinking, tool calls, then how it ended.

    Pass ``client.messages.create(..., stream=True)`` (awaited or not), or
    ``client.messages.stream(...)`` (entered or not). Streams (names from
    :func:`~kavalai.providers.default_name`): ``text`` (every text block,
    in order), ``reasoning`` (every thinking block), ``tool_calls`` and
    ``tool_call.<i>`` for each ``tool_use`` block's input, parsed as its
    ``input_json_delta`` chunks arrive (each chunk read once: no re-parsing of
    what came before) and completed at the block's end, and ``finish`` last,
    a :class:`~kavalai.providers.Finish` with the ``stop_reason`` and the usage.
    ``ping`` and event types this version does not know are skipped.

    An ``error`` event (``overloaded_error`` after the 200 response, say)
    fails the Streamer with the SDK's own exception; closing the Streamer
    closes the SDK stream. The raw stream is the cheaper source:
    ``messages.stream()`` re-parses each tool input on every chunk itself.

    Args:
        source: The stream, the request that returns it, or ``messages.stream(...)``.
        streamer: Where the answer goes.
        names: The stream name of each part; see :class:`~kavalai.providers.Part`.
        tools: Models of the tools' inputs by tool name, for typed partials of
            a call; other calls get :class:`~kavalai.providers.ToolArguments`.
    """
    answer = begin(source, streamer, names, tools, _TRUNCATING)

    async def handle(event: object) -> None:
        # The SDK builds an event of a type it does not know as one of those it
        # does, so the type field, not the class, says what an event is.
        kind = getattr(event, "type", None)
        if kind == "content_block_delta" and isinstance(event, RawContentBlockDeltaEvent):
            await _write_delta(answer, event)
        elif kind == "content_block_start" and isinstance(event, RawContentBlockStartEvent):
            await _start_block(answer, event)
        elif kind == "content_block_stop" and isinstance(event, RawContentBlockStopEvent):
            if answer.has_call(event.index):
                await answer.stop_call(event.index)
        elif kind == "message_start" and isinstance(event, RawMessageStartEvent):
            answer.usage = event.message.usage.model_dump(mode="json", exclude_unset=True)
        elif kind == "message_delta" and isinstance(event, RawMessageDeltaEvent):
            answer.set_reason(event.delta.stop_reason)
            usage = event.usage.model_dump(mode="json", exclude_none=True)
            answer.usage = {**(answer.usage or {}), **usage}

    await drive(source, answer, handle)


async def _write_delta(answer: Answer, event: RawContentBlockDeltaEvent) -> None:
    delta = event.delta
    if delta.type == "text_delta" and isinstance(delta, TextDelta):
        await answer.write("text", delta.text)
    elif delta.type == "thinking_delta" and isinstance(delta, ThinkingDelta):
        await answer.write("reasoning", delta.thinking)
    elif (
        delta.type == "input_json_delta"
        and isinstance(delta, InputJSONDelta)
        and answer.has_call(event.index)
    ):
        await answer.write_arguments(event.index, delta.partial_json)


async def _start_block(answer: Answer, event: RawContentBlockStartEvent) -> None:
    block = event.content_block
    if block.type == "text" and isinstance(block, TextBlock):
        await answer.write("text", block.text)
    elif block.type == "thinking" and isinstance(block, ThinkingBlock):
        await answer.write("reasoning", block.thinking)
    elif block.type in ("tool_use", "server_tool_use") and isinstance(block, _TOOL_BLOCKS):
        # The input is usually {} here, and comes as input_json_delta pieces.
        given = json.dumps(block.input) if block.input else None
        await answer.start_call(event.index, block.id, block.name, given=given)
