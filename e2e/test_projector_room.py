"""The projector in the room (issue 13): one click from the forum page; readable at
1280×720 and 1920×1080 in light and dark — the forum's name breaks between words only,
every column is in view, the head leaves the board most of the screen, and axe-core
finds nothing serious or critical in either theme."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import ServerProcess

from .axe import axe_source, report, serious, violations
from .support import PageErrors, enter_as_admin, enter_named, running

pytestmark = pytest.mark.e2e

# Each word of the forum's name lies on one line (no "Scru/m of/Scru/ms").
WORDS_WHOLE = """() => {
  const h = document.getElementById("forum-name");
  const text = h.firstChild;
  const broken = [];
  let at = 0;
  for (const word of text.textContent.split(/(\\s+)/)) {
    if (word.trim()) {
      const r = document.createRange();
      r.setStart(text, at);
      r.setEnd(text, at + word.length);
      const tops = new Set(Array.from(r.getClientRects(), (b) => Math.round(b.top)));
      if (tops.size > 1) broken.push(word);
    }
    at += word.length;
  }
  return broken;
}"""

COLUMNS_IN_VIEW = """() => Array.from(document.querySelectorAll("#columns > .column"), (c) => {
  const r = c.getBoundingClientRect();
  return [c.dataset.column, r.left >= 0 && r.right <= window.innerWidth + 0.5 && r.width > 120];
})"""


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    async with running(tmp_path / "demo.db", demo=True) as proc:
        yield proc


async def test_the_projector_is_one_click_from_the_forum_page(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    context = await browser.new_context(base_url=demo.url)
    page = await context.new_page()
    page.on("pageerror", lambda err: page_errors.on_page_error("maya", err))
    await enter_named(page, demo, "sos-commerce", "Maya Chen")
    # A facilitator also gets the projector whose QR code lets the room join.
    await expect(page.get_by_role("link", name="Projector, room may join")).to_have_attribute(
        "href", "/forums/sos-commerce/projector?join=participant"
    )
    await page.get_by_role("link", name=re.compile(r"^Projector\W+this board")).click()
    await page.wait_for_url("**/forums/sos-commerce/projector")
    await page.wait_for_selector("#conn[data-state=live]")
    await context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_projector_reads_well_at_room_sizes(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors, theme: str
) -> None:
    # An escalated card: a "With EAT: …" line on the SoS, a "From …" line on the EAT.
    board = await asyncio.to_thread(demo.board, "sos-commerce")
    card = next(
        c for c in board["cards"].values() if c["kind"] == "impediment" and not c["sent_to"]
    )
    status, body = await asyncio.to_thread(
        demo.request, "POST", f"/api/forums/sos-commerce/cards/{card['id']}/escalate"
    )
    assert status in (200, 201), body
    context = await browser.new_context(base_url=demo.url, bypass_csp=True)  # axe only
    page: Page = await context.new_page()
    page.on("pageerror", lambda err: page_errors.on_page_error("projector", err))
    await enter_as_admin(page, demo)
    source = axe_source()
    problems: list[str] = []
    for width, height in ((1280, 720), (1920, 1080)):
        await page.set_viewport_size({"width": width, "height": height})
        for forum in ("sos-commerce", "eat"):
            where = f"{forum} {width}x{height} {theme}"
            await page.goto(f"/forums/{forum}/projector?theme={theme}")
            await page.wait_for_selector("#conn[data-state=live]")
            broken = await page.evaluate(WORDS_WHOLE)
            if broken:
                problems.append(f"{where}: the name breaks inside {broken}")
            hidden = [c for c, ok in await page.evaluate(COLUMNS_IN_VIEW) if not ok]
            if hidden:
                problems.append(f"{where}: columns out of view {hidden}")
            head = await page.locator(".projector-head").bounding_box()
            assert head
            if head["height"] > 0.25 * height:
                problems.append(f"{where}: the head takes {head['height']:.0f} of {height}px")
            if forum == "eat":
                await expect(page.locator(".card .link-from").first).to_be_visible()
            found = serious(await violations(page, source))
            if found:
                problems.append(report(where, found))
    await expect(page.locator("body")).to_have_class(f"projector theme-{theme} kind-eat")
    assert not problems, "\n".join(problems)
    await context.close()
