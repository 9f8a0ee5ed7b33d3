"""The processes the Redis tests run: a producer, a reader and a web worker.

``python -m tests.redis.processes produce|read|worker ...``; each prints JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from pydantic import BaseModel
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kavalai import StreamContent, Streamer
from kavalai.redis import Publisher, RedisHub, subscribe
from kavalai.web import hub_routes


class Person(BaseModel):
    name: str
    birth_year: int


async def answer(streamer: Streamer, chunks: int, pace: float) -> None:
    """A bit of everything: cumulative and delta text, a structured value, a restart."""
    text = streamer.get_value_streamer("text")
    deltas = streamer.get_value_streamer("deltas", stream_delta=True)
    person = streamer.get_value_streamer("person", response_model=Person)
    await text.stream_partial("draft")
    await streamer.stream_restart("retrying")
    streamer.reset_active()
    text = streamer.get_value_streamer("text")
    deltas = streamer.get_value_streamer("deltas", stream_delta=True)
    person = streamer.get_value_streamer("person", response_model=Person)
    await person.stream_partial('{"name": "Ti')
    for number in range(chunks):
        await text.stream_partial(f"{number},")
        await deltas.stream_partial(str(number % 10))
        if pace:
            await asyncio.sleep(pace)
    await person.stream_partial('mo", "birth_year": 1986}')
    await person.stream_complete()
    await deltas.stream_complete()
    await text.stream_complete()


def line(message: StreamContent) -> dict[str, object]:
    return {"seq": message.seq, "type": message.type, "name": message.name, "value": message.value}


def say(record: dict[str, object]) -> None:
    print(json.dumps(record), flush=True)


async def produce(port: int, key: str, chunks: int, pace: float) -> None:
    redis = Redis(host="127.0.0.1", port=port)
    streamer = Streamer(max_buffer=256)
    publisher = Publisher(streamer, redis, key, ttl_seconds=60, give_up_seconds=30)
    publishing = asyncio.ensure_future(publisher.run())
    await answer(streamer, chunks, pace)
    await publishing
    say({"done": True, "outages": publisher.outages})
    await redis.aclose()


async def read(port: int, key: str, after: int | None) -> None:
    redis = Redis(host="127.0.0.1", port=port)
    try:
        async with subscribe(redis, key, after=after, wait_seconds=30) as streamer:
            async for message in streamer:  # at the producer's positions
                say(line(message))
        say({"end": True})
    except Exception as error:
        say({"error": type(error).__name__, "message": str(error)})
    await redis.aclose()


def worker_app(port: int, chunks: int, pace: float) -> Starlette:
    hub = RedisHub(Redis(host="127.0.0.1", port=port), ttl_seconds=60)

    async def ask(request: Request) -> Response:
        streamer = Streamer()
        streamer.start(answer(streamer, chunks, pace))
        return JSONResponse({"id": hub.register(streamer)})

    app = Starlette(routes=hub_routes(hub))
    app.add_route("/ask", ask, methods=["POST"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["produce", "read", "worker"])
    parser.add_argument("port", type=int)
    parser.add_argument("key", nargs="?", default="")
    parser.add_argument("--after", type=int)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--pace", type=float, default=0.0)
    parser.add_argument("--fd", type=int, help="a listening socket for the worker")
    args = parser.parse_args()
    if args.command == "produce":
        asyncio.run(produce(args.port, args.key, args.chunks, args.pace))
    elif args.command == "read":
        asyncio.run(read(args.port, args.key, args.after))
    else:
        import uvicorn

        uvicorn.run(worker_app(args.port, args.chunks, args.pace), fd=args.fd, log_level="warning")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
