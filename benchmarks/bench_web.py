"""kavalai.web under load, beside a bare SSE generator through the same server.

Run: ``python benchmarks/bench_web.py [clients]``. Prints figures; asserts nothing.

One uvicorn process on 127.0.0.1 (a child process, one core); the clients run in
this process on plain sockets, so the client side costs little. Both routes are
served with uvicorn's h11 parser, named rather than left to ``"auto"``, so the
figures do not change with whether httptools happens to be installed.

1. 1,000 concurrent SSE clients, each reading its own 200-message delta answer:
   a producer per answer pushes 200 chunks, each the time it was pushed, and
   hands the loop over between pushes. Messages per second over the whole run,
   and p50/p99 latency from push to client. The floor is a bare async
   generator writing the same number of SSE frames (same payload) through a
   plain Starlette ``StreamingResponse`` in the same server. Target: >= 70% of
   the floor's messages per second.
2. Bytes on the wire for a 256 KiB cumulative text in 16-byte chunks, against
   the text's UTF-8 size (target <= 2x).
3. Resume: a client drops after a random number of messages and reconnects
   with ``Last-Event-ID``: time from the reconnect to the first resumed message.
4. AG-UI: the same 1,000 clients of protocol ``"ag-ui"`` beside ``"sse"`` (target
   >= 0.8x); bytes on the wire for a 256 KiB structured value in 16-byte chunks
   as state deltas (target <= 2x); and a client resuming after a folded position
   of a finished 5,000-message answer: time to its first event with a position.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import AsyncIterator

from _child_server import child_server
from starlette.applications import Starlette

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1000
MESSAGES = 200
TEXT_BYTES = 256 * 1024
# A structured value of about 256 KiB: a title and items, as an answer would have.
STRUCTURED = {
    "title": "Trip",
    "items": [
        {"day": day, "plan": f"Walk along the river, lunch at {day}, a museum.", "cost": 12.5}
        for day in range(3500)
    ],
}
STAMP = len(f"{time.time():.6f}")  # the length of one chunk of /answer


def server_app() -> Starlette:
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    from kavalai import Streamer
    from kavalai.web import MemoryHub, StreamResponse, hub_routes
    from kavalai.wire import StructuredValue

    hub = MemoryHub()

    async def answer(request: Request) -> Response:
        protocol = request.query_params.get("protocol", "sse")
        streamer = Streamer(stream_delta=True)
        text = streamer.get_value_streamer("answer")

        async def produce() -> None:
            for _ in range(MESSAGES):
                await text.stream_partial(f"{time.time():.6f}")
                await asyncio.sleep(0)
            await text.stream_complete()

        streamer.start(produce())
        return StreamResponse(streamer, protocol)  # type: ignore[arg-type]

    async def floor(request: Request) -> Response:
        async def frames() -> AsyncIterator[str]:
            for seq in range(MESSAGES):
                chunk = json.dumps(
                    {
                        "kind": "partial",
                        "seq": seq,
                        "name": "answer",
                        "chunks": [f"{time.time():.6f}"],
                    },
                    separators=(",", ":"),
                )
                yield f"id: {seq}\nevent: partial\ndata: {chunk}\n\n"
                await asyncio.sleep(0)
            yield 'event: end\ndata: {"kind":"end"}\n\n'

        return StreamingResponse(frames(), media_type="text/event-stream")

    async def cumulative(request: Request) -> Response:
        streamer = Streamer()
        text = streamer.get_value_streamer("text")
        value = "é" * (TEXT_BYTES // 2)  # 256 KiB of UTF-8 in two-byte characters

        async def produce() -> None:
            for offset in range(0, len(value), 8):  # 16 bytes a chunk
                await text.stream_partial(value[offset : offset + 8])
                await asyncio.sleep(0)
            await text.stream_complete()

        streamer.start(produce())
        return StreamResponse(streamer)

    async def resumable(request: Request) -> Response:
        streamer = Streamer(stream_delta=True)
        stream_id = hub.register(streamer)
        text = streamer.get_value_streamer("answer")

        async def produce() -> None:
            for _ in range(MESSAGES):
                await text.stream_partial(f"{time.time():.6f}")
                await asyncio.sleep(0.002)
            await text.stream_complete()

        streamer.start(produce())
        return Response(stream_id)

    async def structured(request: Request) -> Response:
        streamer = Streamer(stream_delta=True)
        plan = streamer.get_value_streamer("plan", response_model=StructuredValue)
        text = json.dumps(STRUCTURED)

        async def produce() -> None:
            for offset in range(0, len(text), 16):
                await plan.stream_partial(text[offset : offset + 16])
                await asyncio.sleep(0)
            await plan.stream_complete()

        streamer.start(produce())
        return StreamResponse(streamer, "ag-ui")

    finished: list[Streamer] = []  # a finished answer whose first positions are folded

    async def folded(request: Request) -> Response:
        if not finished:
            long_answer = Streamer(stream_delta=True)
            text = long_answer.get_value_streamer("text")
            for index in range(5000):
                await text.stream_partial(f"word {index} ")
            await text.stream_complete()
            finished.append(long_answer)
        return StreamResponse(finished[0], "ag-ui", after=10, disconnect="keep")

    return Starlette(
        routes=[
            Route("/structured", structured),
            Route("/folded", folded),
            Route("/answer", answer),
            Route("/floor", floor),
            Route("/cumulative", cumulative),
            Route("/resumable", resumable, methods=["POST"]),
            *hub_routes(hub, max_readers=CLIENTS),
        ]
    )


def run_server(port: int) -> None:
    import uvicorn

    uvicorn.run(
        server_app(),
        host="127.0.0.1",
        port=port,
        http="h11",
        log_level="warning",
        backlog=4096,
        timeout_keep_alive=30,
    )


async def request(
    port: int, method: str, path: str, headers: str = ""
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    # HTTP/1.0: the body comes as it is, not in chunks, and ends with the connection.
    writer.write(
        f"{method} {path} HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n{headers}\r\n".encode()
    )
    await writer.drain()
    return reader, writer


async def read_sse(port: int, path: str, latencies: list[float]) -> tuple[int, int]:
    """Read one SSE response to its end: (messages, bytes of the body)."""
    reader, writer = await request(port, "GET", path)
    await reader.readuntil(b"\r\n\r\n")
    body = 0
    messages = 0
    buffer = b""
    done = False
    while not done:
        data = await reader.read(65536)
        if not data:
            break
        body += len(data)
        buffer += data
        *frames, buffer = buffer.split(b"\n\n")
        now = time.time()
        for frame in frames:
            start = frame.find(b"data: ")
            if start < 0:
                continue
            record = json.loads(frame[start + 6 :])
            kind = record.get("kind") or record["type"]
            if kind == "TEXT_MESSAGE_CONTENT":  # AG-UI: one delta for the chunks gathered
                delta = record["delta"]
                for offset in range(0, len(delta), STAMP):
                    messages += 1
                    latencies.append(now - float(delta[offset : offset + STAMP]))
            elif kind in ("RUN_FINISHED", "RUN_ERROR"):
                done = True
            elif kind == "partial":
                for chunk in record["chunks"]:
                    messages += 1
                    latencies.append(now - float(chunk))
            elif kind in ("end", "error"):
                done = True
    writer.close()
    return messages, body


async def load(port: int, path: str) -> tuple[float, list[float]]:
    latencies: list[float] = []
    start = time.perf_counter()
    counts = await asyncio.gather(*(read_sse(port, path, latencies) for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - start
    total = sum(messages for messages, _ in counts)
    assert total == CLIENTS * MESSAGES, (total, CLIENTS * MESSAGES)
    return total / elapsed, latencies


async def wire_bytes(port: int, path: str = "/cumulative", last: bytes = b'"kind":"end"') -> int:
    reader, writer = await request(port, "GET", path)
    await reader.readuntil(b"\r\n\r\n")
    body = 0
    tail = b""
    while data := await reader.read(65536):
        body += len(data)
        tail = (tail + data)[-200:]
        if last in tail:
            break
    writer.close()
    return body


async def resume_once(port: int, rng: random.Random) -> float:
    """Seconds from a reconnect with Last-Event-ID to its first resumed message."""
    reader, writer = await request(port, "POST", "/resumable")
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(
        next(
            line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        ).split(b":")[1]
    )
    stream_id = (await reader.readexactly(length)).decode()
    writer.close()
    reader, writer = await request(port, "GET", f"/streams/{stream_id}")
    await reader.readuntil(b"\r\n\r\n")
    drop_after = rng.randint(1, MESSAGES // 2)
    last_id = None
    while last_id is None or last_id < drop_after:
        frame = await reader.readuntil(b"\n\n")
        if frame.startswith(b"id: "):
            last_id = int(frame[4 : frame.index(b"\n")])
    writer.close()
    start = time.perf_counter()
    reader, writer = await request(
        port, "GET", f"/streams/{stream_id}", f"Last-Event-ID: {last_id}\r\n"
    )
    await reader.readuntil(b"\r\n\r\n")
    while not (await reader.readuntil(b"\n\n")).startswith(b"id: "):
        pass
    elapsed = time.perf_counter() - start
    writer.close()
    return elapsed


async def first_event_after_fold(port: int) -> float:
    """Seconds from a request resuming after a folded position to its first positioned event."""
    start = time.perf_counter()
    reader, writer = await request(port, "GET", "/folded")
    await reader.readuntil(b"\r\n\r\n")
    while not (await reader.readuntil(b"\n\n")).startswith(b"id: "):
        pass
    elapsed = time.perf_counter() - start
    writer.close()
    return elapsed


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(port: int) -> None:
    rounds = {"floor": [], "kavalai": [], "ag-ui": []}  # type: dict[str, list[tuple[float, list[float]]]]
    for _ in range(2):  # interleaved, so machine noise hits both alike
        rounds["floor"].append(await load(port, "/floor"))
        rounds["kavalai"].append(await load(port, "/answer"))
        rounds["ag-ui"].append(await load(port, "/answer?protocol=ag-ui"))
    print(f"{CLIENTS:,} concurrent SSE clients x {MESSAGES} messages (best of 2):")
    best = {name: max(runs, key=lambda run: run[0]) for name, runs in rounds.items()}
    for name, label in [
        ("floor", "bare SSE generator"),
        ("kavalai", "kavalai StreamResponse"),
        ("ag-ui", "kavalai, protocol ag-ui"),
    ]:
        rate, latencies = best[name]
        print(
            f"  {label:<24} {rate:>10,.0f} msg/s   p50 {percentile(latencies, 0.5) * 1000:7.1f} ms"
            f"   p99 {percentile(latencies, 0.99) * 1000:7.1f} ms"
        )
    print(f"  kavalai / floor          {best['kavalai'][0] / best['floor'][0]:.0%}")
    print(f"  ag-ui / sse              {best['ag-ui'][0] / best['kavalai'][0]:.2f}x")
    size = len(json.dumps(STRUCTURED))
    body = await wire_bytes(port, "/structured", b"RUN_FINISHED")
    print(f"structured value of {size // 1024} KiB in 16-byte chunks, protocol ag-ui:")
    print(f"  bytes on the wire      {body:,} ({body / size:.2f}x the value's JSON)")
    await first_event_after_fold(port)  # makes the answer
    folds = [await first_event_after_fold(port) for _ in range(20)]
    print("ag-ui resume after a folded position of a finished 5,000-message answer (20 runs):")
    print(
        f"  first positioned event p50 {statistics.median(folds) * 1000:.1f} ms, "
        f"max {max(folds) * 1000:.1f} ms"
    )
    body = await wire_bytes(port)
    print(f"cumulative text of {TEXT_BYTES // 1024} KiB (UTF-8) in 16-byte chunks:")
    print(f"  bytes on the wire      {body:,} ({body / TEXT_BYTES:.2f}x the text)")
    rng = random.Random(1)
    resumes = [await resume_once(port, rng) for _ in range(20)]
    print("resume after a drop at a random position (20 runs):")
    print(
        f"  first resumed message  p50 {statistics.median(resumes) * 1000:.1f} ms, "
        f"max {max(resumes) * 1000:.1f} ms"
    )


def raise_open_files() -> None:
    """Allow a socket per client (up to the hard limit)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    raise_open_files()
    with child_server(__file__) as port:
        asyncio.run(measure(port))


if __name__ == "__main__":
    if "--server" in sys.argv:
        raise_open_files()
        run_server(int(sys.argv[-1]))
    else:
        main()
