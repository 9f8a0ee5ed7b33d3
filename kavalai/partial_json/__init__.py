"""The partial-JSON engine: the best-effort value of JSON text that is still being written.

:class:`PartialJsonParser` reads the text in chunks, each character once, and
gives after any chunk a snapshot that never shows a value it will have to take
back. The Streamer uses it for structured streams, and the JSON operators
(:func:`~kavalai.operators.partial_json`,
:func:`~kavalai.operators.typed_partials`,
:func:`~kavalai.operators.completed_items`) build on it; use it directly to
parse model output outside a Streamer.
"""

from __future__ import annotations

from ._parser import JsonValue, PartialJsonParser

__all__ = ["JsonValue", "PartialJsonParser"]
