from __future__ import annotations

from pydantic import BaseModel

from kavalai._partial_json import PartialJsonParser
from kavalai._typed import PartialModelBuilder


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
    return builder, builder.build(parser.snapshot(), parser.depth)


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
    first = builder.build(parser.snapshot(), parser.depth)
    parser.feed('{"value": 3}, {"va')
    second = builder.build(parser.snapshot(), parser.depth)
    assert first is not None
    assert second is not None
    assert second.items[0] is first.items[0]
    assert [item.value for item in second.items] == [1, 2, 3, None]


def test_finished_object_that_fails_validation_is_shown_unvalidated() -> None:
    _, outer = build('{"inner": {"value": "x"}, "label": "l"')
    assert outer is not None
    assert outer.inner is not None
    shown: object = outer.inner.value  # unvalidated, so not the declared int
    assert shown == "x"
