"""A hub of resumable answers: Streamers registered under unguessable ids, served over HTTP."""

from __future__ import annotations

import inspect
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol as TypingProtocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..streamer import Streamer
from ._agui_sse import AguiRun
from ._encode import PING_SECONDS
from ._response import SEND_TIMEOUT, BadResumeError, StreamResponse, resume_position

__all__ = ["Authorize", "MemoryHub", "StreamHub", "hub_routes"]

#: ``(request, stream_id) -> allowed``, sync or async.
Authorize = Callable[[Request, str], bool | Awaitable[bool]]

#: Seconds a finished answer stays readable by default.
TTL_SECONDS = 300.0


class StreamHub(TypingProtocol):
    """Where answers are registered under ids and found again, by any request.

    :class:`MemoryHub` keeps them in this process; the Redis hub (``kavalai.redis``)
    keeps them where every worker of a service can reach them.
    """

    def register(self, streamer: Streamer) -> str:
        """Keep ``streamer`` under a new unguessable id and return the id."""
        ...

    async def open(self, stream_id: str) -> Streamer | None:
        """The Streamer to serve for ``stream_id``; None if unknown or expired."""
        ...

    async def stop(self, stream_id: str) -> bool:
        """Close the answer's Streamer, so its producer stops; False if unknown."""
        ...

    async def release(self, streamer: Streamer) -> None:
        """A reader of a Streamer that :meth:`open` gave is done with it."""
        ...


@dataclass
class _Entry:
    streamer: Streamer
    ended_at: float | None = None  # when the Streamer was first seen ended


class MemoryHub:
    """A :class:`StreamHub` in this process's memory.

    Ids carry 128 random bits. A finished answer stays readable for
    ``ttl_seconds`` after it ended; then its id is unknown.

    Args:
        ttl_seconds: How long an ended answer stays readable.
    """

    def __init__(self, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[str, _Entry] = {}
        self._swept = time.monotonic()

    def register(self, streamer: Streamer) -> str:
        self._sweep()
        stream_id = secrets.token_urlsafe(16)
        self._entries[stream_id] = _Entry(streamer)
        return stream_id

    async def open(self, stream_id: str) -> Streamer | None:
        self._sweep()
        entry = self._entries.get(stream_id)
        return None if entry is None else entry.streamer

    async def stop(self, stream_id: str) -> bool:
        entry = self._entries.get(stream_id)
        if entry is None:
            return False
        await entry.streamer.aclose()
        return True

    async def release(self, streamer: Streamer) -> None:
        """Nothing to release: the reader read the registered Streamer itself."""

    def __len__(self) -> int:
        return len(self._entries)

    def _sweep(self) -> None:
        """Forget answers that ended more than ``ttl_seconds`` ago (at most once a second)."""
        now = time.monotonic()
        if now - self._swept < 1.0:
            return
        self._swept = now
        for stream_id, entry in list(self._entries.items()):
            if entry.ended_at is None and entry.streamer.ended:
                entry.ended_at = now
            if entry.ended_at is not None and now - entry.ended_at > self.ttl_seconds:
                del self._entries[stream_id]


def hub_routes(
    hub: StreamHub,
    *,
    prefix: str = "/streams",
    authorize: Authorize | None = None,
    max_readers: int = 8,
    ping_seconds: float = PING_SECONDS,
    send_timeout: float = SEND_TIMEOUT,
) -> list[Route]:
    """Routes that serve a hub's answers: ``GET {prefix}/{id}`` and ``POST {prefix}/{id}/stop``.

    ``GET`` serves kavalai's SSE (``?protocol=ndjson``, ``ui`` or ``ag-ui``
    for the others) and resumes after ``Last-Event-ID``; the producer runs on when a
    reader leaves, for the next one. An unknown, expired or denied id gets
    ``204 No Content``, which tells a browser ``EventSource`` to stop retrying;
    from outside, a denied id looks exactly like one that does not exist. A
    malformed or unknown ``Last-Event-ID`` gets 400. More than ``max_readers``
    readers at once of one answer get 429. AG-UI runs take the answer's id as
    their run id; an AG-UI client's ``POST`` of a ``RunAgentInput`` to the same
    path (``?protocol=ag-ui``, as ``HttpAgent`` sends it) reads the answer
    too, with that input's thread id, state and messages.

    Args:
        hub: Where the answers are.
        prefix: The path the routes live under.
        authorize: Called with the request and the id before every read,
            resume and stop; ``False`` denies.
        max_readers: Open connections allowed per answer.
        ping_seconds: Idle time before an SSE ``: ping`` comment.
        send_timeout: Seconds a reader may stop reading before it is dropped.
    """
    readers: dict[str, int] = {}

    async def allowed(request: Request, stream_id: str) -> bool:
        if authorize is None:
            return True
        verdict = authorize(request, stream_id)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        return bool(verdict)

    async def read(request: Request) -> Response:
        stream_id = request.path_params["stream_id"]
        protocol = request.query_params.get("protocol", "sse")
        if protocol not in ("sse", "ndjson", "ui", "ag-ui"):
            return Response(
                f"unknown protocol {protocol[:20]!r}: use sse, ndjson, ui or ag-ui", 400
            )
        if request.method == "POST" and protocol != "ag-ui":
            return Response("only an AG-UI run (?protocol=ag-ui) is read with POST", 405)
        run = AguiRun(run_id=stream_id)
        if request.method == "POST":
            try:
                run = AguiRun.from_input(await request.json(), run_id=stream_id)
            except (ValueError, AttributeError):
                return Response("the body is not an AG-UI RunAgentInput", 400)
        if await allowed(request, stream_id):
            streamer = await hub.open(stream_id)
        else:
            # Answered as an unknown id is, after the same work (a hub may wait
            # a moment for an id it does not know yet): how long a 204 takes
            # tells nothing of which ids exist.
            streamer = await hub.open(_UNKNOWN + secrets.token_urlsafe(16))
        if streamer is None:
            return Response(status_code=204)
        try:
            # The UI message stream has no positions: its clients resume from the start.
            after = None if protocol == "ui" else resume_position(request, streamer)
        except BadResumeError as error:
            await hub.release(streamer)
            return Response(str(error), 400)
        if readers.get(stream_id, 0) >= max_readers:
            await hub.release(streamer)
            return Response(f"more than {max_readers} readers of this answer", 429)
        response = StreamResponse(
            streamer,
            protocol,  # type: ignore[arg-type]
            after=after,
            disconnect="keep",
            ping_seconds=ping_seconds,
            send_timeout=send_timeout,
            agui=run,
        )
        return _Counted(response, readers, stream_id, hub)

    async def stop(request: Request) -> Response:
        stream_id = request.path_params["stream_id"]
        if await allowed(request, stream_id):
            await hub.stop(stream_id)
        return Response(status_code=204)

    return [
        Route(f"{prefix}/{{stream_id}}", read, methods=["GET", "POST"]),
        Route(f"{prefix}/{{stream_id}}/stop", stop, methods=["POST"]),
    ]


#: What a denied id is looked up as: no registered id starts with it.
_UNKNOWN = "denied:"


class _Counted(Response):
    """A response that counts itself among the open readers of an answer while it runs."""

    def __init__(
        self, response: StreamResponse, readers: dict[str, int], stream_id: str, hub: StreamHub
    ) -> None:
        self._response = response
        self._readers = readers
        self._stream_id = stream_id
        self._hub = hub
        readers[stream_id] = readers.get(stream_id, 0) + 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._response(scope, receive, send)
        finally:
            left = self._readers[self._stream_id] - 1
            if left:
                self._readers[self._stream_id] = left
            else:
                del self._readers[self._stream_id]
            await self._hub.release(self._response.streamer)
