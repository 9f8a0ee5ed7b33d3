"""kavalai: stream several named values of AI output, as they are written.

A producer gets named :class:`ValueStreamer` objects from a :class:`Streamer`,
pushes partial chunks into each and completes each; consumers iterate the
Streamer (or subscribe to it as a ReactiveX observable) and receive
:class:`StreamContent` messages, in delta or cumulative form.
"""

from __future__ import annotations

from ._iterate import ObservableIterator, iterate
from .content import StreamContent
from .display import display
from .errors import (
    BadResumeError,
    IncompleteStreamError,
    KavalaiError,
    RemoteStreamError,
    ResponseFailedError,
    StreamClosedError,
    StreamerTimeoutException,
    StreamRestartedError,
    StreamUnavailableError,
    StreamValidationError,
)
from .reader import MessageIterator
from .streamer import Streamer, StreamerStatistics
from .value_streamer import ValueStreamer

#: The version of this kavalai, also in the distribution's metadata (read from here).
__version__ = "0.1.0"

__all__ = [
    "BadResumeError",
    "IncompleteStreamError",
    "KavalaiError",
    "MessageIterator",
    "ObservableIterator",
    "RemoteStreamError",
    "ResponseFailedError",
    "StreamClosedError",
    "StreamContent",
    "StreamRestartedError",
    "StreamUnavailableError",
    "StreamValidationError",
    "Streamer",
    "StreamerStatistics",
    "StreamerTimeoutException",
    "ValueStreamer",
    "__version__",
    "display",
    "iterate",
]
