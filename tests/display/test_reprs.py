"""Reprs of a Streamer and a message: one line of text, HTML with every value escaped."""

from __future__ import annotations

import asyncio
import sys
import threading
from html.parser import HTMLParser

import pytest
from pydantic import BaseModel

from kavalai import StreamContent, Streamer

HOSTILE = '<img src=x onerror=alert(1)></table><script>alert("x")</script>\x1b[2J\x1b[31m'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


class Planet(BaseModel):
    name: str


class Planets(BaseModel):
    title: str
    items: list[Planet]


#: A model's JSON for Planets as models write it: in prose, in a fence, with words after.
WRAPPED = [
    'Here they are:\n```json\n{"title": "Planets", "items": [{"name": "Mercury"}, {"name": "Ve',
    'Sure! {"title": "Planets", "items": [{"name": "Mercury"}, {"name": "Ve',
    '```json\n{"title": "Planets", "items": [{"name": "Mercury"}, {"name": "Ve',
]


def _parsed(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


async def test_streamer_repr_is_one_line_with_streams_states_and_values() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("Hel")
    await answer.stream_partial("lo")

    assert repr(streamer) == (
        "<Streamer: 'answer' streaming 'Hello'; "
        "streaming · 2 messages · 1 of 1 stream active · 0 consumers>"
    )


async def test_streamer_repr_strips_control_sequences_of_values() -> None:
    streamer = Streamer()
    await streamer.get_value_streamer("answer").stream_partial(HOSTILE)

    line = repr(streamer)

    assert "\x1b" not in line
    assert "\n" not in line


async def test_streamer_html_escapes_every_value() -> None:
    streamer = Streamer()
    await streamer.get_value_streamer("a<b>").stream_partial(HOSTILE)

    parsed = _parsed(streamer._repr_html_())

    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert HOSTILE.replace("\x1b", "␛") in parsed.text
    assert "a<b>" in parsed.text


async def test_streamer_html_shows_a_structured_value_as_a_table_with_closed_items_marked() -> None:
    streamer = Streamer(stream_delta=True)
    result = streamer.get_value_streamer("result")
    await result.stream_partial('{"title": "Planets", "items": [{"name": "Mercury"}, {"name": "Ve')

    html = streamer._repr_html_()

    assert 'data-complete="true"' in html
    assert 'data-complete="false"' in html
    assert "Mercury" in html
    assert "Ve" in html


async def test_a_failed_streamer_shows_its_error() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("answer")
    await streamer.stream_error(ValueError("<boom>"))

    assert "ValueError: &lt;boom&gt;" in streamer._repr_html_()
    assert repr(streamer).endswith("; ValueError: <boom>>")


def test_message_html_escapes_its_value_and_name() -> None:
    message = StreamContent(type="partial", name="<n>", value=HOSTILE)

    parsed = _parsed(message._repr_html_())

    assert parsed.tags.count("script") == 0
    assert "<n>" in parsed.text
    assert repr(message) == f"StreamContent(type='partial', name='<n>', value={HOSTILE!r})"


async def test_a_registered_stream_without_messages_shows_as_active() -> None:
    streamer = Streamer()
    streamer.get_value_streamer("answer")

    assert streamer.statistics().active_streams == 1
    assert repr(streamer) == (
        "<Streamer: 'answer' streaming ''; "
        "streaming · 0 messages · 1 of 1 stream active · 0 consumers>"
    )
    html = streamer._repr_html_()
    assert 'data-stream="answer"' in html
    assert "1 of 1 stream active" in html


async def test_a_silent_stream_shows_beside_one_that_has_messages() -> None:
    streamer = Streamer()
    await streamer.get_value_streamer("thought").stream_partial("hmm")
    streamer.get_value_streamer("answer")

    assert repr(streamer) == (
        "<Streamer: 'thought' streaming 'hmm', 'answer' streaming ''; "
        "streaming · 1 message · 2 of 2 streams active · 0 consumers>"
    )


@pytest.mark.parametrize("stream_delta", [True, False], ids=["delta", "cumulative"])
@pytest.mark.parametrize("text", WRAPPED, ids=["prose-and-fence", "prose", "fence"])
async def test_a_structured_stream_in_prose_or_a_fence_shows_its_table(
    text: str, stream_delta: bool
) -> None:
    streamer = Streamer(stream_delta=stream_delta)
    result = streamer.get_value_streamer("result", response_model=Planets)
    await result.stream_partial(text)

    html = streamer._repr_html_()

    assert 'class="kavalai-items"' in html
    assert 'data-complete="true"' in html
    assert "```" not in html
    assert "Here they are" not in html
    assert "Sure!" not in html
    assert repr(streamer).startswith('<Streamer: \'result\' streaming \'{"title": "Planets", ')


async def test_a_complete_structured_stream_in_a_fence_shows_its_final_json() -> None:
    streamer = Streamer()
    result = streamer.get_value_streamer("result", response_model=Planets)
    await result.stream_partial('Done:\n```json\n{"title": "Planets", "items": [{"name": "Mars"}]}')
    await result.stream_partial("\n```\nAnything else?")
    await result.stream_complete()

    assert repr(streamer) == (
        "<Streamer: 'result' complete "
        '\'{"title": "Planets", "items": […\' (49 chars); '
        "done · 3 messages · 0 of 1 stream active · 0 consumers>"
    )
    assert 'class="kavalai-items"' in streamer._repr_html_()


async def test_a_text_stream_in_prose_with_json_stays_text() -> None:
    streamer = Streamer()
    await streamer.get_value_streamer("answer").stream_partial('Sure! {"title": "Planets"}')

    html = streamer._repr_html_()

    assert 'class="kavalai-fields"' not in html
    assert "Sure!" in html


async def test_repr_from_another_thread_needs_no_turn_of_the_loop() -> None:
    streamer = Streamer()
    answer = streamer.get_value_streamer("answer")
    await answer.stream_partial("hello")
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(repr(streamer)))
    thread.start()
    thread.join(timeout=30)  # the loop stays blocked here, as at a breakpoint
    assert seen == [
        "<Streamer: 'answer' streaming 'hello'; streaming · 1 message · 1 of 1 stream active "
        "· 0 consumers>"
    ]


async def test_repr_from_another_thread_leaves_a_live_consumer_whole() -> None:
    streamer = Streamer(stream_delta=True, history=64)
    text = streamer.get_value_streamer("text")
    stop = threading.Event()

    def look() -> None:
        while not stop.is_set():
            repr(streamer)

    async def produce() -> None:
        for index in range(20_000):
            await text.stream_partial(str(index % 10))
        await text.stream_complete()

    watcher = threading.Thread(target=look)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the threads take turns as often as they can
    watcher.start()
    try:
        streamer.start(produce())
        received = [message async for message in streamer]
    finally:
        stop.set()
        sys.setswitchinterval(interval)
        await asyncio.to_thread(watcher.join)
    assert len(received) == 20_001
    assert [message.seq for message in received] == list(range(20_001))
