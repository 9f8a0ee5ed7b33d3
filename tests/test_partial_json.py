"""Tests of the incremental partial-JSON parser.

Unit tests pin each snapshot rule; property tests stream generated documents
(every JSON type, escapes, surrogate pairs, random whitespace, prose and code
fences around them, cut into arbitrary chunks) and check the rules, the open
containers (``depth``) and where the value lies in the text (``start``/``end``)
after every chunk.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kavalai.partial_json import JsonValue, PartialJsonParser, _encode, _prose, _render, _scan

# Helpers


def feed_all(chunks: list[str]) -> tuple[PartialJsonParser, list[str | None]]:
    """Feed ``chunks`` one by one, collecting ``snapshot_json()`` after each."""
    parser = PartialJsonParser()
    seen = []
    for chunk in chunks:
        parser.feed(chunk)
        seen.append(parser.snapshot_json())
    return parser, seen


def snapshot_after(text: str) -> JsonValue:
    """The snapshot once ``text`` has been fed in one piece."""
    parser = PartialJsonParser()
    parser.feed(text)
    return parser.snapshot()


def same(a: JsonValue, b: JsonValue) -> bool:
    """Equal as JSON: unlike ``==``, tells 1, 1.0 and True apart and compares key order."""
    return json.dumps(a) == json.dumps(b)


def assert_prefix(snapshot: JsonValue, final: JsonValue, trailing: bool = True) -> None:
    """Assert that ``snapshot`` can grow into ``final`` under the snapshot rules.

    Every dict's keys are a prefix of the final keys in order, every list a
    prefix of the final list; the last member may itself be a prefix
    (recursively), and only a string on that trailing path may be a prefix of
    its final text. Everything else equals its final value.
    """
    if isinstance(final, dict):
        assert isinstance(snapshot, dict), (snapshot, final)
        keys = list(snapshot)
        assert keys == list(final)[: len(keys)], (snapshot, final)
        for index, key in enumerate(keys):
            assert_prefix(snapshot[key], final[key], trailing and index == len(keys) - 1)
    elif isinstance(final, list):
        assert isinstance(snapshot, list), (snapshot, final)
        assert len(snapshot) <= len(final), (snapshot, final)
        for index, item in enumerate(snapshot):
            assert_prefix(item, final[index], trailing and index == len(snapshot) - 1)
    elif isinstance(final, str) and trailing:
        assert isinstance(snapshot, str), (snapshot, final)
        assert final.startswith(snapshot), (snapshot, final)
    else:
        assert same(snapshot, final), (snapshot, final)


def assert_open_spine(snapshot: JsonValue, final: JsonValue, depth: int) -> None:
    """Assert that the open containers are ``depth`` nodes of the rightmost spine.

    The root and then the last member of each open container must be
    containers, ``depth`` of them; every other container in ``snapshot`` must
    equal its part of ``final``, since it is finished.
    """
    if depth == 0:
        if isinstance(snapshot, dict | list):
            assert same(snapshot, final), (snapshot, final)
        return
    assert isinstance(snapshot, dict | list), (snapshot, depth)
    assert type(snapshot) is type(final), (snapshot, final)
    if isinstance(snapshot, dict):
        assert isinstance(final, dict)
        pairs = [(item, final[key]) for key, item in snapshot.items()]
    else:
        assert isinstance(final, list)
        pairs = list(zip(snapshot, final, strict=False))
    assert pairs or depth == 1, (snapshot, depth)  # an open child is always shown
    for index, (item, final_item) in enumerate(pairs):
        assert_open_spine(item, final_item, depth - 1 if index == len(pairs) - 1 else 0)


@pytest.mark.parametrize(
    ("snapshot", "final", "depth"),
    [
        ({"a": [1], "b": 2}, {"a": [1], "b": 2}, 2),  # the last member is no container
        ({"a": [1]}, {"a": [1, 2]}, 1),  # a container left open is not finished
        ([[1], [2]], [[1, 3], [2]], 2),  # a finished container off the spine differs
        ({"a": []}, {"a": []}, 3),  # deeper than the snapshot goes
    ],
)
def test_open_spine_checker_rejects_what_the_rules_forbid(
    snapshot: JsonValue, final: JsonValue, depth: int
) -> None:
    with pytest.raises(AssertionError):
        assert_open_spine(snapshot, final, depth)


@pytest.mark.parametrize(
    ("snapshot", "final"),
    [
        ({"n": 19}, {"n": 1986}),  # a partial number
        ({"b": 1}, {"a": 1, "b": 1}),  # keys out of order
        (["a", "b"], ["abc", "b"]),  # a partial string that is not the trailing one
        ([True], [1]),  # equal in Python, not in JSON
        ([1, 2, 3], [1, 2]),  # more than the final value has
    ],
)
def test_prefix_checker_rejects_what_the_rules_forbid(
    snapshot: JsonValue, final: JsonValue
) -> None:
    with pytest.raises(AssertionError):
        assert_prefix(snapshot, final)


# Generated documents

_TRICKY = '"\\/\b\f\n\r\t\x00\x1f\x7f é€\u2028😀𝄞'
_text = st.text(
    st.one_of(st.sampled_from(_TRICKY), st.characters(), st.characters(categories=["Cs"])),
    max_size=10,
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(_text, children, max_size=5)
    ),
    max_leaves=25,
)


def dumps_spaced(value: JsonValue, rng: random.Random, ensure_ascii: bool) -> str:
    """Serialise ``value`` with random whitespace wherever JSON allows it."""

    def ws() -> str:
        return "".join(rng.choice(" \t\n\r") for _ in range(rng.choice((0, 0, 1, 3))))

    if isinstance(value, dict):
        members = [
            f"{ws()}{json.dumps(key, ensure_ascii=ensure_ascii)}{ws()}:{ws()}"
            f"{dumps_spaced(item, rng, ensure_ascii)}{ws()}"
            for key, item in value.items()
        ]
        return "{" + ws() + ",".join(members) + "}"
    if isinstance(value, list):
        items = [ws() + dumps_spaced(item, rng, ensure_ascii) + ws() for item in value]
        return "[" + ws() + ",".join(items) + "]"
    return json.dumps(value, ensure_ascii=ensure_ascii)


def _has_duplicate_keys(json_text: str) -> bool:
    found = False

    def pairs_hook(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
        nonlocal found
        members = dict(pairs)
        found = found or len(members) < len(pairs)
        return members

    json.loads(json_text, object_pairs_hook=pairs_hook)
    return found


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str]:
    """An LLM-shaped answer and the JSON text inside it."""
    value = draw(json_values)
    rng = draw(st.randoms(use_true_random=False))
    style = draw(st.sampled_from(["ascii", "unicode", "compact", "spaced-ascii", "spaced"]))
    if style == "ascii":
        json_text = json.dumps(value)
    elif style == "unicode":
        json_text = json.dumps(value, ensure_ascii=False)
    elif style == "compact":
        json_text = json.dumps(value, separators=(",", ":"), ensure_ascii=rng.random() < 0.5)
    else:
        json_text = dumps_spaced(value, rng, ensure_ascii=style == "spaced-ascii")
    # Distinct keys can decode to one ("\ud83d\ude00" as two lone surrogates and as
    # one emoji), and a repeated key rewrites an earlier member: no prefix rule holds.
    assume(not _has_duplicate_keys(json_text))
    wrapping = draw(st.sampled_from(["none", "prose", "fence", "prose+fence", "bare fence"]))
    if wrapping == "prose" and not isinstance(value, dict | list):
        wrapping = "none"  # prose is skipped up to '{' or '[' only
    before = {
        "none": draw(st.sampled_from(["", " \n"])),
        "prose": draw(st.sampled_from(["Here it is: ", "the result:\n", "Sure! `x` "])),
        "fence": "```json\n",
        "prose+fence": "Sure, here is the JSON:\n\n```json\n",
        "bare fence": "```\n",
    }[wrapping]
    after = "\n```\nHope this helps {not json}" if "fence" in wrapping else ""
    if not after and draw(st.booleans()):
        after = "\nThat is all, [really]."
    return before + json_text + after, json_text


def cut(text: str, rng: random.Random, size: int) -> list[str]:
    """``text`` in chunks of ``size`` characters, or of random sizes if ``size`` is 0."""
    chunks = []
    i = 0
    while i < len(text):
        step = size or rng.choice((1, 1, 2, 3, 5, 8, 13, 64))
        chunks.append(text[i : i + step])
        i += step
    return chunks


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[str], str]:
    """A document cut into chunks, and the JSON text inside it."""
    text, json_text = draw(documents())
    rng = draw(st.randoms(use_true_random=False))
    return cut(text, rng, draw(st.sampled_from([0, 0, 1, 2, 7]))), json_text


_settings = settings(max_examples=300, deadline=None)


def feeding(chunks: list[str]) -> Iterator[PartialJsonParser]:
    """One parser, yielded after each chunk is fed to it."""
    parser = PartialJsonParser()
    for chunk in chunks:
        parser.feed(chunk)
        yield parser


# Properties


@_settings
@given(streams())
def test_every_snapshot_is_prefix_consistent_with_the_final_value(
    stream: tuple[list[str], str],
) -> None:
    chunks, json_text = stream
    final = json.loads(json_text)
    for parser in feeding(chunks):
        if parser.has_value:
            assert_prefix(parser.snapshot(), final)
        else:
            assert parser.snapshot() is None
            assert parser.snapshot_json() is None


@_settings
@given(streams(), st.randoms(use_true_random=False))
def test_snapshot_json_equals_json_dumps_of_snapshot(
    stream: tuple[list[str], str], rng: random.Random
) -> None:
    # Skipping calls at random exercises members finished while not rendered.
    chunks, _ = stream
    parser = PartialJsonParser()
    for parser in feeding(chunks):
        if rng.random() < 0.6 and parser.has_value:
            assert parser.snapshot_json() == json.dumps(parser.snapshot())
    assert parser.close() == json.dumps(parser.snapshot())


@_settings
@given(streams(), st.booleans())
def test_final_value_equals_json_loads_of_the_json_part(
    stream: tuple[list[str], str], render_each: bool
) -> None:
    chunks, json_text = stream
    parser = PartialJsonParser()
    for parser in feeding(chunks):
        if render_each:
            parser.snapshot_json()
    final = parser.close()
    assert final is not None
    assert parser.error is None
    assert parser.done
    assert same(json.loads(final), json.loads(json_text))
    assert final == json.dumps(json.loads(json_text))


@_settings
@given(streams())
def test_depth_counts_the_open_containers_on_the_rightmost_spine(
    stream: tuple[list[str], str],
) -> None:
    chunks, json_text = stream
    final = json.loads(json_text)
    parser = PartialJsonParser()
    for parser in feeding(chunks):
        assert_open_spine(parser.snapshot(), final, parser.depth)
        if parser.done or not parser.has_value:
            assert parser.depth == 0
    parser.close()
    assert parser.depth == 0


@_settings
@given(streams())
def test_start_and_end_cut_the_json_text_out_of_the_answer(
    stream: tuple[list[str], str],
) -> None:
    chunks, json_text = stream
    text = "".join(chunks)
    expected_start = text.index(json_text)
    expected_end = expected_start + len(json_text)
    parser = PartialJsonParser()
    for parser in feeding(chunks):
        assert parser.start in (None, expected_start)
        assert parser.end == (expected_end if parser.done else None)
    parser.close()
    assert parser.done
    assert (parser.start, parser.end) == (expected_start, expected_end)
    assert text[parser.start : parser.end] == json_text
    assert same(json.loads(text[parser.start : parser.end]), json.loads(json_text))


@_settings
@given(streams())
def test_snapshots_only_grow(stream: tuple[list[str], str]) -> None:
    chunks, _ = stream
    parser = PartialJsonParser()
    previous: list[JsonValue] = []
    for chunk in chunks:
        parser.feed(chunk)
        if parser.has_value:
            snapshot = parser.snapshot()
            if previous:
                assert_prefix(previous[-1], snapshot)
            previous.append(snapshot)
    parser.close()
    for snapshot in previous:  # earlier snapshots were not changed by later chunks
        assert_prefix(snapshot, parser.snapshot())


# The seed example


def test_seed_example_shows_the_name_as_it_is_written_and_the_year_once_complete() -> None:
    _, seen = feed_all(['{"name": "Ti', 'mo", ', ' "birth_year": 1986}'])
    assert seen == [
        '{"name": "Ti"}',
        '{"name": "Timo"}',
        '{"name": "Timo", "birth_year": 1986}',
    ]


# Numbers


def test_partial_number_is_hidden_until_terminated() -> None:
    _, seen = feed_all(['{"a": 1, "birth_year": ', "1", "9", "8", "6", "}"])
    assert seen == ['{"a": 1}'] * 5 + ['{"a": 1, "birth_year": 1986}']


@pytest.mark.parametrize("end", [",", "}", " ", "\n"])
def test_number_is_shown_once_a_character_ends_it(end: str) -> None:
    assert snapshot_after('{"n": 12' + end) == {"n": 12}


def test_number_in_array_is_hidden_until_terminated() -> None:
    assert snapshot_after("[1, 2") == [1]
    assert snapshot_after("[1, 2]") == [1, 2]


def test_top_level_number_is_shown_at_close() -> None:
    parser, seen = feed_all(["-12", "3.5"])
    assert seen == [None, None]
    assert not parser.has_value
    assert parser.close() == "-123.5"
    assert parser.done


def test_top_level_number_ends_at_whitespace() -> None:
    parser, seen = feed_all(["42", "\n", "more text"])
    assert seen == [None, "42", "42"]
    assert parser.done


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("1e5", 100000.0),
        ("1E+2", 100.0),
        ("-0", 0),
        ("-0.0", -0.0),
        ("2.50", 2.5),
        ("123456789012345678901234567890", 123456789012345678901234567890),
    ],
)
def test_numbers_become_what_json_loads_makes_of_them(token: str, expected: JsonValue) -> None:
    value = snapshot_after(f"[{token}]")
    assert same(value, [json.loads(token)])
    assert same(value, [expected])


MALFORMED_NUMBERS = ["01", "1.", "-", "1e", "1.2.3", "+1", "--1"]


@pytest.mark.parametrize("token", MALFORMED_NUMBERS)
def test_malformed_number_is_an_error(token: str) -> None:
    parser = PartialJsonParser()
    parser.feed(f"[0, {token}]")
    assert parser.snapshot() == [0]
    assert parser.error is not None
    assert parser.error.startswith("position 4: ")


# Literals


@pytest.mark.parametrize(("word", "value"), [("true", True), ("false", False), ("null", None)])
def test_partial_literal_is_hidden_until_complete(word: str, value: JsonValue) -> None:
    parser, seen = feed_all(['{"a": 1, "b": ', *word])
    assert seen[:-1] == ['{"a": 1}'] * len(word)
    assert parser.snapshot() == {"a": 1, "b": value}


def test_top_level_literal_is_a_value_once_a_non_letter_follows() -> None:
    parser, seen = feed_all(["tr", "ue", " and more"])
    assert seen == [None, None, "true"]
    assert parser.done


def test_top_level_literal_at_the_end_of_input_is_a_value() -> None:
    parser = PartialJsonParser()
    parser.feed("null")
    assert not parser.has_value
    assert parser.close() == "null"
    assert parser.done


def test_misspelt_literal_is_an_error() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": 1, "b": tru')
    parser.feed("th}")
    assert parser.snapshot() == {"a": 1}
    assert parser.error is not None
    assert "'true'" in parser.error


# Keys and members


def test_partial_key_is_hidden() -> None:
    assert snapshot_after('{"a": 1, "na') == {"a": 1}


def test_key_without_value_is_hidden() -> None:
    assert snapshot_after('{"a": 1, "name"') == {"a": 1}
    assert snapshot_after('{"a": 1, "name":') == {"a": 1}
    assert snapshot_after('{"a": 1, "name": ') == {"a": 1}


def test_key_with_partial_number_is_hidden() -> None:
    assert snapshot_after('{"a": 1, "name": 19') == {"a": 1}


def test_trailing_string_shows_its_text_so_far() -> None:
    assert snapshot_after('{"name": "Ti') == {"name": "Ti"}
    assert snapshot_after('[1, "ab') == [1, "ab"]
    assert snapshot_after('"top level') == "top level"


def test_string_that_just_opened_is_shown_empty() -> None:
    assert snapshot_after('{"name": "') == {"name": ""}


def test_opened_container_is_shown_empty() -> None:
    assert snapshot_after('{"items": [') == {"items": []}
    assert snapshot_after('[{"a": {') == [{"a": {}}]
    assert snapshot_after("{") == {}


def test_duplicate_keys_keep_the_last_value_at_the_first_position() -> None:
    text = '{"a": 1, "b": 2, "a": [3, "x"], "c": 4}'
    parser = PartialJsonParser()
    for char in text:
        parser.feed(char)
        assert parser.snapshot_json() == json.dumps(parser.snapshot())
    assert parser.snapshot() == {"a": [3, "x"], "b": 2, "c": 4}
    assert parser.close() == json.dumps(json.loads(text))


# Escapes and surrogates


def test_dangling_backslash_is_hidden() -> None:
    _, seen = feed_all(['["a\\', 'nb"]'])
    assert seen == ['["a"]', '["a\\nb"]']


def test_half_unicode_escape_is_hidden() -> None:
    parser, seen = feed_all(['["a\\u00', "e9", '"]'])
    assert seen == ['["a"]', '["a\\u00e9"]', '["a\\u00e9"]']
    assert parser.snapshot() == ["aé"]


def test_high_surrogate_waits_for_its_low_half() -> None:
    parser, seen = feed_all(['"x\\ud83d', "\\u", "de00", 'y"'])
    assert seen == ['"x"', '"x"', '"x\\ud83d\\ude00"', '"x\\ud83d\\ude00y"']
    assert parser.snapshot() == "x😀y"


@pytest.mark.parametrize("after", ["z", "\\n", "\\u0041", "\\ud83d\\ude00", '"'])
def test_lone_high_surrogate_is_kept_as_json_loads_keeps_it(after: str) -> None:
    text = '"\\ud83d' + after + ('"' if after != '"' else "")
    parser = PartialJsonParser()
    for char in text:
        parser.feed(char)
    assert parser.snapshot() == json.loads(text)
    assert parser.close() == json.dumps(json.loads(text))


def test_escapes_cut_at_every_position_decode_correctly() -> None:
    text = r'["\"\\\/\b\f\n\r\t\u00e9\ud834\udd1e\u2028"]'
    for split in range(len(text)):
        parser, _ = feed_all([text[:split], text[split:]])
        assert parser.snapshot() == json.loads(text), split


def test_non_ascii_is_rendered_as_json_dumps_renders_it() -> None:
    _, seen = feed_all(['{"caf\\u00e9": "日本', '語😀", "k": "\\u2028"}'])
    assert seen[-1] == json.dumps({"café": "日本語😀", "k": "\u2028"})


def test_raw_control_character_in_string_is_an_error() -> None:
    parser = PartialJsonParser()
    parser.feed('["ab\ncd"]')
    assert parser.snapshot() == ["ab"]
    assert parser.error is not None
    assert "control character" in parser.error


# Before the value


NO_VALUE = ["", "   \n", "Here is", "```json\n", "the answer"]


@pytest.mark.parametrize("text", NO_VALUE)
def test_nothing_known_means_no_value(text: str) -> None:
    parser = PartialJsonParser()
    parser.feed(text)
    assert not parser.has_value
    assert parser.snapshot() is None
    assert parser.snapshot_json() is None


def test_leading_prose_is_skipped_up_to_the_first_brace() -> None:
    assert snapshot_after('Here is the JSON: {"a": [1, ') == {"a": [1]}


def test_leading_prose_is_skipped_up_to_the_first_bracket() -> None:
    assert snapshot_after("Sure! 3 items: [1, 2, 3]") == [1, 2, 3]


def test_leading_word_that_starts_like_a_literal_is_prose() -> None:
    assert snapshot_after('the result: {"ok": true}') == {"ok": True}
    assert snapshot_after('no problem: ["x"]') == ["x"]
    assert snapshot_after("nullable fields: [1]") == [1]
    assert snapshot_after("true_value = [2]") == [2]


def test_code_fence_is_skipped_and_may_hold_any_json_type() -> None:
    parser, _ = feed_all(["Answer:\n```json\n", '"a string"', "\n```"])
    assert parser.snapshot() == "a string"
    assert parser.done


def test_code_fence_cut_at_every_position_is_recognised() -> None:
    text = "Intro `code` text.\n```json\n12.5\n```\nBye [x]"
    for split in range(len(text)):
        parser, _ = feed_all([text[:split], text[split:]])
        assert parser.close() == "12.5", split


def test_text_after_the_value_is_ignored() -> None:
    parser, seen = feed_all(['```json\n{"a": 1}', "\n```\n", "More {text} and [stuff]"])
    assert seen == ['{"a": 1}'] * 3
    assert parser.done
    assert parser.error is None


def test_whitespace_is_allowed_wherever_json_allows_it() -> None:
    text = ' \n{ \t"a" \r\n: [ 1 ,\n2 ] , "b"\t:\t{ } ,"c" : "x" }'
    parser, _ = feed_all(list(text))
    assert parser.snapshot() == json.loads(text)


def test_deep_nesting_streams_like_shallow_nesting() -> None:
    text = '{"a": [' * 150 + '"deep"' + "]}" * 150
    final = json.loads(text)
    parser = PartialJsonParser()
    for char in text:
        parser.feed(char)
        assert parser.snapshot_json() == json.dumps(parser.snapshot())
        assert_prefix(parser.snapshot(), final)
    assert parser.done


# Errors and the end of input


def test_bad_input_keeps_the_last_snapshot_and_sets_error() -> None:
    parser, seen = feed_all(['{"a": [1, 2], "b": "x', '"', " oops", ', "c": 3}'])
    assert seen[1:] == ['{"a": [1, 2], "b": "x"}'] * 3
    assert parser.error is not None
    assert not parser.done


def test_error_names_the_position_and_what_was_expected() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a" 1}')
    assert parser.error == "position 5: expected ':', got '1'"


def test_chunks_after_an_error_are_ignored() -> None:
    parser = PartialJsonParser()
    parser.feed("[1, }")
    error = parser.error
    parser.feed("2, 3]")
    assert parser.error == error
    assert parser.snapshot() == [1]


def test_close_after_an_error_returns_the_best_effort_snapshot() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": "b", "c": tru!')
    assert parser.close() == '{"a": "b"}'


def test_close_of_an_unfinished_value_returns_it_and_says_what_is_missing() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": [1, 2')
    assert parser.close() == '{"a": [1]}'
    assert parser.error == "position 11: unexpected end of input, expected ',' or ']'"
    assert not parser.done


def test_close_with_nothing_known_returns_none() -> None:
    parser = PartialJsonParser()
    parser.feed("No JSON here.")
    assert parser.close() is None
    assert parser.error is not None


def test_close_twice_returns_the_same_text_and_later_chunks_are_ignored() -> None:
    parser = PartialJsonParser()
    parser.feed("7")
    assert parser.close() == "7"
    parser.feed("8")
    assert parser.close() == "7"


def test_feed_rejects_what_is_not_str() -> None:
    with pytest.raises(TypeError, match="bytes"):
        PartialJsonParser().feed(b"{}")  # type: ignore[arg-type]


# Depth


def test_depth_follows_the_brackets_opened_and_closed() -> None:
    text = '{"a": [{"b": [1, 2]}, []], "c": {}, "d": [[["x"]]]}'
    parser = PartialJsonParser()
    for index, char in enumerate(text):
        parser.feed(char)
        prefix = text[: index + 1]
        assert parser.depth == sum(map(prefix.count, "{[")) - sum(map(prefix.count, "]}"))
    assert parser.done
    assert parser.depth == 0


def test_depth_is_zero_before_the_value_and_for_a_top_level_scalar() -> None:
    parser = PartialJsonParser()
    parser.feed("Here is ")
    assert parser.depth == 0
    parser.feed('the ```json\n"text so')
    assert parser.depth == 0
    assert parser.snapshot() == "text so"


def test_depth_counts_only_open_containers_when_the_last_shown_one_is_finished() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": {"b": [1], "c": 12')
    assert parser.snapshot() == {"a": {"b": [1]}}
    assert parser.depth == 2  # the root and "a"; "b" is finished, 12 not shown yet
    parser.feed('3, "d": ')
    assert parser.snapshot() == {"a": {"b": [1], "c": 123}}
    assert parser.depth == 2
    parser.feed("[")
    assert parser.snapshot() == {"a": {"b": [1], "c": 123, "d": []}}
    assert parser.depth == 3


def test_depth_counts_a_container_that_opened_before_its_key_is_finished() -> None:
    parser = PartialJsonParser()
    parser.feed('[[1], {"ke')
    assert parser.snapshot() == [[1], {}]
    assert parser.depth == 2


def test_rendering_goes_back_to_appending_once_a_repeated_keys_value_is_stored() -> None:
    # Re-serialising everything after every chunk would make the rest of the
    # document cost O(n^2): only the repeated key's own value is read that way.
    items = ", ".join(str(i) for i in range(20))
    repeated = '"a": {"b": 1, "b": {"c": [1], "c": 2}}, "a": [0, {"d": 5}]'
    text = f'{{{repeated}, "rest": [{items}]}}'
    parser = PartialJsonParser()
    renderer = parser._renderer
    slow_while = []
    for char in text:
        parser.feed(char)
        assert parser.snapshot_json() == json.dumps(parser.snapshot())
        slow_while.append(renderer.watch is not None)
    assert parser.close() == json.dumps(json.loads(text))
    assert slow_while[text.index('"b": {') + 5]
    assert slow_while[text.index('"a": [') + 5]
    assert not any(slow_while[text.index('"rest"') :])


def test_a_duplicate_key_shows_its_open_value_off_the_spine() -> None:
    # json.loads keeps a repeated key at its first position, so the open
    # container is not the last member.
    parser = PartialJsonParser()
    parser.feed('{"a": 1, "b": 2, "a": [3')
    assert parser.snapshot() == {"a": [], "b": 2}
    assert parser.depth == 2


def test_depth_after_an_error_counts_what_was_open() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": [1, }')
    assert parser.error is not None
    assert parser.depth == 2
    parser.close()
    assert parser.depth == 2


# Where the value lies in the text


def test_start_and_end_point_past_the_prose_and_fence() -> None:
    chunks = ["Sure:\n```json\n", '{"name": "Ti', 'mo"}', "\n```\nBye {x}"]
    parser = PartialJsonParser()
    seen = []
    for chunk in chunks:
        parser.feed(chunk)
        seen.append((parser.start, parser.end))
    assert seen == [(None, None), (14, None), (14, 30), (14, 30)]
    assert "".join(chunks)[14:30] == '{"name": "Timo"}'


def test_start_and_end_are_found_wherever_the_text_is_cut() -> None:
    text = 'Intro `code` text, null-ish.\n```json\n[1, "a]", {"b": null}]\n```\nBye [x]'
    json_text = '[1, "a]", {"b": null}]'
    for split in range(len(text)):
        parser, _ = feed_all([text[:split], text[split:]])
        assert parser.start is not None, split
        assert text[parser.start : parser.end] == json_text, split


DELIMITED = [
    ('"str" and more', '"str"'),
    ("  \n-1.5e3, then", "-1.5e3"),
    ("nullable fields: [1] and [2]", "[1]"),
    ("the answer: {} ok", "{}"),
    ("true_value = []", "[]"),
    ("```\nfalse\n```", "false"),
    ('[{"a": [[]]}, {}]', '[{"a": [[]]}, {}]'),
]


@pytest.mark.parametrize(("text", "json_text"), DELIMITED)
def test_start_and_end_delimit_the_value(text: str, json_text: str) -> None:
    parser = PartialJsonParser()
    parser.feed(text)
    assert parser.done
    assert parser.start is not None
    assert text[parser.start : parser.end] == json_text


def test_start_of_a_top_level_literal_is_known_once_it_is_not_a_word() -> None:
    parser = PartialJsonParser()
    seen = []
    for chunk in ["```json\ntru", "e", "."]:
        parser.feed(chunk)
        seen.append((parser.start, parser.end))
    assert seen == [(None, None), (None, None), (8, 12)]  # "trueness" would be prose


@pytest.mark.parametrize("chunks", [["-12", "3.5"], ["```\n", "null"]])
def test_end_of_a_top_level_number_or_literal_is_known_at_close(chunks: list[str]) -> None:
    parser, _ = feed_all(chunks)
    assert parser.end is None
    parser.close()
    text = "".join(chunks)
    assert parser.end == len(text)
    assert parser.start is not None
    assert json.loads(text[parser.start : parser.end]) == json.loads(parser.close() or "")


def test_start_of_a_number_is_known_before_the_number_is() -> None:
    parser = PartialJsonParser()
    parser.feed("\n\n19")
    assert not parser.has_value
    assert (parser.start, parser.end) == (2, None)


def test_end_stays_none_without_a_complete_value() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": [1, 2')
    assert (parser.start, parser.end) == (0, None)
    parser.feed("}")
    assert parser.error is not None
    parser.close()
    assert (parser.start, parser.end) == (0, None)
    nothing = PartialJsonParser()
    nothing.feed("No JSON here.")
    nothing.close()
    assert (nothing.start, nothing.end) == (None, None)


def test_text_after_the_value_does_not_move_its_end() -> None:
    parser = PartialJsonParser()
    parser.feed("[1, 2]")
    parser.feed(" [3]")
    parser.close()
    assert (parser.start, parser.end) == (0, 6)


# Snapshots as objects


def test_a_snapshot_does_not_change_when_more_text_arrives() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": [1, {"b": "x')
    before = parser.snapshot()
    parser.feed('y"}, 2], "c": 3}')
    assert before == {"a": [1, {"b": "x"}]}
    assert parser.snapshot() == {"a": [1, {"b": "xy"}, 2], "c": 3}


def test_unchanged_parser_returns_cached_results() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": [1, "long text')
    assert parser.snapshot() is parser.snapshot()
    assert parser.snapshot_json() is parser.snapshot_json()
    parser.feed("")
    assert parser.snapshot_json() is parser.snapshot_json()


# Linear work


class _CountingScanner:
    """Stands in for a run scanner and records what it was given and matched."""

    def __init__(self, scan: Callable[[str, int], object], log: list[tuple[int, int]]) -> None:
        self.scan = scan
        self.log = log

    def __call__(self, text: str, pos: int) -> object:
        match = self.scan(text, pos)
        self.log.append((len(text), match.end() - pos))  # type: ignore[attr-defined]
        return match


@pytest.fixture
def scan_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(length of the text given, characters matched) for every run-scanner call."""
    log: list[tuple[int, int]] = []
    for module, name in (
        (_scan, "match_ws"),
        (_scan, "STRING_RUN"),
        (_scan, "_match_number_run"),
        (_prose, "match_ws"),
        (_prose, "_match_prose"),
    ):
        monkeypatch.setattr(module, name, _CountingScanner(getattr(module, name), log))
    return log


def _records(count: int) -> str:
    rng = random.Random(7)
    records = [
        {"id": i, "text": 'word "q" é😀 ' * rng.randrange(5), "x": [1.5e3, True, None]}
        for i in range(count)
    ]
    return "Here you go:\n```json\n" + json.dumps(records, indent=1) + "\n```"


def test_run_scanners_see_only_the_chunk_and_each_character_once(
    scan_log: list[tuple[int, int]],
) -> None:
    text = _records(2000)
    parser = PartialJsonParser()
    for i in range(0, len(text), 16):
        parser.feed(text[i : i + 16])
    assert parser.done
    assert max(given for given, _ in scan_log) <= 16  # never the accumulated buffer
    assert sum(matched for _, matched in scan_log) <= len(text)


def test_run_scanner_calls_grow_in_proportion_to_the_input(
    scan_log: list[tuple[int, int]],
) -> None:
    counts = []
    for size in (500, 2000):
        scan_log.clear()
        text = _records(size)
        parser = PartialJsonParser()
        for i in range(0, len(text), 16):
            parser.feed(text[i : i + 16])
            parser.snapshot_json()
        counts.append(len(scan_log) / len(text))
    assert counts[1] <= counts[0] * 1.1  # calls per character do not grow with the size


def test_long_string_is_escaped_once_however_often_it_is_rendered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    encoded: list[int] = []
    encode = _encode.encode_string

    def counting_encode(text: str) -> str:
        encoded.append(len(text))
        return encode(text)

    monkeypatch.setattr(_render, "encode_string", counting_encode)
    text = '{"essay": "' + 'a \\"quoted\\" é😀 line\\n' * 5000 + '"}'
    parser = PartialJsonParser()
    for i in range(0, len(text), 16):
        parser.feed(text[i : i + 16])
        parser.snapshot_json()
    assert parser.snapshot_json() == json.dumps(json.loads(text))
    assert sum(encoded) <= len(text)


# Any depth, any number, any escape: valid JSON text out, json.loads values kept


DEEP = 10_000


def test_ten_thousand_levels_stream_and_render_in_16_character_chunks() -> None:
    text = '{"a": [' * DEEP + '"deep"' + "]}" * DEEP
    parser = PartialJsonParser()
    for index in range(0, len(text), 16):
        parser.feed(text[index : index + 16])
        if index % 4096 == 0:
            snapshot = parser.snapshot_json()
            assert snapshot is not None
            assert snapshot.startswith('{"a": [{"a": [')
    assert parser.depth == 0
    assert parser.close() == text


def test_ten_thousand_levels_in_one_chunk_render_without_recursion() -> None:
    text = "[" * DEEP + "1, [], {}" + "]" * DEEP
    parser = PartialJsonParser()
    parser.feed(text)
    assert parser.snapshot_json() == text
    assert parser.close() == text
    assert parser.snapshot() is parser.snapshot()


def test_ten_thousand_open_levels_render_closed_up() -> None:
    parser = PartialJsonParser()
    parser.feed('{"k": [' * DEEP + '"x')
    assert parser.snapshot_json() == '{"k": [' * DEEP + '"x"' + "]}" * DEEP
    assert parser.depth == 2 * DEEP


BIG_NUMBERS = ["1e400", "-1e400", "1E+999", "1.5e308", "1e-400", str(2**64 + 1), str(-(2**70))]


@pytest.mark.parametrize("token", BIG_NUMBERS)
def test_numbers_beyond_the_float_and_int64_ranges_keep_their_value(token: str) -> None:
    text = f'{{"n": [{token}, {token}], "m": {token}}}'
    for chunks in ([text], list(text)):
        parser, seen = feed_all(chunks)
        final = parser.close()
        assert final is not None
        for rendered in [*seen, final]:
            assert rendered is not None
            assert "Infinity" not in rendered
            json.loads(rendered)  # valid JSON
        assert json.loads(final) == json.loads(text)
        assert parser.snapshot() == json.loads(text)


def test_a_number_beyond_the_float_range_keeps_its_text_at_any_depth() -> None:
    text = "[" * DEEP + "1e400" + "]" * DEEP
    parser = PartialJsonParser()
    parser.feed(text)
    assert parser.close() == text


def test_a_number_beyond_the_float_range_at_the_top_level_keeps_its_text() -> None:
    parser = PartialJsonParser()
    parser.feed("-1e400")
    assert parser.close() == "-1e400"
    assert parser.snapshot() == float("-inf")


def test_a_number_beyond_the_float_range_is_a_plain_float_as_json_loads_makes_it() -> None:
    parser = PartialJsonParser()
    parser.feed('{"n": [1e400], "m": -1e400}')
    snapshot = parser.snapshot()
    assert snapshot == json.loads('{"n": [1e400], "m": -1e400}')
    assert isinstance(snapshot, dict)
    assert isinstance(snapshot["n"], list)
    assert [type(snapshot["n"][0]), type(snapshot["m"])] == [float, float]


SURROGATE_ESCAPES = [
    r"\uD888\u1234",  # a high surrogate and a character that is not a low one
    r"\ud800",
    r"\udc00",
    r"\udc00\ud800",  # a low then a high: two lone halves
    r"\ud83d\ude00",  # a pair: one character
    r"\ud800\ud800\udc00",
    r"a\ud800",
]


@pytest.mark.parametrize("escapes", SURROGATE_ESCAPES)
def test_surrogate_escapes_decode_as_json_loads_decodes_them(escapes: str) -> None:
    text = f'["{escapes}", {{"{escapes}": "{escapes}"}}]'
    for size in (1, 3, len(text)):
        parser, seen = feed_all([text[i : i + size] for i in range(0, len(text), size)])
        assert parser.snapshot() == json.loads(text)
        assert parser.close() == json.dumps(json.loads(text))
        for rendered in seen:
            assert rendered is not None
            json.loads(rendered)


# Inline code and fences (CommonMark: a backtick fence's info line has no backtick)


INLINE_CODE = [
    ('Sure: ```{"a": 1}```', '{"a": 1}'),
    ('lorem ```json {"key":"value"} ``` ipsum', '{"key":"value"}'),
    ('inline ``` [1, 2] ``` and a fence:\n```json\n{"b": 2}\n```', "[1, 2]"),
    ('a ```x``` b ```\n{"c": 3}\n```', '{"c": 3}'),
    ('````json\n"four ticks"\n````', '"four ticks"'),
    ('Sure!\n```json\n{"a": [1]}\n```', '{"a": [1]}'),
    ("``` \n-1\n```", "-1"),
]


@pytest.mark.parametrize(("text", "json_text"), INLINE_CODE)
def test_inline_code_is_prose_and_a_fence_needs_its_own_line(text: str, json_text: str) -> None:
    for split in range(len(text) + 1):
        for second in (split, min(split + 3, len(text))):
            parser, _ = feed_all([text[:split], text[split:second], text[second:]])
            assert parser.close() == json.dumps(json.loads(json_text)), (split, second)
            assert parser.start is not None
            assert text[parser.start : parser.end] == json_text, (split, second)


def test_inline_code_without_json_leaves_no_value() -> None:
    parser = PartialJsonParser()
    parser.feed("use ```pip install``` to install it")
    assert parser.close() is None
    assert not parser.truncated


# Truncation


CUT_OFF = ['{"a": [1, 2', '{"a": "tex', "[1, tr", '```json\n{"a"', '{"n": 12', "[1e4"]


@pytest.mark.parametrize("text", CUT_OFF)
def test_text_ending_inside_the_value_is_truncated(text: str) -> None:
    parser = PartialJsonParser()
    parser.feed(text)
    assert not parser.truncated  # known only at the end
    parser.close()
    assert parser.truncated
    assert not parser.done


NOT_CUT_OFF = ["I cannot help with that.", '{"a" 1}', "[1, }", "[1] and more"]


@pytest.mark.parametrize("text", NOT_CUT_OFF)
def test_prose_broken_or_complete_json_is_not_truncated(text: str) -> None:
    parser = PartialJsonParser()
    parser.feed(text)
    parser.close()
    assert not parser.truncated


def test_spine_shows_the_open_containers_without_copying() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": [1, {"b": "te')
    frames, text = parser.spine()
    assert [(container, key) for container, key in frames] == [({}, "a"), ([1], ""), ({}, "b")]
    assert text == "te"
    parser.feed('xt"}]}')
    assert parser.spine() == ([], None)


def test_open_frames_say_which_member_is_read_and_open_text_gives_a_string_so_far() -> None:
    parser = PartialJsonParser()
    parser.feed('{"a": [1, {"b": "te')
    frames, key, string = parser.open_frames()
    assert [(frame.container, frame.key) for frame in frames] == [({}, "a"), ([1], ""), ({}, "b")]
    assert (key, string) == ("b", True)
    assert parser.open_text() == "te"
    parser.feed('xt", "c": 1')
    frames, key, string = parser.open_frames()
    assert (len(frames), key, string) == (3, "c", False)
    assert parser.open_text() is None
    parser.feed("}, ")
    assert parser.open_frames()[1:] == (None, False)
