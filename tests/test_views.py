from __future__ import annotations

import pytest

from kavalai.partial_json._views import PartialDict, PartialList


def test_partial_list_reads_like_a_list() -> None:
    items = PartialList([1, 2], 3)
    assert len(items) == 3
    assert list(items) == [1, 2, 3]
    assert items == [1, 2, 3]
    assert items != [1, 2]
    assert items[-1] == 3
    assert items[0:2] == [1, 2]
    assert repr(items) == "[1, 2, 3]"
    with pytest.raises(IndexError):
        items[3]
    assert PartialList([1]) == (1,)


def test_partial_dict_reads_like_a_dict() -> None:
    members = PartialDict({"a": (0, 1), "b": (1, 2)}, "c", 3)
    assert len(members) == 3
    assert list(members) == ["a", "b", "c"]
    assert members == {"a": 1, "b": 2, "c": 3}
    assert members != {"a": 1, "b": 2}
    assert members["c"] == 3
    assert "b" in members
    assert members.get("d") is None
    assert list(members.items()) == [("a", 1), ("b", 2), ("c", 3)]
    assert repr(members) == "{'a': 1, 'b': 2, 'c': 3}"
    with pytest.raises(KeyError):
        members["d"]


def test_partial_dict_shows_no_member_stored_after_it_was_made() -> None:
    entries = {"a": (0, 1)}
    members = PartialDict(entries)
    entries["b"] = (1, 2)
    assert members == {"a": 1}
    assert "b" not in members
    assert len(members) == 1


def test_partial_dict_shows_an_open_member_under_a_finished_key_once() -> None:
    members = PartialDict({"a": (0, 1), "b": (1, 2)}, "a", 5)
    assert members == {"a": 5, "b": 2}
    assert list(members) == ["a", "b"]
    assert len(members) == 2
