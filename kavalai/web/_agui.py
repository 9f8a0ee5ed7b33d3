"""Wire records as AG-UI events: messages, reasoning, tool calls and shared state of one run."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

from ..content import StreamInfo
from ..partial_json import PartialJsonParser
from ._agui_parts import AguiPart, AguiParts
from ._patch import ValuePatcher

if TYPE_CHECKING:
    from ..partial_json import JsonValue
    from ..wire import Record

__all__ = ["PROTOCOL_VERSION", "STATE_SECONDS", "Event", "Translator"]

#: The AG-UI protocol version the events follow (``RUN_STARTED``'s ``protocolVersion``).
PROTOCOL_VERSION = "1.0"
#: Seconds between two ``STATE_DELTA`` events of one stream, so bytes stay bounded.
STATE_SECONDS = 0.1

Event = dict[str, object]


class _Open:
    """A stream of the run being translated, from its first content to its end."""

    __slots__ = (
        "args",
        "chunks",
        "dirty",
        "id",
        "kind",
        "listed",
        "parser",
        "patcher",
        "sent_at",
        "tool",
    )

    def __init__(self, kind: str, message_id: str) -> None:
        self.kind = kind
        self.id = message_id
        self.chunks: list[str] = []  # content so far, kept while it may go into a snapshot
        self.args: list[str] = []  # a tool call's arguments so far, to re-start it on resume
        self.tool = ""
        self.parser: PartialJsonParser | None = None  # a tool call's arguments, or a list of calls
        self.patcher: ValuePatcher | None = None
        self.listed = 0  # calls of a tool_calls list read so far
        self.sent_at = float("-inf")  # when a state stream's last delta went out
        self.dirty = False  # a state stream changed since


class _Message:
    """A message as a client builds it from the events, for a ``MESSAGES_SNAPSHOT``."""

    __slots__ = ("calls", "id", "role", "stream")

    def __init__(self, message_id: str, role: str, stream: _Open | None) -> None:
        self.id = message_id
        self.role = role
        self.stream = stream  # whose chunks are its content; None: a message of tool calls
        self.calls: list[_Open] = []

    def dump(self) -> Event:
        message: Event = {"id": self.id, "role": self.role}
        if self.stream is not None:
            message["content"] = "".join(self.stream.chunks)
        if self.calls or self.stream is None:
            message["toolCalls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.tool, "arguments": "".join(call.args)},
                }
                for call in self.calls
            ]
        return message


class Translator:
    """Turns a Streamer's wire records into the AG-UI events of one run.

    ``silent`` reads records without giving events (it keeps what a snapshot
    needs), for a client that resumes: :meth:`prelude` then gives the events
    that bring it to where the records left off.
    """

    def __init__(
        self,
        thread_id: str,
        run_id: str,
        parts: AguiParts,
        state: Mapping[str, object] | None = None,
        messages: Sequence[Mapping[str, object]] = (),
    ) -> None:
        self.thread_id = thread_id
        self.run_id = run_id
        self.silent = False
        self._parts = parts
        self._base = dict(state or {})
        self._input = list(messages)
        self._infos: dict[str, StreamInfo] = {}
        self._kinds: dict[int, AguiPart | None] = {}  # by serial
        self._open: dict[str, _Open] = {}  # by stream name
        self._left: set[str] = set()  # streams left out, until they complete
        self._generation: dict[int, int] = {}  # messages each stream opened so far
        self._calls: dict[str, tuple[str | None, str | None]] = {}  # listed: stream -> id, name
        self._state: list[_Open] = []  # state streams, in order
        self._state_sent = False
        self._last_text: dict[str, str] = {}  # group -> id of its latest text message
        self._messages: list[_Message] = []
        self._by_id: dict[str, _Message] = {}
        self._cut: list[_Open] = []  # tool calls whose arguments never closed

    def start(self) -> Event:
        """The ``RUN_STARTED`` event."""
        return {
            "type": "RUN_STARTED",
            "threadId": self.thread_id,
            "runId": self.run_id,
            "protocolVersion": PROTOCOL_VERSION,
        }

    def feed(self, record: Record, now: float) -> list[Event]:
        """The events of one record (none while :attr:`silent`)."""
        kind, name = record.kind, record.name or ""
        if kind == "stream":
            self._announce(record)
            return []
        if kind == "partial":
            return self._partial(name, "".join(record.chunks), now)
        if kind == "complete":
            return self._complete(name)
        if kind == "restart":
            return self._restart() if record.seq is not None else []
        if kind == "error":
            return [
                *self.due(now, flush=True),
                {
                    "type": "RUN_ERROR",
                    "message": f"{record.error_type}: {record.value}",
                    "code": record.error_type or "Exception",
                },
            ]
        return self._end()

    def due(self, now: float, flush: bool = False) -> list[Event]:
        """State deltas held back by the throttle whose time has come (all with ``flush``)."""
        if self.silent:
            return []
        events: list[Event] = []
        for stream in self._state:
            if stream.dirty and (flush or now - stream.sent_at >= STATE_SECONDS):
                events += self._delta(stream, now)
        return events

    @property
    def pending(self) -> bool:
        """Whether a state stream has changes the throttle holds back."""
        return any(stream.dirty for stream in self._state)

    def prelude(self, folded: bool) -> list[Event]:
        """Leave :attr:`silent`: the events a resuming client needs first.

        After a folded position the client's messages cannot be continued, so
        they come whole in a ``MESSAGES_SNAPSHOT`` (after the conversation given
        as ``messages``); the state comes whole in a ``STATE_SNAPSHOT``; open
        messages and tool calls are started again (a tool call's first
        arguments then replace what the client had).
        """
        self.silent = False
        events: list[Event] = []
        if folded:
            events.append(
                {
                    "type": "MESSAGES_SNAPSHOT",
                    "messages": [
                        *(m for m in self._input if m.get("id") not in self._by_id),
                        *(m.dump() for m in self._messages),
                    ],
                }
            )
        if self._state_sent or any(s.patcher and s.patcher.parser.has_value for s in self._state):
            events.append(self._snapshot())
        for stream in self._open.values():
            if stream.kind in ("text", "reasoning"):
                events += self._opening(stream)
            elif stream.kind == "tool_call":
                events.append(self._call_start(stream))
                if stream.args:
                    events.append(self._args(stream, "".join(stream.args)))
        for message in self._messages:  # from now on, no snapshot needs their content
            if message.stream is not None:
                message.stream.chunks = []
        return events

    def _announce(self, record: Record) -> None:
        name, serial = record.name or "", record.serial if record.serial is not None else -1
        info = StreamInfo(name, record.delta, record.structured, serial)
        self._infos[name] = info
        if serial not in self._kinds:
            self._kinds[serial] = self._parts(info)

    def _partial(self, name: str, text: str, now: float) -> list[Event]:
        stream = self._open.get(name)
        events: list[Event] = []
        if stream is None:
            if name in self._left:
                return []
            info = self._infos[name]
            part = self._kinds.get(info.serial)
            if part is None:
                self._left.add(name)
                return []
            stream, events = self._begin(name, info, part)
        kind = stream.kind
        if kind in ("text", "reasoning"):
            if self.silent:
                stream.chunks.append(text)
            elif text:
                prefix = "TEXT_MESSAGE" if kind == "text" else "REASONING_MESSAGE"
                events.append({"type": f"{prefix}_CONTENT", "messageId": stream.id, "delta": text})
        elif kind == "tool_call":
            assert stream.parser is not None
            stream.parser.feed(text)
            stream.args.append(text)
            if text and not self.silent:
                events.append(self._args(stream, text))
        elif kind == "tool_calls":
            self._list_calls(stream, text)
        else:
            assert stream.patcher is not None
            stream.patcher.feed(text)
            stream.dirty = True
            if not self.silent and now - stream.sent_at >= STATE_SECONDS:
                events += self._delta(stream, now)
        return events

    def _begin(self, name: str, info: StreamInfo, part: AguiPart) -> tuple[_Open, list[Event]]:
        """A stream's first content: its message, tool call or state value begins."""
        generation = self._generation.get(info.serial, 0)
        self._generation[info.serial] = generation + 1
        message_id = f"{self.run_id}-{info.serial}" + (f".{generation}" if generation else "")
        stream = _Open(part.kind, message_id)
        self._open[name] = stream
        events: list[Event] = []
        if part.kind in ("text", "reasoning"):
            role = "assistant" if part.kind == "text" else "reasoning"
            message = _Message(message_id, role, stream)
            self._add_message(message)
            if part.kind == "text":
                self._last_text[part.group] = message_id
            if not self.silent:
                events += self._opening(stream)
        elif part.kind == "tool_call":
            call_id, tool = self._calls.get(name, (None, None))
            stream.id = call_id or message_id
            stream.tool = tool or part.tool or name
            stream.parser = PartialJsonParser()
            parent = self._last_text.get(part.group) or f"{self.run_id}-{part.group}calls"
            holder = self._by_id.get(parent)
            if holder is None:
                holder = _Message(parent, "assistant", None)
                self._add_message(holder)
            holder.calls.append(stream)
            if not self.silent:
                events.append(self._call_start(stream))
        elif part.kind == "tool_calls":
            stream.parser = PartialJsonParser()
        else:
            stream.patcher = ValuePatcher(part.path if part.path is not None else "")
            self._state.append(stream)
        return stream, events

    def _add_message(self, message: _Message) -> None:
        self._messages.append(message)
        self._by_id[message.id] = message

    def _opening(self, stream: _Open) -> list[Event]:
        if stream.kind == "text":
            return [{"type": "TEXT_MESSAGE_START", "messageId": stream.id, "role": "assistant"}]
        return [
            {"type": "REASONING_START", "messageId": stream.id},
            {"type": "REASONING_MESSAGE_START", "messageId": stream.id, "role": "reasoning"},
        ]

    def _call_start(self, stream: _Open) -> Event:
        parent = self._parent(stream)
        return {
            "type": "TOOL_CALL_START",
            "toolCallId": stream.id,
            "toolCallName": stream.tool,
            "parentMessageId": parent,
        }

    def _parent(self, stream: _Open) -> str:
        for message in self._messages:
            if stream in message.calls:
                return message.id
        return stream.id  # pragma: no cover - every call joins a message as it begins

    def _args(self, stream: _Open, text: str) -> Event:
        return {"type": "TOOL_CALL_ARGS", "toolCallId": stream.id, "delta": text}

    def _list_calls(self, stream: _Open, text: str) -> None:
        """Read a ``tool_calls`` list: each call's stream, id and name, as it is listed."""
        parser = stream.parser
        assert parser is not None
        parser.feed(text)
        frames, _, _ = parser.open_frames()
        calls = frames[0].container if frames else parser.snapshot()
        if not isinstance(calls, list):
            return
        for call in calls[stream.listed :]:
            if isinstance(call, dict) and isinstance(call.get("stream"), str):
                call_id, tool = call.get("id"), call.get("name")
                self._calls[str(call["stream"])] = (
                    call_id if isinstance(call_id, str) else None,
                    tool if isinstance(tool, str) else None,
                )
        stream.listed = len(calls)

    def _complete(self, name: str) -> list[Event]:
        self._left.discard(name)
        stream = self._open.pop(name, None)
        if stream is None:
            return []
        kind = stream.kind
        if kind == "tool_call":
            assert stream.parser is not None
            stream.parser.close()
            if not stream.parser.done:  # cut off, or not JSON: never offered as a call to run
                self._cut.append(stream)
                return []
            return [] if self.silent else [{"type": "TOOL_CALL_END", "toolCallId": stream.id}]
        if kind == "state":
            assert stream.patcher is not None
            if self.silent:
                stream.patcher.parser.end_input()  # a number at the top ends with the text
                return []
            return self._delta(stream, 0.0, final=True)
        if kind in ("text", "reasoning") and not self.silent:
            return self._closing(stream)
        return []

    def _closing(self, stream: _Open) -> list[Event]:
        if stream.kind == "text":
            return [{"type": "TEXT_MESSAGE_END", "messageId": stream.id}]
        return [
            {"type": "REASONING_MESSAGE_END", "messageId": stream.id},
            {"type": "REASONING_END", "messageId": stream.id},
        ]

    def _restart(self) -> list[Event]:
        """A retry: open messages end, open tool calls are cut off, the state starts again."""
        events: list[Event] = []
        for stream in self._open.values():
            if stream.kind in ("text", "reasoning") and not self.silent:
                events += self._closing(stream)
            elif stream.kind == "tool_call":
                self._cut.append(stream)
        self._open.clear()
        self._left.clear()
        had_state = self._state_sent
        self._state = []
        if had_state and not self.silent:
            events.append(self._snapshot())
        return events

    def _end(self) -> list[Event]:
        events = self.due(0.0, flush=True)
        closed = bool(self._open) or bool(self._left)  # the Streamer closed with streams open
        for stream in self._open.values():
            if stream.kind in ("text", "reasoning"):
                events += self._closing(stream)
            elif stream.kind == "tool_call":
                self._cut.append(stream)
        self._open.clear()
        if self._cut:
            names = ", ".join(f"{call.id!r} ({call.tool})" for call in self._cut)
            events.append(
                {
                    "type": "RUN_ERROR",
                    "message": f"the arguments of tool call {names} were cut off or are not "
                    "JSON: the call must not run",
                    "code": "TOOL_CALL_CUT_OFF",
                }
            )
            return events
        finished: Event = {"type": "RUN_FINISHED", "threadId": self.thread_id, "runId": self.run_id}
        if closed:
            finished["outcome"] = {"type": "cancelled"}
        events.append(finished)
        return events

    def _delta(self, stream: _Open, now: float, final: bool = False) -> list[Event]:
        patcher = stream.patcher
        assert patcher is not None
        stream.sent_at = now
        stream.dirty = False
        if not self._state_sent:
            patcher.patch(final)
            return [self._snapshot(restart=False)]
        ops = patcher.patch(final)
        return [{"type": "STATE_DELTA", "delta": ops}] if ops else []

    def _snapshot(self, restart: bool = True) -> Event:
        """A ``STATE_SNAPSHOT``: the state given, with every state stream's value so far."""
        self._state_sent = True
        document: JsonValue = cast("JsonValue", copy.deepcopy(self._base))
        for stream in self._state:
            patcher = stream.patcher
            assert patcher is not None
            if restart:
                patcher.restart()
            if patcher.sent:
                document = _put(document, patcher.path, patcher.value())
        return {"type": "STATE_SNAPSHOT", "snapshot": document}


def _put(document: JsonValue, path: str, value: JsonValue) -> JsonValue:
    """``document`` with ``value`` at the JSON Pointer ``path``, objects made on the way."""
    if path == "":
        return value
    tokens = [token.replace("~1", "/").replace("~0", "~") for token in path.split("/")[1:]]
    if not isinstance(document, dict):
        document = {}
    node = document
    for token in tokens[:-1]:
        child = node.get(token)
        if not isinstance(child, dict):
            child = node[token] = {}
        node = child
    node[tokens[-1]] = value
    return document
