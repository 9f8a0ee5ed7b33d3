"""One structured value, one way of showing it: every reader agrees on every input.

:class:`~kavalai.partial_json._values.JsonSnapshots` builds a structured
value's snapshots and its end for the Streamer's messages, the operators, the
UI message stream and the display board. The agreement tests drive each of
them with the same chunks of the same texts (a corpus in the manner of
JSONTestSuite: accepted, rejected, cut off, wrapped in prose or a fence, most
of it the engine's own test cases; and generated answers) and compare what
each one shows with the Streamer's messages.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
import reactivex
from hypothesis import given
from pydantic import BaseModel

from kavalai import StreamContent, Streamer
from kavalai._view.board import structured
from kavalai.display import Board
from kavalai.operators import partial_json, to_stream_content
from kavalai.partial_json import JsonSnapshots, shown_value
from kavalai.web._ui import _Parts
from kavalai.wire import Record

from .test_history_json import ORDER
from .test_partial_json import (
    BIG_NUMBERS,
    CUT_OFF,
    DELIMITED,
    INLINE_CODE,
    MALFORMED_NUMBERS,
    NO_VALUE,
    NOT_CUT_OFF,
    SURROGATE_ESCAPES,
    _settings,
    cut,
    streams,
)

NAME = "value"
Messages = list[tuple[str, str | None]]


class Anything(BaseModel):
    """A response model: it makes a stream structured; nothing here validates against it."""


CORPUS = [
    # Accepted: the value closes, by its last bracket or at the end of the text.
    '{"name": "Timo", "birth_year": 1986}',
    ORDER,
    *(text for text, _ in DELIMITED),
    *(text for text, _ in INLINE_CODE),
    *(f'{{"n": [{token}, {token}], "m": {token}}}' for token in BIG_NUMBERS),
    *(f'["{escapes}", {{"{escapes}": "{escapes}"}}]' for escapes in SURROGATE_ESCAPES),
    "12",
    "-1.5e3",
    "1e400",
    "true",
    "null",
    '"a string"',
    "[]",
    "{}",
    ' \n[1, {"a": [true, false, null]}, "x"] ',
    '{"a": 1, "b": 2, "a": [3, {"c": 4}]}',
    "[" * 200 + "]" * 200,
    # Rejected: not JSON from some character on.
    *(f"[0, {token}]" for token in MALFORMED_NUMBERS),
    '{"a": NaN}',
    "[Infinity]",
    "-Infinity",
    "[1,]",
    '{"a": 1,}',
    '{"a" 1}',
    "[1, }",
    '["\x01"]',
    '["\\x"]',
    "[1] [2]",
    # Cut off: the text ends inside the value.
    *CUT_OFF,
    '{"n": 1',
    '{"name": "Timo", "birth_year": 19',
    '[{"a": 1}, {"a": 2, "b',
    'Sure! {"n": 1',
    # No value at all, prose, or prose after a value.
    *NO_VALUE,
    *NOT_CUT_OFF,
]


def chunkings(text: str) -> list[list[str]]:
    """The ways each text is fed to every reader: whole, by 1, 2 and 5 characters, at random."""
    return [[text], *(cut(text, random.Random(0), size) for size in (1, 2, 5, 0))]


CASES = [chunks for text in CORPUS for chunks in chunkings(text)]


# The readers


async def streamer_messages(chunks: list[str]) -> Messages:
    """A Streamer's messages of one structured stream of ``chunks``, each one kept for the read."""
    streamer = Streamer(history=None)
    stream = streamer.get_value_streamer(NAME, response_model=Anything)
    for chunk in chunks:
        await stream.stream_partial(chunk)
    await stream.stream_complete()
    return [(message.type, message.value) async for message in streamer]


def operator_messages(chunks: list[str]) -> Messages:
    messages: list[StreamContent] = []
    source = reactivex.from_iterable(chunks)
    source.pipe(to_stream_content(NAME, structured=True)).subscribe(messages.append)
    return [(message.type, message.value) for message in messages]


def partial_json_items(chunks: list[str]) -> list[str | None]:
    items: list[str | None] = []
    reactivex.from_iterable(chunks).pipe(partial_json()).subscribe(items.append)
    return items


def ui_frames(chunks: list[str], tool: bool) -> list[str]:
    """The UI message stream's frames of the stream, no snapshot held back by the throttle."""
    parts = _Parts((), {NAME: "tool"} if tool else {})
    records = [
        Record("stream", name=NAME, structured=True),
        *(Record("partial", index, NAME, (chunk,)) for index, chunk in enumerate(chunks)),
        Record("complete", len(chunks), NAME),
    ]
    return [frame for at, record in enumerate(records) for frame in parts.frames(record, at)]


def ui_data(chunks: list[str]) -> list[str]:
    """The JSON text of each data part, as it is sent: spliced in, never re-encoded."""
    head = f'data: {{"type":"data-{NAME}","id":"{NAME}","data":'
    frames = ui_frames(chunks, tool=False)
    assert all(frame.startswith(head) and frame.endswith("}\n\n") for frame in frames)
    return [frame[len(head) : -3] for frame in frames]


def ui_tool_input(chunks: list[str]) -> dict[str, Any]:
    """The last chunk of the stream as a tool call's input: ready to run, or an error."""
    last: dict[str, Any] = json.loads(ui_frames(chunks, tool=True)[-1].removeprefix("data: "))
    return last


def board_views(chunks: list[str]) -> list[object]:
    """What a board fed the stream's raw chunks shows as structured after each message."""
    board = Board(delta=True, clock=lambda: 0.0)
    views: list[object] = []
    for message in [
        *(StreamContent(type="partial", name=NAME, value=chunk) for chunk in chunks),
        StreamContent(type="complete", name=NAME),
    ]:
        board.apply(message)
        views.append(structured(board.panels[NAME].value))
    return views


# What each reader must show, given the Streamer's messages


def closed(complete: str | None) -> bool:
    """Whether the complete value is final JSON: the text of a value that did not close is not."""
    if complete is None:
        return False
    try:
        json.loads(complete, parse_constant=_not_json)
    except ValueError:
        return False
    return True


def _not_json(constant: str) -> object:
    raise ValueError(constant)


def last_shown(messages: Messages) -> str | None:
    """What a display shows last: the final JSON, or the last snapshot of a value that did not."""
    partials = [value for kind, value in messages if kind == "partial"]
    complete = messages[-1][1]
    if closed(complete):
        return complete
    return partials[-1] if partials else None


def begins_as_json(chunks: list[str]) -> bool:
    return "".join(chunks).lstrip().startswith(("{", "[", "```"))


def assert_all_agree(chunks: list[str]) -> None:
    messages = asyncio.run(streamer_messages(chunks))
    partials = [value for kind, value in messages if kind == "partial"]
    complete = messages[-1][1]
    shown = last_shown(messages)
    assert [kind for kind, _ in messages] == ["partial"] * len(chunks) + ["complete"]

    assert operator_messages(chunks) == messages

    items = partial_json_items(chunks)
    assert items == partials + ([shown] if shown != (partials[-1] if partials else None) else [])

    assert ui_data(chunks) == [value for value in [*partials, shown] if value is not None]
    if chunks:
        tool_input = ui_tool_input(chunks)
        ready = "tool-input-available" if closed(complete) else "tool-input-error"
        assert tool_input["type"] == ready
        assert tool_input["input"] == (json.loads(shown) if shown is not None else None)

    views = board_views(chunks)
    expected: list[object] = []
    for value in [*partials, shown]:
        view = json.loads(value) if value is not None else None
        expected.append(view if begins_as_json(chunks) and isinstance(view, dict | list) else None)
    assert views == expected


@pytest.mark.parametrize("chunks", CASES, ids=[repr("|".join(case))[:60] for case in CASES])
def test_every_reader_shows_a_corpus_text_as_the_streamer_does(chunks: list[str]) -> None:
    assert_all_agree(chunks)


@_settings
@given(streams())
def test_every_reader_shows_a_generated_answer_as_the_streamer_does(
    stream: tuple[list[str], str],
) -> None:
    assert_all_agree(stream[0])


def test_no_chunk_at_all_completes_without_a_value_everywhere() -> None:
    assert_all_agree([])


# The decisions, one by one


def test_a_cut_off_value_completes_with_the_text_as_written_and_shows_its_last_snapshot() -> None:
    chunks = ['{"n": 1']
    assert asyncio.run(streamer_messages(chunks)) == [("partial", "{}"), ("complete", '{"n": 1')]
    assert partial_json_items(chunks) == ["{}"]
    assert ui_data(chunks) == ["{}", "{}"]
    assert board_views(chunks) == [{}, {}]


def test_a_top_level_number_is_a_complete_message_and_what_a_display_shows_last() -> None:
    chunks = ["1", "2"]
    assert asyncio.run(streamer_messages(chunks)) == [
        ("partial", None),
        ("partial", None),
        ("complete", "12"),
    ]
    assert partial_json_items(chunks) == [None, None, "12"]
    assert ui_data(chunks) == ["12"]


def test_a_board_reads_nan_as_the_streamer_does_not_as_json_loads_does() -> None:
    assert structured('{"a": 1, "b": NaN}') == {"a": 1}
    assert asyncio.run(streamer_messages(['{"a": 1, "b": NaN}']))[0] == ("partial", '{"a": 1}')


# JsonSnapshots


def test_the_end_gives_the_final_json_only_of_a_value_that_closed() -> None:
    value = JsonSnapshots()
    value.feed('{"a": [1, 2')
    assert value.end() is None
    assert value.snapshot() == '{"a": [1]}'


def test_the_complete_value_reads_the_text_as_written_only_if_the_value_did_not_close() -> None:
    value = JsonSnapshots()
    value.feed('{"a": 1}')
    assert value.complete(lambda: pytest.fail("the text was read")) == '{"a": 1}'


def test_shown_value_of_exact_json_is_what_json_loads_makes_of_it() -> None:
    assert shown_value(' {"a": [1.5, "\\ud800"]} ') == json.loads('{"a": [1.5, "\\ud800"]}')


def test_shown_value_of_a_number_beyond_the_float_range_is_a_plain_float() -> None:
    shown = shown_value("[1e400] and more")
    assert isinstance(shown, list)
    assert type(shown[0]) is float
