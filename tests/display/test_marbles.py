"""The marble timeline as text and as SVG, live from sources and static."""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ElementTree

import reactivex

from kavalai import StreamContent, Streamer
from kavalai.display import Timeline, marbles
from kavalai.operators import accumulate

SVG = "{http://www.w3.org/2000/svg}"


def _ticking() -> Timeline:
    ticks = itertools.count()
    return Timeline(clock=lambda: float(next(ticks)))


def test_text_has_a_lane_per_stream_with_values_completes_and_errors() -> None:
    timeline = _ticking()
    timeline.add(StreamContent(type="partial", name="thought", value="a"))
    timeline.add(StreamContent(type="partial", name="result", value="b"))
    timeline.add(StreamContent(type="complete", name="thought"))
    timeline.fail("result", ValueError("no"))

    assert timeline.text(10) == "thought o-----|---\nresult  ---o-----X"


def test_svg_parses_with_lanes_marks_and_terminal_marks() -> None:
    timeline = _ticking()
    timeline.add("He", "chunks")
    timeline.add("Hell", "chunks")
    timeline.complete("chunks")
    timeline.add("x", "other")
    timeline.fail("other", RuntimeError("stop"))

    root = ElementTree.fromstring(timeline.svg())

    lanes = root.findall(f"{SVG}g")
    assert [lane.get("data-lane") for lane in lanes] == ["chunks", "other"]
    kinds = [[mark.get("class") for mark in lane if mark.get("class")] for lane in lanes]
    assert kinds == [["mark value", "mark value", "mark complete"], ["mark value", "mark error"]]


def test_svg_escapes_hostile_lane_names_and_values() -> None:
    timeline = _ticking()
    timeline.add(StreamContent(type="partial", name="</svg><script>", value="<b>\x1b[31m"))

    root = ElementTree.fromstring(timeline.svg())

    assert root.find(f".//{SVG}script") is None
    assert root.find(f"{SVG}g").get("data-lane") == "</svg><script>"  # type: ignore[union-attr]
    (title,) = root.iter(f"{SVG}title")
    assert title.text == "<b>␛[31m"


def test_text_strips_control_sequences_of_lane_names() -> None:
    timeline = _ticking()
    timeline.add("x", "a\x1b[2Jb")

    assert timeline.text(5) == "ab o----"


async def test_marbles_follows_named_observables_to_their_end() -> None:
    source = reactivex.of("He", "ll", "o")
    out = io.StringIO()

    timeline = await marbles({"chunks": source, "accumulate": source.pipe(accumulate())}, out=out)

    assert [(mark.lane, mark.kind) for mark in timeline.marks] == [
        ("chunks", "value"),
        ("chunks", "value"),
        ("chunks", "value"),
        ("chunks", "complete"),
        ("accumulate", "value"),
        ("accumulate", "value"),
        ("accumulate", "value"),
        ("accumulate", "complete"),
    ]
    assert [mark.label for mark in timeline.marks if mark.lane == "accumulate"][:3] == [
        "He",
        "Hell",
        "Hello",
    ]
    assert out.getvalue().splitlines() == timeline.text(64).splitlines()


async def test_marbles_of_a_streamer_has_a_lane_per_stream() -> None:
    streamer = Streamer(stream_delta=True)
    thought = streamer.get_value_streamer("thought")
    result = streamer.get_value_streamer("result")
    await thought.stream_partial("hm")
    await result.stream_partial("42")
    await thought.stream_complete()
    await result.stream_complete()

    timeline = await marbles(streamer, out=io.StringIO())

    assert list(timeline.lanes) == ["thought", "result"]
    assert [mark.kind for mark in timeline.marks] == ["value", "value", "complete", "complete"]
