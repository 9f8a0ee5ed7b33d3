"""Starlette responses that serve a Streamer, with resume and a disconnect policy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import aclosing
from typing import Literal

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from ..errors import BadResumeError
from ..streamer import Streamer
from ..wire import RecordReader
from ._agui_sse import AguiRun, agui_events
from ._encode import LINGER_SECONDS, PING_SECONDS, ndjson_lines, sse_events
from ._ui import ui_message_stream

__all__ = [
    "SEND_TIMEOUT",
    "BadResumeError",
    "Disconnect",
    "Protocol",
    "StreamResponse",
    "resume_position",
    "stream_response",
]

Protocol = Literal["sse", "ndjson", "ui", "ag-ui"]
Disconnect = Literal["close", "keep"]

_MEDIA_TYPES: dict[str, str] = {
    "sse": "text/event-stream",
    "ndjson": "application/x-ndjson",
    "ui": "text/event-stream",
    "ag-ui": "text/event-stream",
}

#: Seconds a client may leave the response unread before it is dropped.
SEND_TIMEOUT = 30.0

_PING = b": ping\n\n"  # an SSE comment: keeps proxies from closing an idle stream


class StreamResponse(Response):
    """Serves a Streamer's messages as a streaming HTTP response, in any ASGI framework.

    Works in Starlette and FastAPI (return it from an endpoint). The response is
    one independent consumer of the Streamer. It is never cached, buffered by
    a proxy (``X-Accel-Buffering: no``) or compressed (``Content-Encoding:
    identity`` keeps compression middleware off: a gzip buffer would hold
    messages back).

    When the client goes away before the end, ``disconnect`` decides: ``"close"``
    (the default, for a one-shot answer) closes the Streamer, so producers get
    :class:`~kavalai.StreamClosedError` at their next push and stop spending
    tokens, and started producers are cancelled; ``"keep"`` (for a resumable
    answer) lets the producer run on for the next reader. A client that leaves
    the response unread for ``send_timeout`` seconds is dropped the same way.

    Args:
        streamer: The Streamer to serve.
        protocol: ``"sse"`` (kavalai's server-sent events), ``"ndjson"`` (the
            same records, one JSON object per line), ``"ui"`` (the AI SDK UI
            message stream, for ``useChat``) or ``"ag-ui"`` (AG-UI events,
            resumable: see :func:`~kavalai.web.agui_events`).
        after: Serve the messages after this position; see :func:`resume_position`.
        disconnect: ``"close"`` or ``"keep"``, as above.
        ping_seconds: For SSE and the UI message stream, a ``: ping`` comment after
            this long idle.
        send_timeout: Seconds a client may stop reading before it is dropped.
        reasoning: For ``"ui"``: text streams to send as reasoning parts.
        tool_calls: For ``"ui"``: structured streams that are tool calls, each
            name mapped to its tool's name.
        agui: For ``"ag-ui"``: the run's ids, the mapping of streams and what
            the client started from (by default a run of random id).
        headers: More response headers.
    """

    def __init__(
        self,
        streamer: Streamer,
        protocol: Protocol = "sse",
        *,
        after: int | None = None,
        disconnect: Disconnect = "close",
        ping_seconds: float = PING_SECONDS,
        send_timeout: float = SEND_TIMEOUT,
        reasoning: Collection[str] = (),
        tool_calls: Mapping[str, str] | None = None,
        agui: AguiRun | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if protocol not in _MEDIA_TYPES:
            raise ValueError(f"protocol must be 'sse', 'ndjson', 'ui' or 'ag-ui', got {protocol!r}")
        if disconnect not in ("close", "keep"):
            raise ValueError(f"disconnect must be 'close' or 'keep', got {disconnect!r}")
        if protocol == "ui" and after is not None:
            raise ValueError(
                "the UI message stream has no positions to resume after; serve it from the "
                "start (after=None), or use protocol 'sse', 'ndjson' or 'ag-ui' to resume"
            )
        self.streamer = streamer
        self.protocol = protocol
        self.after = after
        self.disconnect = disconnect
        self.ping_seconds = ping_seconds
        self.send_timeout = send_timeout
        self.reasoning = frozenset(reasoning)
        self.tool_calls = dict(tool_calls or {})
        self.agui = agui or AguiRun()
        self.status_code = 200
        self.background = None
        self.media_type = _MEDIA_TYPES[protocol]
        wire_headers = {
            "Cache-Control": "no-cache, no-transform",
            "X-Accel-Buffering": "no",
            "Content-Encoding": "identity",
        }
        if protocol == "ui":
            wire_headers["x-vercel-ai-ui-message-stream"] = "v1"
        self.init_headers({**wire_headers, **(headers or {})})
        streamer.check_position(after)  # a bad one fails here, before the response starts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        finished = False
        # When the send under way began (None: none is), and when the last one
        # ended: one watchdog checks them, rather than timers around every send
        # and every wait, and pings an idle SSE stream.
        sending_since: float | None = None
        # The clock anyio.sleep goes by; anyio.current_time would look the backend up each call.
        clock = asyncio.get_running_loop().time
        last_sent = clock()
        pings = self.protocol != "ndjson"  # an SSE comment: the UI stream is SSE too
        every = min(self.send_timeout / 4, self.ping_seconds / 2 if pings else self.send_timeout)

        async def write(body: bytes) -> None:
            nonlocal sending_since, last_sent
            if group.cancel_scope.cancel_called:
                # The client left or stopped reading. A server may take sends for a
                # gone client without waiting (uvicorn does), and a body woken by
                # every push may never be waiting when the cancellation is delivered.
                raise ConnectionResetError("the client went away")
            sending_since = clock()
            await send({"type": "http.response.body", "body": body, "more_body": True})
            sending_since = None
            last_sent = clock()

        async with anyio.create_task_group() as group:

            async def watch_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            async def watch_sends() -> None:
                nonlocal last_sent
                while True:
                    await anyio.sleep(every)
                    started = sending_since
                    if started is not None and clock() - started > self.send_timeout:
                        group.cancel_scope.cancel()  # the client stopped reading
                        return
                    if pings and started is None and clock() - last_sent >= self.ping_seconds:
                        last_sent = clock()
                        # Timed like any send: this task is the only one that times them.
                        with anyio.move_on_after(self.send_timeout) as ping:
                            await send(
                                {"type": "http.response.body", "body": _PING, "more_body": True}
                            )
                        if ping.cancelled_caught:
                            group.cancel_scope.cancel()  # the client stopped reading
                            return

            group.start_soon(watch_disconnect)
            group.start_soon(watch_sends)
            try:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
                )
                await self._write_body(write)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                finished = True
            except OSError:
                finished = False  # the client went away mid-send
            finally:
                group.cancel_scope.cancel()
                if not finished and self.disconnect == "close":
                    self.streamer.close()  # the client left, or the response failed

    async def _write_body(self, write: Callable[[bytes], Awaitable[None]]) -> None:
        """Write the messages as they come: the wire records of each read, or UI parts."""
        if self.protocol == "ui":
            parts = ui_message_stream(
                self.streamer, reasoning=self.reasoning, tool_calls=self.tool_calls
            )
            async with aclosing(parts):
                async for text in parts:
                    await write(text.encode())
            return
        if self.protocol == "ag-ui":
            run = self.agui
            events = agui_events(
                self.streamer,
                self.after,
                thread_id=run.thread_id,
                run_id=run.run_id,
                parts=run.parts,
                state=run.state,
                messages=run.messages,
                ping_seconds=None,  # the watchdog pings
            )
            async with aclosing(events):
                async for text in events:
                    await write(text.encode())
            return
        # SSE and NDJSON: records go out as each read returns them, with no
        # generator between; an SSE stream's pings come from the watchdog.
        encode = sse_events if self.protocol == "sse" else ndjson_lines
        reader = RecordReader(self.streamer, self.after)
        try:
            while not reader.done:
                records = await reader.read(None, LINGER_SECONDS)
                if records:  # without a timeout, a read returns records until the last
                    await write(encode(records).encode())
        finally:
            await reader.aclose()


def resume_position(request: Request, streamer: Streamer) -> int | None:
    """The position a request resumes after: ``Last-Event-ID``, or ``?after=``.

    Raises:
        BadResumeError: the value is not a decimal position of ``streamer``.
    """
    raw = request.headers.get("last-event-id", request.query_params.get("after"))
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise BadResumeError(
            f"Last-Event-ID {raw[:40]!r} is not a position; send the id of the last event "
            "received, or none to start from the first"
        )
    after = int(raw)
    try:
        streamer.check_position(after)
    except ValueError as error:
        raise BadResumeError(str(error)) from None
    return after


def stream_response(
    request: Request,
    streamer: Streamer,
    protocol: Protocol = "sse",
    *,
    disconnect: Disconnect = "close",
    ping_seconds: float = PING_SECONDS,
    send_timeout: float = SEND_TIMEOUT,
    reasoning: Collection[str] = (),
    tool_calls: Mapping[str, str] | None = None,
    agui: AguiRun | None = None,
) -> Response:
    """A :class:`StreamResponse` that resumes after the request's ``Last-Event-ID``.

    The arguments are those of :class:`StreamResponse`. A malformed or unknown
    position gets a 400 response that says why, never a silent replay from the
    start.
    """
    try:
        # The UI message stream has no positions: its clients resume from the start.
        after = None if protocol == "ui" else resume_position(request, streamer)
    except BadResumeError as error:
        return PlainTextResponse(str(error), status_code=400)
    return StreamResponse(
        streamer,
        protocol,
        after=after,
        disconnect=disconnect,
        ping_seconds=ping_seconds,
        send_timeout=send_timeout,
        reasoning=reasoning,
        tool_calls=tool_calls,
        agui=agui,
    )
