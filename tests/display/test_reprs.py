"""Reprs of a Streamer and a message: one line of text, HTML with every value escaped."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

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


def test_importing_kavalai_imports_neither_ipython_nor_rich() -> None:
    code = "import sys, kavalai; print(sorted({'IPython', 'rich'} & set(sys.modules)))"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert ran.stdout == "[]\n"
