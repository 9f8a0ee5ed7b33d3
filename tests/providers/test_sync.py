"""The sync clients' streams (``OpenAI``, ``Anthropic``), read on a worker thread.

The server runs on the test's event loop, so every blocking call of a sync
client (sending the request) runs in a thread too, as it should in an
application: ``asyncio.to_thread(client....create, ..., stream=True)``, or a
sync ``messages.stream(...)`` manager, which the worker thread enters.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anthropic
import openai
import pytest

from kavalai import Streamer
from kavalai.providers.anthropic import stream_message
from kavalai.providers.openai import stream_chat_completion, stream_response

from ..conftest import Serve
from . import test_anthropic as claude
from . import test_openai as gpt
from .conftest import Clients, Replay, answer_keys, consume, data, keys
from .test_anthropic_blocks import calls_of

Url = Callable[[Replay], Awaitable[str]]


def message_stream(client: anthropic.Anthropic) -> Any:
    # Any: the SDKs' overloads give unions this test does not need to narrow.
    return client.messages.create(
        model="claude-test",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
    )


def message_manager(client: anthropic.Anthropic) -> Any:
    return client.messages.stream(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    )


def chat_stream(client: openai.OpenAI) -> Any:
    return client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}], stream=True
    )


def async_chat(client: openai.AsyncOpenAI) -> Any:
    return client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Hi"}], stream=True
    )


CLAUDE = claude.frames(
    claude.start(),
    *claude.text_block(0, "Checking."),
    *claude.tool_block(1, "toolu_a", "weather", '{"city": "Pa', 'ris", "unit": "C"}'),
    *claude.end("tool_use", 40),
)
GPT = [
    gpt.chunk(gpt.choice(role="assistant", content="Let me")),
    gpt.chunk(gpt.choice(content=" check.")),
    gpt.chunk(gpt.choice(tool_calls=[gpt.call(0, '{"city": ', "call_a", "weather")])),
    gpt.chunk(gpt.choice(tool_calls=[gpt.call(0, '"Oslo"}')])),
    gpt.chunk(gpt.choice(finish_reason="tool_calls")),
    gpt.chunk(usage=gpt.USAGE),
    gpt.DONE,
]


@pytest.fixture
def url(serve: Serve) -> Url:
    return serve


def stream_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "kavalai-stream"]


async def test_a_sync_anthropic_stream_gives_the_messages_of_the_async_one(
    url: Url, clients: Clients
) -> None:
    base = await url(Replay(CLAUDE))
    streamer = Streamer()
    streamer.start(stream_message(claude.request(clients.anthropic(base)), streamer))
    expected = await answer_keys(streamer)
    client = clients.anthropic_sync(base)
    stream = await asyncio.to_thread(message_stream, client)
    streamer = Streamer()
    streamer.start(stream_message(stream, streamer))
    assert await answer_keys(streamer) == expected
    assert stream.response.is_closed
    final = await asyncio.to_thread(final_message, client)
    assert calls_of(await answer_of(stream_message, message_manager(client))) == [
        (block.id, block.name, block.input) for block in final.content if block.type == "tool_use"
    ]


def final_message(client: anthropic.Anthropic) -> Any:
    # Any: the SDK's parsed message type is generic over a format this test does not use.
    with message_manager(client) as helper:
        return helper.get_final_message()


async def answer_of(adapter: Callable[..., Coroutine[Any, Any, None]], source: object) -> list[Any]:
    streamer = Streamer()
    streamer.start(adapter(source, streamer))
    messages, error = await consume(streamer)
    assert error is None
    return messages


async def test_a_sync_message_stream_manager_is_entered_on_the_worker_thread(
    url: Url, clients: Clients
) -> None:
    replay = Replay(CLAUDE)
    client = clients.anthropic_sync(await url(replay))
    # Not entered here: the thread sends the request, so the loop (and this
    # test's server on it) never waits for it.
    messages = await answer_of(stream_message, message_manager(client))
    values = {m.name: m.value for m in messages if m.type == "complete"}
    assert values["text"] == "Checking."
    assert values["tool_call.0"] == '{"city": "Paris", "unit": "C"}'
    assert replay.requests[0]["stream"] is True
    assert stream_threads() == []


async def test_a_sync_chat_completions_stream_gives_the_messages_of_the_async_one(
    url: Url, clients: Clients
) -> None:
    base = await url(Replay(GPT))
    request = async_chat(clients.openai(base))
    expected = keys(await answer_of(stream_chat_completion, request))
    client = clients.openai_sync(base)
    stream = await asyncio.to_thread(chat_stream, client)
    assert keys(await answer_of(stream_chat_completion, stream)) == expected
    assert ("complete", "tool_call.0", '{"city": "Oslo"}') in expected
    # A request still to send, awaited by the adapter: the same.
    sent = asyncio.to_thread(chat_stream, client)
    assert keys(await answer_of(stream_chat_completion, sent)) == expected


RESPONSES = gpt.events(
    {"type": "response.created", "response": gpt.response("in_progress")},
    {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "logprobs": [],
        "delta": "Hi there",
    },
    {
        "type": "response.completed",
        "response": gpt.response("completed", usage=gpt.RESPONSE_USAGE),
    },
)


async def test_a_sync_responses_stream_gives_the_messages_of_the_async_one(
    url: Url, clients: Clients
) -> None:
    base = await url(Replay(RESPONSES))
    request = clients.openai(base).responses.create(model="gpt-test", input="Hi", stream=True)
    expected = keys(await answer_of(stream_response, request))
    client = clients.openai_sync(base)
    stream = await asyncio.to_thread(
        client.responses.create, model="gpt-test", input="Hi", stream=True
    )
    assert keys(await answer_of(stream_response, stream)) == expected
    assert expected[-1] == ("complete", "finish", gpt.finish("completed", usage=gpt.RESPONSE_USAGE))


async def test_a_long_sync_stream_reaches_a_slow_consumer_whole_and_in_order(
    url: Url, clients: Clients
) -> None:
    # More events than the thread reads ahead, to a Streamer that holds it back.
    words = [f"w{i} " for i in range(2000)]
    frames = [gpt.chunk(gpt.choice(content=word)) for word in words]
    frames += [gpt.chunk(gpt.choice(finish_reason="stop")), gpt.DONE]
    client = clients.openai_sync(await url(Replay(frames)))
    stream = await asyncio.to_thread(chat_stream, client)
    streamer = Streamer(stream_delta=True, max_buffer=8)
    streamer.start(stream_chat_completion(stream, streamer))
    received: list[str] = []
    async for message in streamer:
        if message.name == "text" and message.type == "partial":
            received.append(message.value or "")
            if len(received) % 100 == 0:
                await asyncio.sleep(0)  # let the thread run ahead and be held back
    assert received == words


async def test_an_error_in_a_sync_stream_fails_the_streamer_with_the_sdks_error(
    url: Url, clients: Clients
) -> None:
    failure = {"message": "The server had an error", "type": "server_error", "code": None}
    frames = [gpt.chunk(gpt.choice(content="Hel")), data({"error": failure})]
    client = clients.openai_sync(await url(Replay(frames)))
    stream = await asyncio.to_thread(chat_stream, client)
    streamer = Streamer(stream_delta=True)
    streamer.start(stream_chat_completion(stream, streamer))
    messages, error = await consume(streamer)
    assert keys(messages) == [("partial", "text", "Hel")]
    assert type(error) is openai.APIError
    assert error.message == "The server had an error"


async def close_after_two_words(streamer: Streamer, task: asyncio.Future[Any]) -> None:
    async with streamer.messages() as messages:
        async for message in messages:
            if message.value == "word1 ":
                break
    await streamer.aclose()


async def ended(task: asyncio.Future[Any]) -> None:
    """Wait, boundedly, for a producer the closing cancelled to end."""
    await asyncio.wait_for(asyncio.wait({task}), 10)
    assert task.cancelled()


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
async def test_closing_the_streamer_ends_a_sync_streams_request(
    url: Url, clients: Clients, sdk: str
) -> None:
    words = [f"word{i} " for i in range(50)]
    if sdk == "openai":
        frames = [gpt.chunk(gpt.choice(content=word)) for word in words] + [gpt.DONE]
        first = 2  # two words
    else:
        frames = claude.frames(claude.start(), *claude.text_block(0, *words))
        first = 4  # message_start, the block's start and two words
    replay = Replay(frames, gated=True)
    base = await url(replay)
    replay.allow(first)
    stream: Any  # Any: either SDK's Stream
    if sdk == "openai":
        stream = await asyncio.to_thread(chat_stream, clients.openai_sync(base))
        task = (streamer := Streamer(stream_delta=True)).start(
            stream_chat_completion(stream, streamer)
        )
    else:
        stream = await asyncio.to_thread(message_stream, clients.anthropic_sync(base))
        task = (streamer := Streamer(stream_delta=True)).start(stream_message(stream, streamer))
    await close_after_two_words(streamer, task)
    # The worker thread was blocked reading the next frame, which never comes.
    await asyncio.wait_for(replay.disconnected.wait(), 10)
    assert replay.sent_at_disconnect == first
    await ended(task)
    assert stream.response.is_closed
    assert stream_threads() == []


async def test_closing_the_streamer_while_a_sync_manager_sends_its_request(
    url: Url, clients: Clients
) -> None:
    replay = Replay(CLAUDE, gated=True)  # the response starts, then no frame comes
    client = clients.anthropic_sync(await url(replay))
    streamer = Streamer()
    task = streamer.start(stream_message(message_manager(client), streamer))
    await asyncio.wait_for(replay.requested.wait(), 10)
    await streamer.aclose()
    await asyncio.wait_for(replay.disconnected.wait(), 10)
    assert replay.sent_at_disconnect == 0
    await ended(task)
    for thread in stream_threads():  # it shut the response down itself, once it had it
        await asyncio.wait_for(asyncio.to_thread(thread.join), 10)


async def test_closing_the_streamer_while_the_thread_is_held_back_ends_the_request(
    url: Url, clients: Clients
) -> None:
    # The thread has read as far ahead as it may, and waits for the adapter,
    # which waits for the consumer (max_buffer): closing wakes both.
    words = [f"word{i} " for i in range(1000)]
    replay = Replay([gpt.chunk(gpt.choice(content=word)) for word in words], gated=True)
    client = clients.openai_sync(await url(replay))
    replay.allow(600)
    stream = await asyncio.to_thread(chat_stream, client)
    streamer = Streamer(stream_delta=True, max_buffer=8)
    task = streamer.start(stream_chat_completion(stream, streamer))
    async with streamer.messages() as messages:
        async for message in messages:
            if message.value == "word1 ":
                break
    await replay.held.wait()  # it sent all it may, most of it read ahead or in the socket
    assert replay.sent == 600
    await streamer.aclose()
    await asyncio.wait_for(replay.disconnected.wait(), 10)
    assert replay.sent_at_disconnect == 600
    await ended(task)
    assert stream_threads() == []
