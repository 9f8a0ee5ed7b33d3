"""kavalai.testing: recorded streams, so tests run against what a model once sent.

* :func:`record` records what a Streamer carries, its wire records (see
  :mod:`kavalai.wire`) with the time each was read, into a :class:`Recording`.
* :meth:`Recording.save` writes it as JSON Lines, one record a line after a
  header, ``{"t":0.42,"kind":"partial","seq":0,"name":"text","chunks":["Hel"]}``:
  a re-recorded answer's diff reads line by line.
* :meth:`Recording.play` replays it into a new Streamer, at once, at the
  recorded speed or scaled: its consumers get exactly the messages the
  recorded Streamer's got, positions included.
* The pytest plugin (loaded by pytest through kavalai's entry point) gives
  tests the ``kavalai_recording`` fixture, which replays a recording into the
  code under test, and ``pytest --kavalai-record`` records it again from the
  live producer.
* :mod:`kavalai.testing.sse` records the HTTP answers of a provider call as
  they streamed and replays them to the real SDK client over 127.0.0.1.

Named as ``numpy.testing`` and ``django.test`` are: what a project's tests
import, never its production code.
"""

from __future__ import annotations

from ._record import (
    FORMAT,
    Entry,
    Recorder,
    Recording,
    RecordingFormatError,
    RecordingNotFoundError,
    record,
)

__all__ = [
    "FORMAT",
    "Entry",
    "Recorder",
    "Recording",
    "RecordingFormatError",
    "RecordingNotFoundError",
    "record",
]
