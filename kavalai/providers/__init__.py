"""kavalai.providers: an LLM SDK's stream into a Streamer, in one call.

* :func:`pump` feeds any async iterable of text into one value streamer.
* :func:`kavalai.providers.openai.stream_chat_completion` and
  :func:`kavalai.providers.openai.stream_response` (extra ``kavalai[openai]``),
  :func:`kavalai.providers.anthropic.stream_message` (extra
  ``kavalai[anthropic]``) and :func:`kavalai.providers.gemini.stream_content`
  (extra ``kavalai[gemini]``) write a whole answer: its text, reasoning,
  refusal, each tool call's arguments as a structured stream parsed as it
  arrives, the calls and results of the tools the provider runs itself, and a
  final :class:`Finish` saying how it ended (a cut-off answer says so).

Each adapter names its streams with :func:`default_name` (``text``,
``reasoning``, ``refusal``, ``tool_calls``, ``tool_call.0``, ...,
``server_tool_calls``, ``server_tool_call.0``, ``server_tool_result.0``, ...,
``finish``; ``choice.1.`` before the names of a second choice); pass
``names=`` to choose your own, say to put two answers in one Streamer.

The sync clients' streams (``OpenAI``, ``Anthropic``) work too: a worker
thread reads them and hands each event to the Streamer's loop, in order.

Run an adapter as the Streamer's producer, ``streamer.start(stream_message(
client.messages.create(..., stream=True), streamer))``: an error the provider
reports fails the Streamer, and closing the Streamer (the consumer left, the
web client disconnected) cancels the adapter, which closes the SDK stream, so
the HTTP request, and the bill, stop.

This package imports no SDK; its provider modules import theirs.
"""

from __future__ import annotations

from ..errors import ResponseFailedError
from ._parts import (
    Finish,
    Naming,
    Part,
    ServerToolCall,
    ServerToolCalls,
    ToolArguments,
    ToolCall,
    ToolCalls,
    ToolResult,
    default_name,
)
from ._pump import pump

__all__ = [
    "Finish",
    "Naming",
    "Part",
    "ResponseFailedError",
    "ServerToolCall",
    "ServerToolCalls",
    "ToolArguments",
    "ToolCall",
    "ToolCalls",
    "ToolResult",
    "default_name",
    "pump",
]
