"""Where a run read in comes from: an HTTP endpoint's server-sent events, or an async iterable.

:func:`drive` reads the events into a :class:`~kavalai.web._ingest.Run` and
owns the source's cleanup: however the reading ends (the run's end, a bad
event, a failed connection, the Streamer closed because nobody listens, a
cancellation), the source is closed, and with it the HTTP request.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping

import httpx
from pydantic import BaseModel

from ..errors import EventStreamError, StreamClosedError
from ._ingest import Run
from ._sse_read import sse_lines, utf8_texts

__all__ = ["describe", "drive", "sse_events"]

#: How much of an error answer's body the error quotes.
_QUOTED = 300


def describe(source: object) -> str:
    """How errors name a source: its URL, or the iterable it is."""
    return source if isinstance(source, str) else "the event iterable"


async def sse_events(
    url: str,
    body: object,
    headers: Mapping[str, str] | None,
    client: httpx.AsyncClient | None,
) -> AsyncIterator[str]:
    """The data of each server-sent event of the answer to a request, as text.

    The request is a POST of ``body`` as JSON (a pydantic model by its
    aliases, as protocol models name their fields), or a GET without one. An answer
    that is not a 2xx ``text/event-stream``, a failed connection and a body
    that ends inside an event raise :class:`EventStreamError`.
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
            data: list[str] = []
            async for line in sse_lines(utf8_texts(response.aiter_bytes())):
                if not line:
                    if data:
                        yield "\n".join(data)
                        data.clear()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                elif line == "data":
                    data.append("")
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
    events: AsyncIterable[object],
    handle: Callable[[object], Awaitable[str | None]],
    last_event: str,
) -> None:
    """Read ``events`` into ``run`` until ``handle`` says the run ended.

    ``handle`` returns the event's type, or ``None`` once the run is over (the
    rest of the stream is not read). A source that ends before then fails the
    Streamer with :class:`EventStreamError`, saying which streams were open,
    as does a bad event; an error the source raises fails it with that error;
    a closed Streamer ends the reading quietly.
    """
    try:
        count = 0
        async for event in events:
            count += 1
            run.at = (count, None)
            if await handle(event) is None:
                return
        run.at = (None, None)
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
        await _close(events)


async def _close(source: object) -> None:
    closer = getattr(source, "aclose", None)
    if closer is not None:
        result = closer()
        if inspect.isawaitable(result):
            await result
