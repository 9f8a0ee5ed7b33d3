"""The scanner behind :class:`kavalai.partial_json.PartialJsonParser`.

The scanner is a push-down state machine fed one chunk at a time. Whatever a
chunk leaves unfinished is kept in a form that lets the next chunk resume
exactly there: the decoded pieces of an open string, an escape cut in half, a
high surrogate waiting for its partner, the characters of a number or a
literal. Nothing is scanned twice (except the few characters of a number,
which are checked once more as a whole), and the text fed so far is not kept.

Runs of ordinary characters (string content, whitespace, number characters,
prose) are consumed with compiled regular expressions, so the Python-level
loop turns once per token rather than once per character.

Finished values are stored as plain Python objects in the containers of the
open frames. The scanner also keeps the append-only text that
``snapshot_json`` builds on: a frame or string that has been rendered once
("shown") writes the rest of its text when it closes, because once closed it
is gone from the stack.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import TYPE_CHECKING, Final, Protocol, TypeAlias, cast

from ._encode import OutOfRange, dumps, encode_string

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._parser import JsonValue

# Scanner states. Value states first, then the states before the value starts,
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
START: Final = 9  # before the value: skip whitespace, then decide JSON or prose
START_LITERAL: Final = 10  # the text began with t/f/n: a literal or a word?
PROSE: Final = 11  # skipping prose up to a code fence, '{' or '['
FENCE: Final = 12  # reading what follows three backticks: a fence's info line, or inline code
DONE: Final = 13
ERROR: Final = 14

# Run scanners: each pattern can match the empty string, so a match always exists.
_RunScanner: TypeAlias = "Callable[[str, int], re.Match[str]]"
_match_ws = cast(_RunScanner, re.compile(r"[ \t\n\r]*").match)
_match_string_run = cast(_RunScanner, re.compile(r'[^"\\\x00-\x1f]*').match)
_match_number_run = cast(_RunScanner, re.compile(r"[-+.0-9eE]*").match)
_match_prose = cast(_RunScanner, re.compile(r"[^`{\[]*").match)
_match_ticks = cast(_RunScanner, re.compile(r"`*").match)
_match_info = cast(_RunScanner, re.compile(r"[^`\n]*").match)
_match_number = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?").fullmatch
_match_hex = re.compile(r"[0-9a-fA-F]*").fullmatch

_WORDS: Final = {"t": "true", "f": "false", "n": "null"}
_LITERALS: Final[dict[str, JsonValue]] = {"true": True, "false": False, "null": None}
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_NUMBER_ENDS: Final = " \t\n\r,]}"
_EXPECTED: Final = {
    VALUE: "a value",
    FIRST_ITEM: "a value or ']'",
    FIRST_KEY: "a key or '}'",
    KEY: "a key",
    COLON: "':'",
}


class Frame:
    """An open object or array.

    Attributes:
        container: The members finished so far (an open child is not in it yet).
        closer: ``"}"`` or ``"]"``.
        key: The key of the member being read, or between members of the last
            one read (objects only).
        shown: How many members ``snapshot_json`` has rendered, -1 if not even
            the opening bracket has been rendered yet.
        sink: What a reader set to be told of each member as it finishes:
            ``sink.finished(key)`` (``key`` is the member's, or "" in an
            array) right after the member is stored in ``container``.
    """

    __slots__ = ("closer", "container", "key", "shown", "sink")

    def __init__(self, container: dict[str, JsonValue] | list[JsonValue], closer: str) -> None:
        self.container = container
        self.closer = closer
        self.key = ""
        self.shown = -1
        self.sink: Sink | None = None


class Sink(Protocol):
    """A reader told of each member as it finishes (see :attr:`Frame.sink`)."""

    def finished(self, key: str) -> None:
        """The member under ``key`` ("" in an array) has finished."""


class Scanner:
    """The parse state; fields are read directly by the parser's renderers.

    Attributes:
        state: One of the state constants above.
        halted_in: The state the scanner was in when it hit an error.
        stack: The open containers, outermost first.
        parts: Decoded pieces of the open string.
        is_key: Whether the open string is an object key.
        esc: An escape cut off by the end of a chunk, backslash included.
        high: A decoded high surrogate waiting to see whether a low one follows.
        num: Characters of an unfinished number.
        word: The literal being read; ``matched`` how many of its letters arrived.
        ticks: Length of the run of backticks being read in prose.
        closing: Whether the next run of backticks closes inline code (so
            opens no fence).
        info: The text after an opening run of backticks, while it is not
            yet known whether a newline (a fence) or a backtick (inline code)
            ends it.
        cut_off: Whether the input ended inside the value.
        value: The top-level value once it is complete.
        has_value: Whether any part of the value is known.
        error: Why the text stopped being JSON.
        offset: How many characters earlier chunks had.
        start: Where the value begins in all the text fed, None until known.
        end: Where the value ends (just past it) once complete, else None.
        word_at: Where a top-level literal, or the word it may turn out to be, begins.
        out: The rendered text that can no longer change (see module docstring).
        str_shown: How many characters of the open string ``out`` holds, -1 if
            not even its opening quote.
        slow: The frame in which a repeated key's value is being read, None
            if none is: until that value is stored, rendering re-serialises
            the whole snapshot every time (see :meth:`_go_slow`).
    """

    __slots__ = (
        "closing",
        "cut_off",
        "end",
        "error",
        "esc",
        "halted_in",
        "has_value",
        "high",
        "info",
        "is_key",
        "matched",
        "num",
        "offset",
        "out",
        "parts",
        "slow",
        "stack",
        "start",
        "state",
        "str_shown",
        "ticks",
        "value",
        "word",
        "word_at",
    )

    def __init__(self) -> None:
        self.state = START
        self.halted_in = START
        self.stack: list[Frame] = []
        self.parts: list[str] = []
        self.is_key = False
        self.esc = ""
        self.high = ""
        self.num: list[str] = []
        self.word = ""
        self.matched = 0
        self.ticks = 0
        self.closing = False
        self.info: list[str] = []
        self.cut_off = False
        self.value: JsonValue = None
        self.has_value = False
        self.error: str | None = None
        self.offset = 0
        self.start: int | None = None
        self.end: int | None = None
        self.word_at = 0
        self.out: list[str] = []
        self.str_shown = -1
        self.slow: Frame | None = None

    def feed(self, chunk: str) -> None:
        """Consume ``chunk``; the caller has checked that ``state < DONE``."""
        n = len(chunk)
        i = 0
        state = self.state
        if state >= START:
            chunk, i = self._seek(chunk)
            n = len(chunk)
            state = self.state
            if state != VALUE:
                self.offset += n
                return
        stack = self.stack
        parts = self.parts
        match_ws = _match_ws
        match_run = _match_string_run
        while i < n:
            if state == STRING:
                if self.esc:
                    i = self._resume_escape(chunk, i)
                while 0 <= i < n:
                    j = match_run(chunk, i).end()
                    if j == n:
                        if self.high:
                            parts.append(self.high)
                            self.high = ""
                        parts.append(chunk[i:])
                        i = n
                        break
                    c = chunk[j]
                    if c == '"':
                        if parts or self.high:
                            if self.high:
                                parts.append(self.high)
                                self.high = ""
                            parts.append(chunk[i:j])
                            text = "".join(parts)
                            parts.clear()
                        else:
                            text = chunk[i:j]
                        i = j + 1
                        state = self._end_string(text)
                        break
                    if j > i:
                        if self.high:
                            parts.append(self.high)
                            self.high = ""
                        parts.append(chunk[i:j])
                    if c != "\\":
                        state = self._fail(STRING, j, f"control character {c!r} in string")
                        break
                    i = self._escape(chunk, j, 0)
                if i < 0:
                    state = ERROR
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
                    number = _to_number(token)
                except ValueError:
                    state = self._fail(NUMBER, j - len(token), f"invalid number {_clip(token)}")
                    break
                i = j
                state = self._commit(number, False)
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
                    state = self._commit(_LITERALS[word], False)
                    if state == DONE:
                        break
                continue
            c = chunk[i]
            if c in " \t\n\r":
                i = match_ws(chunk, i).end()
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
                self.word = _WORDS[c]
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
        """End of input: settle a top-level number, or record what was missing."""
        state = self.state
        if state >= DONE:
            return
        if state == NUMBER and not self.stack:
            token = "".join(self.num)
            try:
                self.state = self._commit(_to_number(token), False)
                self.end = self.offset
            except ValueError:
                self.state = self._fail(NUMBER, -len(token), f"invalid number {_clip(token)}")
            return
        if state == START_LITERAL and self.matched == len(self.word):
            self.state = self._commit(_LITERALS[self.word], False)
            self.start = self.word_at
            self.end = self.offset
            return
        self.cut_off = state < START
        if state >= START:
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
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        text = "".join(parts)
        parts[:] = [text]
        return text

    def _seek(self, chunk: str) -> tuple[str, int]:
        """Skip prose and code fences; return the text and where the value starts in it.

        The text is ``chunk``, unless three backticks turned out to open
        inline code rather than a fence (CommonMark: a backtick fence's info
        string holds no backtick): then the text after them, kept from earlier
        chunks, is prose to read again, and comes first. Where no value
        starts, the index is the text's length.
        """
        n = len(chunk)
        i = 0
        state = self.state
        while i < n:
            if state == START:
                i = _match_ws(chunk, i).end()
                if i == n:
                    break
                c = chunk[i]
                if c in '{["-0123456789':
                    self.state = VALUE
                    self.start = self.offset + i
                    return chunk, i
                if c in "tfn":
                    self.word = _WORDS[c]
                    self.matched = 0
                    self.word_at = self.offset + i
                    state = START_LITERAL
                else:
                    state = PROSE
            elif state == START_LITERAL:
                word = self.word
                if self.matched == len(word):  # "null" or "nullable"? One more character tells.
                    if chunk[i].isalnum() or chunk[i] == "_":
                        state = PROSE
                        continue
                    self.state = self._commit(_LITERALS[word], False)
                    self.start = self.word_at
                    self.end = self.word_at + len(word)
                    return chunk, n
                piece = chunk[i : i + len(word) - self.matched]
                if word.startswith(piece, self.matched):
                    i += len(piece)
                    self.matched += len(piece)
                else:  # a word, not a literal: its letters are prose
                    while chunk[i] == word[self.matched]:
                        i += 1
                        self.matched += 1
                    state = PROSE
            elif state == PROSE:
                if not self.ticks:
                    i = _match_prose(chunk, i).end()
                    if i == n:
                        break
                    if chunk[i] != "`":
                        self.state = VALUE
                        self.start = self.offset + i
                        return chunk, i
                j = _match_ticks(chunk, i).end()
                self.ticks += j - i
                i = j
                if i == n:  # the run may go on in the next chunk
                    break
                if self.ticks >= 3 and not self.closing:
                    state = FENCE
                self.ticks = 0
                self.closing = False
            else:  # FENCE: a newline makes it a fence, a backtick inline code
                j = _match_info(chunk, i).end()
                if j == n:
                    self.info.append(chunk[i:])
                    break
                if chunk[j] == "\n":
                    self.info.clear()
                    i = j + 1
                    state = START
                    continue
                earlier = "".join(self.info)
                self.info.clear()
                self.offset += i - len(earlier)  # the text now starts where the info line did
                chunk = earlier + chunk[i:]
                n = len(chunk)
                i = 0
                self.closing = True
                state = PROSE
        self.state = state
        return chunk, n

    def _commit(self, value: JsonValue, shown: bool) -> int:
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
        if shown:
            top.shown += 1
        elif top is self.slow:  # the repeated key's value: render afresh from here on
            self.slow = None
        if top.sink is not None:
            top.sink.finished(top.key)
        return AFTER

    def _close(self) -> int:
        """Close the innermost container and store it in its parent."""
        frame = self.stack.pop()
        shown = frame.shown >= 0
        if shown:
            self.out.append(render_members(frame.container, frame.shown) + frame.closer)
        return self._commit(frame.container, shown)

    def _end_string(self, text: str) -> int:
        """Finish the open string as a key or a value; return the next state."""
        if self.is_key:
            top = self.stack[-1]
            top.key = text
            if text in top.container:
                self._go_slow()
            return COLON
        shown = self.str_shown >= 0
        if shown:
            self.out.append(encode_string(text[self.str_shown :])[1:])
            self.str_shown = -1
        return self._commit(text, shown)

    def _go_slow(self) -> None:
        """Start over the rendering: the repeated key's value rewrites an earlier member.

        ``json.loads`` keeps a repeated key at its first position, so the text
        rendered so far is wrong once the new value is stored. Until then, the
        snapshot is re-serialised whole; from then on the text is rendered
        afresh (once) and appended to again.
        """
        if self.slow is None:  # else a repeated key's value holds this one: wait for that
            self.slow = self.stack[-1]
        self.out.clear()
        self.str_shown = -1
        for frame in self.stack:
            frame.shown = -1

    def _escape(self, text: str, j: int, base: int) -> int:
        """Decode the escape at ``text[j]``; ``base`` maps ``j`` to a chunk position.

        Returns:
            The index after the escape; ``len(text)`` if ``text`` ends inside it
            (it is then kept in ``esc``); -1 after an error.
        """
        kind = text[j + 1 : j + 2]
        if kind == "u":
            digits = text[j + 2 : j + 6]
            if _match_hex(digits):
                if len(digits) == 4:
                    self._code_unit(int(digits, 16))
                    return j + 6
                self.esc = text[j:]
                return len(text)
            self._fail(STRING, base + j, f"invalid escape {text[j : j + 6]!r}")
            return -1
        if not kind:
            self.esc = "\\"
            return len(text)
        char = _ESCAPES.get(kind)
        if char is None:
            self._fail(STRING, base + j, f"invalid escape {text[j : j + 2]!r}")
            return -1
        if self.high:
            self.parts.append(self.high)
            self.high = ""
        self.parts.append(char)
        return j + 2

    def _resume_escape(self, chunk: str, i: int) -> int:
        """Complete the escape an earlier chunk cut off; return the index after it."""
        esc = self.esc
        self.esc = ""
        end = self._escape(esc + chunk[i : i + 6], 0, i - len(esc))
        return end if end < 0 else i + end - len(esc)

    def _code_unit(self, code: int) -> None:
        """Add one code unit of a ``\\u`` escape, pairing surrogates as ``json.loads`` does."""
        high = self.high
        if high:
            self.high = ""
            if 0xDC00 <= code <= 0xDFFF:
                self.parts.append(chr(0x10000 + ((ord(high) - 0xD800) << 10) + code - 0xDC00))
                return
            self.parts.append(high)  # not followed by a low surrogate: stays alone
        if 0xD800 <= code <= 0xDBFF:
            self.high = chr(code)
        else:
            self.parts.append(chr(code))

    def _fail(self, state: int, index: int, message: str) -> int:
        """Record an error at ``index`` of the current chunk; return ``ERROR``."""
        self.halted_in = state
        self.error = f"position {self.offset + index}: {message}"
        return ERROR


def render_members(container: dict[str, JsonValue] | list[JsonValue], start: int) -> str:
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
    text = dumps(rest)[1:-1]
    return ", " + text if start else text


def _to_number(token: str) -> int | float:
    """Convert a number token as ``json.loads`` does; ValueError if it is not one."""
    match = _match_number(token)
    if match is None:
        raise ValueError(token)
    if match.lastindex is None:
        return int(token)  # ValueError beyond Python's digit limit, as in json.loads
    number = float(token)
    return OutOfRange(token) if number in _INFINITIES else number


_INFINITIES: Final = (float("inf"), float("-inf"))


def _clip(text: str) -> str:
    """``repr`` of ``text``, shortened to keep error messages readable."""
    return repr(text if len(text) <= 24 else text[:20] + "...")
