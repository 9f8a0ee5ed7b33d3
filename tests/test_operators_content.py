from __future__ import annotations

from collections.abc import Callable

import pytest
import reactivex
from pydantic import BaseModel

from kavalai import StreamContent, Streamer
from kavalai.operators import accumulate, stream_values, to_stream_content


def dump(source: reactivex.Observable[StreamContent]) -> list[str]:
    lines: list[str] = []
    source.subscribe(lambda message: lines.append(message.model_dump_json()))
    return lines


def values(source: reactivex.Observable[StreamContent]) -> list[tuple[str, str | None]]:
    messages: list[StreamContent] = []
    source.subscribe(messages.append)
    return [(message.type, message.value) for message in messages]


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


def test_to_stream_content_of_a_structured_value_carries_snapshots_then_the_final_json() -> None:
    source = reactivex.of('{"name": "Ti', 'mo", ', ' "birth_year": 1986}')
    assert values(source.pipe(to_stream_content("result", structured=True))) == [
        ("partial", '{"name": "Ti"}'),
        ("partial", '{"name": "Timo"}'),
        ("partial", '{"name": "Timo", "birth_year": 1986}'),
        ("complete", '{"name": "Timo", "birth_year": 1986}'),
    ]


def test_to_stream_content_of_a_cut_off_value_completes_with_the_text_as_written() -> None:
    source = reactivex.of('Sure: {"n": ', "1")
    assert values(source.pipe(to_stream_content("result", structured=True))) == [
        ("partial", "{}"),
        ("partial", "{}"),
        ("complete", 'Sure: {"n": 1'),
    ]


def test_to_stream_content_of_a_top_level_number_gives_one_partial_per_chunk() -> None:
    source = reactivex.of("1", "2")
    assert values(source.pipe(to_stream_content("result", structured=True))) == [
        ("partial", None),
        ("partial", None),
        ("complete", "12"),
    ]


def test_to_stream_content_of_a_structured_value_without_chunks_completes_without_value() -> None:
    assert values(reactivex.empty().pipe(to_stream_content("result", structured=True))) == [
        ("complete", None)
    ]


def test_to_stream_content_of_a_structured_value_refuses_a_chunk_that_is_not_text() -> None:
    errors: list[Exception] = []
    source = reactivex.of(None, "[1]")
    source.pipe(to_stream_content("result", structured=True)).subscribe(on_error=errors.append)
    assert [type(error) for error in errors] == [TypeError]


class Anything(BaseModel):
    pass


Chain = Callable[[str], Callable[[reactivex.Observable[str]], reactivex.Observable[StreamContent]]]
CHAINS: list[tuple[dict[str, object], Chain]] = [
    ({"stream_delta": True}, lambda name: to_stream_content(name, delta=True)),
    ({}, lambda name: lambda chunks: chunks.pipe(accumulate(), to_stream_content(name))),
    ({"response_model": Anything}, lambda name: to_stream_content(name, structured=True)),
]


@pytest.mark.parametrize(("mode", "chain"), CHAINS, ids=["delta", "cumulative", "structured"])
@pytest.mark.parametrize("chunks", [[], [""], ["1", "2"], ['{"n": 1'], ["Sure: [1, ", '"a"] ok']])
async def test_the_operator_chains_give_the_messages_a_streamer_gives(
    mode: dict[str, object], chain: Chain, chunks: list[str]
) -> None:
    streamer = Streamer()
    stream = streamer.get_value_streamer("result", **mode)  # type: ignore[arg-type]
    for chunk in chunks:
        await stream.stream_partial(chunk)
    await stream.stream_complete()
    messages = [(message.type, message.value) async for message in streamer]
    assert values(reactivex.from_iterable(chunks).pipe(chain("result"))) == messages


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


async def test_stream_values_ends_with_a_final_value_no_partial_showed() -> None:
    # A top-level number's snapshot is None until the text ends, and a cut-off
    # value completes with the text as written: the complete message carries it.
    class Number(BaseModel):
        n: int

    streamer = Streamer()
    number = streamer.get_value_streamer("number", response_model=Number)
    cut = streamer.get_value_streamer("cut", response_model=Number)
    await number.stream_partial("12")
    await number.stream_complete()
    await cut.stream_partial('{"n": 1')
    await cut.stream_complete()
    values: dict[str, list[str]] = {"number": [], "cut": []}
    for name, seen in values.items():
        streamer.pipe(stream_values(name)).subscribe(seen.append)
    assert values == {"number": ["12"], "cut": ["{}", '{"n": 1']}


def test_stream_values_emits_the_final_value_once() -> None:
    seen: list[str] = []
    reactivex.of(
        StreamContent(type="partial", name="a", value="x"),
        StreamContent(type="partial", name="a", value="xy"),
        StreamContent(type="complete", name="a", value="xy"),
    ).pipe(stream_values("a")).subscribe(seen.append)
    assert seen == ["x", "xy"]
