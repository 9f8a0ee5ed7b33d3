"""Show streams as they arrive: live panels, reprs and marble timelines.

``await kavalai.show(streamer)`` (:func:`display` here) shows a panel per
stream, updated in place in a notebook and redrawn in a terminal;
:func:`marbles` draws a marble timeline of a Streamer or of any observables.
Every value a model wrote is escaped in HTML and SVG and stripped of control
sequences in a terminal.

The notebook view needs IPython and the terminal view rich (``pip install
'kavalai[display]'``); both are imported only when a view is made. Importing
kavalai imports no module of this room: ``kavalai.show`` imports it when first
used.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import NoReturn

from .._view.board import Board, Panel
from .._view.safe import for_markup, for_terminal
from ._live import display, marbles
from ._marbles import Mark, Timeline

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


class _Room(ModuleType):
    """This module's type: called as ``kavalai.display(streamer)`` was, it says what to call."""

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            "kavalai.display is the display room, not a function: show a Streamer live "
            "with await kavalai.show(streamer), or await kavalai.display.display(streamer)"
        )


sys.modules[__name__].__class__ = _Room
