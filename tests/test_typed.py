from __future__ import annotations

import gc
import textwrap
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import reactivex
from mypy import api
from pydantic import BaseModel, PrivateAttr, model_validator

from kavalai.operators import Partial, is_validated, typed_partials
from kavalai.partial_json import PartialJsonParser
from kavalai.partial_json._typed import MAX_OPEN_LEVELS, PartialModelBuilder
from kavalai.partial_json._views import PartialDict, PartialList

_M = TypeVar("_M", bound=BaseModel)

ROOT = Path(__file__).resolve().parents[1]


class Inner(BaseModel):
    value: int


class Outer(BaseModel):
    inner: Inner | None = None
    items: list[Inner]
    label: str


def build(text: str) -> tuple[PartialModelBuilder[Outer], Outer | None]:
    parser = PartialJsonParser()
    builder = PartialModelBuilder(Outer)
    parser.feed(text)
    return builder, builder.build(parser)


def test_non_object_snapshot_builds_nothing() -> None:
    assert build("[1, 2")[1] is None


def test_finished_optional_nested_model_is_validated() -> None:
    _, outer = build('{"inner": {"value": 3}, "items": [')
    assert outer is not None
    assert outer.inner == Inner(value=3)
    assert outer.items == []
    assert outer.label is None


def test_open_nested_model_is_constructed_with_missing_fields_none() -> None:
    _, outer = build('{"inner": {"val')
    assert outer is not None
    assert isinstance(outer.inner, Inner)
    assert outer.inner.value is None


def test_finished_list_items_are_validated_once_and_reused() -> None:
    parser = PartialJsonParser()
    builder = PartialModelBuilder(Outer)
    parser.feed('{"items": [{"value": 1}, {"value": 2}, ')
    first = builder.build(parser)
    parser.feed('{"value": 3}, {"va')
    second = builder.build(parser)
    assert first is not None
    assert second is not None
    assert second.items[0] is first.items[0]
    assert [item.value for item in second.items] == [1, 2, 3, None]


class Counted(BaseModel):
    value: int

    @model_validator(mode="before")
    @classmethod
    def count(cls, data: object) -> object:
        validated_inputs.append(data)
        return data


validated_inputs: list[object] = []


class Holder(BaseModel):
    first: Counted
    items: list[Counted]
    second: Counted | None = None


def test_each_finished_object_is_validated_once_whatever_the_chunks() -> None:
    text = (
        '{"first": {"value": 1}, "items": [{"value": 2}, {"value": 3}], '
        '"second": {"value": 4}, "first": {"value": 5}}'
    )
    for size in (1, 2, 3, 7):
        validated_inputs.clear()
        built = built_partials(Holder, text, size)[1]
        assert validated_inputs == [{"value": n} for n in (1, 2, 3, 4, 5)], size
        assert built[-1] == Holder.model_validate_json(text)


def test_finished_object_that_fails_validation_is_shown_unvalidated() -> None:
    _, outer = build('{"inner": {"value": "x"}, "label": "l"')
    assert outer is not None
    assert outer.inner is not None
    shown: object = outer.inner.value  # unvalidated, so not the declared int
    assert shown == "x"


class Row(BaseModel):
    id: int
    tags: list[str]


class Table(BaseModel):
    title: str
    rows: list[Row]


def rows_text(count: int) -> str:
    rows = ", ".join(f'{{"id": {i}, "tags": ["t{i}"]}}' for i in range(count))
    return f'{{"title": "T", "rows": [{rows}]}}'


def each_partial(builder: PartialModelBuilder[_M], text: str, size: int) -> Iterator[_M]:
    """Each partial ``builder`` builds as ``text`` is read ``size`` characters at a time."""
    parser = PartialJsonParser()
    for i in range(0, len(text), size):
        parser.feed(text[i : i + size])
        partial = builder.build(parser)
        if partial is not None:
            yield partial


def built_partials(
    model: type[_M], text: str, size: int
) -> tuple[PartialModelBuilder[_M], list[_M]]:
    """The builder, and each partial it built, for ``text`` read ``size`` characters at a time."""
    builder = PartialModelBuilder(model)
    return builder, list(each_partial(builder, text, size))


def partials_of(text: str, size: int = 7) -> tuple[PartialModelBuilder[Table], list[Table]]:
    return built_partials(Table, text, size)


def test_partials_share_finished_items_instead_of_copying_them() -> None:
    _, built = partials_of(rows_text(50))
    open_rows = [table.rows for table in built if isinstance(table.rows, PartialList)]
    assert len(open_rows) > 50
    first_row = open_rows[-1][0]
    assert all(rows[0] is first_row for rows in open_rows if len(rows) > 1)


def open_at_the_second_row() -> tuple[PartialJsonParser, PartialModelBuilder[Table], Table]:
    """A parser, its builder and the partial built while the second row is open."""
    parser = PartialJsonParser()
    builder = PartialModelBuilder(Table)
    parser.feed('{"title": "T", "rows": [{"id": 1, "tags": []}, {"id": 2')
    partial = builder.build(parser)
    assert partial is not None
    return parser, builder, partial


def test_an_earlier_partial_does_not_change_when_more_arrives() -> None:
    parser, builder, before = open_at_the_second_row()
    assert repr(before.rows) == "[Row(id=1, tags=[]), Row(id=None, tags=None)]"
    parser.feed(', "tags": ["x"]}, {"id": 3, "tags": []}]}')
    after = builder.build(parser)
    assert after == Table.model_validate_json(
        '{"title": "T", "rows": [{"id": 1, "tags": []}, {"id": 2, "tags": ["x"]},'
        ' {"id": 3, "tags": []}]}'
    )
    assert len(before.rows) == 2
    assert before.rows[1].id is None


class Grid(BaseModel):
    names: list[str]
    cells: list[list[int]]
    rows: list[Row]


class Inventory(BaseModel):
    counts: dict[str, int]
    notes: Any
    shelves: list[dict[str, list[int]]]


@pytest.mark.parametrize(
    ("model", "text"),
    [
        (
            Grid,
            '{"names": ["a", "b", "c"], "cells": [[1, 2], [3], []], '
            '"rows": [{"id": 1, "tags": ["x", "y"]}, {"id": 2, "tags": []}]}',
        ),
        (
            Inventory,
            '{"counts": {"a": 1, "b": 2, "a": 3, "c": 4}, '
            '"notes": {"x": {"y": [1, 2]}, "z": "w"}, '
            '"shelves": [{"p": [1]}, {"q": [], "p": [2]}]}',
        ),
    ],
)
def test_no_partial_changes_after_it_was_built(model: type[BaseModel], text: str) -> None:
    for size in (1, 2, 5):
        # Each partial's repr as it was built, and the partial, read again at the end.
        seen = [(p, repr(p)) for p in each_partial(PartialModelBuilder(model), text, size)]
        assert seen[-1][0] == model.model_validate_json(text)
        assert [repr(partial) for partial, _ in seen] == [shown for _, shown in seen]


def test_an_open_object_read_as_a_dict_is_a_partial_dict() -> None:
    _, built = built_partials(Inventory, '{"counts": {"a": 1, "b": 2}}', 3)
    assert any(isinstance(partial.counts, PartialDict) for partial in built)


def test_partials_share_the_finished_members_of_an_open_dict() -> None:
    members = ", ".join(f'"k{i}": {i}' for i in range(50))
    _, built = built_partials(Inventory, f'{{"counts": {{{members}}}}}', 7)
    open_counts = [p.counts for p in built if isinstance(p.counts, PartialDict)]
    assert len(open_counts) > 50
    assert all(counts._entries is open_counts[-1]._entries for counts in open_counts)
    assert open_counts[-1] == {f"k{i}": i for i in range(49)}  # the last ends at the "}"


def test_a_partial_with_an_open_dict_dumps_as_the_dict_it_reads_as() -> None:
    parser = PartialJsonParser()
    builder = PartialModelBuilder(Inventory)
    parser.feed('{"counts": {"a": 1}, "notes": {"x": [1, {"y": "z')
    partial = builder.build(parser)
    assert partial is not None
    assert partial.model_dump(warnings=False) == {
        "counts": {"a": 1},
        "notes": {"x": [1, {"y": "z"}]},
        "shelves": None,
    }
    dumped = '{"counts":{"a":1},"notes":{"x":[1,{"y":"z"}]},"shelves":null}'
    assert partial.model_dump_json() == dumped


def test_a_string_under_a_key_no_model_reads_leaves_the_partials_as_they_were() -> None:
    text = '{"title": "T", "skip": {"deep": ["long text"]}, "rows": [{"id": 1, "note": "long'
    partials = built_partials(Table, text, 3)[1]
    assert not any("long" in repr(partial) for partial in partials)
    assert repr(partials[-1]) == "Table(title='T', rows=[Row(id=1, tags=None)])"


def test_what_the_builder_keeps_stays_bounded_by_the_open_containers() -> None:
    builder, built = partials_of(rows_text(300))
    assert built[-1] == Table.model_validate_json(rows_text(300))
    assert len(builder._levels) <= 4


def test_a_value_open_deeper_than_the_limit_builds_no_partial() -> None:
    parser = PartialJsonParser()
    builder = PartialModelBuilder(Table)
    parser.feed('{"title": "T", "rows": [' + "[" * MAX_OPEN_LEVELS)
    assert builder.build(parser) is None


class Answer(BaseModel):
    title: str


def typed_items(*chunks: str) -> list[Partial[Answer]]:
    items: list[Partial[Answer]] = []
    reactivex.from_iterable(chunks).pipe(typed_partials(Answer)).subscribe(items.append)
    return items


def test_only_the_validated_instance_that_ends_the_stream_is_validated() -> None:
    items = typed_items('{"title": "Gas gi', 'ants"}')

    assert [is_validated(item, Answer) for item in items] == [False, False, True]


def test_an_equal_instance_made_elsewhere_is_not_the_validated_one() -> None:
    final = typed_items('{"title": "Gas giants"}')[-1]

    assert final == Answer(title="Gas giants")
    assert not is_validated(Answer(title="Gas giants"), Answer)
    assert not is_validated(final, Outer)


def test_partial_is_for_annotations_only() -> None:
    with pytest.raises(TypeError, match="Partial is for annotations"):
        Partial()


def check_types(tmp_path: Path, body: str) -> str:
    """What ``mypy --strict`` says of ``body``, run inside a function given ``partial``."""
    module = tmp_path / "partial_use.py"
    module.write_text(
        "from pydantic import BaseModel\n"
        "from kavalai.operators import Partial, is_validated\n\n\n"
        "class Answer(BaseModel):\n    title: str\n\n\n"
        "def use(partial: Partial[Answer]) -> None:\n" + textwrap.indent(body, "    "),
        encoding="utf-8",
    )
    out, err, status = api.run(
        ["--strict", "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental", str(module)]
    )
    return "" if status == 0 else out + err


def test_a_type_checker_rejects_a_field_of_a_partial_used_as_if_it_had_arrived(
    tmp_path: Path,
) -> None:
    said = check_types(tmp_path, "print(partial.title.upper())\n")

    assert '"object" has no attribute "upper"' in said


def test_a_type_checker_accepts_the_field_once_the_partial_is_validated(tmp_path: Path) -> None:
    body = "if is_validated(partial, Answer):\n    print(partial.title.upper())\n"

    assert check_types(tmp_path, body) == ""


def test_a_type_checker_accepts_a_field_narrowed_on_its_own(tmp_path: Path) -> None:
    body = "if isinstance(partial.title, str):\n    print(partial.title.upper())\n"

    assert check_types(tmp_path, body) == ""


def test_a_partial_with_an_open_list_dumps_as_the_list_it_reads_as() -> None:
    class Row(BaseModel):
        id: int

    class Rows(BaseModel):
        rows: list[Row]

    parser = PartialJsonParser()
    builder = PartialModelBuilder(Rows)
    parser.feed('{"rows": [{"id": 1}, {"id": 2}, {"i')
    partial = builder.build(parser)
    assert partial is not None
    assert partial.model_dump_json(warnings=False) == '{"rows":[{"id":1},{"id":2},{"id":null}]}'
    assert partial.model_dump(warnings=False) == {"rows": [{"id": 1}, {"id": 2}, {"id": None}]}


def test_a_repeated_key_shows_its_later_value_as_json_loads_keeps_it() -> None:
    class Pair(BaseModel):
        a: int
        b: str

    text = '{"a": 1, "a": 2, "b": "x", "a": 3}'
    for size in (1, 2, 5):
        shown = [(pair.a, pair.b) for pair in built_partials(Pair, text, size)[1]]
        assert (2, "x") in shown
        assert shown[-1] == (3, "x")


def test_the_partial_of_the_closed_root_shares_the_items_validated_while_it_was_open() -> None:
    _, built = partials_of(rows_text(5))
    closed, last_open = built[-1], built[-2]
    assert not isinstance(closed.rows, PartialList)
    assert closed == Table.model_validate_json(rows_text(5))
    assert closed.rows[0] is last_open.rows[0]


def test_a_root_that_arrives_in_one_chunk_is_built_from_its_converted_members() -> None:
    builder, outer = build('{"inner": {"value": 3}, "items": [{"value": 4}], "label": "l"}')
    assert outer == Outer(inner=Inner(value=3), items=[Inner(value=4)], label="l")
    assert outer is not None
    assert outer.model_fields_set == {"inner", "items", "label"}
    assert builder._levels == []


class WithPrivate(BaseModel):
    title: str
    _views: int = PrivateAttr(default=5)


class WithExtra(BaseModel, extra="allow"):
    title: str


def test_a_model_with_private_attributes_or_extra_fields_gets_them_on_its_partials() -> None:
    _, with_private = built_partials(WithPrivate, '{"title": "Hello"}', 4)
    assert [partial.title for partial in with_private] == [None, None, "H", "Hello", "Hello"]
    assert all(partial._views == 5 for partial in with_private)
    _, with_extra = built_partials(WithExtra, '{"title": "Hello", "more": 1}', 4)
    assert with_extra[2].model_extra == {}
    assert with_extra[2].model_dump() == {"title": "H"}


class Cat(BaseModel):
    meows: int


class Dog(BaseModel):
    barks: int


class Pets(BaseModel):
    by_name: dict[str, Cat]
    favourite: Cat | Dog
    pair: tuple[Cat, Dog]
    note: str


def test_a_finished_dict_union_or_tuple_of_models_is_shown_validated() -> None:
    text = (
        '{"by_name": {"tom": {"meows": 3}}, "favourite": {"barks": 2}, '
        '"pair": [{"meows": 1}, {"barks": 1}], "note": "ok"}'
    )
    _, built = built_partials(Pets, text, 5)
    with_note = next(partial for partial in built if partial.note is not None)
    assert with_note.by_name == {"tom": Cat(meows=3)}
    assert with_note.favourite == Dog(barks=2)
    assert with_note.pair == (Cat(meows=1), Dog(barks=1))
    assert built[-1] == Pets.model_validate_json(text)


def test_a_finished_value_that_fails_its_union_is_shown_as_parsed() -> None:
    text = '{"by_name": {}, "favourite": {"purrs": 1}, "pair": [], "note": ""}'
    _, built = built_partials(Pets, text, 4)
    shown: object = built[-1].favourite  # unvalidated, so neither Cat nor Dog
    assert shown == {"purrs": 1}


def test_a_builder_left_with_open_levels_is_freed_without_the_collector() -> None:
    parser, builder, partial = open_at_the_second_row()
    first_row = weakref.ref(partial.rows[0])
    gc.disable()
    try:
        del parser, builder, partial
        assert first_row() is None
    finally:
        gc.enable()
