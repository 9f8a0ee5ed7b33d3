"""The agent's state in structured streams: grown in place as it grows, moved on a take-back."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kavalai import Streamer, ValueStreamer
from kavalai.reader import LogReader
from kavalai.web import AgentState
from kavalai.web._ingest_state import GrowingValue


def growing(streamer: Streamer) -> GrowingValue:
    def open_stream(number: int) -> ValueStreamer:
        return streamer.get_value_streamer(f"state.{number}", response_model=AgentState)

    return GrowingValue(open_stream)


def latest(reader: LogReader, seen: dict[str, Any]) -> dict[str, Any]:
    """Each stream's value so far, after the messages ready now."""
    while (message := reader.take()) is not None:
        if message.name is not None and message.value is not None:
            seen[message.name] = json.loads(message.value)
    return seen


async def test_appends_grow_one_stream_whose_value_is_the_state() -> None:
    streamer = Streamer()
    reader = streamer.reader()
    state = growing(streamer)
    seen: dict[str, Any] = {}
    await state.replace({"city": "Paris", "steps": [{"done": 1}]})
    assert latest(reader, seen) == {"state.0": {"city": "Paris", "steps": [{"done": 1}]}}
    await state.patch([{"op": "add", "path": "/steps/0/at", "value": 2.5}])
    await state.patch([{"op": "add", "path": "/steps/-", "value": {"done": 0}}])
    await state.patch([{"op": "add", "path": "/temp", "value": 21}])
    assert latest(reader, seen) == {
        "state.0": {"city": "Paris", "steps": [{"done": 1, "at": 2.5}, {"done": 0}], "temp": 21}
    }
    await state.close()
    latest(reader, seen)
    assert list(seen) == ["state.0"]


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "/temp", "value": 22},
        {"op": "remove", "path": "/city"},
        {"op": "add", "path": "/steps/0", "value": "first"},
        {"op": "add", "path": "/city", "value": "Lyon"},
        {"op": "add", "path": "", "value": [1]},
        {"op": "move", "from": "/city", "path": "/town"},
    ],
)
async def test_a_change_that_takes_something_back_moves_the_state_on(
    operation: dict[str, Any],
) -> None:
    streamer = Streamer()
    reader = streamer.reader()
    state = growing(streamer)
    await state.replace({"city": "Paris", "steps": ["second"], "temp": 21})
    before = copy.deepcopy(state.value)
    await state.patch([operation])
    seen = latest(reader, {})
    assert seen["state.0"] == before
    assert seen["state.1"] == state.value != before


async def test_snapshots_that_extend_the_state_grow_one_stream() -> None:
    streamer = Streamer(stream_delta=True)
    state = growing(streamer)
    await state.replace({"messages": [{"role": "user", "text": "Hi"}], "status": "thin"})
    await state.replace({"messages": [{"role": "user", "text": "Hi"}], "status": "thinking"})
    await state.replace(
        {"messages": [{"role": "user", "text": "Hi"}], "status": "thinking", "step": 1}
    )
    await state.replace(
        {"messages": [{"role": "user", "text": "Hi"}], "status": "thinking", "step": 1.0}
    )
    await state.close()
    chunks = [message.value or "" async for message in streamer if message.type == "partial"]
    assert chunks == [
        '{"messages": [{"role": "user", "text": "Hi"}], "status": "thin',
        "king",
        '", "step": 1 ',
        "}",
    ]
    assert json.loads("".join(chunks)) == state.value


async def test_a_snapshot_that_fills_an_empty_object_grows_it() -> None:
    streamer = Streamer()
    reader = streamer.reader()
    state = growing(streamer)
    await state.replace({})
    await state.replace({"a": None, "b": [1]})
    assert latest(reader, {}) == {"state.0": {"a": None, "b": [1]}}


async def test_a_snapshot_that_changes_a_member_before_the_last_moves_the_state_on() -> None:
    streamer = Streamer()
    reader = streamer.reader()
    state = growing(streamer)
    await state.replace({"a": 1, "b": [True]})
    await state.replace({"a": 1, "b": [1]})  # true is not 1
    await state.replace({"a": 2, "b": [1, 2]})
    assert list(latest(reader, {})) == ["state.0", "state.1", "state.2"]


async def test_the_same_snapshot_again_writes_nothing() -> None:
    streamer = Streamer()
    reader = streamer.reader()
    state = growing(streamer)
    await state.replace({"a": [1]})
    latest(reader, {})
    await state.replace({"a": [1]})
    assert reader.take() is None


# RFC 6902, appendix A: each document, patch and result.
RFC_EXAMPLES = [
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"foo": "bar", "baz": "qux"}),
    (
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    (
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    ({"foo": 1}, [{"op": "copy", "from": "/foo", "path": "/bar"}], {"foo": 1, "bar": 1}),
]


@pytest.mark.parametrize(("document", "patch", "result"), RFC_EXAMPLES)
async def test_patches_apply_as_rfc_6902_says(
    document: Any, patch: list[dict[str, Any]], result: Any
) -> None:
    streamer = Streamer()
    reader = streamer.reader()
    state = growing(streamer)
    await state.replace(document)
    await state.patch(patch)
    assert state.value == result
    seen = latest(reader, {})
    assert seen[max(seen)] == result


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ([{"op": "replace", "path": "/missing", "value": 1}], "nothing is at '/missing'"),
        (
            [{"op": "add", "path": "/a/5", "value": 1}],
            "'5' is not an index of an array of 2 items \\(or its end\\)",
        ),
        ([{"op": "add", "path": "/a/01", "value": 1}], "'01' is not an index"),
        ([{"op": "test", "path": "/a/0", "value": 2}], "the test of '/a/0' failed"),
        ([{"op": "add", "path": "a", "value": 1}], "'a' is not a JSON Pointer"),
        ([{"op": "add", "path": "/b"}], "has no 'value'"),
        ([{"op": "jump", "path": "/a"}], "'jump' is not a JSON Patch operation"),
        (["add"], "the operation 'add' is not an object"),
        ([{"op": "add", "path": "/a/0/x", "value": 1}], "inside a value that is not a container"),
    ],
)
async def test_a_patch_that_does_not_apply_says_why(patch: list[object], message: str) -> None:
    state = growing(Streamer())
    await state.replace({"a": [1, 2]})
    with pytest.raises(ValueError, match=message):
        await state.patch(patch)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(document: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every member's pointer and value, the document's own first."""
    found = [(prefix, document)]
    if isinstance(document, dict):
        for key, value in document.items():
            token = key.replace("~", "~0").replace("/", "~1")
            found += paths(value, f"{prefix}/{token}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, f"{prefix}/{index}")
    return found


def extended(document: Any, data: st.DataObject) -> Any:
    """A copy of ``document`` that extends it: members added along its rightmost path, or
    its last string grown."""
    document = copy.deepcopy(document)
    if isinstance(document, str):
        return document + data.draw(st.text(max_size=3))
    node = document
    while isinstance(node, dict | list) and node:
        if data.draw(st.booleans()):
            break
        last = node[-1] if isinstance(node, list) else node[list(node)[-1]]
        if isinstance(last, str) and isinstance(node, list):
            node[-1] = last + data.draw(st.text(max_size=3))
            return document
        if isinstance(last, str) and isinstance(node, dict):
            node[list(node)[-1]] = last + data.draw(st.text(max_size=3))
            return document
        if not isinstance(last, dict | list):
            break
        node = last
    if isinstance(node, list):
        node.append(data.draw(json_values))
    elif isinstance(node, dict):
        node[data.draw(st.text(max_size=3))] = data.draw(json_values)
    return document


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_stream_shows_the_state_after_every_change(data: st.DataObject) -> None:
    asyncio.run(changes_shown(data))


async def changes_shown(data: st.DataObject) -> None:
    streamer = Streamer()
    reader = streamer.reader()
    state = growing(streamer)
    await state.replace(data.draw(json_values))
    seen: dict[str, Any] = {}
    for _ in range(data.draw(st.integers(0, 8))):
        members = paths(state.value)
        path, target = data.draw(st.sampled_from(members))
        containers = [(p, v) for p, v in members if isinstance(v, dict | list)]
        choice = data.draw(st.sampled_from(["append", "replace", "remove", "snapshot", "extend"]))
        if choice == "append" and containers:
            path, target = data.draw(st.sampled_from(containers))
            key = "-" if isinstance(target, list) else data.draw(st.text(max_size=3))
            token = key.replace("~", "~0").replace("/", "~1")
            operation = {"op": "add", "path": f"{path}/{token}", "value": data.draw(json_values)}
            await state.patch([operation])
        elif choice == "replace":
            await state.patch([{"op": "replace", "path": path, "value": data.draw(json_values)}])
        elif choice == "remove" and path:
            await state.patch([{"op": "remove", "path": path}])
        elif choice == "snapshot":
            await state.replace(data.draw(json_values))
        elif choice == "extend":
            await state.replace(extended(state.value, data))
        latest(reader, seen)
        assert seen[max(seen, key=lambda name: int(name.split(".")[1]))] == state.value
    final = copy.deepcopy(state.value)
    await state.close()
    messages = [message async for message in streamer.messages()]
    completes = [message for message in messages if message.type == "complete"]
    assert json.loads(completes[-1].value or "") == final
    for message in completes:  # every stream the state left is whole JSON
        json.loads(message.value or "")
