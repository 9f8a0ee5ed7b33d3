"""Throughput of the incremental partial-JSON engine, and its cost per snapshot.

Run: ``python benchmarks/bench_partial_json_engine.py``. Prints figures; asserts nothing.

1. Scaling: a document of about 1 MB and one of about 4 MB, fed in 16-byte
   chunks with no snapshot in between. Work proportional to the input means
   the 4 MB run takes about four times as long (target: at most 4.5x).
2. Streaming with a snapshot after every chunk: about 100 KB in 16-byte
   chunks with ``snapshot_json()`` after each, beside the re-parse approach
   (append the chunk, parse the whole buffer with jiter's partial mode, then
   ``json.dumps``) measured in the same run.
3. Wide containers: typed partials of a model whose one field is an object of
   20,000 and then 40,000 members (read as ``dict[str, int]``), and of one
   whose field is a list of as many numbers, in 16-byte chunks. Partials share
   what earlier ones hold, so twice the members take about twice as long
   (target: at most 2.5x).

Every figure is the best of three runs, timed with ``time.perf_counter``.
Other benchmark scripts can import :func:`make_document` by putting this
folder on ``sys.path``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import reactivex
from pydantic import BaseModel
from pydantic_core import from_json

from kavalai.operators import typed_partials
from kavalai.partial_json import PartialJsonParser

CHUNK = 16
ROUNDS = 3
_WORDS = (
    "stream",
    "value",
    "partial",
    "token",
    "chunk",
    'quote "this"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "café",
    "naïve",
    "日本語",
    "😀",
    "Grüße",
    "ok",
)


def make_document(size_bytes: int) -> str:
    """A JSON list of records, about ``size_bytes`` long, the same for every size and run.

    The records mix what LLM output carries: strings with escapes, non-ASCII and
    astral characters, ints, floats (some with exponents), booleans, nulls and
    nested lists and objects.

    Args:
        size_bytes: The wanted UTF-8 length of the text; the result is within one
            record of it.

    Returns:
        The document as compact-ish ``json.dumps`` text (``ensure_ascii=False``).
    """
    rng = random.Random(1986)
    records: list[str] = []
    size = 2
    index = 0
    while size < size_bytes:
        record = {
            "id": index,
            "name": " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(1, 6))),
            "score": round(rng.uniform(-1000, 1000), rng.randrange(1, 8)),
            "ratio": rng.choice([1.5e-7, 6.02e23, 0.25, -3.0]),
            "active": rng.random() < 0.5,
            "parent": None if rng.random() < 0.5 else rng.randrange(10**6),
            "tags": [rng.choice(_WORDS) for _ in range(rng.randrange(4))],
            "matrix": [[rng.randrange(-99, 99) for _ in range(3)] for _ in range(2)],
            "meta": {"source": rng.choice(_WORDS), "version": rng.randrange(1, 9), "ok": True},
            "notes": "".join(rng.choice(_WORDS) + " " for _ in range(rng.randrange(0, 30))),
        }
        text = json.dumps(record, ensure_ascii=False)
        records.append(text)
        size += len(text.encode()) + 2
        index += 1
    return "[" + ", ".join(records) + "]"


def chunked(text: str, size: int = CHUNK) -> list[str]:
    """``text`` cut into pieces of ``size`` characters."""
    return [text[i : i + size] for i in range(0, len(text), size)]


def best_of(run: Callable[[], object]) -> float:
    """The shortest of ``ROUNDS`` timed runs, in seconds."""
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def engine_only(chunks: list[str]) -> None:
    """Feed every chunk, close, and check the result."""
    parser = PartialJsonParser()
    for chunk in chunks:
        parser.feed(chunk)
    if parser.close() is None or not parser.done:
        raise RuntimeError(parser.error)


def engine_with_snapshots(chunks: list[str]) -> None:
    """Feed every chunk and render the JSON snapshot after each."""
    parser = PartialJsonParser()
    for chunk in chunks:
        parser.feed(chunk)
        parser.snapshot_json()
    parser.close()


def reparse_with_snapshots(chunks: list[str]) -> None:
    """Append every chunk, then re-parse and re-serialise the whole buffer."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        json.dumps(from_json(buffer, allow_partial="trailing-strings"))


class WideObject(BaseModel):
    counts: dict[str, int]


class WideList(BaseModel):
    counts: list[int]


def wide(model: type[BaseModel], members: int) -> list[str]:
    """The chunks of a ``model`` value whose ``counts`` field has ``members`` members."""
    if model is WideObject:
        counts = ", ".join(f'"key {i}": {i}' for i in range(members))
        return chunked(f'{{"counts": {{{counts}}}}}')
    return chunked(f'{{"counts": [{", ".join(str(i) for i in range(members))}]}}')


def typed(model: type[BaseModel], chunks: list[str]) -> None:
    """Every typed partial of ``chunks``, then the validated instance."""
    reactivex.from_iterable(chunks).pipe(typed_partials(model)).subscribe(lambda _: None)


def main() -> None:
    """Print the figures."""
    sizes = {"1 MB": 1_000_000, "4 MB": 4_000_000}
    times: dict[str, float] = {}
    for label, size in sizes.items():
        document = make_document(size)
        chunks = chunked(document)
        times[label] = best_of(partial(engine_only, chunks))
        rate = len(document) / times[label] / 1e6
        print(
            f"engine alone, {label} ({len(document):,} chars, {len(chunks):,} chunks): "
            f"{times[label]:.3f} s  ({rate:.1f} M chars/s)"
        )
    print(f"ratio 4 MB / 1 MB: {times['4 MB'] / times['1 MB']:.2f}x (target <= 4.5x)")

    document = make_document(100_000)
    chunks = chunked(document)
    ours = best_of(partial(engine_with_snapshots, chunks))
    reparse = best_of(partial(reparse_with_snapshots, chunks))
    print(f"100 KB with snapshot_json() after each of {len(chunks):,} chunks:")
    print(f"  incremental engine:                 {ours:.3f} s")
    print(f"  re-parse with jiter + json.dumps:   {reparse:.3f} s")
    print(f"  re-parse / incremental:             {reparse / ours:.1f}x")

    print("typed partials of a wide container, 16-byte chunks:")
    for model, shape in ((WideObject, "object"), (WideList, "list")):
        small, large = (best_of(partial(typed, model, wide(model, n))) for n in (20_000, 40_000))
        print(
            f"  {shape:>6}: 20,000 members {small:.3f} s, 40,000 {large:.3f} s, "
            f"ratio {large / small:.2f}x (target <= 2.5x)"
        )


if __name__ == "__main__":
    main()
