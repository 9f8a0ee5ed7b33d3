"""A structured value as every reader shows it: a snapshot after each chunk, then its end.

Four readers show a structured value while it is written: the Streamer's
messages (through :mod:`kavalai._text`), the operators
:func:`~kavalai.operators.partial_json` and ``to_stream_content(name,
structured=True)``, the AI SDK UI message stream and the display board. They
all build it with :class:`JsonSnapshots`, so they agree on every input,
however it is cut into chunks:

* after each chunk, the **snapshot**: ``json.dumps`` of what can no longer
  change (see :mod:`kavalai.partial_json._parser`), or None while nothing is
  known. A chunk gives one snapshot, changed or not, and never more.
* at the end of the text, the **final JSON** if the value closed: its last
  bracket arrived, or the end of the text ended a top-level number or
  literal (``12``, whose snapshot was None until then).
* a value that did not close (cut off at a token limit, text that is not
  JSON, no value at all) has no final JSON. Its **complete value** is the
  text as written: validating it fails rather than accepting a shorter
  answer (the snapshot, closed up, might validate: ``{"n": 1`` would pass as
  ``{}``), and a refusal or an error message reaches the program whole. A
  display keeps showing the last snapshot: nothing it showed is taken back.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NoReturn

from ._parser import PartialJsonParser

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._encode import JsonValue

__all__ = ["JsonSnapshots", "is_whole_json", "shown_value"]


class JsonSnapshots:
    """One structured value's snapshots and its end, the way every reader shows them.

    Attributes:
        parser: The parser reading the text, for what else a reader asks of
            it (whether the text was cut off, why it is not JSON); read it,
            feed it only through :meth:`feed`.
    """

    __slots__ = ("parser",)

    def __init__(self) -> None:
        self.parser = PartialJsonParser()

    def feed(self, chunk: str) -> None:
        """Read the next chunk of the text.

        Raises:
            TypeError: If ``chunk`` is not a ``str``.
        """
        self.parser.feed(chunk)

    def snapshot(self) -> str | None:
        """The snapshot's JSON text, None while nothing is known; after :meth:`end`, the last."""
        return self.parser.snapshot_json()

    def end(self) -> str | None:
        """End the text: the final JSON if the value closed, else None.

        :meth:`snapshot` then gives what a display shows last: the final JSON,
        or the last snapshot of a value that did not close.
        """
        final = self.parser.close()
        return final if self.parser.done else None

    def complete(self, written: Callable[[], str]) -> str:
        """End the text: the complete value, the final JSON or else ``written()``, the text."""
        final = self.end()
        return written() if final is None else final


def shown_value(text: str) -> JsonValue:
    """The value a display shows of ``text`` when it is all there is, as a Python value.

    The value ``json.loads`` makes of the :meth:`JsonSnapshots.snapshot` at
    its :meth:`~JsonSnapshots.end`: the final value, or the last snapshot of
    one that did not close. A text that is exactly one JSON value is read by
    ``json.loads`` itself, which gives the same value faster (``NaN`` and
    ``Infinity``, which it accepts and JSON does not, excepted).
    """
    value: JsonValue
    try:
        value = json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):
        parser = PartialJsonParser()
        parser.feed(text)
        parser.end_input()
        value = parser.snapshot()
    return value


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not JSON")


def is_whole_json(text: str) -> bool:
    """Whether ``text`` is one whole JSON value, however deep it nests.

    What a tool call's arguments must be before the call is offered to run:
    ``json.loads`` decides, and a value nested deeper than it goes is read by
    the engine instead.
    """
    try:
        json.loads(text)
    except ValueError:
        return False
    except RecursionError:
        parser = PartialJsonParser()
        parser.feed(text)
        parser.close()
        return parser.done and parser.error is None
    return True
