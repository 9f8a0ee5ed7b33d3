"""The tools the OpenAI Responses API runs itself (MCP, web search, code interpreter, file
search): output items announced on ``server_tool_calls``, their results on
``server_tool_result.<i>``."""

from __future__ import annotations

import json

from pydantic import BaseModel

from ._answer import Answer
from ._json_path import ArgumentsWriter, Piece

__all__ = ["ServerItems"]

#: The output item types of server tools, and the name each call is announced with
#: (an MCP call has its tool's own name).
_NAMES = {
    "mcp_call": None,
    "web_search_call": "web_search",
    "code_interpreter_call": "code_interpreter",
    "file_search_call": "file_search",
}
#: The argument deltas of server tools: an MCP call's JSON, the code interpreter's code.
DELTAS = frozenset(
    {"response.mcp_call_arguments.delta", "response.code_interpreter_call_code.delta"}
)


class ServerItems:
    """Reads the server tool calls of one Responses answer into it, keyed by output index."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._code: dict[object, ArgumentsWriter] = {}  # code written as {"code": "..."}
        self._started: set[object] = set()

    async def added(self, index: object, item: object) -> bool:
        """Announce the call ``item`` starts, if it is a server tool's; whether it was one."""
        kind = getattr(item, "type", None)
        if kind not in _NAMES:
            return False
        name = _NAMES[kind] or _text(item, "name") or None
        server = _text(item, "server_label") or None
        call_id = _text(item, "id") or None
        await self._answer.start_call(index, call_id, name, by_server=True, server=server)
        self._started.add(index)
        if kind == "code_interpreter_call":
            self._code[index] = ArgumentsWriter()
        return True

    async def delta(self, index: object, delta: str) -> None:
        """A piece of a server call's arguments (an MCP call's) or of its code."""
        if index not in self._started:
            return
        writer = self._code.get(index)
        chunk = delta if writer is None else writer.feed(Piece(("code",), delta, continues=True))
        await self._answer.write_arguments(index, chunk)

    async def done(self, index: object, item: object) -> bool:
        """Complete the call and write its result, the item; whether it was a server call."""
        if index not in self._started:
            return False
        self._started.discard(index)
        writer = self._code.pop(index, None)
        if writer is not None:
            await self._answer.write_arguments(index, writer.close())
        cut_off = getattr(item, "status", None) == "incomplete"
        await self._answer.stop_call(index, whole=_arguments(item), cut_off=cut_off)
        if isinstance(item, BaseModel):
            result = json.dumps(item.model_dump(mode="json", exclude_unset=True))
            await self._answer.write_result(_text(item, "id") or None, result)
        return True


def _arguments(item: object) -> str | None:
    """The call's arguments as the finished item has them, for a call none were streamed of."""
    kind = getattr(item, "type", None)
    if kind == "mcp_call":
        return _text(item, "arguments") or None
    if kind == "code_interpreter_call":
        code = getattr(item, "code", None)
        return json.dumps({"code": code}) if isinstance(code, str) else None
    if kind == "web_search_call":
        action = getattr(item, "action", None)
        if isinstance(action, BaseModel):
            return json.dumps(action.model_dump(mode="json", exclude_unset=True))
        return None
    if kind == "file_search_call":
        return json.dumps({"queries": getattr(item, "queries", None) or []})
    return None


def _text(holder: object, field: str) -> str:
    value = getattr(holder, field, None)
    return value if isinstance(value, str) else ""
