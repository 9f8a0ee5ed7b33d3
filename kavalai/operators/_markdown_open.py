"""What of the Markdown being written can be shown now, closed up so that it renders as it will.

The text after the last finished block is shown as its lines so far, less
what the next characters could still turn into another kind of block: a
line being written that is only markers so far (``#``, ``-``, ``1``,
``---``, a fence's opening line), a line with a ``|`` until the next line
says whether it heads a table, a table row until its line ends. What is
left is closed up the way it will close: an open fence gets its closing
fence, an open code span its backtick, ``**``, ``*`` and ``~~`` their
closers, a link being written its ``)``.
"""

from __future__ import annotations

import re

__all__ = ["Fences", "shown_open"]

# A line being written that could still become a heading, a list item, a
# thematic break, a setext underline or a table row: only markers so far.
_MARKERS_ONLY = re.compile(r"[\s#>*+\-=_~`|:.)\d]*")
_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})")
# A line being written that may be the closing fence, or a reference definition's label.
_MAY_CLOSE = re.compile(r" {0,3}(`+|~+)\s*")
_LABEL = re.compile(r" {0,3}\[(?:[^\]\\]|\\.)*(\](.?))?", re.DOTALL)
_LINK_OPEN = re.compile(r"\[[^\]\n]*\]\([^)\s]*$")
_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.MULTILINE)
_LIST_MARKER = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?=\s)", re.MULTILINE)


class Fences:
    """Follows fenced code blocks line by line: whether the text so far ends inside one.

    A guide only, for the lines at the top level and in list items: a
    finished block is only ever decided by the parser.
    """

    def __init__(self) -> None:
        #: The opening fence, with its indentation, while one is open.
        self.open: str | None = None

    def line(self, line: str) -> None:
        """Take one complete line."""
        found = _FENCE.match(line)
        if found is None:
            return
        fence = found.group(2)
        if self.open is None:
            if not (fence[0] == "`" and "`" in line[found.end() :]):
                self.open = found.group()
        else:
            opened = self.open.lstrip()
            closes = fence[0] == opened[0] and len(fence) >= len(opened)
            if closes and not line[found.end() :].strip():
                self.open = None


def shown_open(lines: list[str], partial: str, fence: str | None) -> str:
    """The Markdown to render for the open part: its complete ``lines``, then ``partial``.

    Args:
        lines: The complete lines after the last finished block, each with its newline.
        partial: The line being written, without a newline yet.
        fence: The open fence's characters, if the text ends inside a fenced block.
    """
    if fence is not None:
        # A line that may be the closing fence waits: closed twice, the block would end twice.
        text = "".join(lines) + ("" if _MAY_CLOSE.fullmatch(partial) else partial)
        return text + ("" if text.endswith("\n") else "\n") + fence + "\n"
    shown_partial = partial if _showable(partial) else ""
    kept = lines
    if lines and lines[-1].lstrip(" ").startswith("|") and not shown_partial:
        kept = lines[:-1]  # it may head a table: the next line says
    text = "".join(kept) + shown_partial
    return _closed(text)


def _showable(partial: str) -> bool:
    """Whether the line being written is, whatever comes next, of the block it shows.

    Decided by how the line begins, so a line once shown stays shown.
    """
    if not partial or partial.lstrip(" ").startswith("|") or _FENCE.match(partial):
        return False
    label = _LABEL.match(partial)
    if label is not None and (label.group(1) is None or label.group(2) in ("", ":")):
        return False  # it may be a link reference definition, which shows nothing
    return _MARKERS_ONLY.fullmatch(partial) is None


def _closed(text: str) -> str:
    """``text`` with what its last paragraph left open closed."""
    start = text.rfind("\n\n") + 1
    paragraph = text[start:].rstrip("\n")
    if not paragraph.strip() or _BREAK.fullmatch(paragraph.rsplit("\n", 1)[-1]):
        return text
    closers = ""
    if _LINK_OPEN.search(paragraph):
        closers += ")"
    if paragraph.count("`") % 2:
        paragraph, closers = _drop_bare(paragraph, "`", closers)
    prose = _LIST_MARKER.sub("", _BREAK.sub("", paragraph))
    strong = prose.count("**") % 2
    if prose.replace("**", "").count("*") % 2:
        paragraph, closers = _drop_bare(paragraph, "*", closers)
    if strong:
        paragraph, closers = _drop_bare(paragraph, "**", closers)
    if prose.count("~~") % 2:
        paragraph, closers = _drop_bare(paragraph, "~~", closers)
    return text[:start] + paragraph + closers


def _drop_bare(paragraph: str, opener: str, closers: str) -> tuple[str, str]:
    """Close ``opener``; one that ends the text with nothing after it yet is left out instead."""
    if paragraph.endswith(opener) and (
        len(paragraph) == len(opener) or paragraph[-len(opener) - 1].isspace()
    ):
        return paragraph[: -len(opener)], closers
    return paragraph, closers + opener
