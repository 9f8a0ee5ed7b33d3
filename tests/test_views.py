from __future__ import annotations

import pytest

from kavalai.partial_json._partial_list import PartialList


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
