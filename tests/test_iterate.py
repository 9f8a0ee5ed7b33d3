from __future__ import annotations

import asyncio
import json
import threading

import pytest
import reactivex
from reactivex.subject import Subject

from kavalai import iterate


async def test_iterate_yields_items_then_stops() -> None:
    assert [item async for item in iterate(reactivex.of(1, 2, 3))] == [1, 2, 3]


async def test_iterate_raises_the_error_after_earlier_items() -> None:
    error = LookupError("failed")
    source = reactivex.concat(reactivex.of(1), reactivex.throw(error))
    iterator = iterate(source)
    assert await anext(iterator) == 1
    with pytest.raises(LookupError) as caught:
        await anext(iterator)
    assert caught.value is error


async def test_iterate_waits_for_items_pushed_later() -> None:
    subject: Subject[str] = Subject()
    iterator = iterate(subject)
    pending = asyncio.ensure_future(anext(iterator))
    subject.on_next("late")
    assert await pending == "late"


async def test_leaving_async_with_disposes_the_subscription() -> None:
    subject: Subject[str] = Subject()
    async with iterate(subject) as items:
        subject.on_next("a")
        assert await anext(items) == "a"
    assert subject.observers == []


async def test_items_from_another_thread_arrive_in_order() -> None:
    subject: Subject[int] = Subject()
    iterator = iterate(subject)

    def produce() -> None:
        for number in range(500):
            subject.on_next(number)
        subject.on_completed()

    thread = threading.Thread(target=produce)
    thread.start()
    received = [number async for number in iterator]
    thread.join()
    assert received == list(range(500))


async def test_aclose_from_another_task_ends_a_waiting_iteration() -> None:
    subject: Subject[str] = Subject()
    items = iterate(subject)
    waiting = asyncio.ensure_future(anext(items))
    await asyncio.sleep(0)
    await items.aclose()
    with pytest.raises(StopAsyncIteration):
        await waiting


async def test_two_tasks_reading_one_iterator_both_wake() -> None:
    subject: Subject[str] = Subject()
    items = iterate(subject)
    first = asyncio.ensure_future(anext(items))
    second = asyncio.ensure_future(anext(items))
    await asyncio.sleep(0)
    subject.on_next("a")
    subject.on_next("b")
    assert sorted([await first, await second]) == ["a", "b"]


async def test_latest_keeps_only_the_newest_untaken_items() -> None:
    subject: Subject[int] = Subject()
    items = iterate(subject, latest=2)
    for number in range(10):
        subject.on_next(number)
    subject.on_completed()
    assert [number async for number in items] == [8, 9]


async def test_snapshot_streams_keep_the_newest_64_by_default() -> None:
    from kavalai.operators import partial_json

    chunks = ["[", *[f"{index}, " for index in range(200)], "200]"]
    snapshots = [
        item async for item in iterate(reactivex.from_iterable(chunks).pipe(partial_json()))
    ]
    assert len(snapshots) == 64
    assert snapshots[-1] == json.dumps(list(range(201)))


async def test_other_sources_keep_every_item_by_default() -> None:
    assert [item async for item in iterate(reactivex.from_iterable(range(500)))] == list(range(500))


@pytest.mark.parametrize("latest", [0, -1, 1.5, True])
def test_latest_must_be_a_positive_int(latest: object) -> None:
    with pytest.raises(ValueError, match="positive int"):
        iterate(reactivex.of(1), latest=latest)  # type: ignore[arg-type]
