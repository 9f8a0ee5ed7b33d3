"""Recording: what a Streamer carried, its wire records with their times, and its replay."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import RecordingFormatError, RecordingNotFoundError
from ..streamer import Streamer
from ..wire import Record, RecordReader, Replica

__all__ = [
    "FORMAT",
    "Entry",
    "Recorder",
    "Recording",
    "RecordingFormatError",
    "RecordingNotFoundError",
    "record",
]

#: The value of the header line's ``kavalai_recording`` field: the format's version.
FORMAT = 1


class Entry(NamedTuple):
    """One line of a recording: a wire record and when the recorder read it.

    Attributes:
        t: Seconds from the start of the recording, never less than the entry's before.
        record: The wire record (:class:`kavalai.wire.Record`).
    """

    t: float
    record: Record


class Recording:
    """The wire records a Streamer carried, with their times: a test's stand-in for a model.

    Make one with :func:`record`, or load one saved with :meth:`save`. Its text
    (:meth:`dumps`) is JSON Lines: a header line, ``{"kavalai_recording":1}``,
    then one line per wire record, the record's own fields (see
    :mod:`kavalai.wire`) after ``"t"``, its time in seconds from the start. One
    record a line keeps a re-recorded answer's diff readable.

    Replaying it (:meth:`play`, :meth:`play_into`) rebuilds the recorded
    Streamer's messages in another one, so that its consumers get what the
    recorded one's got: every message at the same position, with the same
    values, the same streams and modes, restarts and all. A recorded failure
    comes back as :class:`~kavalai.errors.RemoteStreamError`, naming the
    original exception's type and message, since the exception itself is not
    recorded.

    Args:
        entries: The entries, in the order they were read.

    Raises:
        RecordingFormatError: an entry's time is negative, or less than the one before.
    """

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        previous = 0.0
        for number, (t, _) in enumerate(self.entries, start=2):
            if not t >= previous:
                raise RecordingFormatError(
                    f"recording line {number}: time {t!r} is before the line above's "
                    f"({previous!r}); times count seconds from the start, in order"
                )
            previous = t

    @property
    def duration(self) -> float:
        """The time of the last entry: how long a replay at recorded speed takes."""
        return self.entries[-1].t if self.entries else 0.0

    def dumps(self) -> str:
        """The recording's text: JSON Lines, a header line, then one line per record."""
        lines = [json.dumps({"kavalai_recording": FORMAT})]
        for t, wire in self.entries:
            lines.append(f'{{"t":{round(t, 6)!r},{wire.to_json()[1:]}')
        return "\n".join(lines) + "\n"

    @classmethod
    def loads(cls, text: str) -> Recording:
        """Parse a recording's text (see :meth:`dumps`).

        Raises:
            RecordingFormatError: the header is missing or of another version, or
                a line is not a timed wire record; the message names the line.
        """
        lines = text.splitlines()
        try:
            header = json.loads(lines[0]) if lines else None
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("kavalai_recording") != FORMAT:
            raise RecordingFormatError(
                f"not a kavalai recording: its first line must be "
                f'{{"kavalai_recording": {FORMAT}}}; record one with kavalai.testing.record()'
            )
        entries = []
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            try:
                t = json.loads(line)["t"]
                if isinstance(t, bool) or not isinstance(t, int | float):
                    raise ValueError(f"t must be a number of seconds, got {t!r}")
                entries.append(Entry(float(t), Record.from_json(line)))
            except KeyError as error:
                raise RecordingFormatError(
                    f"recording line {number}: missing field {error}"
                ) from error
            except (ValueError, TypeError) as error:
                raise RecordingFormatError(f"recording line {number}: {error}") from error
        return cls(entries)

    def save(self, path: str | Path) -> None:
        """Write the recording's text to ``path`` (UTF-8), making its folder if need be."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """Read a recording saved with :meth:`save`.

        Raises:
            FileNotFoundError: there is no file at ``path``.
            RecordingFormatError: as for :meth:`loads`, naming the file.
        """
        try:
            return cls.loads(Path(path).read_text(encoding="utf-8"))
        except RecordingFormatError as error:
            raise RecordingFormatError(f"{path}: {error}") from error

    def play(self, speed: float | None = None, **options: Any) -> Streamer:
        """A new Streamer that the recording is replayed into; call it on an event loop.

        The replay runs as the Streamer's producer (:meth:`kavalai.Streamer.start`):
        closing the Streamer stops it.

        Args:
            speed: ``None`` to replay at once; ``1.0`` at the recorded speed,
                ``2.0`` twice as fast, ``0.5`` at half speed.
            **options: The Streamer's own (``max_buffer``, ``timeout_seconds``, ...).
        """
        streamer = Streamer(**options)
        streamer.start(self.play_into(streamer, speed))
        return streamer

    async def play_into(self, streamer: Streamer, speed: float | None = None) -> None:
        """Replay the recording into ``streamer``; returns once it is replayed.

        Each record is applied no earlier than its time divided by ``speed``
        after the call (``None``: at once). Run it as the Streamer's producer
        (``streamer.start(recording.play_into(streamer))``) so that the
        Streamer does not end between one recorded stream and the next.

        Raises:
            ValueError: ``speed`` is not a positive number or ``None``.
        """
        if speed is not None and not (
            isinstance(speed, int | float) and not isinstance(speed, bool) and speed > 0
        ):
            raise ValueError(
                f"speed must be a positive number (1.0 for the recorded speed) or None to "
                f"replay at once, got {speed!r}"
            )
        replica = Replica(streamer)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for t, wire in self.entries:
            if speed is not None:
                wait = start + t / speed - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            if not await replica.apply(wire):
                return
        # Recorded before its Streamer ended: this one stays open, as that one was.


def record(streamer: Streamer) -> Recorder:
    """Record what ``streamer`` carries, from its first message to its end.

    The recorder is a consumer from this call on: it gets every message
    however late it was called (those already pushed are timed at once), and
    it reads each message as it is pushed, so it never holds a producer back.
    Times count from this call, so the first entry's says how long the first
    chunk took to come::

        recorder = record(streamer)
        streamer.start(produce(streamer))
        ...
        (await recorder.wait()).save("answer.jsonl")
    """
    return Recorder(streamer)


class Recorder:
    """Records a Streamer's wire records as they are pushed; made by :func:`record`."""

    def __init__(self, streamer: Streamer) -> None:
        self._start = time.monotonic()
        self._entries: list[Entry] = []
        self._reader = RecordReader(streamer)
        self._ended = asyncio.Event()
        # An Rx subscriber is told of each message in the push itself, and of the
        # end in the Streamer's own ending: every record is read, and timed, then.
        self._subscription = streamer.subscribe(
            lambda _: self._read(), lambda _: self._read(), self._read
        )

    @property
    def done(self) -> bool:
        """Whether it recorded the Streamer's end (or failure): the recording is whole."""
        entries = self._entries
        return bool(entries) and entries[-1].record.kind in ("end", "error")

    @property
    def recording(self) -> Recording:
        """What it recorded so far."""
        return Recording(self._entries)

    async def wait(self) -> Recording:
        """Wait for the Streamer's end, and return the whole recording."""
        await self._ended.wait()
        return self.recording

    def close(self) -> None:
        """Stop recording (the recording so far stays readable). Idempotent."""
        self._subscription.dispose()
        self._reader.close()
        self._ended.set()

    def _read(self) -> None:
        reader = self._reader
        if reader.done:
            return
        t = round(time.monotonic() - self._start, 6)  # what a file keeps: microseconds
        self._entries += (Entry(t, wire) for wire in reader.read_ready())
        if reader.done:
            self._ended.set()
