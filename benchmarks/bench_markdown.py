"""The Markdown operator against rendering the whole text once, and against re-rendering per chunk.

A model's Markdown answer (headings, paragraphs with emphasis and code,
tables, lists, fences, quotes) arrives in 16-character chunks. Rows:

- whole once: ``render_markdown(text)`` on the finished text, the floor;
- stream: ``MarkdownStream.feed`` per chunk and the HTML of the blocks each
  finished (what a UI appends);
- stream, open part every chunk: the same and the open blocks rendered after
  every chunk too (a UI that redraws per chunk; a paced one does it far less);
- naive: ``render_markdown(text so far)`` after every chunk, as UIs do
  today. On 200 KB that is hours, so it is timed on every 250th chunk and
  multiplied by 250 (said in the row); on 10 KB it is timed on every chunk.

Run: ``python benchmarks/bench_markdown.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kavalai.operators import MarkdownStream, render_markdown

CHUNK = 16

SECTION = """# Planets, part {part}

The **eight planets**, from the Sun out, with `radius_km` and a *short* note each.
Radii are mean values; see [the source](https://example.org/planets) for more.

| name | radius_km | rings |
| --- | ---: | --- |
| Mercury | 2,439.7 | no |
| Venus | 6,051.8 | no |
| Earth | 6,371.0 | no |
| Mars | 3,389.5 | no |

- Mercury is the *smallest*, and a year there lasts 88 days.
- Saturn's rings are mostly ice; ~~Pluto~~ is a dwarf planet.

```python
def radius(planet: str) -> float:
    return RADII[planet]
```

> All four giants have rings, though only Saturn's are bright.

"""


def answer(size: int) -> str:
    """A Markdown answer of ``size`` characters."""
    parts: list[str] = []
    length, part = 0, 1
    while length < size:
        parts.append(SECTION.format(part=part))
        length += len(parts[-1])
        part += 1
    return "".join(parts)[:size]


def pieces(text: str) -> list[str]:
    return [text[start : start + CHUNK] for start in range(0, len(text), CHUNK)]


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def stream(chunks: list[str], *, open_every_chunk: bool) -> int:
    markdown = MarkdownStream()
    html = 0
    for chunk in chunks:
        new = markdown.feed(chunk)
        html += sum(len(block.html) for block in new)
        if open_every_chunk:
            html += sum(len(block.html) for block in markdown.snapshot(new).open)
    html += sum(len(block.html) for block in markdown.close())
    return html


def naive(chunks: list[str], every: int) -> None:
    text = ""
    for index, chunk in enumerate(chunks):
        text += chunk
        if index % every == 0:
            render_markdown(text)


def measure(size: int, every: int) -> None:
    """Print the rows for an answer of ``size`` characters; naive timed on 1 chunk in ``every``."""
    text = answer(size)
    chunks = pieces(text)
    floor = timed(lambda: render_markdown(text))
    rows = [
        ("whole once (the floor)", floor),
        ("stream: finished blocks", timed(lambda: stream(chunks, open_every_chunk=False))),
        ("stream + open part every chunk", timed(lambda: stream(chunks, open_every_chunk=True))),
    ]
    sampled = timed(lambda: naive(chunks, every))
    label = "naive: whole so far every chunk"
    rows.append((label if every == 1 else f"{label}, 1 in {every} x{every}", sampled * every))
    for way, seconds in rows:
        print(f"{size // 1000:>5} KB | {way:<46} | {seconds:>9.3f} | {seconds / floor:>11.1f}x")
    check = MarkdownStream()
    for chunk in chunks:
        check.feed(chunk)
    check.close()
    print(
        f"{size // 1000:>5} KB | parsed {check.parsed / len(text):.2f} characters per "
        f"character; {len(chunks):,} chunks"
    )


def main() -> None:
    print(f"{'answer':>8} | {'way':<46} | {'seconds':>9} | {'x whole once':>12}")
    print(f"{'-' * 8} | {'-' * 46} | {'-' * 9} | {'-' * 12}")
    measure(10_000, 1)
    measure(200_000, 250)


if __name__ == "__main__":
    main()
