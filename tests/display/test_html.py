"""The executed notebook's live panel as a reader sees it: nbconvert's HTML in headless Chromium.

The screenshot is written to the test's temporary folder, for a person to look at.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from playwright.async_api import Browser, Route

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "streaming_with_streamer.ipynb"
_TEXT = re.compile(r'<div class="kavalai-text"[^>]*>(.*?)</div>', re.DOTALL)


def stored_panel_text(notebook: nbformat.NotebookNode) -> str:
    """The text stream of the first live panel the stored notebook shows."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html", "")
            if 'class="kavalai-board"' in markup:
                found = _TEXT.search(markup)
                assert found is not None, markup
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
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    page_html, _ = HTMLExporter().from_notebook_node(notebook)  # type: ignore[no-untyped-call]
    page_file = tmp_path / "streaming_with_streamer.html"
    page_file.write_text(page_html, encoding="utf-8")
    page = await browser.new_page(viewport={"width": 1000, "height": 800})
    await page.route("**/*", stay_offline)
    await page.goto(page_file.as_uri())

    panel = page.locator(".kavalai-board").first
    screenshot = tmp_path / "live_panel.png"
    await panel.screenshot(path=screenshot)

    expected = stored_panel_text(notebook).strip()
    assert expected
    assert expected in await panel.inner_text()
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
