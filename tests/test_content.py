from __future__ import annotations

import pytest
from pydantic import ValidationError

from kavalai import StreamContent


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
