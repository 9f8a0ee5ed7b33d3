"""Streaming Markdown: the CommonMark spec's examples in every chunking, and hostile Markdown."""

from __future__ import annotations

import itertools
import json
import random
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import reactivex

from kavalai import iterate
from kavalai.operators import MarkdownSnapshot, MarkdownStream, markdown, render_markdown

#: CommonMark 0.31.2's examples, from markdown-it-py's test data (see "source" in the file).
SPEC = json.loads((Path(__file__).parent / "data" / "commonmark_spec.json").read_text("utf-8"))
EXAMPLES: list[dict[str, Any]] = SPEC["examples"]

#: Examples that change a shown block, as CommonMark means them to: a setext underline
#: makes the paragraph above a heading (allowed everywhere, see grown()), and a reference
#: definition written over several lines reads as a paragraph until its destination arrives.
CHANGES_KIND = {"Link reference definitions"}
#: A reference definition whose label runs over two lines, in the Links section.
MULTILINE_LABEL = 541

CHUNKINGS = ["1", "16", "random", "whole"]


def chunks(text: str, chunking: str, seed: int = 0) -> Iterator[str]:
    if chunking == "whole":
        yield text
        return
    rng = random.Random(seed)
    start = 0
    while start < len(text):
        size = rng.randint(1, 24) if chunking == "random" else int(chunking)
        yield text[start : start + size]
        start += size


def streamed(text: str, chunking: str, seed: int = 0) -> list[MarkdownSnapshot]:
    stream = MarkdownStream()
    items = [stream.snapshot(stream.feed(chunk)) for chunk in chunks(text, chunking, seed)]
    items.append(stream.snapshot(stream.close()))
    return items


def kinds(item: MarkdownSnapshot) -> list[str]:
    return [block.kind for block in (*item.finished, *item.open)]


def grown(earlier: list[str], later: list[str]) -> bool:
    """Whether the blocks shown later begin with those shown before, of the same kinds.

    A paragraph may become a heading: a setext underline (``===``, ``---``) does that.
    """
    if len(later) < len(earlier):
        return False
    return all(
        before == after or (before, after) == ("paragraph", "heading")
        for before, after in zip(earlier, later, strict=False)
    )


@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_every_spec_example_streamed_renders_as_the_whole_text_does(chunking: str) -> None:
    wrong = [
        example["example"]
        for example in EXAMPLES
        if streamed(example["markdown"], chunking)[-1].html()
        != render_markdown(example["markdown"])
    ]
    assert wrong == []


@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_no_shown_block_changes_kind_or_is_taken_back(chunking: str) -> None:
    wrong = []
    for example in EXAMPLES:
        if example["section"] in CHANGES_KIND or example["example"] == MULTILINE_LABEL:
            continue
        items = streamed(example["markdown"], chunking)
        for earlier, later in itertools.pairwise(items):
            if not grown(kinds(earlier), kinds(later)):
                wrong.append((example["example"], kinds(earlier), kinds(later)))
                break
    assert wrong == []


@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_finished_blocks_never_change(chunking: str) -> None:
    text = "\n\n".join(example["markdown"] for example in EXAMPLES[::7])
    items = streamed(text, chunking)
    final = list(items[-1].finished)
    for item in items:
        assert list(item.finished) == final[: len(item.finished)]
        assert list(item.new) == list(item.finished)[len(item.finished) - len(item.new) :]


ANSWER = """# Planets

The **eight planets**, from the Sun out, with `radius_km` and a note.

| name | radius_km | rings |
| --- | ---: | --- |
| Mercury | 2,439.7 | no |
| Venus | 6,051.8 | no |
| Earth | 6,371.0 | no |

- Mercury is the *smallest*.
- Saturn's rings are [mostly ice](https://example.org/saturn).

```python
def radius(planet: str) -> float:
    return RADII[planet]
```

> Pluto was reclassified in 2006.

"""


def answer_of(size: int) -> str:
    """An answer of about ``size`` characters, made of the sections models write."""
    return "".join(
        ANSWER.replace("# Planets", f"# Planets, part {part}")
        for part in range(size // len(ANSWER) + 1)
    )


@pytest.mark.parametrize("chunking", ["1", "16", "random"])
def test_the_parser_reads_each_character_a_bounded_number_of_times(chunking: str) -> None:
    for size in (2_000, 20_000, 200_000):
        stream = MarkdownStream()
        text = answer_of(size)
        for chunk in chunks(text, chunking):
            stream.feed(chunk)
        stream.close()
        assert stream.parsed <= 3 * len(text), (size, stream.parsed / len(text))


def test_a_table_grows_row_by_row() -> None:
    text = "| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n\nafter\n"
    rows = [item.html().count("<tr>") for item in streamed(text, "1")]
    assert rows == sorted(rows)
    assert set(rows) == {0, 1, 2, 3}  # the header once its delimiter came, then each row whole
    shown = [item.html() for item in streamed(text, "1")]
    assert not any("| 1" in html or "<td>1</td>\n<td></td>" in html for html in shown)


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Some **bold te", "<p>Some <strong>bold te</strong></p>\n"),
        ("Run `pip inst", "<p>Run <code>pip inst</code></p>\n"),
        ("An *em", "<p>An <em>em</em></p>\n"),
        ("See [the docs](https://exa", '<p>See <a href="https://exa">the docs</a></p>\n'),
        ("```python\nprint(1)\n", '<pre><code class="language-python">print(1)\n</code></pre>\n'),
        ("Some **", "<p>Some</p>\n"),
    ],
)
def test_what_is_open_is_shown_closed(written: str, shown: str) -> None:
    stream = MarkdownStream()
    stream.feed(written)
    assert stream.snapshot().html() == shown


@pytest.mark.parametrize("partial", ["#", "-", "1", "---", "```py", "| a | b", "==="])
def test_a_line_that_may_still_become_another_block_waits_for_more(partial: str) -> None:
    stream = MarkdownStream()
    stream.feed("Text.\n\n" + partial)
    assert kinds(stream.snapshot()) == ["paragraph"]


class _Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


HOSTILE = [
    '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n<iframe src="https://x"></iframe>',
    "[click](javascript:alert(1)) [data](data:text/html,<script>alert(3)</script>)",
    '[v](vbscript:msgbox) <javascript:alert(4)> ![pic](https://tracker.example/p.png "t")',
    "Raw <b onclick=alert(5)>html</b> inline, and <a href='javascript:alert(6)'>a link</a>",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("chunking", ["16", "whole"])
def test_hostile_markdown_renders_no_script_handler_unsafe_link_or_image(
    text: str, chunking: str
) -> None:
    for item in streamed(text, chunking):
        tags = _Tags(item.html()).tags
        assert {tag for tag, _ in tags} <= {"p", "a", "code", "em", "strong"}
        for _, attrs in tags:
            for name, value in attrs:
                assert not name.startswith("on")
                assert not (value or "").lower().startswith(("javascript:", "vbscript:", "data:"))


def test_emphasis_ten_thousand_deep_renders() -> None:
    text = "*" * 10_000 + "deep" + "*" * 10_000 + "\n\n" + ">" * 10_000 + " quoted\n"
    item = streamed(text, "whole")[-1]
    assert item.html() == render_markdown(text)
    assert "deep" in item.html()


def test_a_megabyte_table_streams_in_linear_work() -> None:
    rows = "".join(f"| {number} | row {number} |\n" for number in range(50_000))
    text = "| n | name |\n| --- | --- |\n" + rows + "\nafter\n"
    assert len(text) > 1_000_000
    stream = MarkdownStream()
    for chunk in chunks(text, "random"):
        stream.feed(chunk)
    stream.close()
    assert stream.parsed <= 3 * len(text)
    assert [block.kind for block in stream.snapshot().finished] == ["table", "paragraph"]


async def test_the_operator_reads_chunks_and_cumulative_text_alike() -> None:
    text = ANSWER
    pieces = list(chunks(text, "16"))
    cumulative = ["".join(pieces[: index + 1]) for index in range(len(pieces))]
    by_chunk = [item async for item in iterate(reactivex.from_iterable(pieces).pipe(markdown()))]
    by_text = [
        item
        async for item in iterate(
            reactivex.from_iterable(cumulative).pipe(markdown(cumulative=True))
        )
    ]
    assert by_chunk[-1].html() == by_text[-1].html() == render_markdown(text)
    assert by_chunk[-1].done
    assert [item.html() for item in by_chunk] == [item.html() for item in by_text]


def test_the_operator_ends_with_on_error_for_a_chunk_that_is_not_text() -> None:
    errors: list[Exception] = []
    reactivex.of("ok", 3).pipe(markdown()).subscribe(on_error=errors.append)  # type: ignore[arg-type]
    (error,) = errors
    assert isinstance(error, TypeError)


def test_without_markdown_it_the_operator_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name.startswith("kavalai.operators._markdown")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "markdown_it", None)
    with pytest.raises(ImportError, match=r"pip install 'kavalai\[markdown\]'"):
        markdown()
