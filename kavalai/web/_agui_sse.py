"""The AG-UI event stream of a Streamer over SSE, resumable after any position it sent."""

from __future__ import annotations

import dataclasses
import math
import time
import uuid
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass

from .._json import compact_json
from ..streamer import Streamer
from ..wire import Record, RecordReader
from ._agui import STATE_SECONDS, Event, Translator
from ._agui_parts import AguiParts, default_agui_part
from ._encode import LINGER_SECONDS, PING_SECONDS

__all__ = ["AguiRun", "agui_events"]


@dataclass(frozen=True)
class AguiRun:
    """The AG-UI run a response serves (see :func:`agui_events` for each field).

    Attributes:
        thread_id: The conversation's id; ``run_id`` if not given.
        run_id: The run's id: the same for every response of one answer.
        parts: Which AG-UI part each stream becomes.
        state: The state the run starts from.
        messages: The conversation before the run, for a ``MESSAGES_SNAPSHOT``.
    """

    thread_id: str | None = None
    run_id: str | None = None
    parts: AguiParts = default_agui_part
    state: Mapping[str, object] | None = None
    messages: Sequence[Mapping[str, object]] = ()

    @classmethod
    def from_input(cls, run_input: Mapping[str, object], **overrides: object) -> AguiRun:
        """The run an AG-UI ``RunAgentInput`` (its JSON, as a client posts it) asks for.

        ``overrides`` set fields the input does not decide, such as ``run_id``.

        Raises:
            ValueError: a field of the input has the wrong type.
        """
        thread_id, run_id = run_input.get("threadId"), run_input.get("runId")
        state, messages = run_input.get("state"), run_input.get("messages", [])
        if not isinstance(thread_id, str | None) or not isinstance(run_id, str | None):
            raise ValueError("threadId and runId must be strings")
        if not isinstance(state, dict | None) or not isinstance(messages, list):
            raise ValueError("state must be an object and messages a list")
        fields: dict[str, object] = {
            "thread_id": thread_id,
            "run_id": run_id,
            "state": state,
            "messages": [m for m in messages if isinstance(m, dict)],
            **overrides,
        }
        return cls(**fields)  # type: ignore[arg-type]


async def agui_events(
    streamer: Streamer,
    after: int | None = None,
    *,
    thread_id: str | None = None,
    run_id: str | None = None,
    parts: AguiParts = default_agui_part,
    state: Mapping[str, object] | None = None,
    messages: Sequence[Mapping[str, object]] = (),
    ping_seconds: float | None = PING_SECONDS,
) -> AsyncGenerator[str, None]:
    """A Streamer as one AG-UI run: server-sent events, each event's position its ``id``.

    Send it as ``text/event-stream`` (as :class:`~kavalai.web.StreamResponse`
    does with protocol ``"ag-ui"``). The run opens with ``RUN_STARTED`` and
    ends with ``RUN_FINISHED`` (its outcome ``cancelled`` if the Streamer was
    closed with streams open) or ``RUN_ERROR`` (the Streamer's error, or a tool
    call whose arguments never closed: such a call never gets its
    ``TOOL_CALL_END``, so it is never offered as a call to run). Between them,
    each stream becomes what ``parts`` says (see :func:`default_agui_part`):
    text and reasoning messages, tool calls with the provider's call id and
    name, and shared state, a ``STATE_SNAPSHOT`` then ``STATE_DELTA`` JSON Patch
    that only adds (at most one per stream every 0.1 s, and the last).

    The last event of each message's events carries its position as the SSE
    ``id``; events without one belong to the next that has one. Served
    ``after`` a position (a ``Last-Event-ID``), the run starts again with
    ``RUN_STARTED`` and a prelude that brings a client that applied the
    events up to that id to the state of one that saw everything: the state
    whole, open messages and tool calls started again (a re-started call's
    first arguments replace the ones the client had) and, after a position
    the Streamer has folded, the messages whole in a ``MESSAGES_SNAPSHOT``,
    after ``messages``.

    Args:
        streamer: The Streamer to serve; this is one independent consumer of it.
        after: Resume after this position.
        thread_id: The conversation's id (an AG-UI ``RunAgentInput.threadId``);
            ``run_id`` if not given.
        run_id: The run's id, which the message ids derive from: give the same
            one to every response of one answer so a resumed client's ids match.
            A random one if not given.
        parts: Which AG-UI part each stream becomes.
        state: The state the run starts from (the client's ``RunAgentInput.state``):
            the state streams' values go into it.
        messages: The conversation before the run (``RunAgentInput.messages``),
            for a ``MESSAGES_SNAPSHOT``.
        ping_seconds: Send a ``: ping`` comment after this long idle; ``None`` for none.
    """
    run = run_id or uuid.uuid4().hex
    translator = Translator(thread_id or run, run, parts, state, messages)
    translator.silent = after is not None
    reader = RecordReader(streamer)  # from the start: a resume replays silently up to after
    last: int | None = None  # the position of the last message read
    pieces = [_frame(translator.start(), None)]
    try:
        while True:
            if pieces:
                yield "".join(pieces)
                pieces = []
            if reader.done:
                return
            timeout = STATE_SECONDS if translator.pending else ping_seconds
            records = await reader.read(timeout, 0.0 if translator.silent else LINGER_SECONDS)
            now = time.monotonic()
            if not records and not reader.done:  # timed out: a held-back delta, or a ping
                due = translator.due(now)
                pieces += _frames(due, last) if due else [": ping\n\n"]
                continue
            for record in records:
                if translator.silent:
                    assert after is not None
                    head, rest, folded = _split(record, after)
                    translator.feed(head, now)
                    if folded or head.last_seq == after:  # the client's position: go live
                        last = head.last_seq if folded else after
                        pieces += _frames(translator.prelude(folded), last)
                    if rest is None:
                        continue
                    record = rest
                events = translator.feed(record, now)
                if record.last_seq is not None:
                    last = record.last_seq
                pieces += _frames(events, record.last_seq)
            pieces += _frames(translator.due(now), last)
    finally:
        await reader.aclose()


def _split(record: Record, after: int) -> tuple[Record, Record | None, bool]:
    """The part of a record up to ``after`` (read silently), the rest, and whether it is folded.

    Folded: the first record with a position is past ``after``: the catch-up of
    a history folded beyond it, read silently whole.
    """
    last = record.last_seq
    if last is None or last <= after:
        return record, None, False
    seq = record.seq
    assert seq is not None
    if seq > after:
        return record, None, True
    keep = after - seq + 1  # a partial record that runs past after
    return (
        dataclasses.replace(record, chunks=record.chunks[:keep]),
        dataclasses.replace(record, seq=after + 1, chunks=record.chunks[keep:]),
        False,
    )


def _frames(events: list[Event], last: int | None) -> list[str]:
    """The SSE frames of ``events``, the last one with the position ``last`` as its id."""
    if not events:
        return []
    frames = [_frame(event, None) for event in events[:-1]]
    frames.append(_frame(events[-1], last))
    return frames


def _frame(event: Event, position: int | None) -> str:
    text = compact_json(event)
    if "Infinity" in text or "NaN" in text:  # perhaps a number beyond the float range
        text = compact_json(_finite(event)).replace(f'"{_INFINITY}"', "1e999")
        text = text.replace(f'"-{_INFINITY}"', "-1e999")
    return f"data: {text}\n\n" if position is None else f"id: {position}\ndata: {text}\n\n"


_INFINITY = "kavalai:infinity:5f3c9e"  # a string no value holds by chance


def _finite(value: object) -> object:
    """Infinities marked, to be written ``1e999``, which every JSON reader reads back as them."""
    if isinstance(value, float) and value in (math.inf, -math.inf):
        return _INFINITY if value > 0 else "-" + _INFINITY
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
