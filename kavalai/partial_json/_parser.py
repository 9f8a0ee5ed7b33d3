"""Incremental partial JSON: the best-effort value of text an LLM is still writing.

A producer feeds text chunks to a :class:`PartialJsonParser`; after any chunk a
UI can ask for the value so far (:meth:`~PartialJsonParser.snapshot`) or its
JSON text (:meth:`~PartialJsonParser.snapshot_json`).

Re-parsing the whole buffer after every chunk, as general-purpose partial JSON
parsers do, costs time quadratic in the length of the answer. This parser
keeps its state between chunks instead: each character is examined a bounded
number of times, a token cut by a chunk boundary is resumed where it stopped,
and ``snapshot_json`` appends to the text it rendered last time rather than
serialising the whole value again.

A snapshot only shows what can no longer change, so that every snapshot is a
prefix of the next and of the final value, and a UI never has to take back
what it displayed:

* a number, a ``true``/``false``/``null`` or a key is shown only when complete
  (``1`` of ``1986`` could be a wrong year), and an object member only once
  its value has begun;
* the one exception is the innermost string being written, which shows its
  text so far (without half an escape or half a surrogate pair);
* containers are shown as soon as they open, and only grow.

LLM answers often wrap the JSON in prose or a Markdown code fence: the parser
skips those, reads the first complete JSON value, and ignores what follows it.
Text that is not JSON never raises; :attr:`~PartialJsonParser.error` says what
went wrong and the snapshot stays at the last consistent state.

Two more things a consumer may want are kept as the text is read:
:attr:`~PartialJsonParser.depth` says which containers of a snapshot are still
open, and :attr:`~PartialJsonParser.start` and :attr:`~PartialJsonParser.end`
where the value lies in the text fed.
"""

from __future__ import annotations

from ._encode import JsonValue, NumberTexts
from ._frames import Frame
from ._render import Renderer, build_snapshot
from ._scan import DONE, Scanner

__all__ = ["JsonValue", "PartialJsonParser"]


class PartialJsonParser:
    """Parses JSON text that arrives in chunks, with a snapshot after any chunk.

    Feed the chunks as they arrive and ask for :meth:`snapshot` or
    :meth:`snapshot_json` whenever the display should change; both follow the
    rules in the module docstring. Call :meth:`close` when the stream ends: a
    number at the top level has no closing character, so only the end of the
    input completes it. A parser reads one value; use a new one per stream.

    Example:
        >>> parser = PartialJsonParser()
        >>> for chunk in ['Sure:\\n```json\\n{"name": "Ti', 'mo", "birth_year": 19', "86}\\n```"]:
        ...     parser.feed(chunk)
        ...     print(parser.snapshot_json())
        {"name": "Ti"}
        {"name": "Timo"}
        {"name": "Timo", "birth_year": 1986}
        >>> parser.done
        True
    """

    __slots__ = (
        "_closed",
        "_json",
        "_json_at",
        "_renderer",
        "_scanner",
        "_snapshot",
        "_snapshot_at",
    )

    def __init__(self) -> None:
        numbers: NumberTexts = {}
        self._renderer = Renderer(numbers)
        self._scanner = Scanner(self._renderer, numbers)
        self._closed = False
        # Both caches are keyed by the scanner's offset, which moves with every
        # chunk the scanner consumes; -1 forces a fresh result.
        self._json: str | None = None
        self._json_at = -1
        self._snapshot: JsonValue = None
        self._snapshot_at = -1

    def feed(self, chunk: str) -> None:
        """Consume the next chunk of text.

        Once the value is complete, an error was found or :meth:`close` was
        called, chunks are ignored at once: an LLM often goes on writing after
        the JSON, and a stream is easier to wire if that needs no special case.

        Args:
            chunk: The next piece of text, of any length.

        Raises:
            TypeError: If ``chunk`` is not a ``str`` (bytes would need a decoder
                that knows where multi-byte characters are cut).
        """
        if not isinstance(chunk, str):
            raise TypeError(f"feed() takes str, not {type(chunk).__name__}")
        if chunk and self._scanner.state < DONE:
            self._scanner.feed(chunk)

    @property
    def has_value(self) -> bool:
        """Whether some part of the value is known, so a snapshot means something."""
        return self._scanner.has_value

    @property
    def done(self) -> bool:
        """Whether the first complete JSON value has ended; later text is ignored."""
        return self._scanner.state == DONE

    @property
    def error(self) -> str | None:
        """Why the text stopped being JSON (position and what was expected), else None."""
        return self._scanner.error

    @property
    def truncated(self) -> bool:
        """Whether the text ended inside the value: the answer was cut off, not malformed.

        Known once :meth:`close` is called; a model that stops at its token
        limit leaves its JSON open, and a snapshot closed up by the parser
        must not pass for the whole answer.
        """
        return self._scanner.cut_off

    @property
    def depth(self) -> int:
        """How many objects and arrays are open, so a UI knows which ones may still grow.

        It is 0 before the value starts and once it has ended. The open
        containers of :meth:`snapshot` are the root and, below it, the last
        member of each open container, ``depth`` levels in all; every other
        container in the snapshot is finished. (A duplicate key breaks that
        rule: its new value is shown at the key's first position, as
        ``json.loads`` keeps it.) After an error, the containers that were
        open when it happened.
        """
        return len(self._scanner.stack)

    @property
    def start(self) -> int | None:
        """Where the value begins in all the text fed, to locate it in the raw answer.

        An offset in characters of the chunks joined, pointing at the value's
        first character, after any prose or code fence that was skipped;
        ``None`` until that is known (a top-level ``true``, ``false`` or
        ``null`` is known only once it cannot be the start of a word).
        """
        return self._scanner.start

    @property
    def end(self) -> int | None:
        """Where the value ends, to cut its exact JSON text out of the raw answer.

        The offset just past the value's last character once :attr:`done`,
        else ``None``. A top-level number or literal that only :meth:`close`
        completes ends where the text fed ends. So
        ``"".join(chunks)[parser.start : parser.end]`` is the JSON text of
        the value.
        """
        return self._scanner.end

    def spine(
        self, levels: int | None = None
    ) -> tuple[list[tuple[dict[str, JsonValue] | list[JsonValue], str]], str | None]:
        """The open containers and the open string, for readers that build their own views.

        Returns the open containers, outermost first, each as its finished
        members (the live container: do not change it) and the key of the
        member being read (objects only), and the text so far of the open
        string value, if one is open. Each open container is the open member
        of the one before it; the open string, of the last. Unlike
        :meth:`snapshot`, nothing is copied, so a reader that keeps what it
        built from finished members pays for each member once.

        Args:
            levels: Return only the outermost ``levels`` containers (and the
                open string only if it belongs to the last of them), so that
                a reader that needs the top of a deep value pays for that only.
        """
        scanner = self._scanner
        stack = scanner.stack if levels is None else scanner.stack[:levels]
        frames = [(frame.container, frame.key) for frame in stack]
        deeper = len(scanner.stack) > len(stack)
        return frames, scanner.text_so_far() if scanner.open_string() and not deeper else None

    def open_frames(self) -> tuple[list[Frame], str | None, bool]:
        """:meth:`spine` without the copies, for a reader that calls it after every chunk.

        Returns the scanner's own stack of open containers (each a
        :class:`Frame` with its ``container`` and ``key``; read it, never change
        it, and do not keep it across chunks), the key of the member being read
        in the innermost one (None in a list, and in an object between members,
        where its frame's ``key`` is the last member's), and whether that
        member is a string: :meth:`open_text` then gives its text so far.
        """
        return self._scanner.open_path()

    def open_text(self) -> str | None:
        """The text so far of the open string value, None if none is open.

        A call after more of it arrived costs the length of the whole text,
        so a reader that calls it after every chunk pays O(n^2) over a long
        string: ask only for a string it shows.
        """
        scanner = self._scanner
        return scanner.text_so_far() if scanner.open_string() else None

    def snapshot(self) -> JsonValue:
        """The best-effort value so far, ``None`` while nothing is known.

        Finished members are shared with later snapshots, and an unchanged
        parser returns the same object again, so treat the result as
        read-only. Open containers are copied, so a snapshot does not change
        when more text arrives.
        """
        scanner = self._scanner
        if self._snapshot_at != scanner.offset:
            self._snapshot = build_snapshot(scanner)
            self._snapshot_at = scanner.offset
        return self._snapshot

    def snapshot_json(self) -> str | None:
        """``json.dumps(self.snapshot())``, or ``None`` while nothing is known.

        The text is built incrementally: members finished since the last call
        are rendered once and appended, and only the open tail (the string
        being written and the closing brackets) is added per call.
        """
        scanner = self._scanner
        if not scanner.has_value:
            return None
        if self._json_at != scanner.offset:
            self._json = self._renderer.render(scanner)
            self._json_at = scanner.offset
        return self._json

    def end_input(self) -> None:
        """Mark the end of the input, like :meth:`close`, without rendering the final text.

        For a reader that takes the value's own text (``start`` to ``end``) or
        :meth:`snapshot` instead.
        """
        if not self._closed:
            self._closed = True
            self._scanner.finish()
            self._json_at = self._snapshot_at = -1

    def close(self) -> str | None:
        """Mark the end of the input and return the final JSON text.

        A number at the top level has no closing character, so only now can
        it be known to be complete. If the value is still incomplete,
        :attr:`error` says what was missing. Calling ``close`` again returns
        the same result.

        Returns:
            ``json.dumps`` of the final (or best-effort) value, or ``None`` if
            no part of a value was found.
        """
        self.end_input()
        return self.snapshot_json()
