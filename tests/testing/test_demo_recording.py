"""The demo's recorded response is a recording of kavalai.testing."""

from __future__ import annotations

import asyncio
from importlib import resources

from kavalai import Streamer
from kavalai._demo import ResearchAnswer, load_recording, replay
from kavalai.testing import Recording


async def test_the_demo_recording_plays_as_the_demo_replays_it() -> None:
    demo = Streamer()
    streams = {
        "thought": demo.get_value_streamer("thought", stream_delta=True),
        "result": demo.get_value_streamer(
            "result", stream_delta=True, response_model=ResearchAnswer
        ),
    }
    demo.start(replay(streams, load_recording(), fast=True))
    path = resources.files("kavalai").joinpath("data/demo_response.jsonl")
    recording = Recording.loads(path.read_text(encoding="utf-8"))
    async with asyncio.timeout(10):
        expected = [message.model_dump_json() async for message in demo]
        played = [message.model_dump_json() async for message in recording.play()]
    assert played == expected
    assert recording.duration == sum(event.delay_ms for event in load_recording()) / 1000
