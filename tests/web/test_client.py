"""How connect() reads an SSE body: lines end at CR, LF or CRLF only, as the SSE spec says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from itertools import pairwise

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kavalai import Streamer
from kavalai.web import connect, stream_response
from kavalai.web._sse_read import sse_lines
from kavalai.wire import Record

from ..conftest import Serve

#: Characters that Python's ``str.splitlines`` takes for line ends, and SSE does not.
NOT_LINE_ENDS = ["\u2028", "\u2029", "\x85"]


def app_for(streamer: Streamer) -> Starlette:
    async def endpoint(request: Request) -> Response:
        protocol = request.query_params.get("protocol", "sse")
        return stream_response(request, streamer, protocol)  # type: ignore[arg-type]

    return Starlette(routes=[Route("/stream", endpoint)])


async def test_text_with_unicode_line_separators_crosses_the_wire_whole(serve: Serve) -> None:
    streamer = Streamer(stream_delta=True)
    base = await serve(app_for(streamer))
    answer = streamer.get_value_streamer("answer")
    chunks = [f"line{separator}next" for separator in NOT_LINE_ENDS]
    for chunk in chunks:
        await answer.stream_partial(chunk)
    await answer.stream_complete()
    async with connect(f"{base}/stream") as remote:
        assert [message.value async for message in remote] == [*chunks, None]
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{base}/stream?protocol=ndjson")
    lines = response.text.split("\n")  # NDJSON: a line ends at "\n" only
    records = [Record.from_json(line) for line in lines[:-1]]
    assert [chunk for record in records for chunk in record.chunks] == chunks


def events(line_end: str) -> list[str]:
    """A hand-written kavalai SSE body whose lines end with ``line_end``, as a list of lines."""
    stream = '{"kind":"stream","name":"text","delta":true,"structured":false,"serial":0}'
    partial = '{"kind":"partial","seq":0,"name":"text","chunks":["a\u2028b"]}'
    lines = [
        "event: stream",
        f"data: {stream}",
        "",
        ": a comment",
        "id: 1",
        "event: partial",
        f"data: {partial}",
        "",
        "id: 2",
        "event: complete",
        'data: {"kind":"complete","seq":1,"name":"text"}',
        "",
        "event: end",
        'data: {"kind":"end"}',
        "",
    ]
    return [line + line_end for line in lines]


@pytest.mark.parametrize("line_end", ["\r\n", "\r", "\n"])
async def test_connect_reads_lines_ended_by_cr_lf_or_crlf_cut_anywhere(
    serve: Serve, line_end: str
) -> None:
    body = "".join(events(line_end)).encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        """The body in pieces of 3 bytes, so CRLFs and characters fall across them."""
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for start in range(0, len(body), 3):
            piece = body[start : start + 3]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    base = await serve(app)
    async with connect(f"{base}/stream") as remote:
        assert [message.value async for message in remote] == ["a\u2028b", None]


async def pieces(text: str, *cuts: int) -> AsyncIterator[str]:
    """``text`` cut at the positions ``cuts``, one piece at a time."""
    bounds = [0, *cuts, len(text)]
    for start, end in pairwise(bounds):
        yield text[start:end]


@pytest.mark.parametrize("line_end", ["\r\n", "\r", "\n"])
async def test_sse_lines_are_the_same_wherever_the_body_is_cut(line_end: str) -> None:
    lines = events(line_end)
    body = "".join(lines)
    expected = [line.removesuffix(line_end) for line in lines]
    for cut in range(len(body) + 1):
        assert [line async for line in sse_lines(pieces(body, cut))] == expected, cut
    for cut in range(len(body) - 1):  # an empty piece between a CR and its LF
        assert [line async for line in sse_lines(pieces(body, cut, cut + 1, cut + 1))] == expected


async def test_an_unended_last_line_is_not_a_line() -> None:
    assert [line async for line in sse_lines(pieces("data: a\r\ndata: b", 4))] == ["data: a"]
