"""The ``serve`` command: the demo's recorded answer, live in a browser over kavalai's SSE."""

from __future__ import annotations

from importlib import resources

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .._recording import Event, ResearchAnswer, load_recording, replay
from ..streamer import Streamer
from ._hub import MemoryHub, hub_routes
from ._static import client_module

__all__ = ["demo_app", "serve"]


def demo_app(*, fast: bool = False, events: list[Event] | None = None) -> Starlette:
    """The demo's web app.

    ``GET /`` is the page, ``GET /kavalai.js`` the ES module it follows the
    answer with (:func:`~kavalai.web.client_module`); ``POST /answers``
    starts a replay of the recorded answer into a new Streamer in a hub and
    returns its id; ``GET
    /streams/{id}`` serves it over kavalai's SSE with resume, so the page picks
    up where it was after a reload.

    Args:
        fast: Skip the recorded pauses between chunks.
        events: The recording to replay; the one shipped with kavalai by default.
    """
    hub = MemoryHub()
    recording = load_recording() if events is None else events
    page = resources.files("kavalai.web").joinpath("static/demo.html").read_text("utf-8")

    module = client_module()

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers={"Content-Security-Policy": _POLICY})

    async def script(request: Request) -> Response:
        return Response(module, media_type="text/javascript")

    async def start_answer(request: Request) -> Response:
        streamer = Streamer()
        streams = {
            "thought": streamer.get_value_streamer("thought", stream_delta=True),
            "result": streamer.get_value_streamer("result", response_model=ResearchAnswer),
        }
        streamer.start(replay(streams, recording, fast=fast))  # the Streamer keeps the task
        return JSONResponse({"id": hub.register(streamer)})

    return Starlette(
        routes=[
            Route("/", index),
            Route("/kavalai.js", script),
            Route("/answers", start_answer, methods=["POST"]),
            *hub_routes(hub),
        ]
    )


#: The page runs only its own script and talks only to its own origin.
_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'"
)


def serve(host: str = "127.0.0.1", port: int = 8000, *, fast: bool = False) -> int:
    """Run the demo's web app with uvicorn until interrupted; returns the exit code."""
    import uvicorn

    print(f"kavalai demo: open http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(demo_app(fast=fast), host=host, port=port, log_level="warning")
    return 0
