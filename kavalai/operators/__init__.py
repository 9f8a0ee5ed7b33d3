"""Composable ReactiveX operators for streams of AI output.

Every operator is a factory: call it to get a function from one observable to
another, and chain those with ``source.pipe(...)``. State lives inside each
subscription, so subscribing twice starts twice from scratch.

A :class:`~kavalai.Streamer` builds each value streamer's messages from these same
operators: a delta-mode stream is ``chunks.pipe(to_stream_content(name, delta=True))``,
a cumulative one is ``chunks.pipe(accumulate(), to_stream_content(name))``.
"""

from __future__ import annotations

from collections.abc import Callable

from reactivex import Observable

from ..content import StreamContent

__all__ = ["accumulate", "stream_values", "to_deltas", "to_stream_content"]


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
    name: str, *, delta: bool = False
) -> Callable[[Observable[str | None]], Observable[StreamContent]]:
    """Wrap the values of one named stream in ``StreamContent`` messages.

    Each value becomes a ``partial`` message; when the source completes, a
    ``complete`` message follows, carrying the last value (``delta=False``, for
    cumulative values) or ``None`` (``delta=True``, where the consumer already has
    every chunk).

    .. code::

        --"Hi"--"Hi!"--|
        [ to_stream_content("result") ]
        --partial("Hi")--partial("Hi!")--complete("Hi!")|

    Example:
        >>> import reactivex
        >>> source = reactivex.of("Hello,", " world!")
        >>> _ = source.pipe(to_stream_content("result", delta=True)).subscribe(
        ...     lambda message: print(message.model_dump_json()))
        {"type":"partial","name":"result","value":"Hello,"}
        {"type":"partial","name":"result","value":" world!"}
        {"type":"complete","name":"result","value":null}

    Args:
        name: The stream name the messages carry.
        delta: Whether the values are deltas (``complete`` then carries ``None``).

    Returns:
        An operator from values to messages.
    """
    from ._content import to_stream_content_

    return to_stream_content_(name, delta=delta)


def stream_values(name: str) -> Callable[[Observable[StreamContent]], Observable[str]]:
    """Select the values of one named stream from a stream of messages.

    Emits the value of each ``partial`` message named ``name`` (skipping those that
    carry ``None``) and completes right after that stream's ``complete`` message,
    whatever the other streams still do. In cumulative mode the last value is the
    final one.

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
