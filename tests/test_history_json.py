"""The ``complete`` message of a structured stream: the final JSON, or the text as written."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from kavalai import Streamer


class Item(BaseModel):
    name: str
    count: int


class Order(BaseModel):
    items: list[Item]
    total: int
    note: str | None = None


ORDER = 'Here you go:\n```json\n{"items": [{"name": "tea", "count": 2}], "total": 10}\n```\nBye'


async def complete_value(chunks: list[str]) -> str | None:
    streamer = Streamer()
    stream = streamer.get_value_streamer("order", response_model=Order)
    for chunk in chunks:
        await stream.stream_partial(chunk)
    await stream.stream_complete()
    messages = [message async for message in streamer]
    assert messages[-1].type == "complete"
    return messages[-1].value


async def test_a_closed_value_completes_as_json_dumps_of_it() -> None:
    value = await complete_value([ORDER[:30], ORDER[30:]])
    assert value == '{"items": [{"name": "tea", "count": 2}], "total": 10}'


@pytest.mark.parametrize(
    "text",
    [
        '{"items": [{"name": "tea", "count": 2}], "total": 1',
        "I can't help with that.",
        '{"items": [], "total": oops}',
    ],
)
async def test_a_value_that_did_not_close_completes_with_the_text_as_written(text: str) -> None:
    assert await complete_value([text[:9], text[9:]]) == text


async def test_truncation_at_every_position_never_validates_as_a_shorter_document() -> None:
    whole = Order.model_validate_json(json.dumps(json.loads(ORDER[ORDER.index("{") : -8])))
    for cut in range(1, len(ORDER) + 1):
        value = await complete_value([ORDER[:cut]])
        assert value is not None
        try:
            order = Order.model_validate_json(value)
        except ValidationError:
            continue
        assert order == whole, cut  # only a cut after the closing brace validates
        assert cut > ORDER.index("}\n")
