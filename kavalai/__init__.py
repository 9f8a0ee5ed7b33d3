"""kavalai: stream several named values of AI output, as they are written.

A producer gets named :class:`ValueStreamer` objects from a :class:`Streamer`,
pushes partial chunks into each and completes each; consumers iterate the
Streamer (or subscribe to it as a ReactiveX observable) and receive
:class:`StreamContent` messages, in delta or cumulative form.
"""

from __future__ import annotations

from .content import StreamContent
from .errors import StreamClosedError, StreamerTimeoutException
from .streamer import Streamer
from .value_streamer import ValueStreamer

__all__ = [
    "StreamClosedError",
    "StreamContent",
    "Streamer",
    "StreamerTimeoutException",
    "ValueStreamer",
]
