"""No page kind stretches sideways (issue 13): every page of the demo network at 390,
800, 1366 and 1920 px wide fits the window; only a board's column strip scrolls, and it
shows that it does (a cue and a button on the side with more columns)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import ServerProcess

from .layout import PAGE_KINDS, SOS, overflow, sideways_problems
from .support import PageErrors, enter_named

pytestmark = pytest.mark.e2e


async def admin_page(browser: Browser, demo: ServerProcess, errors: PageErrors) -> Page:
    context = await browser.new_context(base_url=demo.url)
    page = await context.new_page()
    page.on("pageerror", lambda err: errors.on_page_error("admin", err))
    await enter_named(page, demo, SOS, "Maya Chen")
    return page


async def test_no_page_kind_overflows_sideways_at_any_width(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    page = await admin_page(browser, demo, page_errors)
    problems: list[str] = []
    for _kind, address in PAGE_KINDS:
        problems += await sideways_problems(page, address)
    assert not problems, "pages wider than the window:\n" + "\n".join(problems)
    await page.context.close()


async def test_only_the_column_strip_scrolls_and_it_shows_it(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    page = await admin_page(browser, demo, page_errors)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"/forums/{SOS}")
    await page.wait_for_selector("#conn[data-state=live]")
    assert (await overflow(page))["over"] <= 0
    strip = page.locator("#columns")
    assert await strip.evaluate("(el) => el.scrollWidth > el.clientWidth + 100")
    later = page.get_by_role("button", name="Later columns")
    earlier = page.get_by_role("button", name="Earlier columns")
    await expect(later).to_be_visible()
    await expect(earlier).to_be_hidden()
    await later.click()
    await page.wait_for_function("() => document.getElementById('columns').scrollLeft > 100")
    await expect(earlier).to_be_visible()
    # The page itself still fits while the strip is scrolled.
    assert (await overflow(page))["over"] <= 0
    await page.context.close()


async def test_a_five_column_board_fits_at_1366_by_768(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    """The EAT's five columns and "Add a column" are all in view on a 1366×768 laptop."""
    page = await admin_page(browser, demo, page_errors)
    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.goto("/forums/eat")
    await page.wait_for_selector("#conn[data-state=live]")
    columns = page.locator("#columns > .column, #columns > .add-column")
    assert await columns.count() == 6
    for i in range(6):
        box = await columns.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1366, (i, box)
    # and nothing is hidden to the side, so no "more columns" cue
    await expect(page.get_by_role("button", name="Later columns")).to_be_hidden()
    await page.context.close()
