"""read_ag_ui(): an AG-UI event stream (an HTTP endpoint, or ag_ui.core events) into a Streamer."""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from typing import Literal

import httpx
from pydantic import BaseModel

from ..errors import ResponseFailedError
from ..streamer import Streamer
from ._ingest import Run, short
from ._ingest_parts import IngestNaming, ingest_name
from ._ingest_source import describe, drive, events_of

__all__ = ["read_ag_ui"]

_MESSAGES: dict[str, tuple[Literal["text", "reasoning"], str]] = {
    "TEXT_MESSAGE_START": ("text", "start"),
    "TEXT_MESSAGE_CONTENT": ("text", "content"),
    "TEXT_MESSAGE_END": ("text", "end"),
    "REASONING_MESSAGE_START": ("reasoning", "start"),
    "REASONING_MESSAGE_CONTENT": ("reasoning", "content"),
    "REASONING_MESSAGE_END": ("reasoning", "end"),
}

#: The shorthand events, each standing for a start, content and an end.
_CHUNKS: dict[str, Literal["text", "reasoning", "tool"]] = {
    "TEXT_MESSAGE_CHUNK": "text",
    "REASONING_MESSAGE_CHUNK": "reasoning",
    "TOOL_CALL_CHUNK": "tool",
}

#: The pre-1.0 thinking messages, which carry no message id: read as reasoning.
_THINKING = {
    "THINKING_TEXT_MESSAGE_START": "start",
    "THINKING_TEXT_MESSAGE_CONTENT": "content",
    "THINKING_TEXT_MESSAGE_END": "end",
}
_THINKING_ID = "\x00thinking"


async def read_ag_ui(
    source: str | AsyncIterable[object],
    streamer: Streamer,
    *,
    body: object = None,
    headers: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    names: IngestNaming = ingest_name,
    initial_state: object = None,
) -> None:
    """Read an AG-UI run into ``streamer``: its messages, tool calls and state, then how it ended.

    Run it as the Streamer's producer, ``streamer.start(read_ag_ui(url,
    streamer, body=run_input))``. ``source`` is an agent's AG-UI endpoint
    (``body``, a ``RunAgentInput`` as a dict or an ``ag_ui.core`` model, is
    POSTed as JSON; without one it is a GET) or an async iterable of
    ``ag_ui.core`` events (or their JSON objects). Streams (names from
    :func:`~kavalai.web.ingest_name`, each opened with its first content):

    * ``text``, ``text.1``, ...: each text message (``TEXT_MESSAGE_*``);
    * ``reasoning``, ``reasoning.1``, ...: each reasoning message (``REASONING_MESSAGE_*``);
    * ``tool_calls``: a JSON array gaining ``{"stream", "id", "name"}`` as each call starts,
      and ``tool_call.0``, ...: each call's arguments, structured (``TOOL_CALL_*``);
    * ``state``: the shared state (``STATE_SNAPSHOT``, ``STATE_DELTA``), a
      structured stream whose value is the state, grown by the text a change
      adds at the end; a change that takes something back moves it to
      ``state.1``, ...;
    * ``finish``, last: a :class:`~kavalai.web.RunFinish` with the outcome.

    The ``*_CHUNK`` shorthands count as their start, content and end.
    ``RUN_ERROR`` fails the Streamer with :class:`~kavalai.ResponseFailedError`
    (its ``code`` and ``message``), after the messages before it. Event types
    that carry no part (runs' and steps' starts, ``TOOL_CALL_RESULT``,
    ``MESSAGES_SNAPSHOT``, activities, ``RAW``, ``CUSTOM``, subagents) and
    types this version does not know are skipped; nothing after
    ``RUN_FINISHED`` is read. An event that is not JSON or lacks a field it
    needs, events out of order (content or an end without a start, a start
    twice), a state delta that does not apply, an error answer, a failed
    connection and a stream that ends before the run does fail the Streamer
    with :class:`~kavalai.EventStreamError`, which says where and what to do.
    Closing the Streamer (the consumer left) ends the reading and closes the
    HTTP request (or the iterable).

    Args:
        source: The endpoint's URL, or the events.
        streamer: Where the run goes.
        body: The run input to POST.
        headers: Sent with the request (an ``Authorization`` header, say).
        client: An ``httpx.AsyncClient`` to use; by default one made for this,
            which waits as long as the server is quiet (pass one with a read
            timeout to give up on a server that stalls).
        names: The stream name of each part; see :class:`~kavalai.web.IngestPart`.
        initial_state: The state a ``STATE_DELTA`` before any snapshot patches:
            by default the ``state`` of ``body``, else ``{}``.
    """
    payload = body.model_dump(mode="json", by_alias=True) if isinstance(body, BaseModel) else body
    if initial_state is None and isinstance(payload, Mapping):
        initial_state = payload.get("state")
    run = Run(streamer, describe(source), names, initial_state)
    events = events_of(source, payload, headers, client)
    await drive(run, events, _Reader(run).handle, "RUN_FINISHED or RUN_ERROR")


class _Reader:
    def __init__(self, run: Run) -> None:
        self._run = run
        # The message or call a *_CHUNK event opened: any other event ends it.
        self._chunk: tuple[Literal["text", "reasoning", "tool"], str] | None = None

    async def handle(self, item: object) -> str | None:
        run = self._run
        event = run.event(item)
        kind = event.get("type")
        if not isinstance(kind, str):
            run.bad(f"the event {short(event)} has no type")
        run.event_type = kind
        chunk = _CHUNKS.get(kind)
        if chunk is not None:
            await self._chunk_event(chunk, event)
            return kind
        if self._chunk is not None:
            await self._end_chunk()
        message = _MESSAGES.get(kind)
        if message is not None:
            await self._message(*message, run.field(event, "messageId"), event)
        elif kind == "TOOL_CALL_ARGS":
            await run.write_arguments(run.field(event, "toolCallId"), run.field(event, "delta"))
        elif kind in _THINKING:
            await self._message("reasoning", _THINKING[kind], _THINKING_ID, event)
        elif kind == "TOOL_CALL_START":
            call_id = run.field(event, "toolCallId")
            await run.start_call(call_id, run.field(event, "toolCallName"))
        elif kind == "TOOL_CALL_END":
            await run.end_call(run.field(event, "toolCallId"))
        elif kind == "STATE_SNAPSHOT":
            if "snapshot" not in event:
                run.bad(f"the event {short(event)} has no snapshot")
            await run.replace_state(event["snapshot"])
        elif kind == "STATE_DELTA":
            await run.patch_state(event.get("delta"))
        elif kind == "RUN_ERROR":
            code = event.get("code")
            message_text = run.field(event, "message")
            raise ResponseFailedError(
                run.source, code if isinstance(code, str) else None, message_text
            )
        elif kind == "RUN_FINISHED":
            outcome = event.get("outcome")
            outcome = outcome if isinstance(outcome, dict) else {}
            ended = outcome.get("type")
            await run.end(
                ended if isinstance(ended, str) else "success",
                event.get("result"),
                event.get("usage"),
                outcome.get("interrupts"),
            )
            return None
        return kind

    async def _message(
        self,
        part: Literal["text", "reasoning"],
        step: str,
        message_id: str,
        event: dict[str, object],
    ) -> None:
        run = self._run
        if step == "content":
            await run.write_message(part, message_id, run.field(event, "delta"))
        elif step == "start":
            run.start_message(part, message_id)
        else:
            await run.end_message(part, message_id)

    async def _chunk_event(
        self, part: Literal["text", "reasoning", "tool"], event: dict[str, object]
    ) -> None:
        run = self._run
        key = "toolCallId" if part == "tool" else "messageId"
        given = event.get(key)
        if given is not None and not isinstance(given, str):
            run.bad(f"the {key} of {short(event)} is not a string")
        if given is not None and self._chunk != (part, given):
            await self._end_chunk()
            if part == "tool":
                await run.start_call(given, run.field(event, "toolCallName"))
            else:
                run.start_message(part, given)
            self._chunk = (part, given)
        elif given is None and (self._chunk is None or self._chunk[0] != part):
            run.bad(f"the event {short(event)} continues no chunk and has no {key}")
        assert self._chunk is not None
        delta = event.get("delta")
        if delta is None:
            return
        if not isinstance(delta, str):
            run.bad(f"the delta of {short(event)} is not a string")
        if part == "tool":
            await run.write_arguments(self._chunk[1], delta)
        else:
            await run.write_message(part, self._chunk[1], delta)

    async def _end_chunk(self) -> None:
        if self._chunk is None:
            return
        (part, key), self._chunk = self._chunk, None
        if part == "tool":
            await self._run.end_call(key)
        else:
            await self._run.end_message(part, key)
