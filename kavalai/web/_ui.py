"""The AI SDK UI message stream (v1): a Streamer's values as ``useChat`` message parts."""

from __future__ import annotations

import json
import re
import time
import uuid
import weakref
from collections.abc import AsyncGenerator, Collection, Mapping

from .._json import compact_json
from ..partial_json import JsonSnapshots, PartialJsonParser
from ..streamer import Streamer
from ..wire import Record, RecordReader

__all__ = ["ui_message_stream"]

#: Seconds between two snapshots of one structured stream, so bytes stay bounded.
SNAPSHOT_SECONDS = 0.1

_LISTING = re.compile(r"(choice\.\d+\.)?tool_calls")  # the provider adapters' list of calls

# A token per Streamer: the tool-call ids of its streams, unique to them, the same
# for every reader of it in this process.
_TOKENS: weakref.WeakKeyDictionary[Streamer, str] = weakref.WeakKeyDictionary()


def _frame(chunk: Mapping[str, object]) -> str:
    return f"data: {compact_json(chunk)}\n\n"


class _Parts:
    """Turns wire records into UI message chunks, one part per stream."""

    def __init__(
        self, reasoning: Collection[str], tool_calls: Mapping[str, str], token: str | None = None
    ) -> None:
        self._token = token or uuid.uuid4().hex[:16]
        self._serials: dict[str, int | None] = {}
        self._reasoning = reasoning
        self._tool_calls = tool_calls
        self._structured: dict[str, bool] = {}
        self._open: dict[str, str] = {}  # stream name -> part id, for parts started
        self._values: dict[str, JsonSnapshots] = {}
        self._dirty: set[str] = set()  # structured streams with an unsent snapshot
        self._sent_at: dict[str, float] = {}
        # Parts opened so far per name: a name's next part (a retry's, a stream
        # that goes on after a restart, a name used again) gets an id of its own.
        self._parts: dict[str, int] = {}
        self._listings: dict[str, PartialJsonParser] = {}
        self._call_ids: dict[str, str] = {}  # tool-call stream -> the provider's call id

    def frames(self, record: Record, now: float) -> list[str]:
        kind, name = record.kind, record.name or ""
        if kind == "stream":
            self._structured[name] = record.structured
            self._serials[name] = record.serial
            return []
        if kind == "partial":
            return self._partial(name, "".join(record.chunks), now)
        if kind == "complete":
            return self._complete(name)
        if kind == "restart":
            ended = [self._end(open_name) for open_name in list(self._open)]
            return [frame for frames in ended for frame in frames]
        if kind == "error":
            return [
                *self.flush(),
                _frame({"type": "error", "errorText": f"{record.error_type}: {record.value}"}),
            ]
        return [*self.flush(), _frame({"type": "finish"}), "data: [DONE]\n\n"]

    def due(self, now: float) -> list[str]:
        """Snapshots held back by the throttle whose time has come."""
        return [
            frame
            for name in list(self._dirty)
            if now - self._sent_at.get(name, 0.0) >= SNAPSHOT_SECONDS
            for frame in self._snapshot(name, now)
        ]

    def flush_pending(self) -> bool:
        """Whether a snapshot is held back by the throttle."""
        return bool(self._dirty)

    def flush(self) -> list[str]:
        return [frame for name in list(self._dirty) for frame in self._snapshot(name, 0.0)]

    def _id(self, name: str) -> str:
        """The id of a new part of ``name``: the name, then ``name:1``, ``name:2``, ..."""
        opened = self._parts.get(name, 0)
        self._parts[name] = opened + 1
        return f"{name}:{opened}" if opened else name

    def _list_calls(self, name: str, text: str) -> None:
        """Read a provider adapter's list of calls for each call's id."""
        parser = self._listings.get(name)
        if parser is None:
            parser = self._listings[name] = PartialJsonParser()
        parser.feed(text)
        frames, _, _ = parser.open_frames()
        calls = frames[0].container if frames else parser.snapshot()
        for call in calls if isinstance(calls, list) else ():
            if isinstance(call, dict) and isinstance(call.get("id"), str):
                self._call_ids.setdefault(str(call.get("stream")), str(call["id"]))

    def _partial(self, name: str, text: str, now: float) -> list[str]:
        frames: list[str] = []
        part = self._open.get(name)
        if self._structured.get(name) and _LISTING.fullmatch(name):
            self._list_calls(name, text)
        if name in self._tool_calls:
            if part is None:
                # The provider's call id, else one of its own: never the stream's name,
                # which every answer that calls the tool shares.
                serial = self._serials.get(name)
                call_id = self._call_ids.pop(name, None) or f"call_{self._token}_{serial}"
                part = self._open[name] = call_id
                self._values[name] = JsonSnapshots()
                frames.append(
                    _frame(
                        {
                            "type": "tool-input-start",
                            "toolCallId": part,
                            "toolName": self._tool_calls[name],
                        }
                    )
                )
            self._values[name].feed(text)
            frames.append(
                _frame({"type": "tool-input-delta", "toolCallId": part, "inputTextDelta": text})
            )
            return frames
        if self._structured.get(name):
            if part is None:
                self._open[name] = self._id(name)
                self._values[name] = JsonSnapshots()
            self._values[name].feed(text)
            self._dirty.add(name)
            return self.due(now)
        kind = "reasoning" if name in self._reasoning else "text"
        if part is None:
            part = self._open[name] = self._id(name)
            frames.append(_frame({"type": f"{kind}-start", "id": part}))
        frames.append(_frame({"type": f"{kind}-delta", "id": part, "delta": text}))
        return frames

    def _complete(self, name: str) -> list[str]:
        if name not in self._open:
            return []
        return self._end(name)

    def _end(self, name: str) -> list[str]:
        part = self._open.pop(name)
        if name in self._tool_calls:
            value = self._values.pop(name)
            closed = value.end() is not None
            shown = value.snapshot()  # valid JSON even when the model cut the value off
            chunk: dict[str, object] = {
                "type": "tool-input-available",
                "toolCallId": part,
                "toolName": self._tool_calls[name],
                "input": json.loads(shown) if shown is not None else None,
            }
            if not closed:  # cut off or not JSON: the tool must not run on what came
                parser = value.parser
                reason = "was cut off" if parser.truncated else f"is not JSON ({parser.error})"
                chunk["type"] = "tool-input-error"
                chunk["errorText"] = f"the input of tool call {name!r} {reason}"
            return [_frame(chunk)]
        if self._structured.get(name):
            frames = self._snapshot(name, 0.0, part, final=True)
            self._values.pop(name, None)
            return frames
        kind = "reasoning" if name in self._reasoning else "text"
        return [_frame({"type": f"{kind}-end", "id": part})]

    def _snapshot(
        self, name: str, now: float, part: str | None = None, *, final: bool = False
    ) -> list[str]:
        """The data chunk of ``name``'s snapshot, in ``part`` (by default its open one)."""
        self._dirty.discard(name)
        self._sent_at[name] = now
        value = self._values.get(name)
        if value is None:
            return []
        if final:
            value.end()  # the end of the text completes a number at the top level
        text = value.snapshot()
        if text is None:
            return []
        if part is None:
            part = self._open[name]
        # The snapshot is JSON text already: splice it in rather than parse and dump it.
        head = json.dumps({"type": f"data-{name}", "id": part}, separators=(",", ":"))
        return [f'data: {head[:-1]},"data":{text}}}\n\n']


async def ui_message_stream(
    streamer: Streamer,
    *,
    reasoning: Collection[str] = (),
    tool_calls: Mapping[str, str] | None = None,
) -> AsyncGenerator[str, None]:
    """A Streamer's messages as the AI SDK UI message stream, for ``useChat``.

    Send it with the header ``x-vercel-ai-ui-message-stream: v1`` (as
    :class:`~kavalai.web.StreamResponse` does). Text streams become text parts
    (``text-start``/``text-delta``/``text-end``, the part id the stream's
    name), streams named in ``reasoning`` reasoning parts, structured streams
    ``data-<name>`` parts that the client replaces by id with each snapshot (at
    most one every 0.1 s per stream, and the final one), structured streams
    named in ``tool_calls`` tool-input parts (their ``toolCallId`` the
    provider's call id from the adapters' ``tool_calls`` list, else one unique
    to the call; ending in ``tool-input-error``,
    not ``tool-input-available``, when the input's JSON was cut off or is not
    JSON, so the client never runs a tool on a shortened input), and the
    Streamer's error an ``error`` chunk. A part of a name that had one before
    (a retry's after a restart, a stream that goes on after one, a name used
    again) gets an id of its own (``name:1``, ...). Only fields that the AI SDK
    5, 6 and 7 clients accept are sent.

    Args:
        streamer: The Streamer to serve; this is one independent consumer of it.
        reasoning: Names of the text streams that are the model's reasoning.
        tool_calls: Structured streams that are tool calls: name to tool name.
    """
    reader = RecordReader(streamer)
    token = _TOKENS.get(streamer)
    if token is None:
        token = _TOKENS[streamer] = uuid.uuid4().hex[:16]
    parts = _Parts(frozenset(reasoning), dict(tool_calls or {}), token)
    try:
        yield _frame({"type": "start"})
        while not reader.done:
            records = await reader.read(SNAPSHOT_SECONDS if parts.flush_pending() else None)
            now = time.monotonic()
            frames = [frame for record in records for frame in parts.frames(record, now)]
            frames += parts.due(now)
            if frames:
                yield "".join(frames)
    finally:
        await reader.aclose()
