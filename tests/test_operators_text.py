from __future__ import annotations

import pytest
import reactivex

from kavalai.operators import accumulate, to_deltas


def collect(source: reactivex.Observable[str]) -> tuple[list[str], list[Exception]]:
    items: list[str] = []
    errors: list[Exception] = []
    source.subscribe(items.append, errors.append)
    return items, errors


def test_accumulate_emits_text_so_far_per_chunk() -> None:
    items, _ = collect(reactivex.of("He", "ll", "o").pipe(accumulate()))
    assert items == ["He", "Hell", "Hello"]


def test_accumulate_starts_fresh_for_each_subscription() -> None:
    source = reactivex.of("a", "b").pipe(accumulate())
    assert collect(source)[0] == collect(source)[0] == ["a", "ab"]


def test_to_deltas_emits_what_each_value_added() -> None:
    items, _ = collect(reactivex.of("He", "Hell", "Hello").pipe(to_deltas()))
    assert items == ["He", "ll", "o"]


def test_to_deltas_inverts_accumulate() -> None:
    chunks = ["x", "", "yz", "é", "\n"]
    items, _ = collect(reactivex.from_iterable(chunks).pipe(accumulate(), to_deltas()))
    assert items == chunks


def test_to_deltas_rejects_text_that_does_not_grow() -> None:
    items, errors = collect(reactivex.of("Hello", "Help").pipe(to_deltas()))
    assert items == ["Hello"]
    assert len(errors) == 1
    with pytest.raises(ValueError, match="does not extend the previous value"):
        raise errors[0]
