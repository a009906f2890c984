"""A person's teams in two browsers (issue 14, SPEC R52): one picks a team when joining
(the name prompt) and changes it from the board; the other sees it in who is here and
on a card the first one holds; a next step's owner field suggests the people here; and
"My next steps" lists a person's open steps, marked done from there."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.support import ServerProcess

from .support import PageErrors, Person, add_card

pytestmark = pytest.mark.e2e


async def join_with_teams(
    browser: Browser,
    server: ServerProcess,
    forum_id: str,
    name: str,
    teams: list[str],
    errors: PageErrors,
) -> Person:
    """A participant who ticks ``teams`` on the name prompt on the way to the board."""
    context = await browser.new_context(
        base_url=server.url, viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    page.on("console", lambda msg: errors.on_console(name, msg))
    page.on("pageerror", lambda err: errors.on_page_error(name, err))
    person = Person(name, forum_id, context, page)
    tokens = await asyncio.to_thread(server.links, forum_id)
    await page.goto(f"/forums/{forum_id}?token={tokens['participant']}")
    await page.wait_for_url(f"**/name?next=/forums/{forum_id}")
    await page.fill("#name-input", name)
    for team in teams:
        await page.check(f"input[name=teams][value={team}]")
    await page.click("main form button[type=submit]")
    await page.wait_for_url(f"**/forums/{forum_id}")
    await person.wait_live()
    return person


async def test_a_team_picked_on_joining_shows_in_the_others_presence(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    forum: dict[str, Any] = await asyncio.to_thread(demo.new_forum, "sos", "Teams SoS")
    fid = forum["id"]
    card = await add_card(demo, fid, "new", "Build is red")
    leo = await Person.open(browser, demo, fid, "Leo Martin", page_errors, "participant")
    maya = await join_with_teams(browser, demo, fid, "Maya Chen", ["checkout"], page_errors)
    try:
        # Leo has not picked yet: the board asks him; Maya's button says her team.
        await expect(leo.page.locator("#teams-nudge")).to_have_text("Pick your teams")
        await expect(maya.page.locator("#teams-nudge")).to_have_count(0)
        await expect(maya.page.locator("#my-teams-button")).to_have_text("Team: Checkout")
        # Leo sees Maya's team in who is here: the chip and the list.
        chip = leo.page.locator('#presence-list .chip[title="Maya Chen (Checkout)"]')
        await expect(chip).to_have_count(1)
        await leo.page.locator(".people-menu summary").click()
        row = leo.page.locator("#presence-people li", has_text="Maya Chen")
        await expect(row.locator(".person-teams")).to_have_text("Checkout")

        # Maya changes her teams from the board: Leo sees it without a reload.
        await maya.page.locator(".people-menu summary").click()
        await maya.page.click("#my-teams-button")
        dialog = maya.page.locator("#teams-dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog.locator("input[value=checkout]")).to_be_checked()
        await dialog.locator("input[value=payments]").check()
        await dialog.locator("button[type=submit]").click()
        await expect(dialog).to_be_hidden()
        await expect(maya.page.locator("#my-teams-button")).to_have_text(
            "Teams: Checkout, Payments"
        )
        await expect(row.locator(".person-teams")).to_have_text("Checkout, Payments")

        # Who has this card says her teams too.
        await maya.card_action(card, "edit")
        await expect(leo.card(card).locator(".hold-note")).to_contain_text(
            "Maya Chen (Checkout, Payments) is moving or editing this"
        )
        await maya.page.keyboard.press("Escape")

        # The next step's owner field suggests the people here.
        options = leo.page.locator("#people-list option")
        values = await options.evaluate_all("(os) => os.map((o) => o.value)")
        assert "Maya Chen" in values and "Leo Martin" in values
        owner = leo.page.locator("#step-owner")
        assert await owner.get_attribute("list") == "people-list"
        # Leo picks from the nudge: it goes, and Maya sees his team.
        await leo.page.click("#teams-nudge")
        await leo.page.locator("#teams-dialog input[value=search]").check()
        await leo.page.locator("#teams-dialog button[type=submit]").click()
        await expect(leo.page.locator("#teams-nudge")).to_have_count(0)
        await expect(leo.page.locator("#my-teams-button")).to_have_text("Team: Search")
        chip = maya.page.locator('#presence-list .chip[title="Leo Martin (Search)"]')
        await expect(chip).to_have_count(1)
    finally:
        await leo.context.close()
        await maya.context.close()


async def test_my_next_steps_marks_a_step_done(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    forum: dict[str, Any] = await asyncio.to_thread(demo.new_forum, "sos", "Steps SoS")
    fid = forum["id"]
    fay = await Person.open(browser, demo, fid, "Fay", page_errors, "facilitator")
    try:
        await fay.send({"type": "start_session"})
        await fay.send({"type": "add_next_step", "text": "Ask Platform", "owner": "fay"})
        await fay.send({"type": "add_next_step", "text": "Not mine", "owner": "Leo"})
        page = fay.page
        await expect(page.locator("#next-steps", has_text="Not mine")).to_be_visible()
        await page.locator(".people-menu summary").click()
        await page.click(".people-menu a[href='/my/steps']")
        await page.wait_for_url("**/my/steps")
        rows = page.locator(".steps-table tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator(".step-text")).to_have_text("Ask Platform")
        await expect(rows.first.locator(".forum-cell")).to_contain_text("Steps SoS")
        await expect(page.locator("#my-feed-link")).to_have_attribute("href", "/my/feed")
        await rows.first.get_by_role("button", name=re.compile("Mark done")).click()
        await page.wait_for_url("**/my/steps")
        await expect(rows).to_have_count(0)
        await expect(page.locator(".empty-note")).to_contain_text("You own no open next step")
    finally:
        await fay.context.close()
