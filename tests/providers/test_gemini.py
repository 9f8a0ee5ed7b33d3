"""Gemini streams, read by the real google-genai client from a server on 127.0.0.1 (alt=sse)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol

import pytest
from google import genai
from google.genai import errors, types

from kavalai import StreamContent, Streamer
from kavalai.providers import Finish, Part, ServerToolCall, ToolCall, default_name
from kavalai.providers.gemini import stream_content

from ..conftest import Serve
from .conftest import Replay, consume, data, keys


class Connect(Protocol):
    def __call__(self, replay: Replay, vertex: bool = False) -> Awaitable[genai.Client]: ...


USAGE = {"promptTokenCount": 4, "candidatesTokenCount": 9, "totalTokenCount": 13}
#: The usage as the SDK names it, on ``finish``.
SDK_USAGE = {"candidates_token_count": 9, "prompt_token_count": 4, "total_token_count": 13}


@pytest.fixture
async def connect(serve: Serve) -> AsyncIterator[Connect]:
    opened: list[genai.Client] = []

    async def client_for(replay: Replay, vertex: bool = False) -> genai.Client:
        # Vertex AI (in express mode, with an API key) is the API that streams partial_args.
        options = types.HttpOptions(base_url=await serve(replay))
        client = genai.Client(vertexai=vertex, api_key="test", http_options=options)
        opened.append(client)
        return client

    yield client_for
    for client in opened:
        await client.aio.aclose()


def response(*candidates: dict[str, Any], **fields: object) -> str:
    return data({"candidates": list(candidates), "modelVersion": "gemini-test", **fields})


def candidate(*parts: dict[str, Any], index: int = 0, **fields: object) -> dict[str, Any]:
    return {"content": {"role": "model", "parts": list(parts)}, "index": index, **fields}


def finish(reason: str | None, usage: dict[str, int] | None = SDK_USAGE, **fields: Any) -> str:
    return json.dumps(Finish(reason=reason, usage=usage, **fields).model_dump(mode="json"))


def announced(stream: str, call_id: str | None, name: str) -> str:
    return json.dumps(ToolCall(stream=stream, id=call_id, name=name).model_dump())


def request(client: genai.Client) -> Any:
    # Any: a coroutine of the SDK's async iterator.
    return client.aio.models.generate_content_stream(model="gemini-test", contents="Hi")


async def answer(
    connect: Connect, replay: Replay, streamer: Streamer, vertex: bool = False, **options: Any
) -> list[StreamContent]:
    client = await connect(replay, vertex)
    streamer.start(stream_content(request(client), streamer, **options))
    messages, error = await consume(streamer)
    assert error is None
    return messages


async def sdk_chunks(connect: Connect, frames: list[str]) -> list[types.GenerateContentResponse]:
    """The responses as the SDK yields them: what nothing may be lost against."""
    client = await connect(Replay(frames))
    return [chunk async for chunk in await request(client)]


def completed(messages: list[StreamContent]) -> dict[str, str | None]:
    return {message.name: message.value for message in messages if message.type == "complete"}


async def test_thought_parts_go_to_reasoning_and_text_parts_to_text(connect: Connect) -> None:
    frames = [
        response(candidate({"text": "The user greets;", "thought": True})),
        response(candidate({"text": " greet back.", "thought": True})),
        response(candidate({"text": "Hello"})),
        response(candidate({"text": ", world"}, finishReason="STOP"), usageMetadata=USAGE),
    ]
    messages = await answer(connect, Replay(frames), Streamer())
    assert keys(messages) == [
        ("partial", "reasoning", "The user greets;"),
        ("partial", "reasoning", "The user greets; greet back."),
        ("partial", "text", "Hello"),
        ("partial", "text", "Hello, world"),
        ("complete", "reasoning", "The user greets; greet back."),
        ("complete", "text", "Hello, world"),
        ("partial", "finish", finish("STOP")),
        ("complete", "finish", finish("STOP")),
    ]
    chunks = await sdk_chunks(connect, frames)
    assert completed(messages)["text"] == "".join(chunk.text or "" for chunk in chunks)


WEATHER_OSLO = {"functionCall": {"name": "weather", "args": {"city": "Oslo"}}}
TIME_UTC = {"functionCall": {"name": "time", "id": "fc_2", "args": {"zone": "UTC"}}}


async def test_whole_function_calls_are_tool_calls_with_their_arguments(connect: Connect) -> None:
    frames = [
        response(candidate({"text": "Checking."})),
        response(candidate(WEATHER_OSLO, TIME_UTC, finishReason="STOP"), usageMetadata=USAGE),
    ]
    messages = await answer(connect, Replay(frames), Streamer(stream_delta=True))
    first, second = (
        announced("tool_call.0", None, "weather"),
        announced("tool_call.1", "fc_2", "time"),
    )
    assert keys(messages) == [
        ("partial", "text", "Checking."),
        ("partial", "tool_calls", f"[{first}"),
        ("partial", "tool_call.0", '{"city": "Oslo"}'),
        ("complete", "tool_call.0", None),
        ("partial", "tool_calls", f", {second}"),
        ("partial", "tool_call.1", '{"zone": "UTC"}'),
        ("complete", "tool_call.1", None),
        ("complete", "text", None),
        ("partial", "tool_calls", "]"),
        ("complete", "tool_calls", None),
        ("partial", "finish", finish("STOP")),
        ("complete", "finish", None),
    ]
    chunks = await sdk_chunks(connect, frames)
    calls = [call for chunk in chunks for call in chunk.function_calls or ()]
    assert [(c.id, c.name, c.args) for c in calls] == [
        (None, "weather", {"city": "Oslo"}),
        ("fc_2", "time", {"zone": "UTC"}),
    ]


def streamed(*pieces: dict[str, Any], **call: object) -> dict[str, Any]:
    """A function call part of a call whose arguments stream."""
    return {"functionCall": {**call, "partialArgs": list(pieces), "willContinue": True}}


def piece(path: str, **value: object) -> dict[str, Any]:
    return {"jsonPath": path, **value}


PLAN = [
    response(candidate({"functionCall": {"name": "plan", "id": "fc_1", "willContinue": True}})),
    response(candidate(streamed(piece("$.city", stringValue="Os", willContinue=True)))),
    response(candidate(streamed(piece("$.city", stringValue="lo")))),
    response(
        candidate(
            streamed(piece("$.days", numberValue=3), piece("$.stops[0].name", stringValue="Fram"))
        )
    ),
    response(
        candidate(
            streamed(piece("$.stops[1].name", stringValue="Munch"), piece("$.rain", boolValue=True))
        )
    ),
]


@pytest.mark.parametrize("vertex", [True, False], ids=["vertex", "gemini api"])
async def test_streamed_partial_args_reach_the_call_as_json_pieces(
    connect: Connect, vertex: bool
) -> None:
    last = response(candidate({"functionCall": {}}, finishReason="STOP"), usageMetadata=USAGE)
    messages = await answer(connect, Replay([*PLAN, last]), Streamer(stream_delta=True), vertex)
    assert keys(messages) == [
        ("partial", "tool_calls", f"[{announced('tool_call.0', 'fc_1', 'plan')}"),
        ("partial", "tool_call.0", '{"city": "Os'),
        ("partial", "tool_call.0", 'lo"'),
        ("partial", "tool_call.0", ', "days": 3'),
        ("partial", "tool_call.0", ', "stops": [{"name": "Fram"'),
        ("partial", "tool_call.0", '}, {"name": "Munch"'),
        ("partial", "tool_call.0", '}], "rain": true'),
        ("partial", "tool_call.0", "}"),
        ("complete", "tool_call.0", None),
        ("partial", "tool_calls", "]"),
        ("complete", "tool_calls", None),
        ("partial", "finish", finish("STOP")),
        ("complete", "finish", None),
    ]
    cumulative = await answer(connect, Replay([*PLAN, last]), Streamer(), vertex)
    assert json.loads(completed(cumulative)["tool_call.0"] or "") == {
        "city": "Oslo",
        "days": 3,
        "stops": [{"name": "Fram"}, {"name": "Munch"}],
        "rain": True,
    }
    # Along the way, each partial is a prefix of the whole, never taken back (a
    # number shows once it can no longer grow).
    partials = [m.value for m in cumulative if m.name == "tool_call.0" and m.type == "partial"]
    assert partials == [
        '{"city": "Os"}',
        '{"city": "Oslo"}',
        '{"city": "Oslo"}',
        '{"city": "Oslo", "days": 3, "stops": [{"name": "Fram"}]}',
        '{"city": "Oslo", "days": 3, "stops": [{"name": "Fram"}, {"name": "Munch"}]}',
        '{"city": "Oslo", "days": 3, "stops": [{"name": "Fram"}, {"name": "Munch"}], "rain": true}',
        '{"city": "Oslo", "days": 3, "stops": [{"name": "Fram"}, {"name": "Munch"}], "rain": true}',
    ]


async def test_max_tokens_mid_streamed_call_is_truncated_and_the_call_unfinished(
    connect: Connect,
) -> None:
    cut = response(candidate(finishReason="MAX_TOKENS"), usageMetadata=USAGE)
    messages = await answer(connect, Replay([*PLAN[:3], cut]), Streamer())
    ending = finish("MAX_TOKENS", truncated=True, unfinished=["tool_call.0"])
    assert keys(messages)[-3:] == [
        ("complete", "tool_calls", f"[{announced('tool_call.0', 'fc_1', 'plan')}]"),
        ("partial", "finish", ending),
        ("complete", "finish", ending),
    ]
    assert completed(messages)["tool_call.0"] == '{"city": "Oslo"'  # as far as it got


async def test_every_candidate_gets_streams_named_after_it(connect: Connect) -> None:
    frames = [
        response(candidate({"text": "Yes"}), candidate({"text": "No"}, index=1)),
        response(
            candidate({"text": " way"}, index=1),
            candidate({"text": "!"}, finishReason="STOP"),
        ),
        response(candidate(finishReason="MAX_TOKENS", index=1), usageMetadata=USAGE),
    ]
    messages = await answer(connect, Replay(frames), Streamer(stream_delta=True))
    assert keys(messages) == [
        ("partial", "text", "Yes"),
        ("partial", "choice.1.text", "No"),
        ("partial", "choice.1.text", " way"),
        ("partial", "text", "!"),
        ("complete", "text", None),
        ("complete", "choice.1.text", None),
        ("partial", "finish", finish("STOP")),
        ("complete", "finish", None),
        ("partial", "choice.1.finish", finish("MAX_TOKENS", truncated=True)),
        ("complete", "choice.1.finish", None),
    ]
    texts: dict[int, str] = {}
    for chunk in await sdk_chunks(connect, frames):
        for sdk_candidate in chunk.candidates or ():
            for part in sdk_candidate.content.parts or () if sdk_candidate.content else ():
                texts[sdk_candidate.index or 0] = texts.get(sdk_candidate.index or 0, "") + (
                    part.text or ""
                )
    cumulative = completed(await answer(connect, Replay(frames), Streamer()))
    assert (cumulative["text"], cumulative["choice.1.text"]) == (texts[0], texts[1])


BLOCKED = [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]


async def test_a_safety_block_is_a_cut_off_answer(connect: Connect) -> None:
    frames = [
        response(candidate({"text": "Step one: "})),
        response(candidate(finishReason="SAFETY", safetyRatings=BLOCKED), usageMetadata=USAGE),
    ]
    messages = await answer(connect, Replay(frames), Streamer())
    ending = finish("SAFETY", truncated=True)
    assert keys(messages) == [
        ("partial", "text", "Step one: "),
        ("complete", "text", "Step one: "),
        ("partial", "finish", ending),
        ("complete", "finish", ending),
    ]


async def test_a_blocked_prompt_is_a_cut_off_answer_with_the_block_reason(
    connect: Connect,
) -> None:
    feedback = {"blockReason": "PROHIBITED_CONTENT"}
    frames = [data({"promptFeedback": feedback, "usageMetadata": USAGE})]
    messages = await answer(connect, Replay(frames), Streamer())
    ending = finish("PROHIBITED_CONTENT", truncated=True)
    assert keys(messages) == [("partial", "finish", ending), ("complete", "finish", ending)]


async def test_an_error_mid_stream_fails_the_streamer_with_the_sdks_error(
    connect: Connect,
) -> None:
    failure = {
        "error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}
    }
    frames = [response(candidate({"text": "Hel"})), data(failure)]
    client = await connect(Replay(frames))
    streamer = Streamer(stream_delta=True)
    streamer.start(stream_content(request(client), streamer))
    messages, error = await consume(streamer)
    assert keys(messages) == [("partial", "text", "Hel")]
    assert isinstance(error, errors.ServerError)
    assert (error.code, error.status, error.message) == (
        503,
        "UNAVAILABLE",
        "The model is overloaded.",
    )


async def test_code_execution_is_a_server_tool_call_with_its_result(connect: Connect) -> None:
    code = {"executableCode": {"language": "PYTHON", "code": "print(6 * 7)"}}
    result = {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42\n"}}
    frames = [
        response(candidate(code)),
        response(candidate(result)),
        response(candidate({"text": "It is 42."}, finishReason="STOP"), usageMetadata=USAGE),
    ]
    messages = await answer(connect, Replay(frames), Streamer(stream_delta=True))
    call = ServerToolCall(stream="server_tool_call.0", id=None, name="code_execution")
    outcome = {"code_execution_result": {"outcome": "OUTCOME_OK", "output": "42\n"}}
    assert keys(messages) == [
        ("partial", "server_tool_calls", "[" + json.dumps(call.model_dump())),
        ("partial", "server_tool_call.0", '{"code": "print(6 * 7)", "language": "PYTHON"}'),
        ("complete", "server_tool_call.0", None),
        ("partial", "server_tool_result.0", json.dumps(outcome)),
        ("complete", "server_tool_result.0", None),
        ("partial", "text", "It is 42."),
        ("complete", "text", None),
        ("partial", "server_tool_calls", "]"),
        ("complete", "server_tool_calls", None),
        ("partial", "finish", finish("STOP")),
        ("complete", "finish", None),
    ]


async def test_names_of_your_own(connect: Connect) -> None:
    frames = [response(candidate({"text": "Hi"}, finishReason="STOP"))]

    def names(part: Part) -> str:
        return f"gemini.{default_name(part)}"

    messages = await answer(connect, Replay(frames), Streamer(stream_delta=True), names=names)
    assert [message.name for message in messages] == [
        "gemini.text",
        "gemini.text",
        "gemini.finish",
        "gemini.finish",
    ]


async def test_a_stream_of_another_provider_is_refused_with_a_type_error() -> None:
    async def chunks() -> AsyncIterator[dict[str, str]]:
        yield {"text": "Hi"}

    streamer = Streamer()
    streamer.start(stream_content(chunks(), streamer))  # type: ignore[arg-type]
    received, error = await consume(streamer)
    assert received == []
    assert isinstance(error, TypeError)
    assert str(error) == (
        "stream_content cannot read dict (the answer streamed into 'finish'): pass a Gemini "
        "stream: client.aio.models.generate_content_stream(...) (awaited or not)"
    )


async def test_closing_the_streamer_ends_the_request(connect: Connect) -> None:
    frames = [response(candidate({"text": f"word{i} "})) for i in range(50)]
    replay = Replay(frames, gated=True)
    client = await connect(replay)
    streamer = Streamer(stream_delta=True)
    task = streamer.start(stream_content(request(client), streamer))
    replay.allow(2)
    async with streamer.messages() as messages:
        async for message in messages:
            if message.value == "word1 ":
                break
    await streamer.aclose()
    await replay.disconnected.wait()
    assert replay.sent_at_disconnect == 2
    assert task.cancelled()
