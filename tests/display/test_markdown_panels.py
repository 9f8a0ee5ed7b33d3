"""Text panels that show Markdown: rendered as it streams, sanitised, in HTML and in a terminal."""

from __future__ import annotations

import io
from html.parser import HTMLParser

from kavalai import StreamContent, Streamer
from kavalai._view.board import Board
from kavalai._view.html import board_html
from kavalai._view.markdown import shown_markdown
from kavalai.display import display

ANSWER = "# Planets\n\nThe **eight** planets, with `radius_km`:\n\n- Mercury\n- Venus\n"


class _Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs


def _board(text: str, markdown: bool | frozenset[str] | None = None, delta: bool = True) -> Board:
    board = Board(delta=delta, clock=lambda: 0.0, markdown=markdown, as_markdown=shown_markdown)
    board.apply(StreamContent(type="partial", name="answer", value=text))
    return board


def test_a_text_that_looks_like_markdown_is_rendered_in_the_panel() -> None:
    tags = _Tags(board_html(_board(ANSWER))).tags
    assert {"h1", "strong", "code", "ul", "li"} <= set(tags)


def test_a_plain_text_stays_text() -> None:
    html = board_html(_board("Just a sentence, 3 * 4 = 12, nothing more."))
    assert 'class="kavalai-text"' in html
    assert 'class="kavalai-markdown"' not in html


def test_markdown_false_shows_the_text_as_written_and_a_set_names_the_streams() -> None:
    assert "# Planets" in board_html(_board(ANSWER, markdown=False))
    assert "<h1>" not in board_html(_board(ANSWER, markdown=frozenset({"other"})))
    assert "<h1>" in board_html(_board(ANSWER, markdown=frozenset({"answer"})))
    assert "<p>plain</p>" in board_html(_board("plain", markdown=True))


def test_the_panel_shows_what_is_open_closed_as_it_streams() -> None:
    board = Board(delta=True, clock=lambda: 0.0, as_markdown=shown_markdown)
    shown = []
    for chunk in ["# Title\n\nSome **bo", "ld** and `co", "de` here.\n"]:
        board.apply(StreamContent(type="partial", name="answer", value=chunk))
        shown.append(board_html(board))
    assert "<strong>bo</strong>" in shown[0]
    assert "<code>co</code>" in shown[1]
    assert "<strong>bold</strong> and <code>code</code> here." in shown[2]


def test_markdown_in_a_panel_is_sanitised() -> None:
    hostile = (
        "# Hi\n\n<script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "[x](javascript:alert(3)) ![t](https://tracker.example/p.png)\n"
    )
    parsed = _Tags(board_html(_board(hostile)))
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert not any(name.startswith("on") for name, _ in parsed.attrs)
    assert not any((value or "").startswith("javascript:") for _, value in parsed.attrs)


async def test_the_terminal_draws_the_markdown_and_a_notebook_repr_renders_it() -> None:
    streamer = Streamer(stream_delta=True)
    answer = streamer.get_value_streamer("answer")
    for start in range(0, len(ANSWER), 7):
        await answer.stream_partial(ANSWER[start : start + 7])
    assert "<h1>Planets</h1>" in streamer._repr_html_()
    await answer.stream_complete()

    out = io.StringIO()
    await display(streamer, out=out)

    text = out.getvalue()
    assert "**" not in text
    assert "# Planets" not in text
    assert "Planets" in text
    assert "• Mercury" in text
    assert "done · " in text
