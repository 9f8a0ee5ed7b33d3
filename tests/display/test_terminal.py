"""The terminal renderer in a real terminal: the demo in tmux panes, as a user runs it.

Live frames are redrawn in place, so a run started at the top of a fresh pane
leaves its final frame once in the scrollback, with the whole thought; a dumb
terminal gets plain lines and ``NO_COLOR`` no colour.
"""

from __future__ import annotations

import re

import pytest

from kavalai._demo import TITLE, load_recording

from .conftest import Pane, StartPane

_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_SYNC_BEGIN, _SYNC_END = "\x1b[?2026h", "\x1b[?2026l"


def recorded_thought() -> str:
    return "".join(e.chunk or "" for e in load_recording() if e.stream == "thought")


def words(text: str) -> list[str]:
    return text.split()


def shown(pane: Pane) -> list[str]:
    """The scrollback's lines, without tmux's note on the ended command and the blank end."""
    lines = [line for line in pane.scrollback().splitlines() if not line.startswith("Pane is dead")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def thought_section(lines: list[str]) -> list[str]:
    """The lines between the thought's header and the result's."""
    start = next(i for i, line in enumerate(lines) if line.startswith("── thought"))
    end = next(i for i, line in enumerate(lines) if line.startswith("── result"))
    return lines[start + 1 : end]


@pytest.mark.parametrize(("columns", "rows"), [(100, 30), (50, 12)])
def test_live_frames_fit_the_pane_while_the_demo_streams(
    tmux_pane: StartPane, columns: int, rows: int
) -> None:
    pane = tmux_pane(["demo"], columns, rows, {})

    screen = pane.wait_for(lambda text: "streaming ·" in text and "── result" in text)

    lines = screen.rstrip("\n").splitlines()
    assert lines[0] == TITLE
    assert len(lines) <= rows - 1  # a frame that filled the pane would scroll its top away
    assert all(len(line) <= columns for line in lines)
    pane.wait_until_done()


@pytest.mark.parametrize(("columns", "rows"), [(100, 30), (50, 12)])
def test_the_scrollback_holds_one_final_frame_with_the_whole_thought(
    tmux_pane: StartPane, columns: int, rows: int
) -> None:
    pane = tmux_pane(["demo"], columns, rows, {})
    pane.wait_for(lambda text: "streaming ·" in text)
    pane.wait_until_done()

    lines = shown(pane)

    assert lines[0] == TITLE  # nothing above the final frame: no stale live frame
    assert lines.count(TITLE) == 1
    assert sum(line.startswith("── thought") for line in lines) == 1
    assert sum("messages ·" in line for line in lines) == 1
    assert words(" ".join(thought_section(lines))) == words(recorded_thought())
    assert lines[-1].startswith("done: 2 streams")


def test_frames_are_drawn_in_synchronized_output(tmux_pane: StartPane) -> None:
    pane = tmux_pane(["demo", "--fast"], 100, 30, {})
    pane.wait_until_done()

    raw = pane.raw()

    assert raw.count(_SYNC_BEGIN) >= 1
    assert raw.count(_SYNC_BEGIN) == raw.count(_SYNC_END)
    assert words(" ".join(thought_section(shown(pane)))) == words(recorded_thought())


@pytest.mark.parametrize(("columns", "rows"), [(100, 30), (50, 12)])
def test_a_dumb_terminal_gets_plain_lines_without_escape_codes(
    tmux_pane: StartPane, columns: int, rows: int
) -> None:
    pane = tmux_pane(["demo", "--fast"], columns, rows, {"TERM": "dumb"})
    pane.wait_until_done()

    raw = pane.raw()

    assert "\x1b" not in raw
    assert words(recorded_thought()) == words(raw.split("thought: ", 1)[1].split("\n", 1)[0])
    assert raw.rstrip().splitlines()[-1].startswith("done: 2 streams")


def test_no_color_draws_live_frames_without_colour(tmux_pane: StartPane) -> None:
    pane = tmux_pane(["demo", "--fast"], 100, 30, {"NO_COLOR": "1"})
    pane.wait_until_done()

    raw = pane.raw()
    colours = [
        found.group()
        for found in _SGR.finditer(raw)
        for number in re.split("[;:]", found.group(1))
        if number and (30 <= int(number) <= 49 or 90 <= int(number) <= 107)
    ]

    assert _SYNC_BEGIN in raw  # still live: cursor moves and synchronized output
    assert colours == []
    assert words(" ".join(thought_section(shown(pane)))) == words(recorded_thought())
