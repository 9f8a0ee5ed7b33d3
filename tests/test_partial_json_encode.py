from __future__ import annotations

import json

import pytest

from kavalai.partial_json import JsonValue
from kavalai.partial_json._encode import OutOfRange, dumps


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "é😀\ud800\n",
        0,
        -0.0,
        10**40,
        1.5e-7,
        [],
        {},
        {"a": [1, {"b": None, "c": [[], {}]}], "d": "x"},
        [[1, 2], {"k": [True, False]}],
    ],
)
def test_dumps_equals_json_dumps(value: JsonValue) -> None:
    assert dumps(value) == json.dumps(value)


def test_deep_values_render_like_json_dumps_would_without_a_recursion_limit() -> None:
    value: JsonValue = "leaf"
    for level in range(10_000):
        value = [value, 1] if level % 2 else {"k": value, "n": None}
    text = dumps(value)
    assert text.startswith('[{"k": [{"k": ')
    assert text.endswith(', "n": null}, 1]')
    assert text.count("leaf") == 1


def test_out_of_range_numbers_keep_their_text_and_their_value() -> None:
    big = OutOfRange("1E+400")
    assert big == float("inf")
    assert OutOfRange("-1e999") == float("-inf")
    assert dumps([big, {"x": OutOfRange("-1e999")}]) == '[1E+400, {"x": -1e999}]'
    assert json.loads(dumps([big])) == [big]
