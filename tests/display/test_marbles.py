"""The marble timeline as text and as SVG, live from sources and static."""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ElementTree

import pytest
import reactivex

from kavalai import StreamContent, Streamer
from kavalai.display import Timeline, marbles
from kavalai.display._marbles import LABEL_LIMIT
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


def test_a_mark_keeps_only_the_start_of_a_long_value() -> None:
    # Each message of a cumulative stream carries the whole value so far:
    # kept whole, a timeline of one long text would grow as its square.
    timeline = _ticking()
    for length in range(1, 2000, 100):
        timeline.add(StreamContent(type="partial", name="text", value="x" * length))
    labels = [mark.label for mark in timeline.marks]
    assert labels[0] == "x"
    assert labels[-1] == "x" * (LABEL_LIMIT - 1) + "…"
    assert max(len(label) for label in labels) == LABEL_LIMIT
    assert len(timeline.svg()) < 20 * (LABEL_LIMIT + 300)  # a tooltip and a label each


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


def _interleaved(ordered: bool) -> Timeline:
    times = iter([0.0, 0.5, 0.5, 1.0, 2.0, 2.5, 3.0, 4.0])
    timeline = Timeline(clock=lambda: next(times), ordered=ordered)
    timeline.add("a1", "first")
    timeline.add("b1", "second")
    timeline.add("a2", "first")
    timeline.add("c1", "third")
    timeline.add("b2", "second")
    timeline.complete("first")
    timeline.fail("second", ValueError("no"))
    timeline.add(StreamContent(type="restart", name="third"))
    return timeline


def _drawn(svg: str) -> list[tuple[str | None, list[tuple[str | None, int]]]]:
    """Each lane of an SVG timeline with the kind and the x of each of its marks."""

    def x(mark: ElementTree.Element) -> int:
        if mark.tag == f"{SVG}circle":
            return int(mark.get("cx", ""))
        if mark.tag == f"{SVG}line":
            return int(mark.get("x1", ""))
        if mark.tag == f"{SVG}rect":
            return int(mark.get("x", "")) + 5
        return int(mark.get("d", "")[1:].split(",")[0]) + 6  # an X: M{x - 6},...

    return [
        (
            lane.get("data-lane"),
            [(mark.get("class"), x(mark)) for mark in lane if mark.get("class")],
        )
        for lane in ElementTree.fromstring(svg).findall(f"{SVG}g")
    ]


def test_text_places_interleaved_lanes_by_time() -> None:
    assert _interleaved(ordered=False).text(20).splitlines() == [
        "first  o-o---------|-------",
        "second --o-------o---X-----",
        "third  -----o-------------R",
    ]


def test_text_places_interleaved_lanes_by_order() -> None:
    assert _interleaved(ordered=True).text(20).splitlines() == [
        "first  o----o--------|-----",
        "second ---o-------o----X---",
        "third  --------o----------R",
    ]


def test_svg_places_interleaved_lanes_by_time() -> None:
    assert _drawn(_interleaved(ordered=False).svg()) == [
        ("first", [("mark value", 115), ("mark value", 180), ("mark complete", 440)]),
        ("second", [("mark value", 180), ("mark value", 375), ("mark error", 505)]),
        ("third", [("mark value", 245), ("mark restart", 635)]),
    ]


def test_svg_places_interleaved_lanes_by_order() -> None:
    assert _drawn(_interleaved(ordered=True).svg()) == [
        ("first", [("mark value", 115), ("mark value", 264), ("mark complete", 486)]),
        ("second", [("mark value", 189), ("mark value", 412), ("mark error", 561)]),
        ("third", [("mark value", 338), ("mark restart", 635)]),
    ]


def test_svg_shows_a_lane_that_completes_with_its_last_item_beside_that_item() -> None:
    times = iter([0.0, 1.0, 1.0])
    timeline = Timeline(clock=lambda: next(times))
    timeline.add("a", "chunks")
    timeline.add("b", "chunks")
    timeline.complete("chunks")

    ((_, marks),) = _drawn(timeline.svg())

    (last_value, complete) = [x for _, x in marks][1:]
    assert complete - last_value >= 12  # the | sits beside the marble, not over it


def test_svg_writes_short_values_on_their_marbles_and_cuts_long_ones() -> None:
    timeline = _ticking()
    timeline.add("He", "chunks")
    timeline.add("Hello, world, this is long", "chunks")
    timeline.complete("chunks")

    root = ElementTree.fromstring(timeline.svg())
    labels = [text.text for text in root.iter(f"{SVG}text")][1:]  # after the lane's name

    assert labels[0] == "He"
    assert labels[1] is not None
    assert labels[1].endswith("…")
    assert "Hello, world, this is long".startswith(labels[1][:-1])


async def test_marbles_through_operators_shares_one_subscription_to_a_cold_source() -> None:
    subscriptions = 0

    def subscribe(_: object) -> reactivex.Observable[str]:
        nonlocal subscriptions
        subscriptions += 1
        return reactivex.of("He", "ll", "o")

    timeline = await marbles(
        {"chunks": reactivex.defer(subscribe)},
        through={"accumulate": accumulate()},
        ordered=True,
        out=io.StringIO(),
    )

    assert subscriptions == 1
    assert [(mark.lane, mark.label) for mark in timeline.marks] == [
        ("chunks", "He"),
        ("accumulate", "He"),
        ("chunks", "ll"),
        ("accumulate", "Hell"),
        ("chunks", "o"),
        ("accumulate", "Hello"),
        ("chunks", ""),
        ("accumulate", ""),
    ]


async def test_marbles_through_needs_one_source() -> None:
    source = reactivex.of("a")
    with pytest.raises(TypeError, match="takes one observable"):
        await marbles({"a": source, "b": source}, through={"acc": accumulate()})
