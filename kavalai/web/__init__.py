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
* :func:`read_ag_ui` and :func:`read_ui_message_stream`: an agent's AG-UI
  event stream, or an AI SDK UI message stream, read into a Streamer, one
  stream per part (names from :func:`ingest_name`).

Every stream travels as its raw chunks, in the records of :mod:`kavalai.wire`.
"""

from __future__ import annotations

from .._extras import missing_extra

try:
    import httpx  # noqa: F401
    import starlette  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise missing_extra("kavalai.web", "Starlette and httpx", "web") from error

from ..errors import EventStreamError
from ._agui_parts import AguiPart, AguiParts, default_agui_part
from ._agui_sse import AguiRun, agui_events
from ._client import StreamUnavailableError, connect
from ._encode import ndjson, sse
from ._hub import Authorize, MemoryHub, StreamHub, hub_routes
from ._ingest_agui import read_ag_ui
from ._ingest_parts import AgentState, IngestNaming, IngestPart, RunFinish, ingest_name
from ._ingest_ui import read_ui_message_stream
from ._response import BadResumeError, StreamResponse, resume_position, stream_response
from ._static import client_module
from ._ui import ui_message_stream

__all__ = [
    "AgentState",
    "AguiPart",
    "AguiParts",
    "AguiRun",
    "Authorize",
    "BadResumeError",
    "EventStreamError",
    "IngestNaming",
    "IngestPart",
    "MemoryHub",
    "RunFinish",
    "StreamHub",
    "StreamResponse",
    "StreamUnavailableError",
    "agui_events",
    "client_module",
    "connect",
    "default_agui_part",
    "hub_routes",
    "ingest_name",
    "ndjson",
    "read_ag_ui",
    "read_ui_message_stream",
    "resume_position",
    "sse",
    "stream_response",
    "ui_message_stream",
]
