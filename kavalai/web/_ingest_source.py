"""Where a run read in comes from: an HTTP endpoint's server-sent events, or an async iterable.

:func:`drive` reads the events into a :class:`~kavalai.web._ingest.Run` and
owns the source's cleanup: however the reading ends (the run's end, a bad
event, a failed connection, the Streamer closed because nobody listens, a
cancellation), the source is closed, and with it the HTTP request.
"""

from __future__ import annotations

import codecs
import inspect
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping

import httpx
from pydantic import BaseModel

from ..errors import EventStreamError, StreamClosedError
from ._ingest import Run
from ._sse_read import SseLines

__all__ = ["MAX_EVENT_CHARS", "describe", "drive", "events_of"]

#: How much of an error answer's body the error quotes.
_QUOTED = 300

#: The longest event read, in characters: a longer one is a server gone wrong, not an event.
MAX_EVENT_CHARS = 16 * 1024 * 1024


def describe(source: object) -> str:
    """How errors name a source: its URL, or the iterable it is."""
    return source if isinstance(source, str) else "the event iterable"


def events_of(
    source: str | AsyncIterable[object],
    body: object,
    headers: Mapping[str, str] | None,
    client: httpx.AsyncClient | None,
) -> AsyncIterator[list[object]]:
    """The events of a source in batches: its answer's if a URL, else its own."""
    if isinstance(source, str):
        return _answer_events(source, body, headers, client)
    return _one_by_one(source)


async def _answer_events(
    url: str,
    body: object,
    headers: Mapping[str, str] | None,
    client: httpx.AsyncClient | None,
) -> AsyncIterator[list[object]]:
    """The data of the server-sent events of the answer to a request, as text, in batches.

    The request is a POST of ``body`` as JSON (a pydantic model by its
    aliases, as protocol models name their fields), or a GET without one.
    Each batch holds the events that one read of the body completed, so a
    fast stream costs one step of the loop per read rather than per event.
    An answer that is not a 2xx ``text/event-stream``, a failed connection
    and a body that ends inside an event raise :class:`EventStreamError`.
    """
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json", by_alias=True)
    owned = client is None
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None)) if client is None else client
    request_headers = {"Accept": "text/event-stream", **(headers or {})}
    try:
        async with http.stream(
            "GET" if body is None else "POST", url, json=body, headers=request_headers
        ) as response:
            await _check(url, response)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            lines = SseLines()
            data: list[str] = []
            size = 0  # of the event under way
            async for chunk in response.aiter_bytes():
                events: list[object] = []
                for line in lines.feed(decoder.decode(chunk)):
                    if not line:
                        if data:
                            events.append(data[0] if len(data) == 1 else "\n".join(data))
                            data.clear()
                            size = 0
                    elif line.startswith("data:"):
                        data.append(line[6:] if line.startswith("data: ") else line[5:])
                        size += len(line)
                    elif line == "data":
                        data.append("")
                if size + lines.pending > MAX_EVENT_CHARS:
                    raise EventStreamError(
                        url,
                        f"an event is longer than {MAX_EVENT_CHARS:,} characters",
                        "the server sends something other than events: check it",
                    )
                if events:
                    yield events
            if data:
                raise EventStreamError(
                    url,
                    "the body ended inside an event",
                    "the server stopped mid-event (it crashed or the connection was cut): "
                    "retry the run",
                )
    except httpx.TransportError as error:
        raise EventStreamError(
            url, f"the connection failed: {error!r}", "check the server and retry the run"
        ) from error
    finally:
        if owned:
            await http.aclose()


async def _one_by_one(events: AsyncIterable[object]) -> AsyncIterator[list[object]]:
    """The events of an iterable, each a batch of its own; the iterable closed at the end."""
    iterator = aiter(events)
    try:
        async for event in iterator:
            yield [event]
    finally:
        await _close(iterator)


async def _check(url: str, response: httpx.Response) -> None:
    if not response.is_success:
        text = (await response.aread())[:_QUOTED].decode("utf-8", "replace")
        raise EventStreamError(
            url,
            f"the server answered {response.status_code} {response.reason_phrase}: {text!r}",
            "check the URL, the headers and the request body",
        )
    kind = response.headers.get("content-type", "")
    if not kind.startswith("text/event-stream"):
        raise EventStreamError(
            url,
            f"the server answered with content type {kind!r}, not text/event-stream",
            "check that the URL is the agent's streaming endpoint",
        )


async def drive(
    run: Run,
    batches: AsyncIterator[list[object]],
    handle: Callable[[object], Awaitable[str | None]],
    last_event: str,
) -> None:
    """Read the events into ``run`` until ``handle`` says the run ended.

    ``handle`` returns the event's type, or ``None`` once the run is over (the
    rest of the stream is not read). A source that ends before then fails the
    Streamer with :class:`EventStreamError`, saying which streams were open,
    as does a bad event; an error the source raises fails it with that error;
    a closed Streamer ends the reading quietly. The source is closed however
    the reading ends.
    """
    try:
        count = 0
        async for batch in batches:
            for event in batch:
                count += 1
                run.number, run.event_type = count, None
                if await handle(event) is None:
                    return
        run.number = run.event_type = None
        open_streams = ", ".join(repr(name) for name in run.open_streams()) or "none"
        run.bad(
            f"it ended after {count} events, before {last_event} (streams open: {open_streams})",
            "the connection was cut or the agent stopped: retry the run",
        )
    except StreamClosedError:
        return
    except Exception as error:
        try:
            run.finish.on_error(error)
        except StreamClosedError:
            return
    finally:
        await _close(batches)


async def _close(source: object) -> None:
    closer = getattr(source, "aclose", None)
    if closer is not None:
        result = closer()
        if inspect.isawaitable(result):
            await result
