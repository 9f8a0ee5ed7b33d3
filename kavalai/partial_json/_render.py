"""The JSON text of the snapshots, appended to rather than rebuilt after every chunk.

A snapshot only grows, so its text is kept between snapshots: ``out`` holds
the text that can no longer change, and each snapshot appends what finished
since the last one and adds the open tail (the string being written, the
closing brackets). A container or string that has been rendered once
("shown") writes the rest of its text when it closes, because once closed it
is gone from the scanner's stack: the scanner tells the :class:`Renderer` (its
:class:`~kavalai.partial_json._frames.View`) at that moment.

The shown containers are always the outermost ones of the stack: a render
shows every open container, and the innermost is the first to close. So one
count per shown container (how many of its members are rendered) is all the
state there is, beside the open string's.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from ._encode import dumps, encode_string

if TYPE_CHECKING:
    from ._encode import JsonValue, NumberTexts
    from ._frames import Frame
    from ._scan import Scanner

__all__ = ["Renderer", "build_snapshot", "render_members"]


class Renderer:
    """The incremental JSON text of a scanner's snapshots.

    Attributes:
        out: The rendered text that can no longer change.
        counts: For each shown container, outermost first, how many of its
            members ``out`` holds.
        str_shown: How many characters of the open string ``out`` holds, -1
            if not even its opening quote.
        watch: The container in which a repeated key's value is being read,
            None if none is: until that value is stored, a render
            re-serialises the whole snapshot (see :meth:`repeated_key`).
    """

    __slots__ = ("counts", "numbers", "out", "str_shown", "watch")

    def __init__(self, numbers: NumberTexts) -> None:
        self.numbers = numbers
        self.out: list[str] = []
        self.counts: list[int] = []
        self.str_shown = -1
        self.watch: Frame | None = None

    def render(self, scanner: Scanner) -> str:
        """Bring ``out`` up to date and return it with the open tail closed."""
        numbers = self.numbers
        if self.watch is not None:
            return dumps(build_snapshot(scanner), numbers)
        out = self.out
        stack = scanner.stack
        string_open = scanner.open_string()
        if not stack and not string_open:  # complete: rendered while open, or never
            return "".join(out) if out else dumps(scanner.value, numbers)
        counts = self.counts
        shown = len(counts)
        parent: Frame | None = None
        for depth, frame in enumerate(stack):
            container = frame.container
            if depth < shown:
                rendered = counts[depth]
                if len(container) > rendered:
                    out.append(render_members(container, rendered, numbers))
                    counts[depth] = len(container)
            else:  # not shown yet
                if parent is not None:
                    out.append(_lead(parent))
                out.append("{" if frame.closer == "}" else "[")
                if container:
                    out.append(render_members(container, 0, numbers))
                counts.append(len(container))
            parent = frame
        tail = "".join([frame.closer for frame in reversed(stack)])
        if string_open:
            text = scanner.text_so_far()
            if self.str_shown < 0:
                if parent is not None:
                    out.append(_lead(parent))
                out.append('"')
                self.str_shown = 0
            if len(text) > self.str_shown:
                out.append(encode_string(text[self.str_shown :])[1:-1])
                self.str_shown = len(text)
            tail = '"' + tail
        if len(out) > 64:  # keep the join below cheap: one long piece, few short ones
            out[:] = ["".join(out)]
        out.append(tail)
        result = "".join(out)
        out.pop()
        return result

    def closing(self, frame: Frame, depth: int) -> None:
        """``frame``, at ``depth`` of the stack, closed: finish its text if it was shown."""
        counts = self.counts
        if depth < len(counts):
            rest = render_members(frame.container, counts.pop(), self.numbers)
            self.out.append(rest + frame.closer)
            if depth:
                counts[depth - 1] += 1

    def string_ending(self, text: str) -> None:
        """The open string value ended as ``text``: finish its text if it was shown."""
        if self.str_shown >= 0:
            self.out.append(encode_string(text[self.str_shown :])[1:])
            self.str_shown = -1
            if self.counts:
                self.counts[-1] += 1

    def repeated_key(self, stack: list[Frame]) -> None:
        """Start over: the value of the key just read, repeated, rewrites an earlier member.

        ``json.loads`` keeps a repeated key at its first position, so the text
        rendered so far is wrong once the new value is stored. Until then, the
        snapshot is re-serialised whole; from then on the text is rendered
        afresh (once) and appended to again.
        """
        if self.watch is None:  # else a repeated key's value holds this one: wait for that
            self.watch = stack[-1]
        self.out.clear()
        self.counts.clear()
        self.str_shown = -1

    def stored(self, frame: Frame) -> None:
        """A member was stored in the watched container: the repeated key's value."""
        self.watch = None


def build_snapshot(scanner: Scanner) -> JsonValue:
    """Copy the open containers, innermost first, each holding the one inside it."""
    inner = scanner.open_string()
    value: JsonValue = scanner.text_so_far() if inner else None
    for frame in reversed(scanner.stack):
        container = frame.container
        if isinstance(container, dict):
            members = dict(container)
            if inner:
                members[frame.key] = value
            value = members
        else:
            items = container.copy()
            if inner:
                items.append(value)
            value = items
        inner = True
    return value if inner else scanner.value


def render_members(
    container: dict[str, JsonValue] | list[JsonValue], start: int, numbers: NumberTexts
) -> str:
    """Render the members from index ``start`` on, each preceded by its separator."""
    if len(container) <= start:
        return ""
    if isinstance(container, dict):
        rest: JsonValue = container
        if start:  # the newest members, taken from the end: skipping the others costs them all
            newest = list(islice(reversed(container.items()), len(container) - start))
            newest.reverse()
            rest = dict(newest)
    else:
        rest = container[start:] if start else container
    text = dumps(rest, numbers)[1:-1]
    return ", " + text if start else text


def _lead(parent: Frame) -> str:
    """What precedes an open member of ``parent``: a separator and, in objects, its key."""
    separator = ", " if parent.container else ""
    if parent.closer == "}":
        return separator + encode_string(parent.key) + ": "
    return separator
