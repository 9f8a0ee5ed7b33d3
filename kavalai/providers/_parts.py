"""The parts of an answer, their stream names, and the values their streams carry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple, TypeAlias

from pydantic import BaseModel, ConfigDict, RootModel

__all__ = [
    "Finish",
    "Naming",
    "Part",
    "PartKind",
    "ServerToolCall",
    "ServerToolCalls",
    "ToolArguments",
    "ToolCall",
    "ToolCalls",
    "ToolResult",
    "default_name",
]

PartKind: TypeAlias = Literal[
    "text",
    "reasoning",
    "refusal",
    "tool_calls",
    "tool_call",
    "server_tool_calls",
    "server_tool_call",
    "server_tool_result",
    "finish",
]


class Part(NamedTuple):
    """One stream of an answer, before it has a name.

    Attributes:
        kind: ``"text"``, ``"reasoning"`` (thinking, reasoning summaries,
            thought parts), ``"refusal"``, ``"tool_calls"`` (the list of the
            calls your code is to run, each as it starts), ``"tool_call"`` (one
            such call's arguments), ``"server_tool_calls"`` and
            ``"server_tool_call"`` (the same for the tools the provider runs
            itself: web search, code execution, an MCP server's tools),
            ``"server_tool_result"`` (what such a tool returned) or ``"finish"``.
        choice: The choice (or candidate) it belongs to; 0 unless the request
            asked for more than one.
        call: The call's position among the choice's calls of its kind (0, 1,
            ...), for ``"tool_call"``, ``"server_tool_call"`` and
            ``"server_tool_result"`` (the result of the server tool call of the
            same position) only.
    """

    kind: PartKind
    choice: int = 0
    call: int | None = None


Naming: TypeAlias = Callable[[Part], str]
"""Gives the stream name of each part of an answer; :func:`default_name` unless you pass one."""


def default_name(part: Part) -> str:
    """The default stream names: stable, readable, unique per choice and per tool call.

    ``text``, ``reasoning``, ``refusal``, ``tool_calls``, ``tool_call.0``,
    ``tool_call.1``, ..., ``server_tool_calls``, ``server_tool_call.0``,
    ``server_tool_result.0``, ... and ``finish`` for the first choice; the
    other choices get the same names after ``choice.1.``, ``choice.2.``, ...

    Example:
        >>> default_name(Part("tool_call", call=1))
        'tool_call.1'
        >>> default_name(Part("text", choice=2))
        'choice.2.text'
        >>> default_name(Part("server_tool_result", call=0))
        'server_tool_result.0'
    """
    name = part.kind if part.call is None else f"{part.kind}.{part.call}"
    return name if part.choice == 0 else f"choice.{part.choice}.{name}"


class ToolArguments(BaseModel):
    """The arguments of a tool call whose tool has no model of its own: any JSON object."""

    model_config = ConfigDict(extra="allow")


class ToolCall(BaseModel):
    """A tool call, announced on the ``tool_calls`` stream as soon as it starts.

    Attributes:
        stream: The name of the stream that carries its arguments.
        id: The provider's id of the call, to send the tool's result back with.
        name: The name of the function or tool called.
    """

    stream: str
    id: str | None = None
    name: str | None = None


class ToolCalls(RootModel[list[ToolCall]]):
    """The ``tool_calls`` stream: a JSON array that gains one :class:`ToolCall` per call."""


class ServerToolCall(ToolCall):
    """A call of a tool the provider runs itself, announced on ``server_tool_calls``.

    Your code does not run it and sends no result back: the provider does, and
    streams the result on ``server_tool_result.<i>``.

    Attributes:
        server: The MCP server whose tool it is (Anthropic's ``mcp_tool_use``),
            or ``None`` for the provider's own tools (``server_tool_use``: web
            search, code execution, ...).
    """

    server: str | None = None


class ServerToolCalls(RootModel[list[ServerToolCall]]):
    """The ``server_tool_calls`` stream: a JSON array gaining a :class:`ServerToolCall` per call."""


class ToolResult(BaseModel):
    """What a server tool returned: the provider's result block as it sent it, any JSON object.

    For Anthropic, a ``*_tool_result`` block (``web_search_tool_result``,
    ``mcp_tool_result``, ...) with its ``tool_use_id``, ``type`` and ``content``.
    """

    model_config = ConfigDict(extra="allow")


class Finish(BaseModel):
    """How an answer ended: the final value of the ``finish`` stream.

    Attributes:
        reason: The provider's own word: OpenAI's ``finish_reason`` (``stop``,
            ``length``, ``tool_calls``, ...), Anthropic's ``stop_reason``
            (``end_turn``, ``max_tokens``, ``tool_use``, ...), Gemini's
            ``finishReason`` (``STOP``, ``MAX_TOKENS``, ``SAFETY``, ...), or for
            the OpenAI Responses API ``completed`` or the reason it is
            incomplete (``max_output_tokens``, ...). ``None`` if the stream
            ended without one.
        truncated: The answer was cut off: by the output token limit, by a
            safety or other block (Gemini), or its stream ended before the
            provider said how the answer ended (``reason`` is ``None``; a
            connection cut short, say).
        unfinished: The tool-call streams whose arguments are not a whole JSON
            value: cut off (see ``truncated``) or malformed. Do not run them.
        usage: The provider's usage object as it sent it (for several choices,
            the usage of the whole request, on every choice's ``finish``).
    """

    reason: str | None = None
    truncated: bool = False
    unfinished: list[str] = []
    usage: dict[str, Any] | None = None
