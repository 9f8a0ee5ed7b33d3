"""The board: what a display shows of the messages it took."""

from __future__ import annotations

from kavalai import StreamContent
from kavalai._view.html import board_html
from kavalai.display import Board, Panel

CHUNKS = ["Hel", "lo, ", "", "wor", "ld!"]


def _board(delta: bool, messages: list[StreamContent]) -> Board:
    board = Board(delta=delta, clock=lambda: 0.0)
    for message in messages:
        board.apply(message)
    return board


def _cumulative(name: str, chunks: list[str]) -> list[StreamContent]:
    return [
        StreamContent(type="partial", name=name, value="".join(chunks[: index + 1]))
        for index in range(len(chunks))
    ]


def _delta(name: str, chunks: list[str]) -> list[StreamContent]:
    return [StreamContent(type="partial", name=name, value=chunk) for chunk in chunks]


def test_a_delta_board_shows_what_a_cumulative_board_shows() -> None:
    text = [f"{index:04d} " for index in range(2000)]
    structured = ['{"title": "T", ', '"rows": [{"n": 1}, ', '{"n": 2}]}']
    delta = _board(
        True,
        [
            *_delta("text", text),
            *_delta("json", structured),
            StreamContent(type="complete", name="text"),
        ],
    )
    cumulative = _board(
        False,
        [
            *_cumulative("text", text),
            *_cumulative("json", structured),
            StreamContent(type="complete", name="text", value="".join(text)),
        ],
    )

    assert delta.panels == cumulative.panels
    assert board_html(delta) == board_html(cumulative)


def test_a_delta_panel_read_between_chunks_shows_each_value_so_far() -> None:
    board = Board(delta=True)
    seen = []
    for message in _delta("a", CHUNKS):
        board.apply(message)
        seen.append(board.panels["a"].value)

    assert seen == [message.value for message in _cumulative("a", CHUNKS)]


def test_a_complete_with_a_value_replaces_the_joined_chunks() -> None:
    board = _board(
        True, [*_delta("a", CHUNKS), StreamContent(type="complete", name="a", value="!")]
    )

    assert board.panels["a"] == Panel("a", value="!", messages=6, state="complete")


def test_a_restart_drops_the_joined_chunks() -> None:
    board = _board(
        True,
        [*_delta("a", CHUNKS), StreamContent(type="restart", name="response"), *_delta("a", ["x"])],
    )

    assert board.panels["a"].value == "x"
    assert (board.messages, board.restarts) == (7, 1)
