"""Anthropic Messages streams into a Streamer: raw events, or ``client.messages.stream()``.

Needs the ``anthropic`` extra: ``pip install 'kavalai[anthropic]'``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._extras import missing_extra

try:
    import anthropic
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.providers.anthropic", "the Anthropic SDK", "anthropic") from error

from pydantic import BaseModel

from ._answer import Answer, Naming, default_name
from ._drive import begin, drive, refusal
from ._pump import Source

if TYPE_CHECKING:
    from ..streamer import Streamer

__all__ = ["stream_message"]

_TRUNCATING = frozenset({"max_tokens", "model_context_window_exceeded"})
_SERVER_CALLS = frozenset({"server_tool_use", "mcp_tool_use"})
_EXPECTED = (
    "an Anthropic Messages stream: client.messages.create(..., stream=True) or "
    "client.messages.stream(...), of the client or of its beta (client.beta.messages)"
)


async def stream_message(
    source: Source[object],
    streamer: Streamer,
    *,
    names: Naming = default_name,
    tools: Mapping[str, type[BaseModel]] | None = None,
) -> None:
    """Stream a Messages answer into ``streamer``: text, thinking, tool calls, then how it ended.

    Pass ``client.messages.create(..., stream=True)`` (awaited or not), or
    ``client.messages.stream(...)`` (entered or not), of ``AsyncAnthropic`` or
    of the sync ``Anthropic`` (read on a worker thread), or the same of the
    beta client (``client.beta.messages``, for MCP connectors, code execution,
    compaction). Streams (names from :func:`~kavalai.providers.default_name`):
    ``text`` (every text block, in order), ``reasoning`` (every thinking block),
    ``tool_calls`` and ``tool_call.<i>`` for each ``tool_use`` block's input,
    parsed as its ``input_json_delta`` chunks arrive (each chunk read once: no
    re-parsing of what came before) and completed at the block's end;
    ``server_tool_calls`` and ``server_tool_call.<i>`` for the tools Anthropic
    runs itself (``server_tool_use``, and ``mcp_tool_use`` with its MCP
    server's name), whose result blocks (``web_search_tool_result``,
    ``mcp_tool_result``, any ``*_tool_result``) go whole to
    ``server_tool_result.<i>``, the position of the call they answer; and
    ``finish`` last, a :class:`~kavalai.providers.Finish` with the
    ``stop_reason`` and the usage. Content and a stop reason that come whole in
    ``message_start`` (programmatic tool calling) are read like streamed ones.
    ``ping`` and event types this version does not know are skipped; a source
    that is not an Anthropic stream fails the Streamer with a ``TypeError``.

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
        # The SDK builds an event or a block of a type it does not know as one of
        # those it does, and the beta client's classes are others again: the type
        # field, not the class, says what an event is.
        if not isinstance(event, anthropic.BaseModel):
            raise refusal(answer, "stream_message", event, _EXPECTED)
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":
            await _write_delta(answer, event)
        elif kind == "content_block_start":
            index = getattr(event, "index", None)
            await _start_block(answer, index, getattr(event, "content_block", None))
        elif kind == "content_block_stop":
            index = getattr(event, "index", None)
            if answer.has_call(index):
                await answer.stop_call(index)
        elif kind == "message_start":
            await _start_message(answer, getattr(event, "message", None))
        elif kind == "message_delta":
            answer.set_reason(_text(getattr(event, "delta", None), "stop_reason") or None)
            _add_usage(answer, getattr(event, "usage", None), delta=True)

    await drive(source, answer, handle, "stream_message", _EXPECTED)


async def _start_message(answer: Answer, message: object) -> None:
    """Read ``message_start``: its usage, and any content and stop reason it already has."""
    _add_usage(answer, getattr(message, "usage", None), delta=False)
    answer.set_reason(_text(message, "stop_reason") or None)
    content = getattr(message, "content", None)
    for position, block in enumerate(content if isinstance(content, list) else ()):
        key = ("message_start", position)  # apart from the indexes of blocks streamed later
        await _start_block(answer, key, block, whole=True)
        if answer.has_call(key):
            await answer.stop_call(key)


async def _write_delta(answer: Answer, event: object) -> None:
    delta, index = getattr(event, "delta", None), getattr(event, "index", None)
    kind = getattr(delta, "type", None)
    if kind == "text_delta":
        await answer.write("text", _text(delta, "text"))
    elif kind == "thinking_delta":
        await answer.write("reasoning", _text(delta, "thinking"))
    elif kind == "input_json_delta" and answer.has_call(index):
        await answer.write_arguments(index, _text(delta, "partial_json"))


async def _start_block(answer: Answer, key: object, block: object, whole: bool = False) -> None:
    """Open what a content block starts; ``whole``: a block whose input comes with it, complete."""
    kind = getattr(block, "type", None)
    if kind == "text":
        await answer.write("text", _text(block, "text"))
    elif kind == "thinking":
        await answer.write("reasoning", _text(block, "thinking"))
    elif kind == "tool_use" or kind in _SERVER_CALLS:
        # A streamed block's input is usually {} here, and comes as input_json_delta pieces.
        given = getattr(block, "input", None)
        arguments = json.dumps(given) if whole or given else None
        server = _text(block, "server_name") or None
        call_id, name = _text(block, "id") or None, _text(block, "name") or None
        by_server = kind != "tool_use"
        await answer.start_call(
            key, call_id, name, given=arguments, by_server=by_server, server=server
        )
    elif isinstance(kind, str) and kind.endswith("_tool_result") and isinstance(block, BaseModel):
        result = block.model_dump(mode="json", exclude_unset=True)
        await answer.write_result(_text(block, "tool_use_id") or None, json.dumps(result))


def _add_usage(answer: Answer, usage: object, delta: bool) -> None:
    """Merge a usage object into the answer's: ``message_delta``'s counts update the start's."""
    if isinstance(usage, BaseModel):
        if delta:
            counts = usage.model_dump(mode="json", exclude_none=True)
        else:
            counts = usage.model_dump(mode="json", exclude_unset=True)
        answer.usage = {**(answer.usage or {}), **counts}


def _text(holder: object, field: str) -> str:
    value = getattr(holder, field, None)
    return value if isinstance(value, str) else ""
