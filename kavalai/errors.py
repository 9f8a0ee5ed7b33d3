"""The errors kavalai raises, in one place.

Each derives from :class:`KavalaiError`, so ``except KavalaiError`` catches
whatever kavalai raises of its own, and keeps the built-in base it had
(``StreamClosedError`` is still a ``RuntimeError``). Each public one is
re-exported from :mod:`kavalai`; every message names the stream involved and
says what to do instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "BadResumeError",
    "DataLostError",
    "EventStreamError",
    "IncompleteStreamError",
    "KavalaiError",
    "NoSchedulerError",
    "PublishError",
    "RecordingFormatError",
    "RecordingNotFoundError",
    "RemoteStreamError",
    "ResponseFailedError",
    "SseRecordingError",
    "StreamClosedError",
    "StreamRestartedError",
    "StreamUnavailableError",
    "StreamValidationError",
    "StreamerTimeoutException",
]


class KavalaiError(Exception):
    """The base of every error kavalai raises of its own."""


class StreamClosedError(KavalaiError, RuntimeError):
    """A value was pushed to, or a completion asked of, a stream that can take no more."""


class IncompleteStreamError(KavalaiError, RuntimeError):
    """A producer started with ``Streamer.start`` ended without completing its streams.

    ``names`` lists the value streamers it left active, and ``cancelled`` says
    whether it was cancelled rather than returned; without this error the
    consumer would wait for their ``complete`` messages forever.
    """

    def __init__(self, names: Sequence[str], *, cancelled: bool = False) -> None:
        self.names = list(names)
        self.cancelled = cancelled
        listed = ", ".join(repr(name) for name in self.names)
        how = "was cancelled" if cancelled else "returned"
        super().__init__(
            f"the producer {how} while value streamers {listed} were still active; "
            "call stream_complete() on each before the producer ends"
        )


class RemoteStreamError(KavalaiError, RuntimeError):
    """The Streamer in another process failed; this carries its error's type name and message.

    The exception object itself cannot cross the process boundary, so a Streamer
    rebuilt from the wire (:func:`kavalai.web.connect`, the Redis reader) fails
    with this instead. ``type_name`` is the producer's exception class name, such
    as ``"ConnectionError"``, and ``message`` its text.
    """

    def __init__(self, type_name: str, message: str) -> None:
        self.type_name = type_name
        self.message = message
        super().__init__(f"the remote Streamer failed with {type_name}: {message}")


class StreamRestartedError(KavalaiError, RuntimeError):
    """The producer restarted while a consumer followed one stream's values.

    Raised by :func:`kavalai.operators.stream_values` at a ``restart`` message:
    the values so far are void, and gluing the retry's onto them would show
    text the model never wrote. ``reason`` is the restart message's value.
    """

    def __init__(self, name: str, reason: str | None) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"stream {name!r} restarted ({reason or 'no reason given'}); its values so far are "
            "void: subscribe again (for example with reactivex.operators.retry()) to follow "
            "the retry"
        )


class StreamValidationError(KavalaiError, ValueError):
    """A structured stream's text is not valid JSON for its model, or was cut off.

    Nothing is lost: ``text`` is the raw text the producer sent, ``value`` the
    best-effort JSON value parsed from it, and ``errors`` pydantic's error list
    (or the JSON syntax error), so the caller can show, repair or retry.
    ``truncated`` says the text ended inside the JSON value: the model most
    likely hit its token limit, and what arrived is the start of a longer
    answer, so a retry with a larger limit is the fix rather than a repair.
    """

    def __init__(
        self,
        name: str,
        model_name: str,
        text: str,
        value: object,
        errors: Sequence[Any],
        *,
        truncated: bool = False,
    ) -> None:
        # Any: pydantic's ErrorDetails is a TypedDict; a JSON syntax error is a str.
        self.name = name
        self.text = text
        self.value = value
        self.errors = list(errors)
        self.truncated = truncated
        first = str(self.errors[0]) if self.errors else "no JSON value found"
        if truncated:
            super().__init__(
                f"stream {name!r} was cut off before its JSON value ended, so it is not a "
                f"whole {model_name}: {first}; the raw text is on .text and the best-effort "
                "value on .value; raise the model's output token limit (max_tokens) or ask "
                "for a shorter answer, and retry"
            )
            return
        super().__init__(
            f"stream {name!r} does not validate as {model_name}: {first} "
            f"({len(self.errors)} error(s)); the raw text is on .text and the best-effort "
            "value on .value; fix the prompt or the model, or repair and validate .value"
        )


class StreamerTimeoutException(KavalaiError):
    """Iterating a Streamer waited longer than its ``timeout_seconds`` for a message.

    The name is kept from the original API. ``names`` lists the value streamers
    that were still active, the ones whose producer went quiet.
    """

    def __init__(self, names: Sequence[str], timeout_seconds: float) -> None:
        self.names = list(names)
        self.timeout_seconds = timeout_seconds
        active = ", ".join(repr(name) for name in self.names) or "none"
        super().__init__(
            f"Streamer received no message for {timeout_seconds}s; still active: {active}. "
            "Make sure every value streamer's producer calls stream_complete(), "
            "or raise timeout_seconds."
        )


class BadResumeError(KavalaiError, ValueError):
    """A ``Last-Event-ID`` (or ``?after=``) that is not a position the Streamer gave."""


class EventStreamError(KavalaiError, ValueError):
    """An AG-UI event stream or a UI message stream read in broke its protocol.

    Raised by :func:`kavalai.web.read_ag_ui` and
    :func:`kavalai.web.read_ui_message_stream` (the Streamer they write fails
    with it, after the messages before): an event that is not JSON or lacks a
    field it must have, events out of order (content before its start, an end
    without a start), or a stream that ended before the run did. ``source`` is
    the URL read (or ``"the event iterable"``), ``event`` the number of the
    event (from 1; ``None`` when the stream itself failed) and ``event_type``
    its type.
    """

    def __init__(
        self,
        source: str,
        problem: str,
        fix: str,
        *,
        event: int | None = None,
        event_type: str | None = None,
    ) -> None:
        self.source = source
        self.event = event
        self.event_type = event_type
        where = "" if event is None else f", event {event}"
        if event_type is not None:
            where += f" ({event_type})"
        super().__init__(f"the stream read from {source}{where}: {problem}; {fix}")


class StreamUnavailableError(KavalaiError, LookupError):
    """No answer is at that address for this reader: unknown, expired or not allowed.

    Raised by :func:`kavalai.web.connect` when the server answers that it has
    none, and by :func:`kavalai.redis.subscribe` when the key never appears or
    expires before its answer ended. Still a ``LookupError``, as it was.
    """


class DataLostError(KavalaiError, RuntimeError):
    """Messages of an answer kept outside the process are gone, and the reader saw the gap.

    Raised by :func:`kavalai.redis.subscribe` when the next message is not the
    one it expected and nothing stands for those between (Redis lost them, or
    trimmed them while the reader lagged behind); the message says which and
    what to do. A reader never ends normally over such a gap.
    """


class PublishError(KavalaiError, RuntimeError):
    """A publisher could not write its Streamer's answer where the readers find it.

    :class:`kavalai.redis.Publisher` fails its Streamer with it, so the
    producer's next push raises rather than producing into the void; the
    message names the key and the cause.
    """


class ResponseFailedError(KavalaiError, RuntimeError):
    """The provider reported, inside a stream it had begun, that the response failed.

    ``code`` is the provider's error code (``server_error``,
    ``rate_limit_exceeded``, ...) or ``None``, and ``message`` its text; the
    streams end with it after everything the response wrote before.
    """

    def __init__(self, stream: str, code: str | None, message: str) -> None:
        self.stream = stream
        self.code = code
        self.message = message
        super().__init__(
            f"the response streamed into {stream!r} failed with {code or 'an error'}: "
            f"{message}; what it wrote before is partial: retry the request"
        )


class PathError(KavalaiError):
    """The value does not have the shape the path needs; the message says where.

    Internal to :func:`kavalai.operators.completed_items`, which fails its
    stream with a :class:`StreamValidationError` naming the stream instead.
    """


class BadEscapeError(KavalaiError, ValueError):
    """An escape that JSON does not have; ``at`` is where it begins in the chunk.

    Internal to the JSON engine, which turns it into the parse failure of the
    value it was reading.
    """

    def __init__(self, at: int, message: str) -> None:
        super().__init__(message)
        self.at = at


class NoSchedulerError(KavalaiError, RuntimeError):
    """A pacing operator was subscribed outside a running asyncio loop, with no scheduler."""


class RecordingFormatError(KavalaiError, ValueError):
    """A file is not a recording of this format; the message names the line and what is wrong."""


class RecordingNotFoundError(KavalaiError, FileNotFoundError):
    """A test asked to replay a recording that was never saved; record it first."""


class SseRecordingError(KavalaiError, RuntimeError):
    """An answer cannot be recorded as text: it came compressed."""
