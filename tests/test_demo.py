"""The ``demo`` command and the recording it replays."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from playwright.async_api import Browser

from kavalai.__main__ import main
from kavalai._demo import _COLUMNS, ResearchAnswer, _cell, load_recording, run_demo

from .conftest import Serve


def recorded_text(stream: str) -> str:
    return "".join(event.chunk or "" for event in load_recording() if event.stream == stream)


def test_demo_prints_plain_output_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--fast"]) == 0

    out = capsys.readouterr().out
    assert "\x1b" not in out  # no escape codes in pipes and logs
    assert recorded_text("thought") in out
    answer = ResearchAnswer.model_validate_json(recorded_text("result"))
    record_lines = [line for line in out.splitlines() if line.startswith("record ")]
    assert len(record_lines) == len(answer.records)
    for line, record in zip(record_lines, answer.records, strict=True):
        assert record.name in line
    assert f"result: {answer.title} ({len(answer.records)} records, validated)" in out
    events = len(load_recording())
    assert out.splitlines()[-1] == f"done: 2 streams, {events} messages"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_demo_on_a_terminal_without_rich_prints_plain_lines_and_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setitem(sys.modules, "kavalai.display._terminal", None)  # import fails
    out = FakeTerminal()

    assert run_demo(fast=True, out=out) == 0

    assert "\x1b" not in out.getvalue()
    assert recorded_text("thought") in out.getvalue()
    assert "pip install 'kavalai[demo]'" in capsys.readouterr().err


def test_recording_is_a_valid_two_stream_response() -> None:
    events = load_recording()

    for stream in ("thought", "result"):
        own = [event for event in events if event.stream == stream]
        assert [event.complete for event in own] == [False] * (len(own) - 1) + [True]
        assert all(event.chunk for event in own[:-1])
    assert events[0].stream == "thought"
    assert events[-1].stream == "result"
    assert recorded_text("thought").strip()
    result = recorded_text("result")
    answer = ResearchAnswer.model_validate_json(result)
    assert answer.records
    assert json.loads(result) == answer.model_dump(mode="json")


def test_recording_chunks_look_like_model_tokens() -> None:
    result_chunks = [
        event.chunk for event in load_recording() if event.stream == "result" and event.chunk
    ]

    assert all(2 <= len(chunk) <= 12 for chunk in result_chunks)
    # Chunks split escapes, so the consumer sees partial values that are not valid JSON.
    assert any(chunk.endswith("\\") for chunk in result_chunks)
    assert any(not chunk.isascii() for chunk in result_chunks)


def test_no_command_prints_help_and_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2

    assert "demo" in capsys.readouterr().err


def test_demo_piped_leaves_no_separator_after_an_empty_last_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--fast"]) == 0

    records = [line for line in capsys.readouterr().out.splitlines() if line.startswith("record")]
    assert "record 3: Earth | 3 | 6,371.0 | no" in records  # Earth's note is empty
    assert not any(line.rstrip().endswith("|") for line in records)


def test_serve_without_the_web_extra_prints_one_line_and_no_traceback() -> None:
    blocked = (
        "import sys; sys.modules['starlette'] = None; "
        "from kavalai.__main__ import main; raise SystemExit(main(['serve']))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60, check=False
    )
    assert ran.returncode == 1
    assert ran.stdout == ""
    assert ran.stderr.splitlines() == [
        "python -m kavalai serve needs Starlette, httpx, uvicorn, from the web extra: "
        "pip install 'kavalai[web]' (from a clone: pip install '.[web]')"
    ]


async def test_the_demo_page_formats_numbers_as_the_terminal_and_keeps_its_column_widths(
    serve: Serve, browser: Browser
) -> None:
    from kavalai.web._demo import demo_app

    base = await serve(demo_app())  # at the recorded pace, so rows arrive one by one
    page = await (await browser.new_context(bypass_csp=True)).new_page()
    # The header's widths each time the table changes, read in the page as it changes.
    await page.add_init_script(
        """
        window.widths = [];
        document.addEventListener("DOMContentLoaded", () => {
          const measure = () => window.widths.push(
            [...document.querySelectorAll("thead th")].map(th => Math.round(th.offsetWidth)));
          new MutationObserver(measure).observe(document.getElementById("records"),
            {childList: true, subtree: true, characterData: true});
        });
        """
    )
    await page.goto(f"{base}/")
    await page.wait_for_function(
        "document.getElementById('status').textContent.startsWith('done')", timeout=30_000
    )
    widths: list[list[int]] = await page.evaluate("window.widths")
    rows: list[list[str]] = await page.eval_on_selector_all(
        "#records tr", "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )
    mercury, _, earth = rows[:3]
    assert mercury[:4] == ["Mercury", "1", "2,439.7", "no"]
    assert earth[:4] == ["Earth", "3", "6,371.0", "no"]
    answer = ResearchAnswer.model_validate_json(recorded_text("result"))
    assert rows == [[_cell(record, column) for column in _COLUMNS] for record in answer.records]
    assert len(widths) > len(rows)  # seen growing
    assert len({tuple(sample) for sample in widths}) == 1
