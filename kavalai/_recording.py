"""The demo's recording: a model response, its events and their replay into a Streamer.

``data/demo_response.jsonl`` holds the chunks a model wrote for two streams, a
``thought`` text and a ``result`` JSON (a :class:`ResearchAnswer`), each at its
time: a recording of :mod:`kavalai.testing`, so ``Recording.load(...).play()``
replays it too. The ``demo`` command and the demo web page replay its events.
"""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from .value_streamer import ValueStreamer
from .wire import Record as WireRecord

__all__ = ["MAX_REPLAY_SECONDS", "Event", "Record", "ResearchAnswer", "load_recording", "replay"]

#: The longest a paced replay may take; a longer recording is sped up to fit.
MAX_REPLAY_SECONDS = 7.5


class Record(BaseModel):
    """One row of the answer: a planet."""

    name: str
    order: int
    radius_km: float
    has_rings: bool
    note: str | None = None


class ResearchAnswer(BaseModel):
    """The structured value the ``result`` stream writes."""

    title: str
    summary: str
    records: list[Record]


class Event(BaseModel):
    """One step of the recording: a chunk for a stream, or that stream's completion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stream: Literal["thought", "result"]
    delay_ms: int = Field(ge=0)
    chunk: str | None = None
    complete: bool = False

    @model_validator(mode="after")
    def _chunk_or_complete(self) -> Event:
        if (self.chunk is None) != self.complete:
            raise ValueError('an event carries either a "chunk" or "complete": true')
        return self


def load_recording() -> list[Event]:
    """Read the recording shipped inside the package, events in the order written.

    Each partial chunk and each completion is an event, its delay the time
    since the one before, in whole milliseconds as recorded.
    """
    resource = resources.files("kavalai").joinpath("data/demo_response.jsonl")
    events: list[dict[str, object]] = []
    before = 0.0
    for line in resource.read_text(encoding="utf-8").splitlines()[1:]:
        t = json.loads(line)["t"]
        record = WireRecord.from_json(line)
        delay_ms = round((t - before) * 1000)
        before = t
        if record.kind == "partial":
            for chunk in record.chunks:
                events.append({"stream": record.name, "delay_ms": delay_ms, "chunk": chunk})
                delay_ms = 0
        elif record.kind == "complete":
            events.append({"stream": record.name, "delay_ms": delay_ms, "complete": True})
        elif record.kind not in ("stream", "end"):
            raise ValueError(f"the demo's recording has a {record.kind!r} record: {line[:80]}")
    return TypeAdapter(list[Event]).validate_python(events)


async def replay(streams: dict[str, ValueStreamer], events: list[Event], *, fast: bool) -> None:
    """Push the recorded events into their streams at recorded speed (or at once if ``fast``)."""
    recorded = sum(event.delay_ms for event in events) / 1000
    scale = min(1.0, MAX_REPLAY_SECONDS / recorded) if recorded else 1.0
    loop = asyncio.get_running_loop()
    # Sleeping until each event's due time, not for each delay, keeps the small
    # oversleeps of hundreds of timers from adding up.
    due = loop.time()
    for event in events:
        if not fast:
            due += event.delay_ms / 1000 * scale
            await asyncio.sleep(max(0.0, due - loop.time()))
        if event.chunk is None:
            await streams[event.stream].stream_complete()
        else:
            await streams[event.stream].stream_partial(event.chunk)
