"""The web demo in a real headless Chromium: live, after a reload, and safe with hostile values."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page

from kavalai._demo import Event, ResearchAnswer, load_recording
from kavalai.web._demo import demo_app

from ..conftest import Serve
from .conftest import CuttingProxy

HOSTILE = '<img src=x onerror="window.pwned=1"></table><script>window.pwned=2</script>'


def final_answer(events: list[Event]) -> ResearchAnswer:
    text = "".join(e.chunk or "" for e in events if e.stream == "result")
    return ResearchAnswer.model_validate_json(text)


async def open_page(browser: Browser) -> Page:
    """A page in a fresh context; the page's own CSP is bypassed, so the tests can
    watch it, and what they check holds without that CSP's help."""
    context = await browser.new_context(bypass_csp=True)
    return await context.new_page()


async def table(page: Page) -> list[list[str]]:
    rows: list[list[str]] = await page.eval_on_selector_all(
        "#records tr", "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )
    return rows


async def test_the_page_shows_the_answer_live_and_after_a_reload(
    serve: Serve, browser: Browser, tmp_path: Path
) -> None:
    events = load_recording()
    base = await serve(demo_app(events=events))
    page = await open_page(browser)
    await page.goto(f"{base}/")
    await page.wait_for_function(
        "document.getElementById('status').textContent.startsWith('streaming')"
    )
    await page.wait_for_function("document.getElementById('thought').textContent.length > 20")
    assert "done" not in (await page.text_content("#status") or "")
    url = page.url
    assert "#" in url  # the answer's id, for the reload
    await page.reload()
    await page.wait_for_function(
        "document.getElementById('status').textContent.startsWith('done')", timeout=30_000
    )
    thought = "".join(e.chunk or "" for e in events if e.stream == "thought")
    assert await page.text_content("#thought") == thought
    answer = final_answer(events)
    assert await page.text_content("#title") == answer.title
    rows = await table(page)
    assert [row[0] for row in rows] == [record.name for record in answer.records]
    classes = await page.eval_on_selector_all("#records tr", "rows => rows.map(r => r.className)")
    assert set(classes) == {"done"}
    await page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
    assert (tmp_path / "demo.png").stat().st_size > 0


async def test_model_output_carrying_html_shows_as_text_and_runs_nothing(
    serve: Serve, browser: Browser
) -> None:
    events = [
        Event(stream="thought", delay_ms=0, chunk=HOSTILE),
        Event(stream="thought", delay_ms=0, complete=True),
        Event(
            stream="result",
            delay_ms=0,
            chunk='{"title": "' + HOSTILE.replace('"', '\\"') + '", "summary": "s", "records": ['
            '{"name": "</td><script>window.pwned=3</script>", "order": 1, "radius_km": 1.0, '
            '"has_rings": false, "note": "' + HOSTILE.replace('"', '\\"') + '"}]}',
        ),
        Event(stream="result", delay_ms=0, complete=True),
    ]
    base = await serve(demo_app(events=events, fast=True))
    page = await open_page(browser)
    await page.goto(f"{base}/")
    await page.wait_for_function("document.getElementById('status').textContent.startsWith('done')")
    assert await page.text_content("#thought") == HOSTILE
    assert await page.text_content("#title") == HOSTILE
    rows = await table(page)
    assert rows[0][0] == "</td><script>window.pwned=3</script>"
    assert rows[0][4] == HOSTILE
    assert await page.evaluate("window.pwned === undefined")
    assert (
        await page.eval_on_selector_all("img, #thought script, #records script", "e => e.length")
        == 0
    )


async def test_the_page_keeps_its_text_when_the_browser_reconnects_by_itself(
    serve: Serve, browser: Browser
) -> None:
    events = load_recording()
    base = await serve(demo_app(events=events))
    proxy = CuttingProxy(int(base.rsplit(":", 1)[1]), cuts=1, seed=3, only=b"GET /streams/")
    port = await proxy.start()
    try:
        page = await open_page(browser)
        await page.goto(f"http://127.0.0.1:{port}/")
        await page.wait_for_function(
            "document.getElementById('status').textContent.startsWith('done')", timeout=60_000
        )
        thought = "".join(e.chunk or "" for e in events if e.stream == "thought")
        assert proxy.cut == 1  # the event stream was cut once, and EventSource came back
        assert await page.text_content("#thought") == thought
        assert await page.text_content("#title") == final_answer(events).title
    finally:
        await proxy.close()


async def test_the_page_loads_the_client_module_it_follows_the_answer_with(serve: Serve) -> None:
    import httpx

    from kavalai.web import client_module

    base = await serve(demo_app(fast=True))
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        page, module = await client.get("/"), await client.get("/kavalai.js")
    assert 'import { follow, partialJson } from "/kavalai.js";' in page.text
    assert module.headers["content-type"].startswith("text/javascript")
    assert module.text == client_module()
    assert "export function follow(" in module.text
    assert "export function partialJson(" in module.text
