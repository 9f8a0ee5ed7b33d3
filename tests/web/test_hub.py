"""Resumable answers in a hub, served by hub_routes over a real uvicorn server."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from kavalai import StreamClosedError, Streamer
from kavalai.web import MemoryHub, StreamUnavailableError, connect, hub_routes

from ..conftest import Serve


async def hello(streamer: Streamer) -> None:
    result = streamer.get_value_streamer("result")
    await result.stream_partial("Hello,")
    await result.stream_partial(" world!")
    await result.stream_complete()


def allow_header(request: Request, stream_id: str) -> bool:
    return request.headers.get("authorization") == f"Bearer {stream_id[:4]}"


async def test_ids_are_unguessable_and_distinct() -> None:
    hub = MemoryHub()
    ids = {hub.register(Streamer()) for _ in range(100)}
    assert len(ids) == 100
    assert all(len(stream_id) >= 22 for stream_id in ids)  # 16 random bytes, base64


async def test_a_registered_answer_is_served_and_resumed(serve: Serve) -> None:
    hub = MemoryHub()
    base = await serve(Starlette(routes=hub_routes(hub)))
    streamer = Streamer()
    stream_id = hub.register(streamer)
    await hello(streamer)
    async with connect(f"{base}/streams/{stream_id}") as remote:
        assert [m.value async for m in remote] == ["Hello,", "Hello, world!", "Hello, world!"]
    async with connect(f"{base}/streams/{stream_id}", after=0) as remote:
        # Only what follows position 0 is here: the value is built from " world!" on.
        assert [m.value async for m in remote] == [" world!", " world!"]


async def test_an_unknown_id_gets_204_so_event_source_stops(serve: Serve) -> None:
    base = await serve(Starlette(routes=hub_routes(MemoryHub())))
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{base}/streams/nope")
    assert response.status_code == 204
    with pytest.raises(StreamUnavailableError, match="unknown, expired or not allowed"):
        async with connect(f"{base}/streams/nope") as remote:
            [m async for m in remote]


async def test_a_denied_id_looks_exactly_like_an_unknown_one(serve: Serve) -> None:
    hub = MemoryHub()
    base = await serve(Starlette(routes=hub_routes(hub, authorize=allow_header)))
    streamer = Streamer()
    stream_id = hub.register(streamer)
    await hello(streamer)
    async with httpx.AsyncClient() as client:
        denied = await client.get(f"{base}/streams/{stream_id}")
        unknown = await client.get(f"{base}/streams/nope")
        allowed = await client.get(
            f"{base}/streams/{stream_id}", headers={"authorization": f"Bearer {stream_id[:4]}"}
        )
    assert (denied.status_code, denied.content) == (unknown.status_code, unknown.content)
    assert sorted(denied.headers) == sorted(unknown.headers)
    assert allowed.status_code == 200
    assert "Hello" in allowed.text


class LookUps(MemoryHub):
    """A MemoryHub that notes each id it is asked to open, and what it found."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[tuple[str, bool]] = []

    async def open(self, stream_id: str) -> Streamer | None:
        found = await super().open(stream_id)
        self.opened.append((stream_id, found is not None))
        return found


async def test_a_denied_id_takes_the_path_of_an_unknown_one(serve: Serve) -> None:
    # The hub's own work decides how long a 204 takes (a Redis hub waits a
    # moment for an id it does not know yet): a denied id must cost the same.
    hub = LookUps()
    base = await serve(Starlette(routes=hub_routes(hub, authorize=lambda request, id: id != "x")))
    stream_id = hub.register(Streamer())
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/streams/unknown")).status_code == 204
        assert (await client.get(f"{base}/streams/x")).status_code == 204
    (unknown, unknown_found), (denied, denied_found) = hub.opened
    assert (unknown, unknown_found, denied_found) == ("unknown", False, False)
    assert denied not in ("x", stream_id)  # looked up as an id that exists nowhere


async def test_stop_closes_the_answer_and_goes_through_authorization(serve: Serve) -> None:
    hub = MemoryHub()
    base = await serve(Starlette(routes=hub_routes(hub, authorize=allow_header)))
    streamer = Streamer()
    stream_id = hub.register(streamer)
    result = streamer.get_value_streamer("result")
    await result.stream_partial("working")
    async with httpx.AsyncClient() as client:
        denied = await client.post(f"{base}/streams/{stream_id}/stop")
        await result.stream_partial(" still")  # a denied stop changes nothing
        stopped = await client.post(
            f"{base}/streams/{stream_id}/stop",
            headers={"authorization": f"Bearer {stream_id[:4]}"},
        )
    assert denied.status_code == stopped.status_code == 204
    with pytest.raises(StreamClosedError):
        await result.stream_partial(" no more")


class WatchedHub(MemoryHub):
    """A MemoryHub that tells when the server is done with a reader of an answer."""

    def __init__(self) -> None:
        super().__init__()
        self.released = asyncio.Event()

    async def release(self, streamer: Streamer) -> None:
        await super().release(streamer)
        self.released.set()


async def test_a_reader_leaving_lets_the_producer_run_on(serve: Serve) -> None:
    hub = WatchedHub()
    base = await serve(Starlette(routes=hub_routes(hub)))
    streamer = Streamer(stream_delta=True)
    stream_id = hub.register(streamer)
    result = streamer.get_value_streamer("result")
    await result.stream_partial("first")
    async with (
        httpx.AsyncClient() as client,
        client.stream("GET", f"{base}/streams/{stream_id}") as response,
    ):
        async for line in response.aiter_lines():
            if "first" in line:
                break
    await hub.released.wait()  # the server has seen the reader leave and let go
    await result.stream_partial(" and more")  # kept: no StreamClosedError
    await result.stream_complete()
    async with connect(f"{base}/streams/{stream_id}") as remote:  # the next reader
        assert [m.value async for m in remote] == ["first", " and more", None]


async def test_too_many_readers_of_one_answer_get_429(serve: Serve) -> None:
    hub = MemoryHub()
    base = await serve(Starlette(routes=hub_routes(hub, max_readers=2)))
    streamer = Streamer()
    stream_id = hub.register(streamer)
    streamer.get_value_streamer("result")
    async with httpx.AsyncClient() as client:
        url = f"{base}/streams/{stream_id}"
        async with client.stream("GET", url) as first, client.stream("GET", url) as second:
            assert (first.status_code, second.status_code) == (200, 200)
            third = await client.get(url)
            assert third.status_code == 429


async def test_a_finished_answer_expires_after_its_ttl() -> None:
    hub = MemoryHub(ttl_seconds=0.0)
    streamer = Streamer()
    stream_id = hub.register(streamer)
    await hello(streamer)
    hub._swept = 0.0  # let the next call sweep
    assert await hub.open(stream_id) is streamer  # seen ended now: the ttl starts
    await asyncio.sleep(0.01)
    hub._swept = 0.0
    assert await hub.open(stream_id) is None


async def test_bad_protocol_and_resume_positions_get_400(serve: Serve) -> None:
    hub = MemoryHub()
    base = await serve(Starlette(routes=hub_routes(hub)))
    streamer = Streamer()
    stream_id = hub.register(streamer)
    await hello(streamer)
    async with httpx.AsyncClient() as client:
        protocol = await client.get(f"{base}/streams/{stream_id}?protocol=xml")
        resume = await client.get(f"{base}/streams/{stream_id}", headers={"Last-Event-ID": "x"})
    assert protocol.status_code == resume.status_code == 400
