"""read_ui_message_stream(): an AI SDK UI message stream (an HTTP endpoint) into a Streamer."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterable, Mapping
from typing import Literal

import httpx

from ..errors import ResponseFailedError
from ..streamer import Streamer
from ._ingest import Run, short
from ._ingest_parts import IngestNaming, IngestPart, ingest_name
from ._ingest_source import describe, drive, events_of
from ._ingest_state import GrowingValue

__all__ = ["read_ui_message_stream"]

_MESSAGES: dict[str, tuple[Literal["text", "reasoning"], str]] = {
    "text-start": ("text", "start"),
    "text-delta": ("text", "content"),
    "text-end": ("text", "end"),
    "reasoning-start": ("reasoning", "start"),
    "reasoning-delta": ("reasoning", "content"),
    "reasoning-end": ("reasoning", "end"),
}


async def read_ui_message_stream(
    source: str | AsyncIterable[object],
    streamer: Streamer,
    *,
    body: object = None,
    headers: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    names: IngestNaming = ingest_name,
) -> None:
    """Read an AI SDK UI message stream into ``streamer``: text, reasoning, tool calls, the end.

    Run it as the Streamer's producer, ``streamer.start(read_ui_message_stream(
    url, streamer, body=chat_request))``. ``source`` is an endpoint that
    answers with a UI message stream (``body``, what ``useChat`` sends, is
    POSTed as JSON; without one it is a GET, as a resumed chat's is), or an
    async iterable of its chunks (JSON objects, or their text). The streams
    are those of :func:`~kavalai.web.read_ag_ui`: ``text``, ``text.1``, ...
    per text part, ``reasoning``, ... per reasoning part, ``tool_calls`` and
    ``tool_call.<i>`` per tool call (streamed by ``tool-input-delta``, or
    whole in ``tool-input-available``; a ``tool-input-error`` lists the call
    in ``unfinished``), ``data.<name>`` per ``data-<name>`` part (structured:
    its value is the part's data, replaced by id as the AI SDK replaces it,
    grown in place when the new data extends the old; a part without an id
    is a stream of its own), and ``finish`` last, whose outcome is the
    ``finish`` chunk's ``finishReason`` (``None`` where the AI SDK version
    sends none) or ``abort``.

    An ``error`` chunk fails the Streamer with
    :class:`~kavalai.ResponseFailedError` (its ``errorText``) after the
    messages before it. Chunks that carry no part of these (steps, tool
    outputs and approvals, sources, files, metadata) and types
    this version does not know are skipped, as is ``[DONE]``; nothing after
    ``finish`` is read. Bad chunks, chunks out of order and a stream that ends
    before its ``finish`` fail the Streamer with
    :class:`~kavalai.EventStreamError`; closing the Streamer closes the
    request, as for :func:`~kavalai.web.read_ag_ui`.

    Args:
        source: The endpoint's URL, or the chunks.
        streamer: Where the answer goes.
        body: The request to POST (``{"id", "messages", "trigger"}`` for ``useChat``'s own).
        headers: Sent with the request.
        client: An ``httpx.AsyncClient`` to use; by default one made for this,
            which waits as long as the server is quiet (pass one with a read
            timeout to give up on a server that stalls).
        names: The stream name of each part; see :class:`~kavalai.web.IngestPart`.
    """
    run = Run(streamer, describe(source), names)
    events = events_of(source, body, headers, client)
    await drive(run, events, _Reader(run).handle, "its finish chunk")


class _Reader:
    def __init__(self, run: Run) -> None:
        self._run = run
        self._data: dict[tuple[str, str], GrowingValue] = {}  # by name and part id
        self._data_streams: dict[str, int] = {}  # streams opened so far, by name

    async def handle(self, item: object) -> str | None:
        run = self._run
        if item == "[DONE]":
            return "[DONE]"
        chunk = run.event(item)
        kind = chunk.get("type")
        if not isinstance(kind, str):
            run.bad(f"the chunk {short(chunk)} has no type")
        run.event_type = kind
        if kind in _MESSAGES:
            part, step = _MESSAGES[kind]
            part_id = run.field(chunk, "id")
            if step == "start":
                run.start_message(part, part_id)
            elif step == "content":
                await run.write_message(part, part_id, run.field(chunk, "delta"))
            else:
                await run.end_message(part, part_id)
        elif kind == "tool-input-start":
            await run.start_call(run.field(chunk, "toolCallId"), run.field(chunk, "toolName"))
        elif kind == "tool-input-delta":
            call_id = run.field(chunk, "toolCallId")
            await run.write_arguments(call_id, run.field(chunk, "inputTextDelta"))
        elif kind in ("tool-input-available", "tool-input-error"):
            call_id = run.field(chunk, "toolCallId")
            if not run.has_call(call_id):  # a call sent whole, never streamed
                await run.start_call(call_id, run.field(chunk, "toolName"))
            failed = kind == "tool-input-error"
            await run.end_call(call_id, chunk.get("input"), failed=failed)
        elif kind.startswith("data-"):
            await self._data_part(kind.removeprefix("data-"), chunk)
        elif kind == "error":
            raise ResponseFailedError(run.source, None, run.field(chunk, "errorText"))
        elif kind in ("finish", "abort"):
            reason = chunk.get("finishReason")
            outcome = "abort" if kind == "abort" else reason if isinstance(reason, str) else None
            await run.end(outcome)
            return None
        return kind

    async def _data_part(self, name: str, chunk: dict[str, object]) -> None:
        """A ``data-<name>`` part: each id's value in its own stream, replaced by the next."""
        run = self._run
        if "data" not in chunk:
            run.bad(f"the chunk {short(chunk)} has no data")
        part_id = chunk.get("id")
        if part_id is not None and not isinstance(part_id, str):
            run.bad(f"the id of {short(chunk)} is not a string")
        value = None if part_id is None else self._data.get((name, part_id))
        if value is None:
            value = run.growing(functools.partial(self._data_stream, name))
            if part_id is not None:
                self._data[name, part_id] = value
        await run.replace(value, chunk["data"], f"data-{name}")
        if part_id is None:  # a part of its own, never replaced
            await value.close()

    def _data_stream(self, name: str, _: int) -> IngestPart:
        number = self._data_streams.get(name, 0)
        self._data_streams[name] = number + 1
        return IngestPart("data", number, name)
