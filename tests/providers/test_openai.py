"""OpenAI Chat Completions and Responses streams, read by the real SDK from 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import openai
import pytest

from kavalai import StreamContent, Streamer
from kavalai.providers import Finish, ResponseFailedError, ToolCall
from kavalai.providers.openai import stream_chat_completion, stream_response

from ..conftest import Serve
from .conftest import Clients, Replay, answer_keys, consume, data, event, keys

Connect = Callable[[Replay], Awaitable[openai.AsyncOpenAI]]

USAGE = {"completion_tokens": 12, "prompt_tokens": 9, "total_tokens": 21}  # the SDK's order


@pytest.fixture
def connect(serve: Serve, clients: Clients) -> Connect:
    async def client_for(replay: Replay) -> openai.AsyncOpenAI:
        return clients.openai(await serve(replay))

    return client_for


def chunk(*choices: dict[str, Any], usage: dict[str, int] | None = None) -> str:
    return data(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-test",
            "choices": list(choices),
            "usage": usage,
        }
    )


def choice(index: int = 0, finish_reason: str | None = None, **delta: object) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}


def call(index: int, arguments: str, call_id: str | None = None, name: str | None = None) -> Any:
    function: dict[str, str] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    started = {"id": call_id, "type": "function"} if call_id is not None else {}
    return {"index": index, **started, "function": function}


def finish(reason: str | None, **fields: object) -> str:
    return json.dumps(Finish(reason=reason, **fields).model_dump(mode="json"))  # type: ignore[arg-type]


def announced(stream: str, call_id: str, name: str) -> str:
    return json.dumps(ToolCall(stream=stream, id=call_id, name=name).model_dump())


async def chat(connect: Connect, replay: Replay, streamer: Streamer, **options: Any) -> None:
    client = await connect(replay)
    request = client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
        **options,
    )
    streamer.start(stream_chat_completion(request, streamer))


DONE = data("[DONE]")


async def test_content_reaches_the_text_stream_and_the_usage_chunk_the_finish(
    connect: Connect,
) -> None:
    replay = Replay(
        [
            chunk(choice(role="assistant", content="")),
            chunk(choice(content="Hello")),
            chunk(choice(content=", world")),
            chunk(choice(finish_reason="stop")),
            chunk(usage=USAGE),
            DONE,
        ]
    )
    streamer = Streamer()
    await chat(connect, replay, streamer)
    assert await answer_keys(streamer) == [
        ("partial", "text", "Hello"),
        ("partial", "text", "Hello, world"),
        ("complete", "text", "Hello, world"),
        ("partial", "finish", finish("stop", usage=USAGE)),
        ("complete", "finish", finish("stop", usage=USAGE)),
    ]
    assert replay.requests[0]["stream_options"] == {"include_usage": True}


async def test_parallel_tool_calls_with_interleaved_arguments_each_get_a_stream(
    connect: Connect,
) -> None:
    replay = Replay(
        [
            chunk(choice(role="assistant", tool_calls=[call(0, "", "call_a", "weather")])),
            chunk(choice(tool_calls=[call(0, '{"city": ')])),
            chunk(choice(tool_calls=[call(1, "", "call_b", "time")])),
            chunk(choice(tool_calls=[call(1, '{"zone": "UTC"}')])),
            chunk(choice(tool_calls=[call(0, '"Oslo"}')])),
            chunk(choice(finish_reason="tool_calls")),
            DONE,
        ]
    )
    streamer = Streamer(stream_delta=True)
    await chat(connect, replay, streamer, parallel_tool_calls=True)
    messages, error = await consume(streamer)
    assert error is None
    first, second = (
        announced("tool_call.0", "call_a", "weather"),
        announced("tool_call.1", "call_b", "time"),
    )
    assert keys(messages) == [
        ("partial", "tool_calls", f"[{first}"),
        ("partial", "tool_call.0", '{"city": '),
        ("partial", "tool_calls", f", {second}"),
        ("partial", "tool_call.1", '{"zone": "UTC"}'),
        ("partial", "tool_call.0", '"Oslo"}'),
        ("complete", "tool_call.0", None),
        ("complete", "tool_call.1", None),
        ("partial", "tool_calls", "]"),
        ("complete", "tool_calls", None),
        ("partial", "finish", finish("tool_calls")),
        ("complete", "finish", None),
    ]


async def test_every_choice_gets_streams_named_after_it(connect: Connect) -> None:
    replay = Replay(
        [
            chunk(choice(0, content="Yes"), choice(1, content="No")),
            chunk(choice(1, content=" way"), choice(0, finish_reason="stop")),
            chunk(choice(1, finish_reason="length")),
            chunk(usage=USAGE),
            DONE,
        ]
    )
    streamer = Streamer(stream_delta=True)
    await chat(connect, replay, streamer, n=2)
    assert await answer_keys(streamer) == [
        ("partial", "text", "Yes"),
        ("partial", "choice.1.text", "No"),
        ("partial", "choice.1.text", " way"),
        ("complete", "text", None),
        ("complete", "choice.1.text", None),
        ("partial", "finish", finish("stop", usage=USAGE)),
        ("complete", "finish", None),
        ("partial", "choice.1.finish", finish("length", truncated=True, usage=USAGE)),
        ("complete", "choice.1.finish", None),
    ]
    assert replay.requests[0]["n"] == 2


async def test_reasoning_of_compatible_servers_and_the_refusal_stay_out_of_the_text(
    connect: Connect,
) -> None:
    replay = Replay(
        [
            chunk(choice(role="assistant", reasoning_content="The user wants")),
            chunk(choice(reasoning_content=" a lock picked.")),
            chunk(choice(content="", refusal="I can't")),
            chunk(choice(refusal=" help with that.")),
            chunk(choice(finish_reason="stop")),
            DONE,
        ]
    )
    streamer = Streamer()
    await chat(connect, replay, streamer)
    assert await answer_keys(streamer) == [
        ("partial", "reasoning", "The user wants"),
        ("partial", "reasoning", "The user wants a lock picked."),
        ("partial", "refusal", "I can't"),
        ("partial", "refusal", "I can't help with that."),
        ("complete", "reasoning", "The user wants a lock picked."),
        ("complete", "refusal", "I can't help with that."),
        ("partial", "finish", finish("stop")),
        ("complete", "finish", finish("stop")),
    ]


async def test_an_error_after_some_text_fails_the_streamer_with_the_sdks_error(
    connect: Connect,
) -> None:
    failure = {"message": "The server had an error", "type": "server_error", "code": None}
    replay = Replay([chunk(choice(content="Hel")), data({"error": failure})])
    streamer = Streamer(stream_delta=True)
    await chat(connect, replay, streamer)
    messages, error = await consume(streamer)
    assert keys(messages) == [("partial", "text", "Hel")]
    assert type(error) is openai.APIError
    assert error.message == "The server had an error"
    assert error.type == "server_error"


async def test_length_mid_tool_call_reports_it_truncated_and_unfinished(connect: Connect) -> None:
    replay = Replay(
        [
            chunk(choice(tool_calls=[call(0, '{"city": "Os', "call_a", "weather")])),
            chunk(choice(finish_reason="length")),
            DONE,
        ]
    )
    streamer = Streamer()
    await chat(connect, replay, streamer)
    messages, error = await consume(streamer)
    assert error is None
    cut_off = finish("length", truncated=True, unfinished=["tool_call.0"])
    listing = f"[{announced('tool_call.0', 'call_a', 'weather')}]"
    assert keys(messages) == [
        ("partial", "tool_calls", listing),
        ("partial", "tool_call.0", '{"city": "Os"}'),
        ("complete", "tool_call.0", '{"city": "Os'),
        ("partial", "tool_calls", listing),
        ("complete", "tool_calls", listing),
        ("partial", "finish", cut_off),
        ("complete", "finish", cut_off),
    ]


async def chat_answer(connect: Connect, frames: list[str]) -> list[StreamContent]:
    """Every message of the answer ``frames`` make, which ends without an error."""
    streamer = Streamer()
    await chat(connect, Replay(frames), streamer)
    messages, error = await consume(streamer)
    assert error is None
    return messages


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("tool_calls", [("partial", "tool_call.0", "{}"), ("complete", "tool_call.0", "{}")]),
        ("length", [("complete", "tool_call.0", None)]),  # cut off: never {} to run
    ],
)
async def test_a_call_without_arguments(
    connect: Connect, reason: str, expected: list[tuple[str, str, str | None]]
) -> None:
    began = chunk(choice(tool_calls=[call(0, "", "call_a", "delete_files")]))
    messages = await chat_answer(connect, [began, chunk(choice(finish_reason=reason)), DONE])
    assert keys([message for message in messages if message.name == "tool_call.0"]) == expected
    cut_off = reason == "length"
    ending = finish(reason, truncated=cut_off, unfinished=["tool_call.0"] if cut_off else [])
    assert keys(messages)[-1] == ("complete", "finish", ending)


async def test_a_stream_that_ends_without_a_finish_reason_is_cut_off(connect: Connect) -> None:
    messages = await chat_answer(connect, [chunk(choice(content="The answer is"))])  # cut there
    assert keys(messages)[-1] == ("complete", "finish", finish(None, truncated=True))


async def test_a_call_of_the_deprecated_functions_api_is_a_tool_call(connect: Connect) -> None:
    frames = [
        chunk(choice(function_call={"name": "delete_files", "arguments": ""})),
        chunk(choice(function_call={"arguments": '{"path": '})),
        chunk(choice(function_call={"arguments": '"/tmp/x"}'})),
        chunk(choice(finish_reason="function_call")),
        DONE,
    ]
    messages = await chat_answer(connect, frames)
    values = {m.name: m.value for m in messages if m.type == "complete"}
    listing = json.loads(values["tool_calls"] or "")
    assert listing == [{"stream": "tool_call.0", "id": None, "name": "delete_files"}]
    assert values["tool_call.0"] == '{"path": "/tmp/x"}'


async def test_closing_the_streamer_ends_the_request(connect: Connect) -> None:
    replay = Replay([chunk(choice(content=f"word{i} ")) for i in range(50)] + [DONE], gated=True)
    streamer = Streamer(stream_delta=True)
    await chat(connect, replay, streamer)
    replay.allow(3)
    async with streamer.messages() as messages:
        async for message in messages:
            if message.value == "word2 ":
                break
    await streamer.aclose()
    await replay.disconnected.wait()
    assert replay.sent_at_disconnect == 3


def response(status: str, **fields: object) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1700000000,
        "model": "gpt-test",
        "status": status,
        "output": [],
        **fields,
    }


def events(*payloads: dict[str, Any]) -> list[str]:
    return [event({**payload, "sequence_number": n}) for n, payload in enumerate(payloads)]


RESPONSE_USAGE = {"input_tokens": 5, "output_tokens": 20, "total_tokens": 25}


async def respond(connect: Connect, replay: Replay, streamer: Streamer) -> None:
    client = await connect(replay)
    request = client.responses.create(model="gpt-test", input="Hi", stream=True)
    streamer.start(stream_response(request, streamer))


def item_added(index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.output_item.added", "output_index": index, "item": item}


def item_done(index: int, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


FUNCTION = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_a",
    "name": "weather",
    "arguments": "",
    "status": "in_progress",
}


async def test_responses_reasoning_text_and_a_function_call(connect: Connect) -> None:
    summary = {"item_id": "rs_1", "output_index": 0, "summary_index": 0}
    text = {"item_id": "msg_1", "output_index": 1, "content_index": 0, "logprobs": []}
    arguments = {"item_id": "fc_1", "output_index": 2}
    replay = Replay(
        events(
            {"type": "response.created", "response": response("in_progress")},
            item_added(0, {"type": "reasoning", "id": "rs_1", "summary": []}),
            {"type": "response.reasoning_summary_text.delta", **summary, "delta": "Weather?"},
            item_added(1, {"type": "message", "id": "msg_1", "role": "assistant", "content": []}),
            {"type": "response.output_text.delta", **text, "delta": "Let me"},
            {"type": "response.output_text.delta", **text, "delta": " check."},
            {"type": "response.future_event", "anything": True},
            item_added(2, FUNCTION),
            {"type": "response.function_call_arguments.delta", **arguments, "delta": '{"city"'},
            {"type": "response.function_call_arguments.delta", **arguments, "delta": ': "Rome"}'},
            item_done(2, {**FUNCTION, "arguments": '{"city": "Rome"}', "status": "completed"}),
            {
                "type": "response.completed",
                "response": response("completed", usage=RESPONSE_USAGE),
            },
        )
    )
    streamer = Streamer(stream_delta=True)
    await respond(connect, replay, streamer)
    assert await answer_keys(streamer) == [
        ("partial", "reasoning", "Weather?"),
        ("partial", "text", "Let me"),
        ("partial", "text", " check."),
        ("partial", "tool_calls", f"[{announced('tool_call.0', 'call_a', 'weather')}"),
        ("partial", "tool_call.0", '{"city"'),
        ("partial", "tool_call.0", ': "Rome"}'),
        ("complete", "tool_call.0", None),
        ("complete", "reasoning", None),
        ("complete", "text", None),
        ("partial", "tool_calls", "]"),
        ("complete", "tool_calls", None),
        ("partial", "finish", finish("completed", usage=RESPONSE_USAGE)),
        ("complete", "finish", None),
    ]


@pytest.mark.parametrize("cut_off", [False, True])
async def test_responses_arguments_sent_whole_at_the_end_are_kept(
    connect: Connect, cut_off: bool
) -> None:
    done = {**FUNCTION, "arguments": '{"city": "Oslo"}', "status": "completed"}
    ending = {"type": "response.completed", "response": response("completed")}
    if cut_off:
        done = {**FUNCTION, "status": "incomplete"}
        incomplete = {"reason": "max_output_tokens"}
        ending = {
            "type": "response.incomplete",
            "response": response("incomplete", incomplete_details=incomplete),
        }
    replay = Replay(
        events(
            {"type": "response.created", "response": response("in_progress")},
            item_added(0, FUNCTION),
            item_done(0, done),
            ending,
        )
    )
    streamer = Streamer()
    await respond(connect, replay, streamer)
    messages, error = await consume(streamer)
    assert error is None
    calls = [message for message in messages if message.name == "tool_call.0"]
    if cut_off:
        assert keys(calls) == [("complete", "tool_call.0", None)]
    else:
        assert keys(calls)[-1] == ("complete", "tool_call.0", '{"city": "Oslo"}')


async def test_responses_incomplete_at_max_output_tokens_is_truncated(connect: Connect) -> None:
    arguments = {"item_id": "fc_1", "output_index": 0}
    incomplete = response("incomplete", incomplete_details={"reason": "max_output_tokens"})
    replay = Replay(
        events(
            item_added(0, FUNCTION),
            {"type": "response.function_call_arguments.delta", **arguments, "delta": '{"ci'},
            {"type": "response.incomplete", "response": incomplete},
        )
    )
    streamer = Streamer(stream_delta=True)
    await respond(connect, replay, streamer)
    messages, error = await consume(streamer)
    assert error is None
    cut_off = finish("max_output_tokens", truncated=True, unfinished=["tool_call.0"])
    assert keys(messages)[-2:] == [("partial", "finish", cut_off), ("complete", "finish", None)]
    assert ("complete", "tool_call.0", None) in keys(messages)


@pytest.mark.parametrize(
    "failure",
    [
        {
            "type": "response.failed",
            "response": response("failed", error={"code": "server_error", "message": "Oops"}),
        },
        {"type": "error", "code": "server_error", "message": "Oops", "param": None},
    ],
    ids=["response.failed", "error"],
)
async def test_responses_failure_after_text_fails_the_streamer(
    connect: Connect, failure: dict[str, Any]
) -> None:
    text = {"item_id": "msg_1", "output_index": 0, "content_index": 0, "logprobs": []}
    replay = Replay(events({"type": "response.output_text.delta", **text, "delta": "Hi"}, failure))
    streamer = Streamer(stream_delta=True)
    await respond(connect, replay, streamer)
    messages, error = await consume(streamer)
    assert keys(messages) == [("partial", "text", "Hi")]
    assert isinstance(error, ResponseFailedError)
    assert str(error) == (
        "the response streamed into 'finish' failed with server_error: Oops; what it wrote "
        "before is partial: retry the request"
    )
    assert (error.code, error.message) == ("server_error", "Oops")
