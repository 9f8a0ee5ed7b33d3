from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import reactivex
from pydantic import BaseModel, Field
from reactivex.subject import Subject

from kavalai import Streamer, StreamValidationError, iterate
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


# Never crash, never invent


DEEP = 10_000


def chunked(text: str, size: int = 16) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_partial_json_renders_ten_thousand_levels() -> None:
    text = '{"a": [' * DEEP + "1e400" + "]}" * DEEP
    items, error = run(reactivex.from_iterable(chunked(text)).pipe(partial_json()))
    assert error is None
    assert items[-1] == text


def test_json_operators_send_a_chunk_that_is_not_text_to_on_error() -> None:
    for operator in (partial_json(), typed_partials(Page), completed_items("records")):
        source: reactivex.Observable[Any] = reactivex.of('{"records": [', b"bytes", "]}")
        _, error = run(source.pipe(operator))
        assert isinstance(error, TypeError)


def test_completed_items_of_ten_thousand_levels() -> None:
    item = "[" * DEEP + "]" * DEEP
    text = '{"items": [' + item + ", " + item + "]}"
    items, error = run(reactivex.from_iterable(chunked(text)).pipe(completed_items("items")))
    assert error is None
    assert len(items) == 2
    depth, value = 0, items[0]
    while value:
        (value,) = value
        depth += 1
    assert depth == DEEP - 1


class Node(BaseModel):
    children: list[Node] = []


def test_typed_partials_of_ten_thousand_levels_end_with_a_validation_error() -> None:
    text = '{"children": [' * DEEP + "]}" * DEEP
    items, error = run(reactivex.from_iterable(chunked(text)).pipe(typed_partials(Node)))
    assert items
    assert isinstance(error, StreamValidationError)  # pydantic cannot validate this depth
    assert not error.truncated


NUMBERS = f'{{"items": [{2**63}, {2**64 + 1}, {-(2**70)}, 1e400, -1e400, 1.5e308, 1e-400]}}'
SURROGATES = r'{"items": ["\uD888\u1234", "\ud800", "\udc00\ud800", "\ud83d\ude00", "x\ud800y"]}'


@pytest.mark.parametrize("backend", ["python", "yajl2_c"])
@pytest.mark.parametrize("text", [NUMBERS, SURROGATES])
def test_completed_items_equal_json_loads_whichever_ijson_backend_is_installed(
    backend: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ijson's backends disagree with json.loads on these inputs (the C one
    # overflows and invents characters); the items must not depend on them.
    import sys

    import ijson

    monkeypatch.setitem(sys.modules, "ijson", ijson.get_backend(backend))
    for size in (1, 5, len(text)):
        items, error = run(
            reactivex.from_iterable(chunked(text, size)).pipe(completed_items("items"))
        )
        assert error is None
        assert items == json.loads(text)["items"]
        assert [type(item) is int for item in items] == [
            type(item) is int for item in json.loads(text)["items"]
        ]


def test_completed_items_hand_out_a_number_beyond_the_float_range_as_a_plain_float() -> None:
    items, error = run(reactivex.of("[1e400, -1e400, 1.5]").pipe(completed_items("")))
    assert error is None
    assert items == json.loads("[1e400, -1e400, 1.5]")
    assert [type(item) for item in items] == [float, float, float]


def test_completed_items_reject_what_json_loads_rejects() -> None:
    text = '{"items": [1, "' + "\x01" + '"]}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    items, error = run(reactivex.of(text).pipe(completed_items("items")))
    assert items == [1]
    assert isinstance(error, StreamValidationError)
    assert "control character" in str(error)


# Paths


@pytest.mark.parametrize("path", ["a..b", ".a", "a.", "."])
def test_completed_items_refuse_a_path_with_an_empty_key_up_front(path: str) -> None:
    with pytest.raises(ValueError, match="empty key"):
        completed_items(path)


def test_completed_items_refuse_a_path_that_is_not_a_str() -> None:
    with pytest.raises(TypeError, match="dotted object keys"):
        completed_items(["records"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        ("records", '{"records": {"a": 1}}', "'records' is an object, not an array"),
        ("records", '{"records": "soon"}', "'records' is a string, not an array"),
        ("records", '{"records": 3, "x": [', "'records' is a number, not an array"),
        ("records", "[1, 2]", "the value is an array, not an object with key 'records'"),
        ("records.title", '{"records": [{"title": "A"}]}', "'records' is an array, not an object"),
        ("a.b", '{"a": null}', "'a' is null, not an object with key 'b'"),
        ("", '{"records": []}', "the value is an object, not an array"),
        ("", '"text"', "the value is a string, not an array"),
    ],
)
def test_completed_items_path_meeting_the_wrong_kind_fails_at_once(
    path: str, text: str, message: str
) -> None:
    subject: reactivex.subject.Subject[str] = reactivex.subject.Subject()
    items: list[Any] = []
    errors: list[Exception] = []
    subject.pipe(completed_items(path, name="answer")).subscribe(items.append, errors.append)
    subject.on_next(text)
    assert items == []
    (error,) = errors
    assert isinstance(error, StreamValidationError)
    assert message in str(error)
    assert "'answer'" in str(error)


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        (
            "records",
            '{"items": [1], "count": 1}',
            "the value has no key 'records' (its keys: 'items', 'count')",
        ),
        ("result.records", '{"result": {"rows": []}}', "'result' has no key 'records'"),
        ("records", "No records today.", "no JSON value found"),
        ("records", '{"records": [1, 2', "unexpected end of input"),
    ],
)
def test_completed_items_path_that_never_appears_fails_at_the_end(
    path: str, text: str, message: str
) -> None:
    _, error = run(reactivex.from_iterable(chunked(text, 4)).pipe(completed_items(path)))
    assert isinstance(error, StreamValidationError)
    assert message in str(error)
    assert error.text == text


def test_completed_items_of_a_cut_off_array_emit_what_closed_then_say_truncated() -> None:
    text = '{"records": [{"x": 1}, {"x": 2}, {"x"'
    items, error = run(reactivex.from_iterable(chunked(text, 5)).pipe(completed_items("records")))
    assert items == [{"x": 1}, {"x": 2}]
    assert isinstance(error, StreamValidationError)
    assert error.truncated
    assert "cut off" in str(error)


def test_completed_items_find_the_array_inside_inline_code() -> None:
    text = 'Sure: ```{"records": [1, 2]}```'
    items, error = run(reactivex.from_iterable(chunked(text, 3)).pipe(completed_items("records")))
    assert (items, error) == ([1, 2], None)


# Truncation and cumulative streams


def test_typed_partials_of_cut_off_json_say_truncated() -> None:
    chunks = ['{"heading": "h", "records": [{"title": "A", "year": 1}', ", "]
    _, error = run(reactivex.from_iterable(chunks).pipe(typed_partials(Page, name="page")))
    assert isinstance(error, StreamValidationError)
    assert error.truncated
    assert "'page' was cut off" in str(error)
    assert "max_tokens" in str(error)


def test_typed_partials_of_prose_are_not_truncated() -> None:
    _, error = run(reactivex.of("I cannot help with that.").pipe(typed_partials(Page)))
    assert isinstance(error, StreamValidationError)
    assert not error.truncated


async def test_operators_read_a_cumulative_structured_stream_through_values() -> None:
    from kavalai import Streamer, iterate

    streamer = Streamer()  # cumulative: its messages carry snapshots, values() the text
    answer = streamer.get_value_streamer("page", response_model=Page)
    text = '{"heading": "h", "records": [{"title": "A", "year": 1}, {"title": "B", "year": 2}]}'
    for chunk in chunked(text, 7):
        await answer.stream_partial(chunk)
    await answer.stream_complete()
    pages = [page async for page in iterate(streamer.values("page").pipe(typed_partials(Page)))]
    records = [
        item
        async for item in iterate(streamer.values("page").pipe(completed_items("records", Record)))
    ]
    assert pages[-1] == Page.model_validate_json(text)
    assert records == [Record(title="A", year=1), Record(title="B", year=2)]


async def test_coalesced_typed_partials_give_one_partial_per_loop_turn() -> None:
    class Person(BaseModel):
        name: str
        year: int

    subject: Subject[str] = Subject()
    received: list[object] = []
    done = asyncio.get_running_loop().create_future()
    subject.pipe(typed_partials(Person, coalesce=True)).subscribe(
        received.append, done.set_exception, lambda: done.set_result(None)
    )
    for chunk in ('{"name": "T', "i", "mo"):  # one burst: one partial, the newest
        subject.on_next(chunk)
    assert received == []
    await asyncio.sleep(0)
    assert [repr(p) for p in received] == ["Person(name='Timo', year=None)"]
    subject.on_next('", "year": 1986}')
    subject.on_completed()  # the validated instance supersedes the pending partial
    await done
    await asyncio.sleep(0)
    assert [repr(p) for p in received] == [
        "Person(name='Timo', year=None)",
        "Person(name='Timo', year=1986)",
    ]


async def test_coalesced_typed_partials_fail_at_once_on_a_chunk_that_is_not_text() -> None:
    class Person(BaseModel):
        name: str

    subject: Subject[object] = Subject()
    errors: list[Exception] = []
    subject.pipe(typed_partials(Person, coalesce=True)).subscribe(on_error=errors.append)  # type: ignore[arg-type]
    subject.on_next('{"name": "Ti')
    subject.on_next(b"mo")
    assert [str(error) for error in errors] == ["feed() takes str, not bytes"]
    await asyncio.sleep(0)
    assert len(errors) == 1


async def test_coalesced_typed_partials_read_the_turn_that_completes_the_value() -> None:
    class Person(BaseModel):
        name: str

    subject: Subject[str] = Subject()
    received: list[object] = []
    subject.pipe(typed_partials(Person, coalesce=True)).subscribe(received.append)
    subject.on_next('{"na')
    subject.on_next('me": "Timo"}')
    subject.on_completed()  # in the same turn: the pending chunks are read first
    assert received == [Person(name="Timo")]


@pytest.mark.parametrize("cumulative", [False, True])
async def test_an_error_of_a_json_operator_on_a_streams_values_names_that_stream(
    cumulative: bool,
) -> None:
    class Answer(BaseModel):
        title: str

    streamer = Streamer(stream_delta=not cumulative)
    result = streamer.get_value_streamer("result", response_model=Answer)
    await result.stream_partial('{"title": 1}')
    await result.stream_complete()
    for operator in (typed_partials(Answer), completed_items("items")):
        with pytest.raises(StreamValidationError, match="'result'"):
            async for _ in iterate(streamer.values("result").pipe(operator)):
                pass
    with pytest.raises(StreamValidationError, match="'answer'"):
        async for _ in iterate(
            streamer.values("result").pipe(typed_partials(Answer, name="answer"))
        ):
            pass


@pytest.mark.parametrize("coalesce", [False, True])
async def test_typed_partials_that_cannot_build_for_recursion_end_with_a_validation_error(
    coalesce: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_deep(self: object, parser: object) -> None:
        raise RecursionError

    monkeypatch.setattr("kavalai.operators._json.PartialModelBuilder.build", too_deep)
    subject: Subject[str] = Subject()
    errors: list[Exception] = []
    subject.pipe(typed_partials(Record, coalesce=coalesce)).subscribe(on_error=errors.append)
    subject.on_next('{"title": "A"')
    await asyncio.sleep(0)
    subject.on_next(', "year": 1}')
    await asyncio.sleep(0)
    assert len(errors) == 1
    assert isinstance(errors[0], StreamValidationError)
    assert "nested too deeply to build Record" in str(errors[0])
