"""Which AG-UI part each stream of a Streamer becomes: the default mapping, and your own."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, NamedTuple, TypeAlias

from ..content import StreamInfo
from ._patch import pointer

__all__ = ["AguiPart", "AguiParts", "default_agui_part"]

_CHOICE = re.compile(r"(choice\.\d+\.)(.*)", re.DOTALL)
_TOOL_CALL = re.compile(r"tool_call\.\d+")


class AguiPart(NamedTuple):
    """What one stream becomes in AG-UI.

    Attributes:
        kind: ``"text"`` (a text message, ``TEXT_MESSAGE_*``), ``"reasoning"``
            (``REASONING_*``), ``"tool_call"`` (a structured stream of a tool
            call's arguments, ``TOOL_CALL_*``), ``"tool_calls"`` (a provider
            adapter's list of calls, read for each call's id and name, never
            sent) or ``"state"`` (a structured stream, part of the shared
            state: ``STATE_SNAPSHOT``/``STATE_DELTA``).
        group: Streams of one answer share it: the tool calls of a group join
            its text message, and a ``tool_calls`` list names its group's calls
            (the provider adapters' ``choice.N.`` prefix).
        tool: A tool call's tool name when no ``tool_calls`` list names it.
        path: Where a state stream's value lives in the state, a JSON Pointer
            (``""`` for the whole state); by default ``/<stream name>``.
    """

    kind: Literal["text", "reasoning", "tool_call", "tool_calls", "state"]
    group: str = ""
    tool: str | None = None
    path: str | None = None


AguiParts: TypeAlias = Callable[[StreamInfo], "AguiPart | None"]
"""Gives each stream's part, or None to leave it out; :func:`default_agui_part` by default."""


def default_agui_part(stream: StreamInfo) -> AguiPart | None:
    """The default mapping, for the provider adapters' stream names and any other Streamer.

    ============================  =====================================================
    stream                        AG-UI part
    ============================  =====================================================
    ``text``, ``refusal``         a text message of the assistant
    ``reasoning``                 a reasoning message
    ``tool_calls``                read for each call's id and name
    ``tool_call.N`` (structured)  a tool call: ``TOOL_CALL_START``/``ARGS``/``END``
    ``finish``                    left out (how the answer ended: see ``RUN_*``)
    any other structured stream   shared state, at ``/<name>``
    any other text stream         a text message of the assistant
    ============================  =====================================================

    A ``choice.N.`` prefix (the adapters' other choices) groups a choice's
    streams together.

    Example:
        >>> from kavalai import StreamInfo
        >>> default_agui_part(StreamInfo("tool_call.0", delta=True, structured=True, serial=3))
        AguiPart(kind='tool_call', group='', tool=None, path=None)
        >>> default_agui_part(StreamInfo("plan", delta=False, structured=True, serial=4)).path
        '/plan'
    """
    match = _CHOICE.fullmatch(stream.name)
    group, base = (match.group(1), match.group(2)) if match else ("", stream.name)
    if base in ("text", "refusal"):
        return AguiPart("text", group)
    if base == "reasoning":
        return AguiPart("reasoning", group)
    if base == "finish":
        return None
    if stream.structured:
        if base == "tool_calls":
            return AguiPart("tool_calls", group)
        if _TOOL_CALL.fullmatch(base):
            return AguiPart("tool_call", group)
        return AguiPart("state", group, path=pointer(stream.name))
    return AguiPart("text", group)
