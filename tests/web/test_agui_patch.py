"""State deltas: JSON Patch from the partial-JSON engine, applied as RFC 6902 says."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from kavalai.partial_json import PartialJsonParser
from kavalai.web._patch import ValuePatcher, pointer


def apply(document: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902 ``add`` and ``replace``, strictly: a path that does not fit raises."""
    for op in ops:
        assert op["op"] in ("add", "replace")  # a value is never taken back
        value = json.loads(json.dumps(op["value"]))
        if op["path"] == "":
            document = value
            continue
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in op["path"].split("/")[1:]]
        parent = document
        for token in tokens[:-1]:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        last = tokens[-1]
        if isinstance(parent, list):
            index = int(last)
            if op["op"] == "add":
                assert index == len(parent)  # members are only appended
                parent.append(value)
            else:
                parent[index] = value
        else:
            if op["op"] == "replace":
                assert last in parent
            parent[last] = value
    return document


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice([1, -2.5, True, None, "x" * rng.randint(0, 40), 'h\u00e9"\\', "🎉"])
    if roll < 0.65:
        return {f"k{i}/~": random_value(rng, depth + 1) for i in range(rng.randint(0, 5))}
    return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]


@pytest.mark.parametrize("seed", range(300))
def test_patches_bring_the_copy_to_the_final_value_however_cut(seed: int) -> None:
    rng = random.Random(seed)
    text = json.dumps(random_value(rng))
    if rng.random() < 0.2:
        text = "Sure: " + text[: rng.randint(0, len(text))]  # prose, and cut off
    patcher = ValuePatcher("/s")
    state: dict[str, Any] = {}
    for start in range(0, len(text), 5):
        patcher.feed(text[start : start + 5])
        if rng.random() < 0.5:
            state = apply(state, patcher.patch())
            assert state.get("s") == patcher.value()
    state = apply(state, patcher.patch(final=True))
    parser = PartialJsonParser()
    parser.feed(text)
    parser.close()
    assert state.get("s") == (parser.snapshot() if parser.has_value else None)


def test_a_repeated_key_is_sent_at_the_end() -> None:
    patcher = ValuePatcher("")
    state = apply(None, [])
    for chunk in ('{"a": 1, "b": [1', "], ", '"a": 2, "c": 3}'):
        patcher.feed(chunk)
        state = apply(state, patcher.patch())
    state = apply(state, patcher.patch(final=True))
    assert state == json.loads('{"a": 1, "b": [1], "a": 2, "c": 3}')


def test_a_growing_string_is_sent_again_only_as_it_doubles() -> None:
    patcher = ValuePatcher("/s")
    sent = 0
    for _ in range(4096):
        patcher.feed("x" if sent else '"x')
        sent += sum(len(json.dumps(op)) for op in patcher.patch())
    sent += sum(len(json.dumps(op)) for op in patcher.patch(final=True))
    assert sent < 3 * 4096


def test_pointer_escapes_tilde_and_slash() -> None:
    assert pointer("a/b", "~c", 3) == "/a~1b/~0c/3"
