"""Markdown as it streams: the blocks that are finished, rendered once, and the one being written.

Built on markdown-it-py, the Python port of markdown-it: CommonMark to the
letter (its own test suite runs the CommonMark spec), tables and
strikethrough as GitHub writes them, maintained, and fast enough in pure
Python. The text is read line by line. Where a line may start a new
top-level block (after a blank line, or a heading or fence that interrupts a
paragraph), the text after the last finished block, and only that, is
parsed: every block but the last is then finished, since nothing after a
block that began can change one before it, and is rendered once and kept.
So each character is parsed a few times at most, and the work is linear
in the text.

Model output is untrusted: raw HTML is shown as text, links the parser
finds unsafe (``javascript:``, ``vbscript:``, ``file:``, most ``data:``) as
text, and an image as a link to it, never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from reactivex import Observable, abc

from ._markdown_html import EnvType, Token, parser, render_markdown
from ._markdown_open import Fences, shown_open

__all__ = ["MarkdownBlock", "MarkdownSnapshot", "MarkdownStream", "markdown_", "render_markdown"]

# The blocks a blank line ends: not a list, a quote or indented code, which may go on after it.
_ENDED_BY_A_BLANK_LINE = frozenset(["paragraph_open", "heading_open", "hr", "table_open", "fence"])
# A line at which a new top-level block may begin, after a paragraph.
_INTERRUPTS = re.compile(r" {0,3}(?:#{1,6}(?:\s|$)|`{3,}|~{3,})")


@dataclass(frozen=True)
class MarkdownBlock:
    """One top-level block: its kind, its Markdown and its sanitised HTML.

    Attributes:
        kind: ``"paragraph"``, ``"heading"``, ``"fence"``, ``"code_block"``,
            ``"bullet_list"``, ``"ordered_list"``, ``"blockquote"``, ``"table"``, ``"hr"``.
        source: The Markdown of the block, with the blank lines after it.
        html: The block as HTML.
    """

    kind: str
    source: str
    html: str


class _Finished(Sequence[MarkdownBlock]):
    """The first ``count`` finished blocks, read-only and shared: O(1) to make."""

    def __init__(self, blocks: list[MarkdownBlock], count: int) -> None:
        self._blocks, self._count = blocks, count

    @overload
    def __getitem__(self, index: int) -> MarkdownBlock: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[MarkdownBlock]: ...

    def __getitem__(self, index: int | slice) -> MarkdownBlock | Sequence[MarkdownBlock]:
        return (
            self._blocks[: self._count][index]
            if isinstance(index, slice)
            else (self._blocks[range(self._count)[index]])
        )

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[MarkdownBlock]:
        return (self._blocks[index] for index in range(self._count))


class MarkdownSnapshot:
    """The Markdown so far: finished blocks, which never change, and the open part.

    Attributes:
        finished: Every block finished so far, in order (shared, read-only).
        new: The blocks that finished with the last chunk: append their HTML.
        done: Whether the text has ended (``open`` is then empty).
    """

    def __init__(
        self,
        stream: MarkdownStream,
        finished: Sequence[MarkdownBlock],
        new: tuple[MarkdownBlock, ...],
        open_source: str,
        done: bool,
    ) -> None:
        self._stream = stream
        self.finished = finished
        self.new = new
        self.done = done
        self._open_source = open_source
        self._open: tuple[MarkdownBlock, ...] | None = None

    @property
    def open(self) -> tuple[MarkdownBlock, ...]:
        """The blocks being written, closed up as they will close: rendered when first read."""
        if self._open is None:
            self._open = self._stream.render_blocks(self._open_source)
        return self._open

    def html(self) -> str:
        """The whole rendering so far: the finished blocks' HTML, then the open blocks'."""
        return "".join(block.html for block in (*self.finished, *self.open))


class MarkdownStream:
    """Reads Markdown chunk by chunk; finished blocks come out once, rendered.

    Outside any observable: ``feed(chunk)`` returns the blocks that chunk
    finished, :meth:`snapshot` what a display shows now, :meth:`close` the
    last blocks. ``parsed`` counts the characters given to the parser.
    """

    def __init__(self) -> None:
        self._md = parser()
        self._references: dict[str, Any] = {}
        self._blocks: list[MarkdownBlock] = []
        self._rendered_with: list[int] = []  # how many references each block was rendered with
        self._lines: list[str] = []  # the complete lines after the last finished block
        self._partial: list[str] = []  # the line being written
        self._fences = Fences()
        self._parse_due = False
        self._blank_before = True
        self._ended = False
        self.parsed = 0

    def feed(self, chunk: str) -> tuple[MarkdownBlock, ...]:
        """Take the next chunk; the blocks it finished."""
        if not isinstance(chunk, str):
            raise TypeError(f"the Markdown stream takes text, not {type(chunk).__name__}")
        if self._ended:
            raise ValueError("the Markdown stream was closed: it takes no more text")
        newline = chunk.rfind("\n")
        if newline < 0:
            self._partial.append(chunk)
            return ()
        text = "".join(self._partial) + chunk[: newline + 1]
        self._partial = [chunk[newline + 1 :]] if newline + 1 < len(chunk) else []
        count = len(self._blocks)
        for line in text.splitlines(keepends=True):
            self._line(line)
        if self._parse_due:
            self._parse_due = False
            self._commit(final=False)
        return tuple(self._blocks[count:])

    def close(self) -> tuple[MarkdownBlock, ...]:
        """End the text: every block is finished now; the last ones."""
        count = len(self._blocks)
        if not self._ended:
            self._ended = True
            if self._partial:
                self._lines.append("".join(self._partial))
                self._partial = []
            self._commit(final=True)
            self._late_references()
        return tuple(self._blocks[count:])

    def snapshot(self, new: tuple[MarkdownBlock, ...] = ()) -> MarkdownSnapshot:
        """What there is now; ``new`` is what the caller says just finished."""
        source = (
            ""
            if self._ended
            else shown_open(self._lines, "".join(self._partial), self._fences.open)
        )
        finished = _Finished(self._blocks, len(self._blocks))
        return MarkdownSnapshot(self, finished, new, source, self._ended)

    def render_blocks(self, source: str) -> tuple[MarkdownBlock, ...]:
        """``source`` as blocks, rendered with the references known so far."""
        env: EnvType = {"references": dict(self._references)}
        tokens = self._md.parse(source, env)
        lines = source.splitlines(keepends=True)
        rendered = self._rendered_with[:]
        try:
            return tuple(self._blocks_of(tokens, lines, env, len(lines)))
        finally:
            self._rendered_with = rendered

    def _line(self, line: str) -> None:
        fenced = self._fences.open is not None
        self._fences.line(line)
        blank = not line.strip()
        if not fenced and not blank and (self._blank_before or _INTERRUPTS.match(line)):
            self._parse_due = True  # a block may begin here: those before it are done
        self._lines.append(line)
        if blank and not fenced and not self._blank_before:
            self._commit(final=False, blank=True)  # a blank line ends most blocks
        self._blank_before = blank

    def _commit(self, *, final: bool, blank: bool = False) -> None:
        """Parse the lines after the last finished block; keep the blocks now finished.

        Every block but the last is; so is the last when the text ended, or
        when a blank line just ended it (a list or an indented code block may
        go on after one).
        """
        source = "".join(self._lines)
        env: EnvType = {"references": dict(self._references)}
        self.parsed += len(source)
        tokens = self._md.parse(source, env)
        tops = [token for token in tokens if token.level == 0 and token.nesting >= 0]
        last_ended = blank and bool(tops) and tops[-1].type in _ENDED_BY_A_BLANK_LINE
        if not (final or last_ended) and len(tops) < 2:
            return
        end = len(self._lines) if final or last_ended else _line_of(tops[-1])
        references = env.get("references", {})
        self._blocks.extend(self._blocks_of(tokens, self._lines, env, end))
        for label, reference in references.items():
            self._references.setdefault(label, reference)
        del self._lines[:end]

    def _blocks_of(
        self, tokens: list[Token], lines: list[str], env: EnvType, end: int
    ) -> Iterator[MarkdownBlock]:
        """The top-level blocks of ``tokens`` that begin before line ``end``, rendered.

        A block's source runs to where the next begins: the blank lines and
        link reference definitions between them go with the block before.
        """
        tops = [at for at, token in enumerate(tokens) if token.level == 0 and token.nesting >= 0]
        for number, index in enumerate(tops):
            first = _line_of(tokens[index])
            if first >= end:
                return
            after = tops[number + 1] if number + 1 < len(tops) else len(tokens)
            stop = _line_of(tokens[after]) if after < len(tokens) else len(lines)
            html = self._md.renderer.render(tokens[index:after], self._md.options, env)
            kind = tokens[index].type.removesuffix("_open")
            self._rendered_with.append(len(self._references))
            yield MarkdownBlock(kind, "".join(lines[0 if number == 0 else first : stop]), html)

    def _late_references(self) -> None:
        """Render again the blocks that may use a reference defined after them."""
        env: EnvType = {"references": dict(self._references)}
        for index, block in enumerate(self._blocks):
            if self._rendered_with[index] < len(self._references) and "[" in block.source:
                tokens = self._md.parse(block.source, dict(env))
                self.parsed += len(block.source)
                html = self._md.renderer.render(tokens, self._md.options, env)
                self._blocks[index] = MarkdownBlock(block.kind, block.source, html)


def _line_of(token: Token) -> int:
    assert token.map is not None  # every top-level block token has its lines
    return token.map[0]


def markdown_(cumulative: bool) -> Callable[[Observable[str]], Observable[MarkdownSnapshot]]:
    def markdown(source: Observable[str]) -> Observable[MarkdownSnapshot]:
        def subscribe(
            observer: abc.ObserverBase[MarkdownSnapshot], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            stream = MarkdownStream()
            previous = ""
            failed = False

            def on_next(chunk: str) -> None:
                nonlocal previous, failed
                if failed:
                    return
                try:
                    if cumulative:
                        if not chunk.startswith(previous):
                            raise ValueError("markdown(cumulative=True) needs text that only grows")
                        chunk, previous = chunk[len(previous) :], chunk
                    new = stream.feed(chunk)
                except Exception as error:
                    failed = True
                    observer.on_error(error)
                    return
                observer.on_next(stream.snapshot(new))

            def on_completed() -> None:
                if not failed:
                    observer.on_next(stream.snapshot(stream.close()))
                    observer.on_completed()

            return source.subscribe(on_next, observer.on_error, on_completed, scheduler=scheduler)

        return Observable(subscribe)

    return markdown
