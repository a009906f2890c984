"""Follow the facilitator, in three browsers (issue 5, SPEC R30, R31): the facilitator
brings everyone to a card; a participant's page and the projector scroll to it and
mark it with a visible label; a participant who leaves the follow is not moved, and
rejoins where everyone is; "Release" clears it everywhere."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import ServerProcess

from .support import Join, PageErrors, Person, add_card

pytestmark = pytest.mark.e2e

FOCUS = re.compile(r"\bis-focus\b")

# Whether an element is wholly inside the window (what "scrolled into view" means).
IN_VIEW = """(el) => {
  const r = el.getBoundingClientRect();
  return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
}"""


async def open_projector(
    browser: Browser, server: ServerProcess, fid: str, errors: PageErrors
) -> Page:
    context = await browser.new_context(
        base_url=server.url, viewport={"width": 1920, "height": 1080}
    )
    page = await context.new_page()
    page.on("console", lambda msg: errors.on_console("projector", msg))
    page.on("pageerror", lambda err: errors.on_page_error("projector", err))
    token = (await asyncio.to_thread(server.links, fid))["viewer"]
    await page.goto(f"/forums/{fid}/projector?token={token}")
    await page.wait_for_url(f"**/forums/{fid}/projector")
    await page.wait_for_selector("#conn[data-state=live]")
    return page


async def in_view(person: Person, card: str) -> bool:
    return bool(await person.card(card).evaluate(IN_VIEW))


async def wait_in_view(person: Person, card: str) -> None:
    await person.page.wait_for_function(
        f"(id) => ({IN_VIEW})(document.getElementById('card-' + id))", arg=card
    )


async def test_the_facilitator_brings_everyone_to_a_card(
    browser: Browser,
    server: ServerProcess,
    forum: dict[str, Any],
    join: Join,
    page_errors: PageErrors,
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    far = await add_card(server, fid, "removed", "Old flaky test, fixed")
    wall = await open_projector(browser, server, fid, page_errors)
    try:
        fay = await join("Fay Facilitator")
        maya = await join("Maya Chen", role="participant")
        # A narrow window: the last column is off to the right (at 800 px the four
        # columns now share the width and all fit).
        await maya.page.set_viewport_size({"width": 560, "height": 700})
        assert not await in_view(maya, far)
        toggle = maya.page.locator("#follow-toggle")
        await expect(toggle).to_have_attribute("aria-pressed", "true")  # on by default
        # A participant is offered no "Bring everyone here"; a viewer's wall neither.
        await expect(maya.page.locator("[data-action=bring-here]")).to_have_count(0)
        assert await wall.locator("button, [data-action]").count() == 0

        await fay.card_action(far, "bring-here")
        await fay.settled()
        for page in (maya.page, wall, fay.page):
            card = page.locator(f"#card-{far}")
            await expect(card).to_have_class(FOCUS)
            await expect(card.locator(".focus-label")).to_have_text("Facilitator is here")
            await expect(page.locator("#focus .focus-name")).to_have_text("Old flaky test, fixed")
        await wait_in_view(maya, far)  # Maya's page scrolled to it
        await expect(maya.card(red)).not_to_have_class(FOCUS)
        await expect(maya.page.locator("#focus-live")).to_contain_text(
            "The facilitator brought everyone to Old flaky test, fixed"
        )
        await expect(fay.page.locator("[data-action=release-focus]")).to_be_visible()
        await expect(maya.page.locator("[data-action=release-focus]")).to_have_count(0)

        # Maya leaves the follow: the mark goes, and the next focus does not move her.
        await toggle.click()
        await expect(toggle).to_have_attribute("aria-pressed", "false")
        await expect(maya.card(far)).not_to_have_class(FOCUS)
        await maya.page.wait_for_timeout(600)  # the follow's smooth scroll and snap settle
        scroll = await maya.page.evaluate("() => document.getElementById('columns').scrollLeft")
        assert scroll > 0 and not await in_view(maya, red)
        await fay.page.locator("#col-new .column-menu summary").click()
        await fay.page.locator("#col-new .column-menu [data-action=bring-here]").click()
        await fay.settled()
        column = wall.locator("#col-new")
        await expect(column).to_have_class(FOCUS)
        await expect(column.locator(".column-head .focus-label")).to_have_text(
            "Facilitator is here"
        )
        await expect(wall.locator(f"#card-{far}")).not_to_have_class(FOCUS)
        await expect(maya.page.locator("#focus")).to_have_attribute("data-target", "new")
        await maya.page.wait_for_timeout(600)  # time for a scroll, had there been one
        assert (
            await maya.page.evaluate("() => document.getElementById('columns').scrollLeft")
            == scroll
        )
        await expect(maya.page.locator(".is-focus, .focus-label")).to_have_count(0)

        # Remembered for this tab: after a reload she still does not follow.
        await maya.page.reload()
        await maya.wait_live()
        await expect(toggle).to_have_attribute("aria-pressed", "false")
        await expect(maya.page.locator(".is-focus")).to_have_count(0)

        # She rejoins: back where everyone is.
        await maya.page.locator("#columns").evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
        await toggle.click()
        await expect(toggle).to_have_attribute("aria-pressed", "true")
        await expect(maya.page.locator("#col-new")).to_have_class(FOCUS)
        await maya.page.wait_for_function(
            f"() => ({IN_VIEW})(document.querySelector('#col-new .column-head'))"
        )

        # Release: nothing is marked anywhere, the wall hides the bar.
        await fay.page.locator("[data-action=release-focus]").click()
        for page in (maya.page, wall, fay.page):
            await expect(page.locator("#focus")).to_have_attribute("data-target", "")
            await expect(page.locator(".is-focus, .focus-label")).to_have_count(0)
        await expect(wall.locator("#focus")).to_be_hidden()
    finally:
        await wall.context.close()


async def test_a_page_opened_later_shows_the_current_focus(
    browser: Browser,
    server: ServerProcess,
    forum: dict[str, Any],
    join: Join,
    page_errors: PageErrors,
) -> None:
    fid = forum["id"]
    far = await add_card(server, fid, "removed", "Old flaky test, fixed")
    status, _ = await asyncio.to_thread(
        server.request, "POST", f"/api/forums/{fid}/ops",
        {"id": "focus-1", "op": {"type": "set_focus", "target": far}},
    )  # fmt: skip
    assert status in (200, 201)
    wall = await open_projector(browser, server, fid, page_errors)
    try:
        leo = await join("Leo Martin", role="participant")
        for page in (leo.page, wall):
            await expect(page.locator(f"#card-{far}")).to_have_class(FOCUS)
            await expect(page.locator(f"#card-{far} .focus-label")).to_be_visible()
        # After a server restart (a new epoch: the whole board again) it is still there.
        page_errors.allow(r"WebSocket connection to 'ws://[^']+/live(\?view=projector)?' failed")
        await asyncio.to_thread(server.kill)
        await wall.wait_for_selector("#conn[data-state=reconnecting]")
        await asyncio.to_thread(server.start)
        await wall.wait_for_selector("#conn[data-state=live]", timeout=20_000)
        await leo.wait_live(timeout=20_000)
        for page in (leo.page, wall):
            await expect(page.locator(f"#card-{far}")).to_have_class(FOCUS)
    finally:
        await wall.context.close()
