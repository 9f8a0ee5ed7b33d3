"""ArgumentsWriter: pieces at JSON paths, in document order, written as the JSON of the whole."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kavalai.providers._json_path import ArgumentsWriter, Piece, Segment, parse_path

leaves = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda x: not x.is_integer()),
)
values: st.SearchStrategy[Any] = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=6), children, min_size=1, max_size=4),
    ),
    max_leaves=20,
)
objects = st.dictionaries(st.text(min_size=1, max_size=6), values, min_size=1, max_size=5)


def pieces(value: Any, path: tuple[Segment, ...], cuts: st.DataObject) -> list[Piece]:
    """The pieces the API would send for ``value``: one per scalar, strings cut anywhere."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in pieces(item, (*path, key), cuts)]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in pieces(item, (*path, index), cuts)]
    if isinstance(value, str) and len(value) > 1:
        cut = cuts.draw(st.integers(1, len(value) - 1))
        return [Piece(path, value[:cut], continues=True), Piece(path, value[cut:])]
    scalar = float(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return [Piece(path, scalar)]


@given(objects, st.data())
def test_pieces_in_document_order_write_the_json_of_the_whole(
    value: dict[str, Any], cuts: st.DataObject
) -> None:
    writer = ArgumentsWriter()
    text = "".join(writer.feed(piece) for piece in pieces(value, (), cuts)) + writer.close()
    assert json.loads(text) == value


def test_a_path_that_leaves_a_container_closes_it() -> None:
    writer = ArgumentsWriter()
    written = [
        writer.feed(Piece(("a", "x"), 1.0)),
        writer.feed(Piece(("b",), "t", continues=True)),
        writer.feed(Piece(("b",), "wo")),
        writer.feed(Piece(("c", 0, "d"), True)),
        writer.feed(Piece(("c", 1, "d"), None)),
        writer.close(),
    ]
    assert written == [
        '{"a": {"x": 1',
        '}, "b": "t',
        'wo"',
        ', "c": [{"d": true',
        '}, {"d": null',
        "}]}",
    ]


def test_nothing_written_closes_to_nothing() -> None:
    assert ArgumentsWriter().close() == ""


def test_json_paths_in_dot_and_bracket_notation() -> None:
    assert parse_path("$") == ()
    assert parse_path("$.a[12][\"b.c\"]['d']") == ("a", 12, "b.c", "d")
    assert parse_path("$.a[x]") is None
    assert parse_path("a.b") is None
