from __future__ import annotations

import reactivex

from kavalai import StreamContent
from kavalai.operators import stream_values, to_stream_content


def dump(source: reactivex.Observable[StreamContent]) -> list[str]:
    lines: list[str] = []
    source.subscribe(lambda message: lines.append(message.model_dump_json()))
    return lines


def test_to_stream_content_cumulative_completes_with_last_value() -> None:
    assert dump(reactivex.of("Hi", "Hi!").pipe(to_stream_content("result"))) == [
        '{"type":"partial","name":"result","value":"Hi"}',
        '{"type":"partial","name":"result","value":"Hi!"}',
        '{"type":"complete","name":"result","value":"Hi!"}',
    ]


def test_to_stream_content_delta_completes_with_none() -> None:
    assert dump(reactivex.of("Hi", "!").pipe(to_stream_content("result", delta=True))) == [
        '{"type":"partial","name":"result","value":"Hi"}',
        '{"type":"partial","name":"result","value":"!"}',
        '{"type":"complete","name":"result","value":null}',
    ]


def test_to_stream_content_of_empty_source_completes_without_value() -> None:
    assert dump(reactivex.empty().pipe(to_stream_content("result"))) == [
        '{"type":"complete","name":"result","value":null}'
    ]


def test_to_stream_content_passes_errors_on() -> None:
    errors: list[Exception] = []
    error = OSError("lost")
    reactivex.throw(error).pipe(to_stream_content("result")).subscribe(on_error=errors.append)
    assert errors == [error]


def test_stream_values_selects_partials_of_one_name_and_completes_with_it() -> None:
    messages = [
        StreamContent(type="partial", name="a", value="x"),
        StreamContent(type="partial", name="b", value="1"),
        StreamContent(type="partial", name="a", value=None),
        StreamContent(type="partial", name="a", value="xy"),
        StreamContent(type="complete", name="a", value="xy"),
        StreamContent(type="partial", name="a", value="after"),
    ]
    values: list[str] = []
    completed: list[bool] = []
    reactivex.from_iterable(messages).pipe(stream_values("a")).subscribe(
        values.append, on_completed=lambda: completed.append(True)
    )
    assert values == ["x", "xy"]
    assert completed == [True]
