"""Finding where the JSON value begins in an LLM's answer: past prose and code fences.

Models often write ``Sure! Here it is:`` or open a Markdown fence before the
JSON. :class:`Prose` reads the text before the value, chunk by chunk, and
says where the value starts; the scanner then reads the value itself. The
rules:

* whitespace is skipped; a first character that can start a JSON value
  (``{ [ " -`` or a digit) starts it;
* ``true``, ``false`` or ``null`` at the start is a value only if no letter,
  digit or ``_`` follows (``nullable`` is a word);
* anything else is prose, skipped up to the first ``{`` or ``[``, or to a
  code fence: three or more backticks and an info line ending in a newline,
  after which the value may be of any type. Three backticks whose "info
  line" holds a backtick opened inline code (CommonMark: a backtick fence's
  info string holds no backtick), so the text after them is read as prose
  again, and the run that closes the inline code opens no fence.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, TypeAlias, cast

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["WORDS", "Prose", "match_ws"]

# Run scanners: each pattern can match the empty string, so a match always exists.
_RunScanner: TypeAlias = "Callable[[str, int], re.Match[str]]"
match_ws = cast(_RunScanner, re.compile(r"[ \t\n\r]*").match)  # JSON's whitespace, here and inside
_match_prose = cast(_RunScanner, re.compile(r"[^`{\[]*").match)
_match_ticks = cast(_RunScanner, re.compile(r"`*").match)
_match_info = cast(_RunScanner, re.compile(r"[^`\n]*").match)

#: The literal each first letter may begin, here and inside the value.
WORDS: Final = {"t": "true", "f": "false", "n": "null"}

_START: Final = 0  # skip whitespace, then decide: a value, a literal or a word, or prose
_LITERAL: Final = 1  # the text began with t/f/n: a literal or a word?
_PROSE: Final = 2  # skipping prose up to a code fence, '{' or '['
_FENCE: Final = 3  # reading what follows three backticks: a fence's info line, or inline code


class Prose:
    """The text before the value, read chunk by chunk; :meth:`seek` says where the value begins.

    Attributes:
        word: The literal the text may begin with; ``matched`` how many of
            its letters arrived, and ``word_at`` where it begins.
        literal: The top-level literal found whole (a character that ends a
            word followed it), "" until then.
    """

    __slots__ = ("closing", "info", "literal", "matched", "state", "ticks", "word", "word_at")

    def __init__(self) -> None:
        self.state = _START
        self.word = ""
        self.matched = 0
        self.word_at = 0
        self.literal = ""
        self.ticks = 0  # length of the run of backticks being read
        self.closing = False  # whether the next run of backticks closes inline code
        # The text after an opening run of backticks, while it is not yet known
        # whether a newline (a fence) or a backtick (inline code) ends it.
        self.info: list[str] = []

    def seek(self, chunk: str, offset: int) -> tuple[str, int, int]:
        """Skip prose and code fences in ``chunk``, which begins at ``offset`` of all the text.

        Returns the text to read on, where it begins in all the text, and
        where the value starts in it: the text's length where no value starts
        (or a top-level literal was found whole: see :attr:`literal`). The
        text is ``chunk``, unless three backticks turned out to open inline
        code rather than a fence: then the text after them, kept from earlier
        chunks, is prose to read again, and comes first.
        """
        n = len(chunk)
        i = 0
        state = self.state
        while i < n:
            if state == _START:
                i = match_ws(chunk, i).end()
                if i == n:
                    break
                c = chunk[i]
                if c in '{["-0123456789':
                    return chunk, offset, i
                if c in "tfn":
                    self.word = WORDS[c]
                    self.matched = 0
                    self.word_at = offset + i
                    state = _LITERAL
                else:
                    state = _PROSE
            elif state == _LITERAL:
                word = self.word
                if self.matched == len(word):  # "null" or "nullable"? One more character tells.
                    if chunk[i].isalnum() or chunk[i] == "_":
                        state = _PROSE
                        continue
                    self.literal = word
                    return chunk, offset, n
                piece = chunk[i : i + len(word) - self.matched]
                if word.startswith(piece, self.matched):
                    i += len(piece)
                    self.matched += len(piece)
                else:  # a word, not a literal: its letters are prose
                    while chunk[i] == word[self.matched]:
                        i += 1
                        self.matched += 1
                    state = _PROSE
            elif state == _PROSE:
                if not self.ticks:
                    i = _match_prose(chunk, i).end()
                    if i == n:
                        break
                    if chunk[i] != "`":
                        return chunk, offset, i
                j = _match_ticks(chunk, i).end()
                self.ticks += j - i
                i = j
                if i == n:  # the run may go on in the next chunk
                    break
                if self.ticks >= 3 and not self.closing:
                    state = _FENCE
                self.ticks = 0
                self.closing = False
            else:  # _FENCE: a newline makes it a fence, a backtick inline code
                j = _match_info(chunk, i).end()
                if j == n:
                    self.info.append(chunk[i:])
                    break
                if chunk[j] == "\n":
                    self.info.clear()
                    i = j + 1
                    state = _START
                    continue
                earlier = "".join(self.info)
                self.info.clear()
                offset += i - len(earlier)  # the text now begins where the info line did
                chunk = earlier + chunk[i:]
                n = len(chunk)
                i = 0
                self.closing = True
                state = _PROSE
        self.state = state
        return chunk, offset, n

    def ended(self) -> str:
        """The literal the text ends with, every letter of it, at the end of the input; else ""."""
        if self.state == _LITERAL and self.matched == len(self.word):
            return self.word
        return ""
