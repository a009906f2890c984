"""In the browser: download a past session's JSON, import it through the upload form,
and print the snapshot page (A4 and Letter) without navigation, buttons or cut cards."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import ServerProcess

from .support import PageErrors, enter_as_admin

pytestmark = pytest.mark.e2e


def _call(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    status, data = server.request(method, path, body)
    assert status in (200, 201), (method, path, status, data)
    return data


def _play(server: ServerProcess, forum_id: str) -> str:
    """A session with enough cards to fill more than one printed page; ends it."""
    api = f"/api/forums/{forum_id}"
    for i in range(24):
        _call(
            server,
            "POST",
            f"{api}/cards",
            {"column": "new", "title": f"Card {i}", "body": "A line of detail. " * 12},
        )
    _call(server, "POST", f"{api}/sessions")
    _call(server, "POST", f"{api}/cards/c1/move", {"column": "removing", "index": 0})
    _call(server, "POST", f"{api}/decisions", {"text": "Escalate card 0", "cards": ["c1"]})
    _call(server, "POST", f"{api}/next-steps", {"text": "Call the EAT", "owner": "Maya"})
    _call(server, "POST", f"{api}/sessions/current/end")
    return f"{forum_id}-1"


async def _open(browser: Browser, server: ServerProcess, errors: PageErrors) -> Page:
    context = await browser.new_context(
        base_url=server.url, viewport={"width": 1400, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    page.on("console", lambda msg: errors.on_console("reader", msg))
    page.on("pageerror", lambda err: errors.on_page_error("reader", err))
    await enter_as_admin(page, server)  # sessions of any forum, and the import form
    return page


async def test_a_downloaded_export_imports_through_the_upload_form(
    browser: Browser,
    server: ServerProcess,
    forum: dict[str, Any],
    page_errors: PageErrors,
    tmp_path: Path,
) -> None:
    sid = await asyncio.to_thread(_play, server, forum["id"])
    page = await _open(browser, server, page_errors)
    await page.goto(f"/sessions/{sid}")
    async with page.expect_download() as info:
        await page.get_by_role("link", name="JSON", exact=True).click()
    download = await info.value
    assert download.suggested_filename == f"scaleboard-session-{sid}.json"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)

    # A file that is not an export is refused, with the reason, and nothing is made.
    # The page comes back as 400 by design, which Chromium logs as a failed resource.
    page_errors.allow(r"status of 400 \(Bad Request\) at http://[^ ]+/import:")
    before = len(_call(server, "GET", "/api/forums"))
    bad = tmp_path / "notes.json"
    bad.write_text('{"format": "notes", "version": 1}')
    await page.goto("/import")
    await page.set_input_files("#import-file", str(bad))
    await page.click("main form button[type=submit]")
    await expect(page.locator("#import-error")).to_contain_text("not a Scaleboard session export")
    await expect(page.locator("#import-file")).to_have_attribute("aria-invalid", "true")
    assert len(_call(server, "GET", "/api/forums")) == before

    # The real one becomes a new forum (the id is taken here, so it gets a fresh one).
    await page.set_input_files("#import-file", str(saved))
    await page.click("main form button[type=submit]")
    await page.wait_for_url(re.compile(r"/sessions/[a-z0-9-]+-1$"))
    assert not page.url.endswith(f"/sessions/{sid}")
    await expect(page.locator(".decision-text")).to_have_text("Escalate card 0")
    await expect(page.locator(".step-text")).to_have_text("Call the EAT")
    await expect(page.locator("#columns .card")).to_have_count(24)
    assert len(_call(server, "GET", "/api/forums")) == before + 1


async def test_the_snapshot_page_prints_cleanly_on_a4_and_letter(
    browser: Browser, server: ServerProcess, forum: dict[str, Any], page_errors: PageErrors
) -> None:
    sid = await asyncio.to_thread(_play, server, forum["id"])
    page = await _open(browser, server, page_errors)
    await page.goto(f"/sessions/{sid}")
    await expect(page.locator(".topbar")).to_be_visible()
    await expect(page.get_by_role("link", name="Markdown")).to_be_visible()

    await page.emulate_media(media="print")
    for hidden in (".topbar", ".session-links", ".readonly-note"):
        await expect(page.locator(hidden)).to_be_hidden()
    styles = await page.evaluate(
        """() => {
        const css = (el, prop) => getComputedStyle(el).getPropertyValue(prop);
        const cards = Array.from(document.querySelectorAll('#columns .card'));
        return {
            body: css(document.body, 'background-color'),
            text: css(document.querySelector('.card-title'), 'color'),
            cardBreaks: [...new Set(cards.map((c) => css(c, 'break-inside')))],
            shadows: [...new Set(cards.map((c) => css(c, 'box-shadow')))],
            columns: css(document.querySelector('#columns'), 'display'),
            bodies: [...new Set(Array.from(document.querySelectorAll('.card-body'),
                (b) => css(b, 'max-height')))],
            buttons: Array.from(document.querySelectorAll('button'))
                .filter((b) => b.offsetParent !== null).length,
        };
    }"""
    )
    assert styles == {
        "body": "rgb(255, 255, 255)",
        "text": "rgb(0, 0, 0)",
        "cardBreaks": ["avoid"],
        "shadows": ["none"],
        "columns": "block",
        "bodies": ["none"],
        "buttons": 0,
    }
    # Every card is whole and inside the printable width (nothing cut off at the side).
    width = await page.evaluate("() => document.documentElement.clientWidth")
    boxes = await page.locator("#columns .card").evaluate_all(
        "(cards) => cards.map((c) => { const r = c.getBoundingClientRect();"
        " return [r.left, r.right]; })"
    )
    assert boxes and all(left >= 0 and right <= width for left, right in boxes)

    for paper in ("A4", "Letter"):
        pdf = await page.pdf(format=paper, print_background=True)
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pages >= 2, (paper, pages)  # 24 cards with text flow onto a second page
