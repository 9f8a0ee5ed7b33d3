"""A Streamer's raw chunks on a board show what its cumulative messages show."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine

import pytest
from pydantic import BaseModel

from kavalai import Streamer
from kavalai._view.follow import Follower
from kavalai._view.html import board_html
from kavalai.display import Board
from kavalai.wire import RecordReader

from ..conftest import restart_without_reset, retry_under_the_same_name

Produce = Callable[[Streamer], Coroutine[object, object, None]]


class Answer(BaseModel):
    title: str


async def _followed(streamer: Streamer) -> Board:
    board = Board(clock=lambda: 0.0)
    follower = Follower(board)
    reader = RecordReader(streamer)
    while not reader.done:
        for record in await reader.read():
            follower.apply(record)
    return board


async def _cumulative(streamer: Streamer) -> Board:
    board = Board(clock=lambda: 0.0)
    try:
        async with streamer.messages(delta=False) as messages:
            async for message in messages:
                board.apply(message)
    except Exception as error:
        board.fail(error)
    else:
        board.end()
    return board


async def _both(produce: Produce, history: int | None = None) -> tuple[Board, Board]:
    streamer = Streamer(history=history)
    await _produced(streamer, produce)
    return await _followed(streamer), await _cumulative(streamer)


async def _produced(streamer: Streamer, produce: Produce) -> None:
    """Run ``produce`` on ``streamer`` to its end; how it ended is for the consumers."""
    await asyncio.wait([streamer.start(produce(streamer))])


async def _many_chunks(streamer: Streamer) -> None:
    text = streamer.get_value_streamer("text")
    for index in range(3000):
        await text.stream_partial(f"{index:04d} ")
    await text.stream_complete()


async def _structured_after_prose(streamer: Streamer) -> None:
    answer = streamer.get_value_streamer("answer", response_model=Answer)
    for chunk in ("Sure! ", '{"title": "T', "he title", '"} and more'):
        await answer.stream_partial(chunk)
    await answer.stream_complete()
    unfinished = streamer.get_value_streamer("unfinished", response_model=Answer)
    await unfinished.stream_partial('```json\n{"title": "cut')
    streamer.close()


async def _name_used_again(streamer: Streamer) -> None:
    first = streamer.get_value_streamer("answer", response_model=Answer)
    await first.stream_partial('{"title": "first"}')
    await first.stream_complete()
    second = streamer.get_value_streamer("answer", response_model=Answer)
    await second.stream_partial("thinking... ")  # nothing known yet: the old value stays
    streamer.close()


async def _failure(streamer: Streamer) -> None:
    await streamer.get_value_streamer("text").stream_partial("so far")
    raise RuntimeError("broke")


@pytest.mark.parametrize(
    "produce",
    [
        _many_chunks,
        _structured_after_prose,
        _name_used_again,
        restart_without_reset,
        retry_under_the_same_name,
    ],
)
async def test_the_board_shows_what_cumulative_messages_show(produce: Produce) -> None:
    followed, cumulative = await _both(produce)

    assert followed.panels == cumulative.panels
    assert board_html(followed) == board_html(cumulative)


async def test_the_board_shows_the_failure_cumulative_messages_end_with() -> None:
    streamer = Streamer()
    await _produced(streamer, _failure)

    followed, cumulative = await _followed(streamer), await _cumulative(streamer)

    assert followed.error == cumulative.error == "RuntimeError: broke"
    assert board_html(followed) == board_html(cumulative)


async def test_a_catch_up_counts_a_finished_stream_as_one_message() -> None:
    async def produce(streamer: Streamer) -> None:
        await _many_chunks(streamer)
        answer = streamer.get_value_streamer("answer", response_model=Answer)
        for chunk in ("Sure! ", '{"title": "T"}'):
            await answer.stream_partial(chunk)
        await answer.stream_complete()
        tail = streamer.get_value_streamer("tail")
        for _ in range(300):  # so that the streams above are trimmed from history
            await tail.stream_partial("more ")
        await tail.stream_complete()

    followed, cumulative = await _both(produce, history=64)

    assert followed.restarts == 1
    assert (followed.panels["text"].messages, followed.panels["answer"].messages) == (1, 1)
    assert followed.panels == cumulative.panels
    assert board_html(followed) == board_html(cumulative)
