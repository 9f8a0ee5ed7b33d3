from __future__ import annotations

import json

import pytest

from kavalai.partial_json import JsonValue
from kavalai.partial_json._encode import NumberTexts, dumps


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


def test_numbers_beyond_the_float_range_are_written_with_the_text_kept_for_them() -> None:
    big, small = float("1E+400"), float("-1e999")
    numbers: NumberTexts = {id(big): (big, "1E+400"), id(small): (small, "-1e999")}
    assert dumps([big, {"x": small}], numbers) == '[1E+400, {"x": -1e999}]'
    assert json.loads(dumps([big], numbers)) == [big]


def test_an_infinity_without_a_kept_text_is_refused_as_json_dumps_refuses_it() -> None:
    with pytest.raises(ValueError, match="no text of it was kept"):
        dumps([float("1e400")])
