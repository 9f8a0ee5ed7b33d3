"""OpenAI streams beyond the usual: Azure's content filter chunks, the error the SDK raises
itself, and sources that are no stream of the adapter's API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai

from kavalai import Streamer
from kavalai.providers.openai import stream_chat_completion, stream_response

from .conftest import Replay, answer_keys, consume, data, keys
from .test_openai import DONE, Connect, chat, choice, chunk, connect, events, finish, respond

__all__ = ["connect"]  # the fixture, shared with the module it comes from


FILTERED = {"hate": {"filtered": False, "severity": "safe"}}


def filter_chunk(**choice_fields: object) -> str:
    """A chunk of Azure's asynchronous content filter: a choice with no delta."""
    return data(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-test",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": None,
                    "content_filter_results": FILTERED,
                    "content_filter_offsets": {"check_offset": 0, "start_offset": 0},
                    **choice_fields,
                }
            ],
        }
    )


async def test_azure_content_filter_chunks_without_a_delta_are_skipped(connect: Connect) -> None:
    prompt_filter = data(
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": FILTERED}],
        }
    )
    frames = [
        prompt_filter,
        chunk(choice(role="assistant", content="Hello")),
        chunk(choice(content=" there")),
        filter_chunk(),
        chunk(choice(finish_reason="stop")),
        filter_chunk(),
        DONE,
    ]
    streamer = Streamer()
    await chat(connect, Replay(frames), streamer)
    assert await answer_keys(streamer) == [
        ("partial", "text", "Hello"),
        ("partial", "text", "Hello there"),
        ("complete", "text", "Hello there"),
        ("partial", "finish", finish("stop")),
        ("complete", "finish", finish("stop")),
    ]
    # Against the chunks as the SDK yields them (its chat.completions.stream()
    # accumulator fails on these chunks with an AttributeError of its own).
    client = await connect(Replay(frames))
    raw = await client.chat.completions.create(model="gpt-test", messages=[], stream=True)
    contents = [c.delta.content or "" async for chunk in raw for c in chunk.choices if c.delta]
    assert "".join(contents) == "Hello there"


async def test_a_stream_of_another_provider_is_refused_with_a_type_error(
    connect: Connect,
) -> None:
    text = {"item_id": "msg_1", "output_index": 0, "content_index": 0, "logprobs": []}
    frames = events({"type": "response.output_text.delta", **text, "delta": "Hi"})
    client = await connect(Replay(frames))
    streamer = Streamer()
    request = client.responses.create(model="gpt-test", input="Hi", stream=True)
    streamer.start(stream_chat_completion(request, streamer))  # type: ignore[arg-type]
    received, error = await consume(streamer)
    assert received == []  # never an empty answer said to be cut off
    assert isinstance(error, TypeError)
    assert str(error) == (
        "stream_chat_completion cannot read ResponseTextDeltaEvent (the answer streamed into "
        "'finish'): pass a Chat Completions stream: client.chat.completions.create(..., "
        "stream=True)"
    )


async def test_responses_refuse_what_is_not_an_openai_event() -> None:
    async def chunks() -> AsyncIterator[dict[str, str]]:
        yield {"type": "response.output_text.delta", "delta": "Hi"}

    streamer = Streamer()
    streamer.start(stream_response(chunks(), streamer))  # type: ignore[arg-type]
    received, error = await consume(streamer)
    assert received == []
    assert isinstance(error, TypeError)
    assert str(error).startswith("stream_response cannot read dict (the answer streamed into")


async def test_responses_an_error_frame_with_an_error_object_fails_with_the_sdks_error(
    connect: Connect,
) -> None:
    # The SDK raises itself on any frame with an "error" object, before the adapter
    # sees it; a response.failed or an error event in the Responses format is the
    # adapter's ResponseFailedError (the test above). The README says to catch both.
    text = {"item_id": "msg_1", "output_index": 0, "content_index": 0, "logprobs": []}
    failure = {"type": "error", "error": {"message": "Oops", "type": "server_error"}}
    replay = Replay(events({"type": "response.output_text.delta", **text, "delta": "Hi"}, failure))
    streamer = Streamer(stream_delta=True)
    await respond(connect, replay, streamer)
    messages, error = await consume(streamer)
    assert keys(messages) == [("partial", "text", "Hi")]
    assert type(error) is openai.APIError
    assert error.message == "Oops"
