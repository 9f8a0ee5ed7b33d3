"""The streams of a run read in: their parts, their default names, and what the last one says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple, TypeAlias

from pydantic import BaseModel, JsonValue, RootModel

__all__ = ["AgentState", "IngestNaming", "IngestPart", "RunFinish", "ingest_name"]


class IngestPart(NamedTuple):
    """One stream of a run read in, before it has a name.

    Attributes:
        kind: ``"text"`` (an assistant message), ``"reasoning"`` (a reasoning
            message), ``"tool_calls"`` (the list of calls, each as it starts),
            ``"tool_call"`` (one call's arguments), ``"state"`` (the agent's
            shared state), ``"data"`` (a UI message stream's ``data-*`` part)
            or ``"finish"``.
        number: Which one of its kind, from 0, in the order they first have
            content: the second text message is ``IngestPart("text", 1)``; for
            ``"state"`` and ``"data"``, the stream the value moved to after a
            change that takes something back (or, for data, another part id).
        key: For ``"data"``, the part's name: ``weather`` of ``data-weather``.
    """

    kind: Literal["text", "reasoning", "tool_calls", "tool_call", "state", "data", "finish"]
    number: int = 0
    key: str | None = None


IngestNaming: TypeAlias = Callable[[IngestPart], str]
"""Gives the stream name of each part of a run; :func:`ingest_name` unless you pass one."""


def ingest_name(part: IngestPart) -> str:
    """The default stream names, those of :mod:`kavalai.providers` where the parts are alike.

    ``text``, ``reasoning`` and ``state`` for the first of each, then ``text.1``,
    ``text.2``, ...; ``tool_call.0``, ``tool_call.1``, ... for the calls'
    arguments; ``data.<key>``, then ``data.<key>.1``, ... for data parts;
    ``tool_calls`` and ``finish``.

    Example:
        >>> ingest_name(IngestPart("text", 1)), ingest_name(IngestPart("tool_call"))
        ('text.1', 'tool_call.0')
        >>> ingest_name(IngestPart("data", 0, "weather"))
        'data.weather'
    """
    if part.kind == "tool_call":
        return f"tool_call.{part.number}"
    name = part.kind if part.kind != "data" else f"data.{part.key}"
    return name if part.number == 0 else f"{name}.{part.number}"


class AgentState(RootModel[JsonValue]):
    """The ``state`` and ``data.*`` streams: whatever JSON value the agent sends."""


class RunFinish(BaseModel):
    """How a run read in ended: the final value of the ``finish`` stream.

    Attributes:
        outcome: AG-UI's outcome (``success``, ``interrupt``, ``cancelled``),
            or the UI message stream's ``finishReason`` (``stop``, ``length``,
            ``tool-calls``, ...; ``None`` if the stream gave none), or
            ``abort`` for its ``abort`` chunk.
        unfinished: The tool-call streams whose arguments are not a whole JSON
            value (never ended, cut off, malformed, or ended with an error).
            Do not run them.
        result: AG-UI's ``RUN_FINISHED`` ``result``, as sent.
        usage: AG-UI's ``RUN_FINISHED`` ``usage`` (a list, one entry per model), as sent.
        interrupts: For the ``interrupt`` outcome, what the run waits for (an
            approval, a value) before a next run resumes it, as sent.
    """

    outcome: str | None = None
    unfinished: list[str] = []
    result: JsonValue = None
    usage: JsonValue = None
    interrupts: list[JsonValue] = []
