"""The ``demo`` command: a recorded model response, replayed through a Streamer, live.

A producer task pushes the chunks of ``data/demo_response.jsonl``, a ``thought`` text stream
and a ``result`` JSON stream (a :class:`ResearchAnswer`), into one Streamer, each after its
recorded delay. The consumer reads the result through the library's operators, typed
partials of the answer and each record as soon as it closes, iterates the Streamer for the
rest, and shows what it has so far: on a terminal, the display's board of the streams
redrawn in place (with rich, from the ``demo`` extra); in a pipe, a log or on ``TERM=dumb``,
plain lines without escape codes, each written once.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import time
from dataclasses import dataclass, field
from typing import TextIO

from ._recording import Event, Record, ResearchAnswer, load_recording, replay
from .content import StreamContent
from .display import Board
from .operators import Partial, completed_items, is_validated, stream_values, typed_partials
from .streamer import Streamer

__all__ = ["Event", "Record", "ResearchAnswer", "load_recording", "replay", "run_demo"]

#: The first line of the live view.
TITLE = "kavalai demo: a recorded model response, streamed"


#: The table columns: the record fields, named as in the JSON.
_COLUMNS = tuple(Record.model_fields)


def run_demo(fast: bool = False, out: TextIO | None = None) -> int:
    """Replay the recording through a Streamer and render it as it streams.

    Args:
        fast: Skip the recorded pauses between chunks.
        out: Where to render; ``sys.stdout`` by default. A terminal gets a live
            view redrawn in place, anything else (``TERM=dumb`` too) plain lines
            without escape codes.

    Returns:
        The exit code, 0.
    """
    target = sys.stdout if out is None else out
    return asyncio.run(_run(load_recording(), target, fast=fast))


async def _run(events: list[Event], out: TextIO, *, fast: bool) -> int:
    state = _State(streaming=["thought", "result"])
    view = _view(out)
    # Leaving the block closes the Streamer, which cancels the replay if drawing failed.
    async with Streamer() as streamer:
        # Both value streamers exist before any chunk: the Streamer ends when every
        # registered stream has completed, so a late registration could miss it.
        streams = {
            "thought": streamer.get_value_streamer("thought", stream_delta=True),
            "result": streamer.get_value_streamer(
                "result", stream_delta=True, response_model=ResearchAnswer
            ),
        }
        # The operators parse the raw result chunks once, incrementally; subscribed
        # before the replay starts, they see every chunk.
        result_text = streamer.pipe(stream_values("result"))
        result_text.pipe(typed_partials(ResearchAnswer, name="result")).subscribe(
            state.take_answer, state.fail
        )
        result_text.pipe(completed_items("records", Record, name="result")).subscribe(
            state.records.append, state.fail
        )
        # start() hands a failure of the replay to this loop, which raises it.
        streamer.start(replay(streams, events, fast=fast))
        try:
            async for message in streamer:
                state.apply(message)
                view.update(state, message)
        except Exception as error:
            state.fail(error)
            raise
        finally:
            view.close(state)
    if state.error is not None:
        raise state.error
    if state.answer is None:
        raise RuntimeError("the result stream completed without a final value")
    print(f"done: {len(streams)} streams, {state.messages} messages", file=out, flush=True)
    return 0


@dataclass
class _State:
    """What the consumer has gathered from the messages and the operators so far."""

    streaming: list[str]
    messages: int = 0
    thought: str = ""
    records: list[Record] = field(default_factory=list)  # each complete and validated
    answer: ResearchAnswer | None = None  # the whole answer, validated
    error: Exception | None = None

    def apply(self, message: StreamContent) -> None:
        self.messages += 1
        if message.type == "complete" and message.name in self.streaming:
            self.streaming.remove(message.name)
        if message.name == "thought" and message.type == "partial":
            self.thought += message.value or ""

    def take_answer(self, answer: Partial[ResearchAnswer]) -> None:
        if is_validated(answer, ResearchAnswer):  # typed_partials ends with it
            self.answer = answer

    def fail(self, error: Exception) -> None:
        self.error = error


def _view(out: TextIO) -> _PlainView | _LiveView:
    """The live view on a terminal that can redraw, plain lines anywhere else."""
    if not out.isatty() or os.environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return _PlainView(out)
    try:
        return _LiveView(out)
    except ImportError:
        print(
            "kavalai demo: the live view needs rich: pip install 'kavalai[demo]' "
            "(from a clone: pip install '.[demo]'); showing plain lines",
            file=sys.stderr,
        )
        return _PlainView(out)


def _cell(record: Record, column: str) -> str:
    value = getattr(record, column)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    return "" if value is None else str(value)


class _PlainView:
    """Appends to a pipe or a log: no escape codes, nothing written twice."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._thought_shown = 0
        self._records_shown = 0

    def update(self, state: _State, message: StreamContent) -> None:
        out = self._out
        if len(state.thought) > self._thought_shown:
            if not self._thought_shown:
                out.write("thought: ")
            out.write(state.thought[self._thought_shown :])
            self._thought_shown = len(state.thought)
        # Records wait for the thought to end, so that its text stays in one piece.
        if message.name == "thought" and message.type == "complete" and self._thought_shown:
            out.write("\n")
        if "thought" not in state.streaming:
            records = state.records
            for number in range(self._records_shown, len(records)):
                cells = [_cell(records[number], column) for column in _COLUMNS]
                while cells and not cells[-1]:
                    cells.pop()  # an empty last field leaves no separator hanging
                out.write(f"record {number + 1}: {' | '.join(cells)}\n")
            self._records_shown = len(records)
        answer = state.answer
        if answer is not None and not state.streaming:  # the very last message
            out.write(f"result: {answer.title} ({len(answer.records)} records, validated)\n")
            out.write(textwrap.indent(answer.summary, "  ") + "\n")
        out.flush()

    def close(self, state: _State) -> None:
        self._out.flush()


class _LiveView:
    """The display's board, redrawn in place with rich; the whole final frame at the end.

    Each live frame fits the screen, so the scrollback keeps no stale frames;
    see :class:`kavalai.display._terminal.TerminalView`.
    """

    #: Redraw at most this often; messages in between only update the board.
    INTERVAL = 1 / 30

    def __init__(self, out: TextIO) -> None:
        from .display._terminal import TerminalView, board_frame

        self._board = Board(delta=True)
        self._view = TerminalView(out, board_frame(self._board, TITLE))
        self._drawn_at = float("-inf")

    def update(self, state: _State, message: StreamContent) -> None:
        self._board.apply(message)
        now = time.monotonic()
        if now - self._drawn_at >= self.INTERVAL:
            self._drawn_at = now
            self._view.update()

    def close(self, state: _State) -> None:
        if state.error is not None:
            self._board.fail(state.error)
        elif not state.streaming:
            self._board.end()
        self._view.finish()
