"""What a display says is so: items done at their ``}``, failures and ends shown as they are."""

from __future__ import annotations

import io
import re

from pydantic import BaseModel
from rich.console import Console

from kavalai import StreamContent, Streamer
from kavalai._view.board import Board
from kavalai._view.html import board_html
from kavalai.display import display
from kavalai.display._terminal import board_frame

from .conftest import StartPane


class Planet(BaseModel):
    name: str


class Planets(BaseModel):
    planets: list[Planet]
    count: int


def _marks(html: str) -> list[str]:
    return re.findall(r'class="kavalai-item" data-complete="(true|false)"', html)


async def _planets(*chunks: str) -> Streamer:
    streamer = Streamer()
    result = streamer.get_value_streamer("result", response_model=Planets)
    for chunk in chunks:
        await result.stream_partial(chunk)
    return streamer


async def test_the_last_item_is_done_as_soon_as_its_brace_arrives() -> None:
    streamer = await _planets('{"planets": [{"name": "Mercury"}, {"name": "Venus"}')
    assert _marks(streamer._repr_html_()) == ["true", "true"]


async def test_the_last_item_is_open_while_its_brace_has_not_arrived() -> None:
    streamer = await _planets('{"planets": [{"name": "Mercury"}, {"name": "Ven')
    assert _marks(streamer._repr_html_()) == ["true", "false"]


def test_items_of_a_list_that_later_fields_follow_are_done_in_a_board_of_snapshots() -> None:
    board = Board(clock=lambda: 0.0)  # cumulative messages: closed-up snapshots
    value = '{"planets": [{"name": "Mercury"}, {"name": "Venus"}], "count": 2}'
    board.apply(StreamContent(type="partial", name="result", value=value))
    assert _marks(board_html(board)) == ["true", "true"]


def test_a_delta_board_marks_the_last_item_done_at_its_brace() -> None:
    board = Board(delta=True, clock=lambda: 0.0)
    for chunk in ['{"planets": [{"name": "Mer', 'cury"}', ", "]:
        board.apply(StreamContent(type="partial", name="result", value=chunk))
        if chunk == 'cury"}':
            assert _marks(board_html(board)) == ["true"]
    assert _marks(board_html(board)) == ["true"]


async def test_a_failed_streamer_shows_its_open_streams_failed_in_html_terminal_and_repr() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("Half an ans")
    await streamer.stream_error(ConnectionError("the model's connection dropped"))

    line = repr(streamer)
    assert line.startswith("<Streamer: 'answer' failed 'Half an ans'; failed · ")
    assert "0 of 1 stream active" in line
    assert "ConnectionError: the model's connection dropped" in line
    html = streamer._repr_html_()
    assert 'data-state="error"' in html
    assert "✗ failed" in html
    assert "◌ streaming" not in html
    assert "0 of 1 stream active" in html
    out = io.StringIO()
    await display(streamer, out=out)
    text = out.getvalue()
    assert "✗ failed" in text
    assert "◌ streaming" not in text
    assert "ConnectionError: the model's connection dropped" in text
    assert "failed · 1 message · 0 of 1 stream active" in text


async def test_a_streamer_closed_before_its_stream_completed_says_the_stream_is_incomplete() -> (
    None
):
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("Hel")
    await streamer.aclose()

    assert repr(streamer) == (
        "<Streamer: 'answer' incomplete 'Hel'; ended, 1 incomplete · 1 message · "
        "0 of 1 stream active · 0 consumers>"
    )


async def test_a_finished_streamer_says_done() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("Hello")
    await answer.stream_complete()
    assert repr(streamer) == (
        "<Streamer: 'answer' complete 'Hello'; done · 2 messages · "
        "0 of 1 stream active · 0 consumers>"
    )
    assert "done · 2 messages" in streamer._repr_html_()


async def test_the_streamers_html_builds_a_value_in_prose_as_the_display_does() -> None:
    chunks = ['Here:\n```json\n{"planets": [{"name": "Mercury"}', '], "count": 1}\n```\nDone.']
    streamer = await _planets(*chunks)
    html = streamer._repr_html_()
    assert "Here:" not in html
    assert "Done." not in html
    assert _marks(html) == ["true"]
    assert ">count</th>" in html


def _frame(board: Board, width: int, height: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    lines = console.render_lines(board_frame(board)(console, height - 1), pad=False)
    return ["".join(segment.text for segment in line).rstrip() for line in lines]


def test_a_small_terminal_keeps_the_newest_rows_and_says_how_many_are_left_out() -> None:
    board = Board(delta=True, clock=lambda: 0.0)
    names = [f"planet {number}" for number in range(1, 41)]
    rows = ", ".join(f'{{"name": "{name}"}}' for name in names)
    board.apply(StreamContent(type="partial", name="result", value=f'{{"planets": [{rows}, '))

    lines = _frame(board, 60, 15)

    assert len(lines) <= 14
    assert any("planet 40" in line for line in lines)  # the newest row stays in sight
    assert not any("planet 1 " in line + " " for line in lines)
    left_out = [line for line in lines if "earlier rows not shown" in line]
    assert len(left_out) == 1
    shown = sum(bool(re.search(r"planet \d+$", line)) for line in lines)
    assert left_out[0].strip() == f"⋮ {40 - shown} earlier rows not shown"
    assert lines[-1].startswith("streaming · 1 message")


def test_a_small_terminal_demo_shows_the_newest_records_while_they_arrive(
    tmux_pane: StartPane,
) -> None:
    pane = tmux_pane(["demo"], 60, 15, {})

    def records_shown(text: str) -> str:
        return text.split("── result", 1)[1] if "── result" in text else ""

    screen = pane.wait_for(lambda text: "Saturn" in records_shown(text) and "streaming ·" in text)

    assert "earlier row" in records_shown(screen)
    assert "Mercury" not in records_shown(screen)
    pane.wait_until_done()
