"""OpenAI streams into a Streamer: Chat Completions chunks and Responses events.

Needs the ``openai`` extra: ``pip install 'kavalai[openai]'``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._extras import missing_extra

try:
    import openai
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.providers.openai", "the OpenAI SDK", "openai") from error

from openai.types.chat import ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import ChoiceDelta
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionToolCall,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
)
from pydantic import BaseModel

from ..errors import ResponseFailedError
from ._answer import Answer, Naming, default_name
from ._drive import begin, drive, refusal
from ._pump import Source
from ._responses_tools import DELTAS as SERVER_DELTAS
from ._responses_tools import ServerItems

if TYPE_CHECKING:
    from openai.types.responses import Response

    from ..streamer import Streamer

__all__ = ["stream_chat_completion", "stream_response"]

_CHAT_TRUNCATING = frozenset({"length"})
_RESPONSE_TRUNCATING = frozenset({"max_output_tokens"})
_REASONING_DELTAS = (ResponseReasoningSummaryTextDeltaEvent, ResponseReasoningTextDeltaEvent)
_REASONING_TYPES = frozenset(
    {"response.reasoning_summary_text.delta", "response.reasoning_text.delta"}
)
_SETTLING = (ResponseCompletedEvent, ResponseIncompleteEvent)
_SETTLING_TYPES = frozenset({"response.completed", "response.incomplete"})


_CHAT_EXPECTED = "a Chat Completions stream: client.chat.completions.create(..., stream=True)"
_RESPONSE_EXPECTED = "a Responses stream: client.responses.create(..., stream=True)"

#: The key of the one call of the deprecated ``functions=`` API, apart from tool calls' indexes.
_FUNCTION_CALL = "function_call"


async def stream_chat_completion(
    source: Source[ChatCompletionChunk],
    streamer: Streamer,
    *,
    names: Naming = default_name,
    tools: Mapping[str, type[BaseModel]] | None = None,
) -> None:
    """Stream a Chat Completions answer into ``streamer``, every choice and tool call.

    Pass ``client.chat.completions.create(..., stream=True)`` (awaited or
    not) of ``AsyncOpenAI``, or the ``Stream`` of the sync ``OpenAI`` client,
    read on a worker thread. Per choice (names from :func:`~kavalai.providers.default_name`):
    ``text`` (the content), ``refusal``, ``reasoning`` (the
    ``reasoning_content`` or ``reasoning`` field some compatible servers
    send), ``tool_calls`` and ``tool_call.<i>`` for each call's arguments
    (a deprecated ``functions=`` call included, without an id), parsed as
    they arrive, and ``finish`` last, a
    :class:`~kavalai.providers.Finish` with the ``finish_reason`` and the usage
    (ask for it with ``stream_options={"include_usage": True}``; the chunk that
    carries it has no choices). Each stream opens when it first has content.

    An error the API sends mid-stream fails the Streamer with the SDK's
    ``openai.APIError``; closing the Streamer closes the SDK stream.

    Args:
        source: The stream, or the request that returns it.
        streamer: Where the answer goes.
        names: The stream name of each part; see :class:`~kavalai.providers.Part`.
        tools: Models of the tools' arguments by function name, for typed
            partials of a call; other calls get :class:`~kavalai.providers.ToolArguments`.
    """
    answer = begin(source, streamer, names, tools, _CHAT_TRUNCATING)

    async def handle(chunk: ChatCompletionChunk) -> None:
        if not isinstance(chunk, ChatCompletionChunk):
            raise refusal(answer, "stream_chat_completion", chunk, _CHAT_EXPECTED)
        if chunk.usage is not None:
            answer.usage = chunk.usage.model_dump(mode="json", exclude_unset=True)
        for choice in chunk.choices:
            # Azure's asynchronous content filter sends choices without a delta.
            if choice.delta is not None:
                await _write_chat_delta(answer, choice.index, choice.delta)
            if choice.finish_reason is not None:
                answer.set_reason(choice.finish_reason, choice.index)
                await answer.stop_calls(choice.index)

    await drive(source, answer, handle, "stream_chat_completion", _CHAT_EXPECTED)


async def stream_response(
    source: Source[ResponseStreamEvent],
    streamer: Streamer,
    *,
    names: Naming = default_name,
    tools: Mapping[str, type[BaseModel]] | None = None,
) -> None:
    """Stream a Responses API answer into ``streamer``.

    Pass ``client.responses.create(..., stream=True)`` (awaited or not), or
    the sync client's ``Stream``, read on a worker thread.
    Streams: ``text`` (the output text), ``refusal``, ``reasoning`` (the
    reasoning summary, or the reasoning text where the model sends it),
    ``tool_calls`` and ``tool_call.<i>`` for each function call's arguments
    (with its ``call_id`` as the id); ``server_tool_calls`` and
    ``server_tool_call.<i>`` for the tools OpenAI runs itself (an ``mcp_call``
    with its tool's name, its MCP server's label and its arguments as they
    stream; ``web_search_call``, ``code_interpreter_call`` with its code as
    ``{"code": ...}``, ``file_search_call``), each finished item whole on
    ``server_tool_result.<i>``; and ``finish`` last: ``reason`` is
    ``completed``, or why the response is incomplete (``max_output_tokens``
    makes it ``truncated``), with the usage. A ``response.failed`` or ``error``
    event fails the Streamer with :class:`~kavalai.providers.ResponseFailedError`.

    Args:
        source: The event stream, or the request that returns it.
        streamer: Where the answer goes.
        names: The stream name of each part; see :class:`~kavalai.providers.Part`.
        tools: Models of the tools' arguments by function name.
    """
    answer = begin(source, streamer, names, tools, _RESPONSE_TRUNCATING)
    server = ServerItems(answer)

    async def handle(event: ResponseStreamEvent) -> None:
        # The SDK builds an event of a type it does not know as one of those it
        # does, so the type field, not the class, says what an event is.
        if not isinstance(event, openai.BaseModel):
            raise refusal(answer, "stream_response", event, _RESPONSE_EXPECTED)
        kind: str = event.type
        if kind == "response.output_text.delta" and isinstance(event, ResponseTextDeltaEvent):
            await answer.write("text", event.delta)
        elif kind in _REASONING_TYPES and isinstance(event, _REASONING_DELTAS):
            await answer.write("reasoning", event.delta)
        elif kind == "response.refusal.delta" and isinstance(event, ResponseRefusalDeltaEvent):
            await answer.write("refusal", event.delta)
        elif kind == "response.output_item.added" and isinstance(
            event, ResponseOutputItemAddedEvent
        ):
            if event.item.type == "function_call":
                await answer.start_call(event.output_index, event.item.call_id, event.item.name)
            else:
                await server.added(event.output_index, event.item)
        elif kind == "response.function_call_arguments.delta" and isinstance(
            event, ResponseFunctionCallArgumentsDeltaEvent
        ):
            if answer.has_call(event.output_index):
                await answer.write_arguments(event.output_index, event.delta)
        elif kind in SERVER_DELTAS:
            await server.delta(getattr(event, "output_index", None), getattr(event, "delta", ""))
        elif kind == "response.output_item.done" and isinstance(event, ResponseOutputItemDoneEvent):
            served = await server.done(event.output_index, event.item)
            if not served and answer.has_call(event.output_index):
                item = event.item
                whole = item.arguments if isinstance(item, ResponseFunctionToolCall) else None
                cut_off = getattr(item, "status", None) == "incomplete"
                await answer.stop_call(event.output_index, whole=whole, cut_off=cut_off)
        elif kind in _SETTLING_TYPES and isinstance(event, _SETTLING):
            _settle(answer, event.response)
        elif kind == "response.failed" and isinstance(event, ResponseFailedEvent):
            error = event.response.error
            code = None if error is None else error.code
            message = "no error given" if error is None else error.message
            raise ResponseFailedError(answer.finish.name, code, message)
        elif kind == "error" and isinstance(event, ResponseErrorEvent):
            raise ResponseFailedError(answer.finish.name, event.code, event.message)

    await drive(source, answer, handle, "stream_response", _RESPONSE_EXPECTED)


async def _write_chat_delta(answer: Answer, number: int, delta: ChoiceDelta) -> None:
    reasoning = _extra_text(delta, "reasoning_content") or _extra_text(delta, "reasoning")
    await answer.write("reasoning", reasoning, number)
    await answer.write("text", delta.content or "", number)
    await answer.write("refusal", delta.refusal or "", number)
    for call in delta.tool_calls or ():
        function = call.function
        if not answer.has_call(call.index, number):
            name = function.name if function is not None else None
            await answer.start_call(call.index, call.id, name, number)
        if function is not None and function.arguments:
            await answer.write_arguments(call.index, function.arguments, number)
    legacy = delta.function_call  # the deprecated functions= API: one call, no id
    if legacy is not None:
        if not answer.has_call(_FUNCTION_CALL, number):
            await answer.start_call(_FUNCTION_CALL, None, legacy.name, number)
        await answer.write_arguments(_FUNCTION_CALL, legacy.arguments or "", number)


def _settle(answer: Answer, response: Response) -> None:
    if response.usage is not None:
        answer.usage = response.usage.model_dump(mode="json", exclude_unset=True)
    details = response.incomplete_details
    if response.status == "incomplete":
        reason = details.reason if details is not None else None
        answer.set_reason(reason or "incomplete")
    else:
        answer.set_reason(response.status)


def _extra_text(delta: Any, field: str) -> str:
    # Any: fields that OpenAI-compatible servers add are not in the SDK's model.
    value = getattr(delta, field, None)
    return value if isinstance(value, str) else ""
