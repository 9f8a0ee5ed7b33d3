"""A Redis reader is a consumer of the producer's Streamer: its messages, at its positions."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from kavalai import RemoteStreamError, StreamContent, Streamer, ValueStreamer
from kavalai.redis import Publisher, subscribe

from .conftest import RedisServer

Seen = tuple[int | None, str, str, str | None]


def seen(messages: list[StreamContent]) -> list[Seen]:
    return [(m.seq, m.type, m.name, m.value) for m in messages]


async def read(redis: Redis, key: str, after: int | None) -> tuple[list[Seen], str | None]:
    """What a Redis reader after ``after`` gets: its messages, and the error it ended with."""
    got: list[StreamContent] = []
    async with asyncio.timeout(10), subscribe(redis, key, after=after) as remote:
        try:
            async for message in remote:
                got.append(message)
        except RemoteStreamError as error:
            return seen(got), str(error)
    return seen(got), None


async def local(streamer: Streamer, after: int | None) -> tuple[list[Seen], str | None]:
    """What a consumer of the producer's Streamer after ``after`` gets."""
    got: list[StreamContent] = []
    try:
        async for message in streamer.messages(after=after):
            got.append(message)
    except LookupError as error:
        return seen(got), f"{type(error).__name__}: {error}"
    return seen(got), None


async def finished(redis: Redis, key: str, maxlen: int | None, chunks: int = 15) -> Streamer:
    """A finished answer: ``chunks`` cumulative partials, one entry each, and the complete."""
    streamer = Streamer(history=None)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, key, maxlen=maxlen).run())
    text = streamer.get_value_streamer("text")
    for number in range(chunks):
        await text.stream_partial(f"{number},")
        await written(redis, key, number + 1)  # one entry each
    await text.stream_complete()
    await publishing
    return streamer


async def written(redis: Redis, key: str, positions: int) -> None:
    """Wait until the key's last entry holds ``positions`` positions."""
    async with asyncio.timeout(10):
        while True:
            last: Any = await redis.xrevrange(key, count=1)
            if last and int(last[0][0].split(b"-")[0]) >= positions:
                return
            await asyncio.sleep(0.001)


@pytest.mark.parametrize("maxlen", [None, 2])
async def test_resuming_after_the_last_position_ends_at_once(
    redis: Redis, maxlen: int | None
) -> None:
    await finished(redis, "answer:done", maxlen)
    async with asyncio.timeout(5), subscribe(redis, "answer:done", after=15) as remote:
        assert [message async for message in remote] == []


@pytest.mark.parametrize("maxlen", [None, 2])
async def test_resuming_beyond_the_last_position_is_refused_as_the_streamer_refuses(
    redis: Redis, maxlen: int | None
) -> None:
    streamer = await finished(redis, "answer:beyond", maxlen)
    with pytest.raises(ValueError, match=r"its positions so far run from 0 to 15") as own:
        streamer.check_position(20)
    refused = r"after=20 is not the position .* 'answer:beyond' \(its positions so far run"
    with pytest.raises(ValueError, match=refused) as caught:
        async with asyncio.timeout(5), subscribe(redis, "answer:beyond", after=20):
            pass
    assert str(caught.value).endswith(str(own.value).split("(", 1)[1])


async def test_positions_after_the_catch_up_are_the_producers_and_resume_exactly(
    redis: Redis,
) -> None:
    streamer = await finished(redis, "answer:caught", maxlen=6)
    produced = seen([m async for m in streamer])
    got, _ = await read(redis, "answer:caught", None)
    assert got[0] == (None, "restart", "response", "catch-up")
    rest = [message for message in got if message[0] is not None]
    start = rest[0][0]
    assert start is not None
    assert rest == produced[start:]  # the producer's positions, not shifted by the catch-up
    assert len(rest) > 3, got
    saved = rest[-3][0]  # a reader that saved a position resumes after it: the rest only
    assert (await read(redis, "answer:caught", saved))[0] == produced[saved + 1 :]  # type: ignore[operator]


async def test_resuming_a_cumulative_stream_gives_its_whole_value_as_the_producer_does(
    redis: Redis,
) -> None:
    streamer = await finished(redis, "answer:whole", maxlen=None)
    got, _ = await read(redis, "answer:whole", 9)
    assert got[0] == (10, "partial", "text", "".join(f"{n}," for n in range(11)))
    assert got == (await local(streamer, 9))[0]


async def test_resuming_a_live_answer_after_its_last_position_follows_what_comes_next(
    redis: Redis,
) -> None:
    streamer = Streamer(history=None, stream_delta=True)
    publishing = asyncio.ensure_future(Publisher(streamer, redis, "answer:next").run())
    text = streamer.get_value_streamer("text")
    await text.stream_partial("a")
    while await redis.xlen("answer:next") < 2:
        await asyncio.sleep(0.01)
    async with asyncio.timeout(10), subscribe(redis, "answer:next", after=0) as remote:
        await text.stream_partial("b")
        await text.stream_complete()
        assert seen([m async for m in remote]) == [
            (1, "partial", "text", "b"),
            (2, "complete", "text", None),
        ]
    await publishing


# A random history: ops on a few streams (names used again), restarts, an error at the end.
Op = tuple[str, int, str]
ops = st.lists(
    st.tuples(
        st.sampled_from(["push", "push", "push", "complete", "open", "restart", "flush"]),
        st.integers(0, 2),
        st.sampled_from(["a", "bc", "", "\u00e9\u00e9", "de,"]),
    ),
    max_size=24,
)


@dataclass
class Producer:
    streamer: Streamer
    slots: dict[int, ValueStreamer]

    async def run(self, history: list[Op], fail: bool) -> None:
        names = ["s1", "s2", "s1"]  # slots 0 and 2 share a name: one open at a time
        for kind, slot, text in history:
            stream = self.slots.get(slot)
            if (
                kind == "open"
                and stream is None
                and all(names[other] != names[slot] for other in self.slots)
            ):
                self.slots[slot] = self.streamer.get_value_streamer(
                    names[slot], stream_delta=slot == 1
                )
            elif kind == "push" and stream is not None:
                await stream.stream_partial(text)
            elif kind == "complete" and stream is not None and len(self.slots) > 1:
                await stream.stream_complete()  # never the last: the Streamer goes on
                del self.slots[slot]
            elif kind == "restart":
                await self.streamer.stream_restart("again")
                if slot == 0:
                    self.streamer.reset_active()
                    self.slots.clear()
            elif kind == "flush":
                await asyncio.sleep(0.003)  # the publisher writes what it has: one entry more
            await asyncio.sleep(0)
            if not self.slots:
                self.slots[0] = self.streamer.get_value_streamer("s1")
        if fail:
            await self.streamer.stream_error(LookupError("the model went away"))
            return
        for stream in list(self.slots.values()):
            await stream.stream_complete()


keys = itertools.count()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=ops, fail=st.booleans(), maxlen=st.sampled_from([None, 1, 3]))
def test_a_reader_after_any_position_gets_what_the_producers_streamer_gives(
    redis_server: RedisServer, history: list[Op], fail: bool, maxlen: int | None
) -> None:
    asyncio.run(_every_position(redis_server, history, fail, maxlen))


async def _every_position(
    server: RedisServer, history: list[Op], fail: bool, maxlen: int | None
) -> None:
    redis = server.client()
    key = f"answer:random:{next(keys)}"
    streamer = Streamer(history=None)  # keeps every message: exact for every position
    publishing = asyncio.ensure_future(Publisher(streamer, redis, key, maxlen=maxlen).run())
    producer = Producer(streamer, {0: streamer.get_value_streamer("s1")})
    await producer.run(history, fail)
    await publishing
    base: Any = await redis.get(f"{key}:base")
    folded = 0 if base is None else int(base.split(b" ", 1)[0])  # positions the base stands for
    last = max((m[0] for m in (await local(streamer, None))[0] if m[0] is not None), default=-1)
    for after in [None, *range(-1, last + 1)]:
        expected, error = await local(streamer, after)
        got, remote_error = await read(redis, key, after)
        assert (error is None) == (remote_error is None), (after, error, remote_error)
        if remote_error is not None:
            assert remote_error.endswith("LookupError: the model went away"), remote_error
        if (after if after is not None else -1) + 1 >= folded:
            assert got == expected, after  # kept: exactly the producer's messages
            continue
        # Folded into the base: the catch-up, whose last message is at the base's last
        # position, rebuilds the producer's values there; then exactly the producer's.
        # (A catch-up of nothing but its restart gives the restart that position.)
        assert got[0][1:] == ("restart", "response", "catch-up"), after
        rest = next(i for i, message in enumerate(got) if message[0] is not None)
        assert got[rest][0] == folded - 1, after
        assert got[rest + 1 :] == [m for m in expected if m[0] is not None and m[0] >= folded]
        assert rebuilt(got[: rest + 1]) == rebuilt(
            [m for m in (await local(streamer, None))[0] if m[0] is not None and m[0] < folded]
        ), after
    for beyond in (last + 1, last + 5):
        with pytest.raises(ValueError, match="is not the position"):
            streamer.check_position(beyond)
        with pytest.raises(ValueError, match="is not the position"):
            await read(redis, key, beyond)
    await redis.aclose()


def rebuilt(messages: list[Seen]) -> dict[str, str]:
    """Each name's value as a consumer rebuilds it: a restart drops all, a delta appends."""
    values: dict[str, str] = {}
    for _, kind, name, value in messages:
        if kind == "restart":
            values.clear()
        elif name == "s2":  # the delta stream
            values[name] = values.get(name, "") + (value or "")
        elif kind == "partial" or value is not None:
            values[name] = value or ""
    return values
