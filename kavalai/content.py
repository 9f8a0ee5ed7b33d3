"""The message a :class:`~kavalai.Streamer` delivers to its consumers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["StreamContent", "StreamContentType"]

StreamContentType = Literal["partial", "complete", "restart", "error"]


class StreamContent(BaseModel):
    """One message of a named stream.

    Attributes:
        type: ``"partial"`` while the value is being written, ``"complete"`` once
            it is final, ``"restart"`` when the producer starts over (consumers
            drop what they accumulated; a retry follows), ``"error"`` for
            producers that report failures as messages.
        name: The name of the value streamer the message belongs to.
        value: The text the message carries: the whole value so far in cumulative
            mode, only the new chunk in delta mode; ``None`` when there is nothing
            to carry (a delta-mode ``complete``, or a structured value of which no
            part is known yet).

    ``model_dump_json()`` gives the compact wire form, for example
    ``{"type":"partial","name":"result","value":"Hello,"}``.
    """

    type: StreamContentType
    name: str
    value: str | None = None
