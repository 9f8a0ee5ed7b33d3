"""A text panel shown as Markdown: read as it grows, finished blocks rendered once.

A panel shows Markdown when asked (``display(..., markdown=True)`` or a set
of stream names) or, by default, once its text looks like Markdown (a
heading, a list, a fence, a table, ``**bold**``, `` `code` ``, a link):
once it does, it stays Markdown. Without markdown-it-py a panel stays text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..operators import MarkdownSnapshot, MarkdownStream
    from .board import Board, Panel

__all__ = ["MarkdownWanted", "looks_like_markdown", "shown_markdown"]

#: Which text panels show Markdown: all (True), none (False), those named, or
#: those whose text looks like it (None).
MarkdownWanted = bool | frozenset[str] | None

_LOOKS = re.compile(
    r"(?:^|\n) {0,3}(?:#{1,6} |[-*+] \S|\d{1,3}[.)] \S|> |```|~~~|\|.*\|)"
    r"|\*\*\S[^*\n]*\*\*|`[^`\n]+`|\[[^\]\n]+\]\([^)\s]+\)"
)


def looks_like_markdown(text: str) -> bool:
    """Whether ``text`` has any of what Markdown is told by: headings, lists, fences, emphasis."""
    return _LOOKS.search(text) is not None


class _Follow:
    """One panel's text fed to a Markdown stream as it grows; started again if it is replaced."""

    def __init__(self) -> None:
        self._stream: MarkdownStream | None = None
        self._fed = ""
        self._closed = False

    def snapshot(self, text: str, complete: bool) -> MarkdownSnapshot:
        from ..operators import MarkdownStream

        if self._stream is None or not text.startswith(self._fed):
            self._stream, self._fed, self._closed = MarkdownStream(), "", False
        if len(text) > len(self._fed) and not self._closed:
            self._stream.feed(text[len(self._fed) :])
            self._fed = text
        if complete and not self._closed:
            self._stream.close()
            self._closed = True
        return self._stream.snapshot()


def shown_markdown(board: Board, panel: Panel) -> MarkdownSnapshot | None:
    """The Markdown a text panel shows, or None where it shows plain text."""
    wanted = board.markdown
    if wanted is False or (isinstance(wanted, frozenset) and panel.name not in wanted):
        return None
    follow = board.views.get(panel.name)
    if not isinstance(follow, _Follow):
        if wanted is None and not looks_like_markdown(panel.value):
            return None
        try:
            import markdown_it  # noqa: F401  (the display extra brings it)
        except ImportError:
            return None
        follow = board.views[panel.name] = _Follow()
    return follow.snapshot(panel.value, panel.state == "complete")
