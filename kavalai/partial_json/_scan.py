"""The scanner behind :class:`kavalai.partial_json.PartialJsonParser`.

The scanner is a push-down state machine fed one chunk at a time. Whatever a
chunk leaves unfinished is kept in a form that lets the next chunk resume
exactly there: the characters of a number or a literal, and the decoded
pieces of an open string, with an escape cut in half or a high surrogate
waiting for its partner (:mod:`kavalai.partial_json._strings`). Nothing is
scanned twice (except the few characters of a number, which are checked once
more as a whole), and the text fed so far is not kept. The text before the
value, prose or a code fence, is read by
:class:`~kavalai.partial_json._prose.Prose`.

The loop of :meth:`Scanner.feed` is one function on purpose: it turns once
per token, and a call per token (a method per state) would cost more than
the token's own work.

Runs of ordinary characters (string content, whitespace, number characters,
prose) are consumed with compiled regular expressions, so the Python-level
loop turns once per token rather than once per character.

Finished values are stored as plain Python objects in the containers of the
open frames (:class:`~kavalai.partial_json._frames.Frame`). What renders them
as text is the scanner's :class:`~kavalai.partial_json._frames.View`, told of
each container and string that closes while it may still hold some of it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, cast

from ._frames import Frame
from ._prose import WORDS, Prose, match_ws
from ._strings import STRING_RUN, BadEscapeError, StringParts

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._encode import JsonValue, NumberTexts
    from ._frames import View

# Scanner states. Value states first, then the one before the value starts,
# then the terminal ones, so that one comparison tells the phase.
VALUE: Final = 0  # a value must come next
FIRST_ITEM: Final = 1  # just after '[': a value or ']'
FIRST_KEY: Final = 2  # just after '{': a key or '}'
KEY: Final = 3  # after ',' in an object: a key
COLON: Final = 4  # after a key
AFTER: Final = 5  # after a member: ',' or the closer
STRING: Final = 6
NUMBER: Final = 7
LITERAL: Final = 8
SEEK: Final = 9  # before the value: prose and fences are skipped (see _prose)
DONE: Final = 10
ERROR: Final = 11

_match_number_run = cast("Callable[[str, int], re.Match[str]]", re.compile(r"[-+.0-9eE]*").match)
_match_number = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?").fullmatch

_LITERALS: Final[dict[str, JsonValue]] = {"true": True, "false": False, "null": None}
_INFINITIES: Final = (float("inf"), float("-inf"))
_NUMBER_ENDS: Final = " \t\n\r,]}"
_EXPECTED: Final = {
    VALUE: "a value",
    FIRST_ITEM: "a value or ']'",
    FIRST_KEY: "a key or '}'",
    KEY: "a key",
    COLON: "':'",
}


class Scanner:
    """The parse state; fields are read directly by the parser and its renderer.

    Attributes:
        state: One of the state constants above.
        halted_in: The state the scanner was in when it hit an error.
        stack: The open containers, outermost first.
        string: The open string: its decoded pieces, a cut-off escape.
        is_key: Whether the open string is an object key.
        num: Characters of an unfinished number.
        word: The literal being read; ``matched`` how many of its letters arrived.
        prose: The reader of the text before the value.
        cut_off: Whether the input ended inside the value.
        value: The top-level value once it is complete.
        has_value: Whether any part of the value is known.
        error: Why the text stopped being JSON.
        offset: How many characters earlier chunks had.
        start: Where the value begins in all the text fed, None until known.
        end: Where the value ends (just past it) once complete, else None.
        numbers: The text of each number beyond the float range read so far.
        view: What renders the value, told of what closes (see ``View``).
    """

    __slots__ = (
        "cut_off",
        "end",
        "error",
        "halted_in",
        "has_value",
        "is_key",
        "matched",
        "num",
        "numbers",
        "offset",
        "prose",
        "stack",
        "start",
        "state",
        "string",
        "value",
        "view",
        "word",
    )

    def __init__(self, view: View, numbers: NumberTexts) -> None:
        self.view = view
        self.numbers = numbers
        self.state = SEEK
        self.halted_in = SEEK
        self.stack: list[Frame] = []
        self.string = StringParts()
        self.is_key = False
        self.num: list[str] = []
        self.word = ""
        self.matched = 0
        self.prose = Prose()
        self.cut_off = False
        self.value: JsonValue = None
        self.has_value = False
        self.error: str | None = None
        self.offset = 0
        self.start: int | None = None
        self.end: int | None = None

    def feed(self, chunk: str) -> None:
        """Consume ``chunk``; the caller has checked that ``state < DONE``."""
        state = self.state
        i = 0
        if state == SEEK:
            prose = self.prose
            chunk, self.offset, i = prose.seek(chunk, self.offset)
            if i == len(chunk):
                if prose.literal:
                    self.state = self._commit(_LITERALS[prose.literal])
                    self.start = prose.word_at
                    self.end = prose.word_at + len(prose.literal)
                self.offset += len(chunk)
                return
            state = VALUE
            self.start = self.offset + i
        n = len(chunk)
        stack = self.stack
        string = self.string
        parts = string.parts
        match_blank = match_ws
        match_run = STRING_RUN
        while i < n:
            if state == STRING:
                try:
                    if string.esc:
                        i = string.resume_escape(chunk, i)
                    while i < n:
                        j = match_run(chunk, i).end()
                        if j == n:
                            if string.high:
                                string.flush()
                            parts.append(chunk[i:])
                            i = n
                            break
                        c = chunk[j]
                        if c == '"':
                            if parts or string.high:
                                if string.high:
                                    string.flush()
                                parts.append(chunk[i:j])
                                text = "".join(parts)
                                parts.clear()
                            else:
                                text = chunk[i:j]
                            i = j + 1
                            state = self._end_string(text)
                            break
                        if j > i:
                            if string.high:
                                string.flush()
                            parts.append(chunk[i:j])
                        if c != "\\":
                            state = self._fail(STRING, j, f"control character {c!r} in string")
                            break
                        i = string.escape(chunk, j)
                except BadEscapeError as bad:
                    state = self._fail(STRING, bad.at, str(bad))
                if state >= DONE:
                    break
                continue
            if state == NUMBER:
                j = _match_number_run(chunk, i).end()
                if j == n:
                    self.num.append(chunk[i:])
                    break
                if self.num:
                    self.num.append(chunk[i:j])
                    token = "".join(self.num)
                    self.num.clear()
                else:
                    token = chunk[i:j]
                c = chunk[j]
                if stack and c not in _NUMBER_ENDS:
                    expected = f"',' or {stack[-1].closer!r}"
                    state = self._fail(NUMBER, j, f"expected {expected} after a number, got {c!r}")
                    break
                try:
                    number = _to_number(token, self.numbers)
                except ValueError:
                    state = self._fail(NUMBER, j - len(token), f"invalid number {_clip(token)}")
                    break
                i = j
                state = self._commit(number)
                if state == DONE:
                    break
                continue
            if state == LITERAL:
                word = self.word
                piece = chunk[i : i + len(word) - self.matched]
                if not word.startswith(piece, self.matched):
                    state = self._fail(LITERAL, i, f"invalid literal, expected {word!r}")
                    break
                i += len(piece)
                self.matched += len(piece)
                if self.matched == len(word):
                    state = self._commit(_LITERALS[word])
                    if state == DONE:
                        break
                continue
            c = chunk[i]
            if c in " \t\n\r":
                i = match_blank(chunk, i).end()
                continue
            if state == AFTER:
                closer = stack[-1].closer
                if c == ",":
                    state = KEY if closer == "}" else VALUE
                elif c == closer:
                    state = self._close()
                    if state == DONE:
                        i += 1
                        break
                else:
                    state = self._fail(AFTER, i, f"expected ',' or {closer!r}, got {c!r}")
                    break
                i += 1
            elif state == COLON:
                if c != ":":
                    state = self._fail(COLON, i, f"expected ':', got {c!r}")
                    break
                state = VALUE
                i += 1
            elif state in (KEY, FIRST_KEY):
                if c == '"':
                    self.is_key = True
                    state = STRING
                elif c == "}" and state == FIRST_KEY:
                    state = self._close()
                    if state == DONE:
                        i += 1
                        break
                else:
                    state = self._fail(state, i, f"expected {_EXPECTED[state]}, got {c!r}")
                    break
                i += 1
            elif c == '"':
                self.is_key = False
                self.has_value = True
                state = STRING
                i += 1
            elif c == "{" or c == "[":
                self.has_value = True
                if c == "{":
                    stack.append(Frame({}, "}"))
                    state = FIRST_KEY
                else:
                    stack.append(Frame([], "]"))
                    state = FIRST_ITEM
                i += 1
            elif c in "-0123456789":
                state = NUMBER
            elif c in "tfn":
                self.word = WORDS[c]
                self.matched = 0
                state = LITERAL
            elif c == "]" and state == FIRST_ITEM:
                state = self._close()
                i += 1
                if state == DONE:
                    break
            else:
                state = self._fail(state, i, f"expected {_EXPECTED[state]}, got {c!r}")
                break
        if state == DONE:  # every way out on DONE leaves i just past the value
            self.end = self.offset + i
        self.state = state
        self.offset += n

    def finish(self) -> None:
        """End of input: settle a top-level number or literal, or record what was missing."""
        state = self.state
        if state >= DONE:
            return
        if state == NUMBER and not self.stack:
            token = "".join(self.num)
            try:
                self.state = self._commit(_to_number(token, self.numbers))
                self.end = self.offset
            except ValueError:
                self.state = self._fail(NUMBER, -len(token), f"invalid number {_clip(token)}")
            return
        literal = self.prose.ended() if state == SEEK else ""
        if literal:
            self.state = self._commit(_LITERALS[literal])
            self.start = self.prose.word_at
            self.end = self.offset
            return
        self.cut_off = state < SEEK
        if state == SEEK:
            message = "no JSON value found"
        elif state == STRING:
            message = "unexpected end of input inside a string"
        elif state == LITERAL:
            message = f"unexpected end of input, expected {self.word!r}"
        elif state in (AFTER, NUMBER):  # a number in a container needs what follows it
            message = f"unexpected end of input, expected ',' or {self.stack[-1].closer!r}"
        else:
            message = f"unexpected end of input, expected {_EXPECTED[state]}"
        self.state = self._fail(state, 0, message)

    def open_string(self) -> bool:
        """Whether a string value (not a key) is open, even if an error stopped it."""
        state = self.halted_in if self.state == ERROR else self.state
        return state == STRING and not self.is_key

    def open_path(self) -> tuple[list[Frame], str | None, bool]:
        """The open containers, and the innermost one's member being read: its key, and if a string.

        The key is None in a list, and in an object between members or while
        the next key is read (the frame's ``key`` is then the last one's).
        The string's text is left to :meth:`text_so_far`: merging its pieces
        costs its length, which a reader that does not show it need not pay.
        """
        stack = self.stack
        state = self.halted_in if self.state == ERROR else self.state
        if state == STRING:
            if self.is_key:
                return stack, None, False
            string = True
        elif state < STRING and state != VALUE and state != COLON:  # not reading a member
            return stack, None, False
        else:
            string = False
        if stack and stack[-1].closer == "}":
            return stack, stack[-1].key, string
        return stack, None, string

    def text_so_far(self) -> str:
        """The decoded text of the open string, merging its pieces into one."""
        return self.string.text_so_far()

    def _commit(self, value: JsonValue) -> int:
        """Store a finished value in the open container; return the next state."""
        stack = self.stack
        if not stack:
            self.value = value
            self.has_value = True
            return DONE
        top = stack[-1]
        container = top.container
        if isinstance(container, dict):
            container[top.key] = value
        else:
            container.append(value)
        if top is self.view.watch:
            self.view.stored(top)
        if top.sink is not None:
            top.sink.finished(top.key)
        return AFTER

    def _close(self) -> int:
        """Close the innermost container and store it in its parent."""
        stack = self.stack
        frame = stack.pop()
        self.view.closing(frame, len(stack))
        return self._commit(frame.container)

    def _end_string(self, text: str) -> int:
        """Finish the open string as a key or a value; return the next state."""
        if self.is_key:
            top = self.stack[-1]
            top.key = text
            if text in top.container:
                self.view.repeated_key(self.stack)
            return COLON
        self.view.string_ending(text)
        return self._commit(text)

    def _fail(self, state: int, index: int, message: str) -> int:
        """Record an error at ``index`` of the current chunk; return ``ERROR``."""
        self.halted_in = state
        self.error = f"position {self.offset + index}: {message}"
        return ERROR


def _to_number(token: str, numbers: NumberTexts) -> int | float:
    """Convert a number token as ``json.loads`` does; ValueError if it is not one.

    A number beyond the float range is infinite, as ``json.loads`` reads it;
    its text is kept in ``numbers`` for the encoder.
    """
    match = _match_number(token)
    if match is None:
        raise ValueError(token)
    if match.lastindex is None:
        return int(token)  # ValueError beyond Python's digit limit, as in json.loads
    number = float(token)
    if number in _INFINITIES:
        numbers[id(number)] = (number, token)
    return number


def _clip(text: str) -> str:
    """``repr`` of ``text``, shortened to keep error messages readable."""
    return repr(text if len(text) <= 24 else text[:20] + "...")
