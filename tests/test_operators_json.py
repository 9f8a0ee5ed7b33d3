from __future__ import annotations

import json
from typing import Any

import pytest
import reactivex
from pydantic import BaseModel, Field

from kavalai import StreamValidationError
from kavalai.operators import completed_items, partial_json, typed_partials


class Record(BaseModel):
    title: str
    year: int


class Page(BaseModel):
    heading: str
    records: list[Record]
    note: str | None = None


def run(source: reactivex.Observable[Any]) -> tuple[list[Any], Exception | None]:
    items: list[Any] = []
    errors: list[Exception] = []
    source.subscribe(items.append, errors.append)
    return items, errors[0] if errors else None


def test_partial_json_emits_one_snapshot_per_chunk() -> None:
    chunks = ['{"name": "Ti', 'mo", ', ' "birth_year": 1986}']
    items, error = run(reactivex.from_iterable(chunks).pipe(partial_json()))
    assert items == ['{"name": "Ti"}', '{"name": "Timo"}', '{"name": "Timo", "birth_year": 1986}']
    assert error is None


def test_partial_json_is_none_until_a_value_starts() -> None:
    items, _ = run(reactivex.of("Sure! ", "```json\n", "[1").pipe(partial_json()))
    assert items == [None, None, "[]"]


def test_partial_json_emits_the_value_the_end_of_input_completes() -> None:
    items, _ = run(reactivex.of("19", "86").pipe(partial_json()))
    assert items == [None, None, "1986"]


def test_partial_json_reads_cumulative_text() -> None:
    source = reactivex.of('{"a": "x', '{"a": "xy"}')
    items, _ = run(source.pipe(partial_json(cumulative=True)))
    assert items == ['{"a": "x"}', '{"a": "xy"}']


def test_typed_partials_fill_in_and_end_validated() -> None:
    text = '{"heading": "Films", "records": [{"title": "Alien", "year": 1979}, {"title": "Heat"'
    text += ', "year": 1995}]}'
    chunks = [text[i : i + 7] for i in range(0, len(text), 7)]
    items, error = run(reactivex.from_iterable(chunks).pipe(typed_partials(Page)))
    assert error is None
    assert all(isinstance(item, Page) for item in items)
    assert items[-1] == Page.model_validate_json(text)
    first_with_record = next(item for item in items if item.records)
    assert first_with_record.heading == "Films"
    headings = [item.heading for item in items]
    assert headings[0] in (None, "") or "Films".startswith(headings[0])


def test_typed_partials_leave_missing_fields_none_and_unset() -> None:
    items, _ = run(reactivex.of('{"heading": "Fi').pipe(typed_partials(Page)))
    (page,) = items
    assert page.heading == "Fi"
    assert page.records is None
    assert page.model_fields_set == {"heading"}


def test_typed_partials_validate_finished_nested_objects() -> None:
    source = reactivex.of('{"heading": "h", "records": [{"title": "A", "year": 1}, {"tit')
    items, _ = run(source.pipe(typed_partials(Page)))
    records = items[-1].records
    assert isinstance(records[0], Record)
    assert records[0] == Record(title="A", year=1)
    assert records[1].title is None  # open: built, not validated


def test_typed_partials_failed_validation_carries_text_value_and_errors() -> None:
    text = '{"heading": "h", "records": [{"title": "A", "year": "soon"}]}'
    _, error = run(reactivex.of(text).pipe(typed_partials(Page, name="result")))
    assert isinstance(error, StreamValidationError)
    assert error.name == "result"
    assert error.text == text
    assert error.value == json.loads(text)
    assert error.errors[0]["loc"] == ("records", 0, "year")
    assert "'result'" in str(error)


def test_typed_partials_of_prose_fail_at_completion_with_the_raw_text() -> None:
    _, error = run(reactivex.of("I cannot help with that.").pipe(typed_partials(Page)))
    assert isinstance(error, StreamValidationError)
    assert error.text == "I cannot help with that."
    assert error.value is None


def test_completed_items_validate_each_record_as_the_item_model() -> None:
    chunks = ['{"records": [{"title": "A", "year": 1}, {"ti', 'tle": "B", "year": 2}', "]}"]
    values, error = run(reactivex.from_iterable(chunks).pipe(completed_items("records", Record)))
    assert values == [Record(title="A", year=1), Record(title="B", year=2)]
    assert error is None


def test_completed_items_arrive_before_the_document_ends() -> None:
    values: list[Any] = []
    subject: reactivex.subject.Subject[str] = reactivex.subject.Subject()
    subject.pipe(completed_items("records")).subscribe(values.append)
    subject.on_next('{"records": [{"title": "A", "year": 1}, ')
    assert values == [{"title": "A", "year": 1}]
    subject.on_next('{"title": "B"')
    assert len(values) == 1
    subject.on_next(', "year": 2.5}]}')
    assert values[1] == {"title": "B", "year": 2.5}


def test_completed_items_skip_prose_fences_and_trailing_text() -> None:
    chunks = ["Here you go:\n```json\n[1, ", "2, 3]\n```\nAnything else?"]
    values, error = run(reactivex.from_iterable(chunks).pipe(completed_items("")))
    assert values == [1, 2, 3]
    assert error is None


def test_completed_items_follow_a_nested_path() -> None:
    text = '{"result": {"records": [{"x": 1}, {"x": 2}]}, "records": ["not these"]}'
    values, _ = run(reactivex.of(text).pipe(completed_items("result.records")))
    assert values == [{"x": 1}, {"x": 2}]


def test_completed_items_invalid_item_ends_with_validation_error() -> None:
    text = '{"records": [{"title": "A", "year": 1}, {"title": "B"}]}'
    values, error = run(reactivex.of(text).pipe(completed_items("records", Record, name="r")))
    assert values == [Record(title="A", year=1)]
    assert isinstance(error, StreamValidationError)
    assert error.value == {"title": "B"}


def test_completed_items_broken_json_ends_with_error_after_earlier_items() -> None:
    chunks = ['{"records": [{"x": 1}, ', "{x: 2}]}"]
    values, error = run(reactivex.from_iterable(chunks).pipe(completed_items("records")))
    assert values == [{"x": 1}]
    assert isinstance(error, StreamValidationError)


@pytest.mark.parametrize("chunk_size", [1, 3, 16])
def test_completed_items_equal_json_loads_for_any_chunking(chunk_size: int) -> None:
    document = {"items": [{"s": 'é\\"\n😀', "n": -1.5e3, "b": True, "z": None, "l": [1, [2]]}] * 5}
    text = json.dumps(document)
    chunks = [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
    values, error = run(reactivex.from_iterable(chunks).pipe(completed_items("items")))
    assert error is None
    assert values == document["items"]


def test_typed_partials_of_cut_off_json_fail_instead_of_validating_the_snapshot() -> None:
    chunks = ['{"heading": "Gas giants", "records": [{"title": "Jup', "iter"]
    items, error = run(reactivex.from_iterable(chunks).pipe(typed_partials(Page)))
    assert isinstance(error, StreamValidationError)
    assert "ended before" in str(error) or "end of input" in str(error)
    assert error.text == "".join(chunks)
    assert all(item.records is None or item.records[0].year is None for item in items)


def test_completed_items_take_empty_chunks_in_stride() -> None:
    chunks = ['{"items": [1, ', "", "2]}"]
    values, error = run(reactivex.from_iterable(chunks).pipe(completed_items("items")))
    assert values == [1, 2]
    assert error is None


def test_typed_partials_read_fields_by_their_validation_alias() -> None:
    class Aliased(BaseModel):
        title: str = Field(validation_alias="Title")
        count: int

    items, _ = run(reactivex.of('{"Title": "Ab', 'c", "count": 3}').pipe(typed_partials(Aliased)))
    assert items[0].title == "Ab"
    assert items[-1] == Aliased.model_validate({"Title": "Abc", "count": 3})
