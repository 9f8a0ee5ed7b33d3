"""The wire record's JSON Schema holds every record kavalai writes, and only records."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from kavalai import Streamer
from kavalai.web import ndjson, sse
from kavalai.wire import WIRE_VERSION, Record, RecordReader, record_schema


class Answer(BaseModel):
    title: str


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = record_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


async def a_busy_streamer(*, fail: bool, history: int | None) -> Streamer:
    """Every kind of record: announcements, partials, completes, a restart, the end or an error."""
    streamer = Streamer(history=history)
    text = streamer.get_value_streamer("text", stream_delta=True)
    value = streamer.get_value_streamer("value")
    answer = streamer.get_value_streamer("answer", response_model=Answer)
    for index in range(20):
        await text.stream_partial(f"word {index} ")
        await value.stream_partial("\u2028\ud83d")  # a line separator, half a surrogate pair
    await answer.stream_partial('{"title": "Mer')
    await streamer.stream_restart("a retry")
    await answer.stream_partial('cury"}')
    await answer.stream_complete()
    await text.stream_complete()
    if fail:
        await streamer.stream_error(RuntimeError("the model call failed"))
    else:
        await value.stream_complete()
    return streamer


async def records_of(streamer: Streamer, after: int | None) -> list[dict[str, Any]]:
    reader = RecordReader(streamer, after)
    records: list[Record] = []
    while not reader.done:
        records += await reader.read(1.0)
    return [json.loads(record.to_json()) for record in records]


@pytest.mark.parametrize("fail", [False, True])
@pytest.mark.parametrize("history", [None, 4])
async def test_every_record_a_reader_gets_is_valid(
    validator: Draft202012Validator, fail: bool, history: int | None
) -> None:
    streamer = await a_busy_streamer(fail=fail, history=history)
    kinds: set[str] = set()
    for after in (None, 5, 30, 44):  # from the start, inside a catch-up, near the end
        for record in await records_of(streamer, after):
            validator.validate(record)
            kinds.add(record["kind"])
    assert kinds == {"stream", "partial", "complete", "restart", "error" if fail else "end"}


async def test_the_sse_and_ndjson_bodies_carry_valid_records(
    validator: Draft202012Validator,
) -> None:
    streamer = await a_busy_streamer(fail=False, history=None)
    frames = "".join([frame async for frame in sse(streamer, linger_seconds=0)])
    data = [line[len("data: ") :] for line in frames.split("\n") if line.startswith("data: ")]
    lines = "".join([line async for line in ndjson(streamer)]).split("\n")[:-1]  # LF only
    assert len(data) > 5
    for text in data + lines:
        validator.validate(json.loads(text))


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"kind": "done"},
        {"kind": "partial", "seq": 0, "name": "a"},
        {"kind": "partial", "seq": 0, "name": "a", "chunks": []},
        {"kind": "partial", "seq": -1, "name": "a", "chunks": ["x"]},
        {"kind": "partial", "seq": 0, "name": "a", "chunks": [1]},
        {"kind": "complete", "seq": "1", "name": "a"},
        {"kind": "stream", "name": "a", "delta": "yes", "structured": False},
        {"kind": "error", "message": "no type"},
        {"kind": "end", "seq": 3},
    ],
)
def test_what_is_not_a_record_is_refused(
    validator: Draft202012Validator, record: dict[str, object]
) -> None:
    assert not validator.is_valid(record)


def test_the_schema_names_its_version() -> None:
    schema = record_schema()
    assert schema["$id"] == f"urn:kavalai:wire-record:{WIRE_VERSION}"
    assert f"version {WIRE_VERSION}" in schema["title"]
