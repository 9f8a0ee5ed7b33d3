"""Google Gemini streams into a Streamer: ``client.aio.models.generate_content_stream()``.

Needs the ``gemini`` extra: ``pip install 'kavalai[gemini]'``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._extras import missing_extra

try:
    from google.genai import types
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.providers.gemini", "the google-genai SDK", "gemini") from error

from pydantic import BaseModel

from ._answer import Answer, Naming, default_name
from ._drive import begin, drive, refusal
from ._json_path import ArgumentsWriter, Piece, Scalar, parse_path
from ._pump import Source

if TYPE_CHECKING:
    from ..streamer import Streamer

__all__ = ["stream_content"]

# Every way a candidate (or the prompt) can stop but the model's own end.
_TRUNCATING = frozenset(
    {reason.value for reason in types.FinishReason}
    | {reason.value for reason in types.BlockedReason}
) - {"STOP"}
_EXPECTED = "a Gemini stream: client.aio.models.generate_content_stream(...) (awaited or not)"


class _Candidate:
    """The tool calls of one candidate: how many began, and the one whose pieces still come."""

    __slots__ = ("calls", "streaming", "writer")

    def __init__(self) -> None:
        self.calls = 0
        self.streaming: object = None  # the key of a call whose arguments still stream
        self.writer = ArgumentsWriter()


async def stream_content(
    source: Source[types.GenerateContentResponse],
    streamer: Streamer,
    *,
    names: Naming = default_name,
    tools: Mapping[str, type[BaseModel]] | None = None,
) -> None:
    """Stream a Gemini answer into ``streamer``: every candidate's parts, then how each ended.

    Pass ``client.aio.models.generate_content_stream(...)`` (awaited or not).
    Per candidate (names from :func:`~kavalai.providers.default_name`, the
    second candidate's after ``choice.1.``): ``text``, ``reasoning`` (the
    thought parts), ``tool_calls`` and ``tool_call.<i>`` for each function
    call, its arguments streamed piece by piece where the API sends
    ``partial_args`` (with ``will_continue``) and whole otherwise;
    ``server_tool_calls``, ``server_tool_call.<i>`` and ``server_tool_result.<i>``
    for the tools Gemini runs itself (code execution, and server-side
    ``tool_call`` parts with their ``tool_response``); and ``finish`` last, a
    :class:`~kavalai.providers.Finish` with the ``finish_reason`` (or the
    prompt's ``block_reason``) and the usage metadata. Every reason but
    ``STOP`` (``MAX_TOKENS``, ``SAFETY``, ``RECITATION``, ...) makes the answer
    ``truncated``, so a blocked answer never passes for a whole one.

    An error the API sends fails the Streamer with the SDK's own
    ``google.genai.errors.APIError``; closing the Streamer closes the stream.

    Args:
        source: The stream, or the request that returns it.
        streamer: Where the answer goes.
        names: The stream name of each part; see :class:`~kavalai.providers.Part`.
        tools: Models of the functions' arguments by name, for typed partials
            of a call; other calls get :class:`~kavalai.providers.ToolArguments`.
    """
    answer = begin(source, streamer, names, tools, _TRUNCATING)
    candidates: dict[int, _Candidate] = {}

    async def handle(response: types.GenerateContentResponse) -> None:
        if not isinstance(response, types.GenerateContentResponse):
            raise refusal(answer, "stream_content", response, _EXPECTED)
        if response.usage_metadata is not None:
            answer.usage = response.usage_metadata.model_dump(mode="json", exclude_none=True)
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            answer.set_reason(_word(feedback.block_reason))
        for position, candidate in enumerate(response.candidates or ()):
            number = position if candidate.index is None else candidate.index
            state = candidates.setdefault(number, _Candidate())
            content = candidate.content
            for part in (content.parts if content is not None else None) or ():
                await _write_part(answer, state, number, part)
            if candidate.finish_reason is not None:
                answer.set_reason(_word(candidate.finish_reason), number)

    await drive(source, answer, handle, "stream_content", _EXPECTED)


async def _write_part(answer: Answer, state: _Candidate, number: int, part: types.Part) -> None:
    if part.text:
        await answer.write("reasoning" if part.thought else "text", part.text, number)
    if part.function_call is not None:
        await _write_call(answer, state, number, part.function_call)
    server_call = _server_call(part)
    if server_call is not None:
        call_id, name, arguments = server_call
        key = ("server", state.calls)
        state.calls += 1
        await answer.start_call(key, call_id, name, number, given=arguments, by_server=True)
        await answer.stop_call(key, number)
    for field in ("code_execution_result", "tool_response"):
        result = getattr(part, field)
        if result is not None:
            dumped = part.model_dump(mode="json", exclude_none=True, include={field})
            await answer.write_result(result.id, json.dumps(dumped), number)


async def _write_call(
    answer: Answer, state: _Candidate, number: int, call: types.FunctionCall
) -> None:
    """A function call whole, or the next part of one whose arguments stream."""
    whole = None if call.args is None else json.dumps(call.args)
    key = state.streaming
    if key is None:
        key = ("call", state.calls)
        state.calls += 1
        await answer.start_call(key, call.id, call.name, number, given=whole)
        if not call.will_continue and not call.partial_args:
            await answer.stop_call(key, number)
            return
        state.streaming, state.writer = key, ArgumentsWriter()
    for argument in call.partial_args or ():
        piece = _piece(argument)
        if piece is not None:
            await answer.write_arguments(key, state.writer.feed(piece), number)
    if not call.will_continue:  # its last part
        await answer.write_arguments(key, state.writer.close(), number)
        await answer.stop_call(key, number, whole=whole)
        state.streaming = None


def _piece(argument: types.PartialArg) -> Piece | None:
    path = parse_path(argument.json_path or "")
    if path is None:
        return None
    value: Scalar
    if argument.string_value is not None:
        value = argument.string_value
    elif argument.number_value is not None:
        value = float(argument.number_value)
    elif argument.bool_value is not None:
        value = argument.bool_value
    elif argument.null_value is not None:
        value = None
    else:
        return None  # a piece without a value adds nothing
    return Piece(path, value, continues=bool(argument.will_continue))


def _server_call(part: types.Part) -> tuple[str | None, str, str] | None:
    """(id, name, arguments) of a part that calls a tool Gemini runs itself."""
    code = part.executable_code
    if code is not None:
        arguments = code.model_dump(mode="json", exclude_none=True, exclude={"id"})
        return code.id, "code_execution", json.dumps(arguments)
    call = part.tool_call
    if call is not None:
        name = _word(call.tool_type) if call.tool_type is not None else "tool_call"
        return call.id, name, json.dumps(call.args or {})
    return None


def _word(reason: object) -> str:
    """An SDK enum's value; a value the SDK does not know comes as a plain string."""
    value = getattr(reason, "value", reason)
    return value if isinstance(value, str) else str(value)
