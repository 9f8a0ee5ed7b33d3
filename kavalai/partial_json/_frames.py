"""The open containers of a value being read, and who is told of them as they change.

The scanner keeps one :class:`Frame` per open object or array. Two kinds of
readers follow them without the scanner knowing what they do: a reader that
converts members as they finish (the typed builder) sets a frame's
:class:`Sink`, and the renderer of the snapshots' text is the scanner's
:class:`View`, told of what closes before it is gone from the stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._encode import JsonValue

__all__ = ["Frame", "Sink", "View"]


class Frame:
    """An open object or array.

    Attributes:
        container: The members finished so far (an open child is not in it yet).
        closer: ``"}"`` or ``"]"``.
        key: The key of the member being read, or between members of the last
            one read (objects only).
        sink: What a reader set to be told of each member as it finishes:
            ``sink.finished(key)`` (``key`` is the member's, or "" in an
            array) right after the member is stored in ``container``.
    """

    __slots__ = ("closer", "container", "key", "sink")

    def __init__(self, container: dict[str, JsonValue] | list[JsonValue], closer: str) -> None:
        self.container = container
        self.closer = closer
        self.key = ""
        self.sink: Sink | None = None


class Sink(Protocol):
    """A reader told of each member as it finishes (see :attr:`Frame.sink`)."""

    def finished(self, key: str) -> None:
        """The member under ``key`` ("" in an array) has finished."""


class View(Protocol):
    """What renders the value while it is read, told of what would otherwise go unseen.

    Attributes:
        watch: A container the view must hear of the next member stored in
            (:meth:`stored`), None if none.
    """

    watch: Frame | None

    def closing(self, frame: Frame, depth: int) -> None:
        """``frame``, at ``depth`` of the stack, closed; it is stored in its parent next."""

    def string_ending(self, text: str) -> None:
        """The open string value ended as ``text``; it is stored next."""

    def repeated_key(self, stack: list[Frame]) -> None:
        """The key just read in ``stack[-1]`` is one it holds already."""

    def stored(self, frame: Frame) -> None:
        """A member was stored in ``frame``, the watched container."""
