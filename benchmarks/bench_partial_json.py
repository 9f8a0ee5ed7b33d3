"""Structured streaming end to end: kavalai beside the re-parse approach.

Run: ``python benchmarks/bench_partial_json.py``. Prints a table; asserts nothing.

A realistic document (records with strings, escapes, numbers, booleans, nulls
and lists) of 10 KB, 100 KB and 1 MB is streamed in 16-byte chunks:

* kavalai: a producer task pushes the chunks into a value streamer with a
  ``response_model``; an ``async for`` consumer takes every partial message
  (the snapshot JSON text) and the complete one.
* jiter re-parse: append the chunk to a buffer, parse the whole buffer with
  ``pydantic_core.from_json(buf, allow_partial="trailing-strings")`` and
  ``json.dumps`` the result, per chunk: what most streaming code does today.
  It has no Streamer around it, so it is measured at its cheapest.
* partial-json-parser re-parse (``pip install 'kavalai[bench]'``), the same
  way, on the smallest size only: it is far slower still.

Sizes where a re-parse would take minutes are left out rather than guessed.
Every figure is the best of three runs in this one process.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import from_json

from kavalai import Streamer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_partial_json_engine import make_document

CHUNK = 16
ROUNDS = 3
SIZES = {"10 KB": 10_000, "100 KB": 100_000, "1 MB": 1_000_000}
JITER_SIZES = {"10 KB", "100 KB"}
PJP_SIZES = {"10 KB"}


class Document(BaseModel):
    """Stands for the caller's model; the stream only needs to know the value is JSON."""


def chunks_of(text: str) -> list[str]:
    return [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)]


def kavalai_seconds(chunks: list[str]) -> float:
    async def run() -> float:
        streamer = Streamer()
        result = streamer.get_value_streamer("result", response_model=Document)

        async def produce() -> None:
            for chunk in chunks:
                await result.stream_partial(chunk)
            await result.stream_complete()

        start = time.perf_counter()
        streamer.start(produce())
        last = None
        async for message in streamer:
            last = message.value
        elapsed = time.perf_counter() - start
        assert last is not None
        assert json.loads(last) == json.loads("".join(chunks))
        return elapsed

    return asyncio.run(run())


def reparse_seconds(chunks: list[str], parse: Callable[[str], object]) -> float:
    start = time.perf_counter()
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        json.dumps(parse(buffer))
    return time.perf_counter() - start


def jiter_parse(buffer: str) -> object:
    return from_json(buffer, allow_partial="trailing-strings")


def best(measure: Callable[[list[str]], float], chunks: list[str]) -> float:
    return min(measure(chunks) for _ in range(ROUNDS))


def main() -> None:
    try:
        from partial_json_parser import loads as pjp_loads
    except ImportError:
        pjp_loads = None
    print(f"structured stream, {CHUNK}-byte chunks, best of {ROUNDS}, seconds")
    header = f"{'size':>7} {'chunks':>7} {'kavalai':>9} {'jiter':>9} {'x':>6} {'pjp':>9} {'x':>7}"
    print(header)
    for label, size in SIZES.items():
        chunks = chunks_of(make_document(size))
        ours = best(kavalai_seconds, chunks)
        row = f"{label:>7} {len(chunks):>7} {ours:>9.3f}"
        if label in JITER_SIZES:
            jiter = best(partial(reparse_seconds, parse=jiter_parse), chunks)
            row += f" {jiter:>9.3f} {jiter / ours:>5.0f}x"
        else:
            row += f" {'-':>9} {'':>6}"
        if label in PJP_SIZES and pjp_loads is not None:
            pjp = best(partial(reparse_seconds, parse=pjp_loads), chunks)
            row += f" {pjp:>9.3f} {pjp / ours:>6.0f}x"
        print(row)


if __name__ == "__main__":
    main()
