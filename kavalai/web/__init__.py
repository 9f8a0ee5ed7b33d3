"""kavalai.web: serve a Streamer over HTTP, resume after a drop, and follow one from afar.

Needs the ``web`` extra: ``pip install 'kavalai[web]'`` (Starlette, httpx, uvicorn).

* Encoders, for any ASGI framework's streaming response: :func:`sse` (kavalai's
  server-sent events: each message with its position as the event id),
  :func:`ndjson` (the same records, one JSON object per line) and
  :func:`ui_message_stream` (the Vercel AI SDK UI message stream, for ``useChat``)
  and :func:`agui_events` (AG-UI events, resumable, for ``@ag-ui/client`` and
  CopilotKit; :func:`default_agui_part` says what each stream becomes).
* :class:`StreamResponse` and :func:`stream_response`: Starlette responses
  (they work in FastAPI) with resume after ``Last-Event-ID`` and a disconnect
  policy.
* :class:`MemoryHub` and :func:`hub_routes`: resumable answers under
  unguessable ids, with an authorization hook.
* :func:`connect`: a Streamer in this process that follows a served one.

Every stream travels as its raw chunks, in the records of :mod:`kavalai.wire`.
"""

from __future__ import annotations

from .._extras import missing_extra

try:
    import httpx  # noqa: F401
    import starlette  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.web", "Starlette and httpx", "web") from error

from ._agui_parts import AguiPart, AguiParts, default_agui_part
from ._agui_sse import AguiRun, agui_events
from ._client import StreamUnavailableError, connect
from ._encode import ndjson, sse
from ._hub import Authorize, MemoryHub, StreamHub, hub_routes
from ._response import BadResumeError, StreamResponse, resume_position, stream_response
from ._static import client_module
from ._ui import ui_message_stream

__all__ = [
    "AguiPart",
    "AguiParts",
    "AguiRun",
    "Authorize",
    "BadResumeError",
    "MemoryHub",
    "StreamHub",
    "StreamResponse",
    "StreamUnavailableError",
    "agui_events",
    "client_module",
    "connect",
    "default_agui_part",
    "hub_routes",
    "ndjson",
    "resume_position",
    "sse",
    "stream_response",
    "ui_message_stream",
]
