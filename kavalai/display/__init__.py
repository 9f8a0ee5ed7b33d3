"""Show streams as they arrive: live panels, reprs and marble timelines.

``await kavalai.display(streamer)`` shows a panel per stream, updated in place
in a notebook and redrawn in a terminal; :func:`marbles` draws a marble
timeline of a Streamer or of any observables. Every value a model wrote is
escaped in HTML and SVG and stripped of control sequences in a terminal.

The notebook view needs IPython and the terminal view rich (``pip install
'kavalai[display]'``); both are imported only when a view is made, so
importing kavalai imports neither.
"""

from __future__ import annotations

from ._board import Board, Panel
from ._live import display, marbles
from ._marbles import Mark, Timeline
from ._safe import for_markup, for_terminal

__all__ = [
    "Board",
    "Mark",
    "Panel",
    "Timeline",
    "display",
    "for_markup",
    "for_terminal",
    "marbles",
]
