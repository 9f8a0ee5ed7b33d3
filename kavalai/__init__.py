"""kavalai: stream several named values of AI output, as they are written.

A producer gets named :class:`ValueStreamer` objects from a :class:`Streamer`,
pushes partial chunks into each and completes each; consumers iterate the
Streamer (or subscribe to it as a ReactiveX observable) and receive
:class:`StreamContent` messages, in delta or cumulative form. Every consumer,
here or in another room, reads the Streamer's log through a :class:`LogReader`.

``await kavalai.show(streamer)`` shows a Streamer live in a notebook or a
terminal. It is :func:`kavalai.display.display`, imported when first used:
importing kavalai imports none of its optional rooms (``display``, ``web``,
``redis``, ``providers``) nor their dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._iterate import ObservableIterator, iterate
from .content import StreamContent, StreamInfo
from .errors import (
    BadResumeError,
    DataLostError,
    EventStreamError,
    IncompleteStreamError,
    KavalaiError,
    NoSchedulerError,
    PublishError,
    RecordingFormatError,
    RecordingNotFoundError,
    RemoteStreamError,
    ResponseFailedError,
    SseRecordingError,
    StreamClosedError,
    StreamerTimeoutException,
    StreamRestartedError,
    StreamUnavailableError,
    StreamValidationError,
)
from .reader import LogReader, MessageIterator, RawMessage
from .streamer import Streamer, StreamerStatistics, StreamerWatcher
from .value_streamer import ValueStreamer

if TYPE_CHECKING:
    from .display import display as show

#: The version of this kavalai, also in the distribution's metadata (read from here).
__version__ = "0.1.0"

__all__ = [
    "BadResumeError",
    "DataLostError",
    "EventStreamError",
    "IncompleteStreamError",
    "KavalaiError",
    "LogReader",
    "MessageIterator",
    "NoSchedulerError",
    "ObservableIterator",
    "PublishError",
    "RawMessage",
    "RecordingFormatError",
    "RecordingNotFoundError",
    "RemoteStreamError",
    "ResponseFailedError",
    "SseRecordingError",
    "StreamClosedError",
    "StreamContent",
    "StreamInfo",
    "StreamRestartedError",
    "StreamUnavailableError",
    "StreamValidationError",
    "Streamer",
    "StreamerStatistics",
    "StreamerTimeoutException",
    "StreamerWatcher",
    "ValueStreamer",
    "__version__",
    "iterate",
    "show",
]


def __getattr__(name: str) -> object:
    # Imported when first read, so that importing kavalai imports no display module.
    if name == "show":
        from .display import display

        return display
    if name == "display":  # the subpackage, readable as kavalai.display after import kavalai
        return importlib.import_module(".display", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "display", "show"})
