from __future__ import annotations

import pytest
from pydantic import ValidationError

from kavalai import StreamContent
from kavalai.content import message


def test_fields_are_type_name_value_in_that_order() -> None:
    assert list(StreamContent.model_fields) == ["type", "name", "value"]


def test_dump_json_is_compact_and_ordered() -> None:
    message = StreamContent(type="partial", name="result", value="Hello,")
    assert message.model_dump_json() == '{"type":"partial","name":"result","value":"Hello,"}'


def test_value_defaults_to_none() -> None:
    message = StreamContent(type="complete", name="result")
    assert message.model_dump_json() == '{"type":"complete","name":"result","value":null}'


@pytest.mark.parametrize("kind", ["partial", "complete", "restart", "error"])
def test_every_message_type_is_accepted(kind: str) -> None:
    assert StreamContent.model_validate({"type": kind, "name": "n"}).type == kind


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(ValidationError):
        StreamContent.model_validate({"type": "done", "name": "n"})


@pytest.mark.parametrize("value", ["Hello,", None])
def test_a_streamers_message_is_the_message_pydantic_makes(value: str | None) -> None:
    # The Streamer builds its messages without validating them again: they must
    # be the very objects StreamContent(...) gives, but for their position.
    import copy
    import pickle

    made = message("partial", "result", value, 7)
    expected = StreamContent(type="partial", name="result", value=value)
    assert made == expected
    assert made.seq == 7
    assert expected.seq is None
    assert made.model_dump_json() == expected.model_dump_json()
    assert made.model_dump(exclude_unset=True) == expected.model_dump(exclude_unset=True)
    assert made.model_fields_set == expected.model_fields_set
    assert repr(made) == repr(expected)
    assert copy.deepcopy(made) == expected
    assert pickle.loads(pickle.dumps(made)) == expected
    made.value = "changed"  # as mutable as any other, and only this one changes
    assert message("partial", "result", value, 8).value == value
