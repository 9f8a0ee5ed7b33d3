"""Composable ReactiveX operators for streams of AI output.

Every operator is a factory: call it to get a function from one observable to
another, and chain those with ``source.pipe(...)``. State lives inside each
subscription, so subscribing twice starts twice from scratch.

A :class:`~kavalai.Streamer` gives each value streamer the messages these
operators make of its chunks: a delta-mode stream's are
``chunks.pipe(to_stream_content(name, delta=True))``, a cumulative one's
``chunks.pipe(accumulate(), to_stream_content(name))``, and a structured one's
``chunks.pipe(to_stream_content(name, structured=True))``. It computes them in
its history rather than through these operators (it keeps each stream's text
once, however many consumers read it), with the same builder of a structured
value's snapshots and complete value, so the messages are the same.

The JSON operators (:func:`partial_json`, :func:`typed_partials`,
:func:`completed_items`) read the raw text the model writes, in chunks. Give
them ``streamer.values(name)`` (a stream's raw chunks, whatever its mode), a
value streamer, or any observable of text; pass ``cumulative=True`` when each
item is the whole text so far. (``stream_values(name)`` of a cumulative
structured stream gives snapshots, not the model's text: use
``streamer.values(name)`` there.) Whatever fails inside them, a chunk that is
not text included, ends the subscription with ``on_error``, never the producer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel
from reactivex import Observable, abc

from ..content import StreamContent
from ..errors import NoSchedulerError
from ..partial_json import PartialDict, PartialList
from ._partial import Partial, is_validated

if TYPE_CHECKING:
    from ._markdown import MarkdownBlock, MarkdownSnapshot, MarkdownStream, render_markdown

__all__ = [
    "MarkdownBlock",
    "MarkdownSnapshot",
    "MarkdownStream",
    "NoSchedulerError",
    "Partial",
    "PartialDict",
    "PartialList",
    "accumulate",
    "completed_items",
    "is_validated",
    "markdown",
    "partial_json",
    "render_markdown",
    "smooth_text",
    "stream_values",
    "throttle_latest",
    "to_deltas",
    "to_stream_content",
    "typed_partials",
]

_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")


def accumulate() -> Callable[[Observable[str]], Observable[str]]:
    """Turn delta chunks into the cumulative text so far.

    .. code::

        --"He"--"ll"--"o"--|
        [   accumulate()   ]
        --"He"--"Hell"--"Hello"--|

    Example:
        >>> import reactivex
        >>> _ = reactivex.of("He", "ll", "o").pipe(accumulate()).subscribe(print)
        He
        Hell
        Hello

    Returns:
        An operator from text chunks to the text accumulated so far, one item per chunk.
    """
    from ._text import accumulate_

    return accumulate_()


def to_deltas() -> Callable[[Observable[str]], Observable[str]]:
    """Turn cumulative text back into the chunk each value added.

    For a consumer that appends deltas itself but is handed a cumulative stream.
    The text must only grow: a value that does not extend the previous one is an
    error (``ValueError``), never a guess at what changed.

    .. code::

        --"He"--"Hell"--"Hello"--|
        [       to_deltas()      ]
        --"He"--"ll"----"o"------|

    Example:
        >>> import reactivex
        >>> _ = reactivex.of("He", "Hell", "Hello").pipe(to_deltas()).subscribe(print)
        He
        ll
        o

    Returns:
        An operator from cumulative text to the chunks that built it.
    """
    from ._text import to_deltas_

    return to_deltas_()


def to_stream_content(
    name: str, *, delta: bool = False, structured: bool = False
) -> Callable[[Observable[str | None]], Observable[StreamContent]]:
    """Wrap the values of one named stream in ``StreamContent`` messages.

    Each value becomes a ``partial`` message; when the source completes, a
    ``complete`` message follows, carrying the last value (``delta=False``, for
    cumulative values) or ``None`` (``delta=True``, where the consumer already has
    every chunk).

    With ``structured=True`` (and ``delta=False``) the source is the raw JSON
    text the model writes, in chunks, and the messages are those of a
    Streamer's structured stream: each chunk gives a ``partial`` message with
    the snapshot so far (as :func:`partial_json` gives it), and the
    ``complete`` message carries the final JSON if the value closed, or else
    the text as written: a value cut off, or not JSON, then fails validation
    instead of passing as the shorter value its snapshot shows. (Wrapping
    :func:`partial_json`'s snapshots instead would complete ``{"n": 1`` as
    ``{}``.) No chunk at all completes with ``None``.

    .. code::

        --"Hi"--"Hi!"--|
        [ to_stream_content("result") ]
        --partial("Hi")--partial("Hi!")--complete("Hi!")|

        --'{"n": 1'----------|
        [ to_stream_content("result", structured=True) ]
        --partial('{}')--complete('{"n": 1')|

    Example:
        >>> import reactivex
        >>> source = reactivex.of("Hello,", " world!")
        >>> _ = source.pipe(to_stream_content("result", delta=True)).subscribe(
        ...     lambda message: print(message.model_dump_json()))
        {"type":"partial","name":"result","value":"Hello,"}
        {"type":"partial","name":"result","value":" world!"}
        {"type":"complete","name":"result","value":null}
        >>> _ = reactivex.of('{"year": 19', "86}").pipe(
        ...     to_stream_content("result", structured=True)).subscribe(
        ...     lambda message: print(message.type, message.value))
        partial {}
        partial {"year": 1986}
        complete {"year": 1986}

    Args:
        name: The stream name the messages carry.
        delta: Whether the values are deltas (``complete`` then carries ``None``).
        structured: Whether the source is the raw JSON text of a structured value.

    Returns:
        An operator from values to messages.
    """
    from ._content import to_stream_content_

    return to_stream_content_(name, delta=delta, structured=structured)


def stream_values(name: str) -> Callable[[Observable[StreamContent]], Observable[str]]:
    """Select the values of one named stream from a stream of messages.

    Emits the value of each ``partial`` message named ``name`` (skipping those that
    carry ``None``) and completes right after that stream's ``complete`` message,
    whatever the other streams still do. In cumulative mode the last value is the
    final one: the ``complete`` message's, emitted too if no partial showed it. A
    ``restart`` message ends it with :class:`~kavalai.StreamRestartedError`: the
    values so far are void, and
    gluing the retry's onto them would show text the model never wrote;
    ``reactivex.operators.retry()`` after the chain follows the retry instead.

    .. code::

        --partial(a,"x")--partial(b,"1")--partial(a,"xy")--complete(a,"xy")--
        [                    stream_values("a")                             ]
        --"x"-----------------------------"xy"-------------|

    Example:
        >>> import reactivex
        >>> from kavalai import StreamContent
        >>> _ = reactivex.of(
        ...     StreamContent(type="partial", name="a", value="x"),
        ...     StreamContent(type="partial", name="b", value="1"),
        ...     StreamContent(type="partial", name="a", value="xy"),
        ...     StreamContent(type="complete", name="a", value="xy"),
        ... ).pipe(stream_values("a")).subscribe(print)
        x
        xy

    Args:
        name: The stream to select.

    Returns:
        An operator from messages to the selected stream's values.
    """
    from ._content import stream_values_

    return stream_values_(name)


def partial_json(
    *, cumulative: bool = False
) -> Callable[[Observable[str]], Observable[str | None]]:
    """Parse JSON text as it arrives: one best-effort JSON snapshot per chunk.

    Each item is ``json.dumps`` of the value so far, showing only what can no
    longer change (no half numbers, keys or escapes; the string being written
    shows its text so far), or ``None`` while no part of the value is known.
    Every item is valid JSON at any depth; a number beyond the float range
    keeps its own text (``1e400``, never ``Infinity``). Prose, inline code and
    a Markdown code fence around the JSON are skipped. Parsing work is
    proportional to the input: the text is never re-parsed (each item is a
    new string of the whole snapshot, though). When the source completes, one
    more item follows if the end of the text completed the value (a top-level
    number, say). So the items are what a display shows: the snapshots a
    Streamer's ``partial`` messages carry, then the final value if the end
    of the text made one (the UI message stream and the display board show
    the same). A value cut off ends with its last snapshot; for the messages
    of a structured stream, whose ``complete`` message tells a cut-off value
    from a closed one, use ``to_stream_content(name, structured=True)``.

    .. code::

        --'{"a": "Ti'---'mo", "n": 19'---'86}'------------|
        [              partial_json()                    ]
        --'{"a": "Ti"}'--'{"a": "Timo"}'--'{"a": "Timo", "n": 1986}'--|

    Example:
        >>> import reactivex
        >>> _ = reactivex.of('{"name": "Ti', 'mo", "year": 19', '86}').pipe(
        ...     partial_json()).subscribe(print)
        {"name": "Ti"}
        {"name": "Timo"}
        {"name": "Timo", "year": 1986}

    Args:
        cumulative: Whether each item is the whole text so far rather than a chunk.

    Returns:
        An operator from JSON text to snapshot JSON text.
    """
    from ._json import partial_json_

    return _from_text(lambda _: partial_json_(), None, cumulative)


def typed_partials(
    model: type[_M],
    *,
    name: str | None = None,
    cumulative: bool = False,
    coalesce: bool = False,
) -> Callable[[Observable[str]], Observable[Partial[_M]]]:
    """Parse JSON text into instances of ``model`` that fill in as it arrives.

    After each chunk, an instance built with ``model_construct``: fields not
    yet arrived are ``None`` (and absent from ``model_fields_set``), nested
    models fill in the same way, an open list is a read-only
    :class:`PartialList` (an open object read as a dict, a
    :class:`PartialDict`), and only finished values are validated (each
    once: a nested model, or a list, dict, union or tuple of models).
    Partials share their finished parts, so each costs work for the
    open path only and all of them together O(size of the text); treat them
    as read-only. While the value is open more than 64 levels deep, no
    partial is emitted (each would cost work for every open level). When the
    source completes, the final text is validated in
    full and the validated instance is the last item; if it does not validate,
    or the text ended inside the value (``truncated``), ``on_error``
    gets a :class:`~kavalai.StreamValidationError` with the raw text, the
    best-effort value and the errors. The items are typed :class:`Partial`
    (every field an ``object`` to a type checker, since it may be missing);
    :func:`is_validated` picks out the validated instance and types it as
    ``model``. From ``async for``, wrap the chain in
    :func:`kavalai.iterate`, which keeps the newest 64 partials for a
    consumer that falls behind (``latest=`` sets how many).

    With ``coalesce=True``, inside a running event loop, the chunks that
    arrive in one turn of the loop (a burst that a network read delivered at
    once) give one partial, built when the turn ends, rather than one each: a
    display sees the same values, at a fraction of the cost. Every chunk is
    still parsed, and the validated instance still ends the stream.

    .. code::

        --'{"name": "Ti'---------'mo", "year": 1986}'----------|
        [                typed_partials(Person)                ]
        --P(name='Ti', year=None)--P(name='Timo', year=1986)--P(...)|
                                              final, validated: ^

    Example:
        >>> import reactivex
        >>> from pydantic import BaseModel
        >>> class Person(BaseModel):
        ...     name: str
        ...     year: int
        >>> _ = reactivex.of('{"name": "Ti', 'mo", "year": 1986}').pipe(
        ...     typed_partials(Person)).subscribe(print)
        name='Ti' year=None
        name='Timo' year=1986
        name='Timo' year=1986

    Args:
        model: The pydantic model of the value.
        name: The stream name errors mention; by default the one
            :meth:`kavalai.Streamer.values` reads, else ``"value"``.
        cumulative: Whether each item is the whole text so far rather than a chunk.
        coalesce: One partial per turn of the event loop instead of one per chunk.

    Returns:
        An operator from JSON text to partial, then validated, ``model`` instances.
    """
    from ._json import typed_partials_

    return _from_text(partial(typed_partials_, model, coalesce=coalesce), name, cumulative)


def completed_items(
    path: str,
    item_model: type[BaseModel] | None = None,
    *,
    name: str | None = None,
    cumulative: bool = False,
) -> Callable[[Observable[str]], Observable[Any]]:
    """Emit each element of the array at ``path`` the moment it is complete.

    For rendering records one by one: an element is emitted when its closing
    bracket (or, for a scalar, its terminator) arrives, exactly as
    ``json.loads`` reads it (big integers, numbers beyond the float range and
    lone surrogate escapes included), and validated as ``item_model`` if
    given. ``path`` is a dotted path of object keys to the array:
    ``"items"`` for ``{"items": [...]}``, ``"result.records"`` for nested ones,
    ``""`` for a top-level array; a malformed path (an empty key) raises
    ``ValueError`` here. Prose, inline code and a code fence around the JSON
    are skipped. The stream ends with :class:`~kavalai.StreamValidationError`
    when an element fails validation, the text stops being JSON or is cut off
    (``truncated``), the path meets something other than an object where it
    looks up a key or other than an array at its end, or the array never
    appears by the end of the text; elements before that were emitted. The
    items are ``Any``: JSON values, or ``item_model`` instances.

    .. code::

        --'{"items": [{"a": 1}, {"a'--'": 2}]}'--|
        [       completed_items("items")        ]
        --{'a': 1}----------------{'a': 2}-------|

    Example:
        >>> import reactivex
        >>> _ = reactivex.of('{"items": [{"a": 1}, {"a', '": 2}]}').pipe(
        ...     completed_items("items")).subscribe(print)
        {'a': 1}
        {'a': 2}

    Args:
        path: Dotted object keys leading to the array.
        item_model: Optional pydantic model each element is validated as.
        name: The stream name errors mention; by default the one
            :meth:`kavalai.Streamer.values` reads, else ``"value"``.
        cumulative: Whether each item is the whole text so far rather than a chunk.

    Returns:
        An operator from JSON text to the array's elements.
    """
    from ._json import completed_items_
    from ._path import parse_path

    parse_path(path)  # a malformed path is refused here, not when the operator is applied
    return _from_text(partial(completed_items_, path, item_model), name, cumulative)


def throttle_latest(
    seconds: float, *, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[_T]], Observable[_T]]:
    """At most one item per ``seconds``: the first at once, then the newest; the last always.

    For a UI that redraws from snapshots (cumulative text, ``partial_json``,
    ``typed_partials``, a cumulative Streamer's messages): an item that
    arrives while the interval after the last one runs is held, replacing the
    one held before it, and goes out when the interval ends. When the source
    ends, the item held goes out at once, before ``on_completed`` (or
    ``on_error``): a UI always shows the final value, and never waits for it.
    (``reactivex.operators.sample`` loses the end, ``throttle_first`` the
    last snapshot.) A :class:`~kavalai.StreamContent` ``partial`` is
    superseded only by a later partial of its own stream; ``complete``,
    ``error`` and ``restart`` messages go out at once, after whatever was
    held. So it fits cumulative messages, never delta chunks, of which each
    one counts: pace those with :func:`smooth_text`.

    The timer runs on ``scheduler``, else on the one the subscription was
    given, else on the running asyncio loop: callbacks come on the loop's
    thread, and no timer thread starts. Subscribed outside a running loop
    with no scheduler, the subscription fails with :class:`NoSchedulerError`.

    .. code::

        --a-b-c-----d-e--|      (interval: 4 dashes)
        [ throttle_latest() ]
        --a---c-----d---e|

    Example:
        >>> import asyncio, reactivex
        >>> from kavalai import iterate
        >>> async def main() -> list[str]:
        ...     snapshots = reactivex.of("He", "Hell", "Hello")
        ...     return [text async for text in iterate(snapshots.pipe(throttle_latest(0.1)))]
        >>> asyncio.run(main())
        ['He', 'Hello']

    Args:
        seconds: The least time between two items, but for the final one.
        scheduler: Where the timer runs; the running asyncio loop by default.

    Returns:
        An operator that keeps the newest item per interval and the last one.
    """
    from ._pacing import throttle_latest_

    return throttle_latest_(seconds, scheduler)


def smooth_text(
    seconds: float = 0.01,
    *,
    chunking: Literal["word", "line"] = "word",
    scheduler: abc.SchedulerBase | None = None,
) -> Callable[[Observable[str]], Observable[str]]:
    """Delta text in word- or line-sized pieces, one per ``seconds`` at most.

    A model's text comes in bursts: several tokens in one network read, then
    a pause. This cuts the deltas into pieces that each end after a word and
    its whitespace (``chunking="word"``) or after a newline (``"line"``), and
    lets them out at a steady pace, so a UI's text flows instead of jumping.
    Nothing is dropped: the pieces joined are the text. A piece not yet ended
    waits for its end; when the source ends, everything still waiting goes
    out at once as one item, before ``on_completed`` (or ``on_error``). The
    pace should be faster than the model writes (the default, 100 words a
    second, is), or the text falls behind the model until it ends.

    The timer runs as :func:`throttle_latest`'s does: on ``scheduler``, the
    subscription's, or the running asyncio loop's, never on a thread of its own.

    .. code::

        --"Hello wor"--"ld, how are"-------------|
        [             smooth_text()             ]
        --"Hello "-------"world, "--"how "--------"are"|

    Example:
        >>> import asyncio, reactivex
        >>> from kavalai import iterate
        >>> async def main() -> list[str]:
        ...     chunks = reactivex.of("Hello wor", "ld, how are")
        ...     return [piece async for piece in iterate(chunks.pipe(smooth_text()))]
        >>> asyncio.run(main())
        ['Hello ', 'world, how are']

    Args:
        seconds: The least time between two pieces, but for the last one.
        chunking: ``"word"`` or ``"line"``: where a piece may end.
        scheduler: Where the timer runs; the running asyncio loop by default.

    Returns:
        An operator from delta text to the same text in paced pieces.
    """
    from ._pacing import smooth_text_

    return smooth_text_(seconds, chunking, scheduler)


def markdown(
    *, cumulative: bool = False
) -> Callable[[Observable[str]], Observable[MarkdownSnapshot]]:
    """Markdown as it streams: the finished blocks, rendered once, and the one being written.

    Each chunk gives a :class:`~MarkdownSnapshot`: ``finished``,
    every top-level block (paragraph, heading, list, fence, table, quote) that
    nothing written later can change, each rendered to HTML once; ``new``,
    those this chunk finished (append their HTML); and ``open``, the blocks
    being written, rendered when read, closed up as they will close (an open
    fence, code span, ``**``, ``*``, ``~~`` or link is shown closed). What a
    line's next characters could turn into another kind of block waits for
    them (a line that is only ``#``, ``-`` or ``1.`` so far, a fence's first
    line, a table row), so a paragraph never turns into a list or a table;
    the one exception is CommonMark's own: a ``===`` or ``---`` line under a
    paragraph makes it a heading. When the text ends, the last item has every
    block finished, and their HTML joined is the whole text rendered at once
    (:func:`render_markdown`). The work is linear in the text:
    only the text after the last finished block is parsed, where a new block
    may begin. HTML is sanitised: raw HTML shows as text, unsafe links
    (``javascript:``...) as text, images as links to them, never fetched.

    Needs markdown-it-py (``pip install 'kavalai[markdown]'``).

    .. code::

        --"# Hi\\n\\nSome **bo"------"ld** text\\n\\n"--|
        [                markdown()                   ]
        --open:[h1, p(Some <b>bo</b>)]--finished:[h1, p]--|

    Example:
        >>> import reactivex
        >>> chunks = reactivex.of("# Hello\\n\\nSome **bo", "ld** text.\\n")
        >>> items = []
        >>> _ = chunks.pipe(markdown()).subscribe(items.append)
        >>> for item in items:
        ...     print([block.kind for block in item.finished], [block.html for block in item.open])
        ['heading'] ['<p>Some <strong>bo</strong></p>\\n']
        ['heading'] ['<p>Some <strong>bold</strong> text.</p>\\n']
        ['heading', 'paragraph'] []
        >>> print(items[-1].html(), end="")
        <h1>Hello</h1>
        <p>Some <strong>bold</strong> text.</p>

    Args:
        cumulative: Whether each item is the whole text so far rather than a chunk.

    Returns:
        An operator from Markdown text to snapshots of its blocks.
    """
    from ._markdown import markdown_

    return markdown_(cumulative)


_R = TypeVar("_R")

_MARKDOWN_NAMES = frozenset(
    ["MarkdownBlock", "MarkdownSnapshot", "MarkdownStream", "render_markdown"]
)


def __getattr__(name: str) -> object:
    """The Markdown names, imported when first used: they need markdown-it-py."""
    if name in _MARKDOWN_NAMES:
        from . import _markdown

        return getattr(_markdown, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _stream_name(source: Observable[str]) -> str:
    """The name of the stream ``source`` reads (``Streamer.values``, a ValueStreamer) or "value"."""
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "value"


def _from_text(
    make: Callable[[str], Callable[[Observable[str]], Observable[_R]]],
    name: str | None,
    cumulative: bool,
) -> Callable[[Observable[str]], Observable[_R]]:
    """The operator ``make(name)``, named after its source's stream unless ``name`` is given."""

    def operator(source: Observable[str]) -> Observable[_R]:
        chain = make(name if name is not None else _stream_name(source))
        return chain(to_deltas()(source) if cumulative else source)

    return operator
