"""The partial-JSON engine: the best-effort value of JSON text that is still being written.

:class:`PartialJsonParser` reads the text in chunks, each character once, and
gives after any chunk a snapshot that never shows a value it will have to take
back. The Streamer uses it for structured streams, and the JSON operators
(:func:`~kavalai.operators.partial_json`,
:func:`~kavalai.operators.typed_partials`,
:func:`~kavalai.operators.completed_items`) build on it; use it directly to
parse model output outside a Streamer.

:class:`JsonSnapshots` is what every reader of a structured stream shows
(the Streamer's messages, the operators, the web encoders, the display): one
snapshot after each chunk, then the final JSON or the text as written.
:class:`PartialModelBuilder` turns the parser's open value into partial
instances of a pydantic model, with :class:`PartialList` and
:class:`PartialDict` standing for the containers still being written.
"""

from __future__ import annotations

from ._parser import JsonValue, PartialJsonParser
from ._typed import PartialModelBuilder
from ._values import JsonSnapshots, is_whole_json, shown_value
from ._views import PartialDict, PartialList

__all__ = [
    "JsonSnapshots",
    "JsonValue",
    "PartialDict",
    "PartialJsonParser",
    "PartialList",
    "PartialModelBuilder",
    "is_whole_json",
    "shown_value",
]
