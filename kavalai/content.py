"""The message a :class:`~kavalai.Streamer` delivers to its consumers."""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import BaseModel

__all__ = ["StreamContent", "StreamContentType", "StreamInfo"]

StreamContentType = Literal["partial", "complete", "restart", "error"]


class StreamContent(BaseModel):
    """One message of a named stream.

    Attributes:
        type: ``"partial"`` while the value is being written, ``"complete"`` once
            it is final, ``"restart"`` when the producer starts over (consumers
            drop what they accumulated; a retry or a catch-up follows),
            ``"error"`` for producers that report failures as messages.
        name: The name of the value streamer the message belongs to.
        value: The text the message carries: the whole value so far in cumulative
            mode, only the new chunk in delta mode; ``None`` when there is nothing
            to carry (a delta-mode ``complete``, or a structured value of which no
            part is known yet).

    ``model_dump_json()`` gives the compact wire form, for example
    ``{"type":"partial","name":"result","value":"Hello,"}``.
    """

    # A slot, not a field: the position is not part of the message's content, so
    # it stays out of model_dump_json() and of equality.
    __slots__ = ("_seq",)

    type: StreamContentType
    name: str
    value: str | None = None

    @property
    def seq(self) -> int | None:
        """The message's position in its Streamer (0, 1, 2, ...).

        ``None`` for a message made by hand, and for the messages of a catch-up
        but its last (see :meth:`kavalai.Streamer.messages`). Resume a consumer
        with ``streamer.messages(after=message.seq)``.
        """
        seq: int | None = getattr(self, "_seq", None)
        return seq

    def _repr_html_(self) -> str:
        from ._view.html import message_html

        return message_html(self)


class StreamInfo(NamedTuple):
    """What a reader knows of a stream besides its messages: its name and its mode.

    Attributes:
        name: The name its messages carry.
        delta: Whether its partial messages carry only the new chunk.
        structured: Whether its value is JSON (its value streamer has a ``response_model``).
        serial: Which stream of its Streamer it is (0, 1, 2, ... in the order they
            were registered), so a new stream of a name used before tells itself apart.
    """

    name: str
    delta: bool
    structured: bool
    serial: int


_SEQ = StreamContent.__dict__["_seq"]

# What pydantic's own constructor sets on a StreamContent, set directly: a
# Streamer's messages are valid as made (a kind it wrote, a stream's name, its
# text), and one is built for every message a consumer takes.
_new = object.__new__
_set_fields = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def message(
    type: StreamContentType, name: str, value: str | None, seq: int | None
) -> StreamContent:
    """A message at position ``seq`` of a Streamer, equal to ``StreamContent(...)``."""
    made = _new(StreamContent)
    _set_fields(made, {"type": type, "name": name, "value": value})
    _set_fields_set(made, {"type", "name", "value"})
    _set_extra(made, None)
    _set_private(made, None)
    if seq is not None:
        _SEQ.__set__(made, seq)
    return made
