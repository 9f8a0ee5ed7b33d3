"""Partial JSON side by side: the engine, its operators, a re-parse and jsonriver.

Run: ``python benchmarks/bench_partial_json_peers.py``. Prints a table; asserts nothing.

The realistic document of ``bench_partial_json_engine`` (records with strings,
escapes, numbers, booleans, nulls, nested lists and objects), wrapped as
``{"records": [...]}`` so a model can read it, is cut into 16-byte chunks and
read, in one run, by:

* engine: ``PartialJsonParser.feed`` alone, then ``close``;
* engine + value: ``snapshot()`` (the value so far) after every chunk;
* partial_json: the operator, ``snapshot_json()`` text after every chunk;
* typed + iterate: ``iterate(source.pipe(typed_partials(Document)))`` in an
  event loop: a partial built after every chunk, and the consumer takes
  what ``iterate()`` keeps (the source pushes every chunk before the
  consumer runs, so the newest 64), ending with the validated instance;
* jiter re-parse: append the chunk, ``pydantic_core.from_json(buffer,
  allow_partial="trailing-strings")`` per chunk (100 KB only: 1 MB takes minutes);
* jsonriver (``pip install 'kavalai[bench]'``): its ``parse`` fed the same
  chunks, taking the value it yields per chunk.

Each figure is the best of three runs. The peak RSS growth of typed partials
over 1 MB is measured in a fresh process, so earlier runs do not hide it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import reactivex
from pydantic import BaseModel
from pydantic_core import from_json

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_partial_json_engine import CHUNK, ROUNDS, best_of, chunked, make_document

from kavalai import iterate
from kavalai.operators import partial_json, typed_partials
from kavalai.partial_json import PartialJsonParser

SIZES = {"100 KB": 100_000, "1 MB": 1_000_000}
JITER_SIZES = {"100 KB"}


class Meta(BaseModel):
    source: str
    version: int
    ok: bool


class Record(BaseModel):
    id: int
    name: str
    score: float
    ratio: float
    active: bool
    parent: int | None
    tags: list[str]
    matrix: list[list[int]]
    meta: Meta
    notes: str


class Document(BaseModel):
    records: list[Record]


def document(size: int) -> str:
    return '{"records": ' + make_document(size) + "}"


def engine(chunks: list[str]) -> None:
    parser = PartialJsonParser()
    for chunk in chunks:
        parser.feed(chunk)
    parser.close()


def engine_values(chunks: list[str]) -> None:
    parser = PartialJsonParser()
    for chunk in chunks:
        parser.feed(chunk)
        parser.snapshot()
    parser.close()


def snapshots(chunks: list[str]) -> None:
    reactivex.from_iterable(chunks).pipe(partial_json()).subscribe(lambda _: None)


def typed(chunks: list[str]) -> None:
    async def run() -> None:
        # Returns nothing: asyncio.run formats its coroutine's result (reprlib),
        # which for a whole document costs more than a tenth of the run.
        last = None
        async for item in iterate(reactivex.from_iterable(chunks).pipe(typed_partials(Document))):
            last = item
        assert isinstance(last, Document)

    asyncio.run(run())


def jiter(chunks: list[str]) -> None:
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        from_json(buffer, allow_partial="trailing-strings")


def jsonriver(chunks: list[str]) -> None:
    # jsonriver ships no type information.
    from jsonriver import parse  # type: ignore[import-untyped, import-not-found, unused-ignore]

    async def source() -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk
            await asyncio.sleep(0)  # one chunk at a time, as from a network

    async def run() -> None:
        async for _ in parse(source()):
            pass

    asyncio.run(run())


def typed_rss_mib(size: int) -> float:
    """Peak RSS growth of typed partials over a document, in a fresh process.

    Read from ``VmHWM`` (Linux), which a new program starts afresh, unlike
    ``ru_maxrss``, which a child inherits from the process that forked it.
    """
    code = (
        "import sys; "
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
        "import bench_partial_json_peers as b; "
        f"chunks = b.chunked(b.document({size})); "
        "before = b.peak_rss_kib(); "
        "b.typed(chunks); "
        "print(b.peak_rss_kib() - before)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def peak_rss_kib() -> int:
    """This process's peak resident set size so far, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status: peak RSS is measured on Linux only")


def main() -> None:
    has_jsonriver = importlib.util.find_spec("jsonriver") is not None
    print(f"partial JSON, {CHUNK}-byte chunks, best of {ROUNDS}, seconds")
    print(
        f"{'size':>7} {'chunks':>7} {'engine':>8} {'+value':>8} {'partial_json':>12} "
        f"{'typed+iterate':>13} {'jiter':>8} {'jsonriver':>9}"
    )
    for label, size in SIZES.items():
        text = document(size)
        json.loads(text)
        chunks = chunked(text)
        row = [
            best_of(partial(engine, chunks)),
            best_of(partial(engine_values, chunks)),
            best_of(partial(snapshots, chunks)),
            best_of(partial(typed, chunks)),
        ]
        jiter_time = best_of(partial(jiter, chunks)) if label in JITER_SIZES else None
        river = best_of(partial(jsonriver, chunks)) if has_jsonriver else None
        cells = [f"{label:>7}", f"{len(chunks):>7}", f"{row[0]:>8.3f}", f"{row[1]:>8.3f}"]
        cells += [f"{row[2]:>12.3f}", f"{row[3]:>13.3f}"]
        cells.append(f"{jiter_time:>8.3f}" if jiter_time is not None else f"{'-':>8}")
        cells.append(f"{river:>9.3f}" if river is not None else f"{'-':>9}")
        print(" ".join(cells))
        print(f"        typed+iterate / engine: {row[3] / row[0]:.1f}x", end="")
        if river is not None:
            print(f"; jsonriver / engine+value: {river / row[1]:.1f}x", end="")
        if jiter_time is not None:
            print(
                f"; jiter / partial_json: {jiter_time / row[2]:.0f}x"
                f"; jiter / typed+iterate: {jiter_time / row[3]:.0f}x",
                end="",
            )
        print()
    print(f"typed partials over 1 MB, peak RSS growth: {typed_rss_mib(SIZES['1 MB']):.1f} MiB")


if __name__ == "__main__":
    main()
