"""The executed notebook's live panel as a reader sees it: nbconvert's HTML in headless Chromium.

The screenshot is written to the test's temporary folder, for a person to look at.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

from playwright.async_api import Browser, Route

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "streaming_with_streamer.ipynb"
_TEXT = re.compile(r'<div class="kavalai-text"[^>]*>(.*?)</div>', re.DOTALL)


def stored_panel_text() -> str:
    """The text stream of the first live panel the stored notebook shows."""
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            markup = "".join(output.get("data", {}).get("text/html", ""))
            found = _TEXT.search(markup)
            if 'class="kavalai-board"' in markup and found is not None:
                return html.unescape(found.group(1))
    raise AssertionError("the stored notebook shows no live panel")


async def stay_offline(route: Route) -> None:
    """The page is a file; whatever it would fetch from the network (scripts from
    a CDN) is refused, so nothing waits on a network the test does not need."""
    if route.request.url.startswith("file:"):
        await route.continue_()
    else:
        await route.abort()


async def test_the_executed_notebooks_live_panel_renders_in_a_browser(
    browser: Browser, tmp_path: Path
) -> None:
    convert = [sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(tmp_path)]
    subprocess.run(
        [*convert, str(NOTEBOOK)],
        capture_output=True,
        check=True,
        timeout=120,
    )
    page_file = tmp_path / "streaming_with_streamer.html"
    page = await browser.new_page(viewport={"width": 1000, "height": 800})
    await page.route("**/*", stay_offline)
    await page.goto(page_file.as_uri())

    panel = page.locator(".kavalai-board", has=page.locator(".kavalai-text")).first
    screenshot = tmp_path / "live_panel.png"
    await panel.screenshot(path=screenshot)

    expected = stored_panel_text().strip()
    assert expected
    assert expected in await panel.inner_text()
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


async def test_the_executed_notebooks_markdown_panel_renders_as_markdown_in_a_browser(
    browser: Browser, tmp_path: Path
) -> None:
    convert = [sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(tmp_path)]
    subprocess.run([*convert, str(NOTEBOOK)], capture_output=True, check=True, timeout=120)
    page = await browser.new_page(viewport={"width": 1000, "height": 800})
    await page.route("**/*", stay_offline)
    await page.goto((tmp_path / "streaming_with_streamer.html").as_uri())

    panel = page.locator(".kavalai-markdown").first
    screenshot = tmp_path / "markdown_panel.png"
    await panel.screenshot(path=screenshot)

    assert await panel.locator("h2").inner_text() == "Gas giants"
    assert await panel.locator("strong").inner_text() == "gas giants"
    assert await panel.locator("table tr").count() == 3
    assert "**" not in await panel.inner_text()
    box = await panel.bounding_box()
    assert box is not None
    assert box["height"] > 100  # laid out as blocks: a heading, a paragraph, a table, code
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
