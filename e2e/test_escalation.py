"""Escalation in the browser: an impediment escalated from a Scrum of Scrums page is
accepted, removed and returned on the Executive Action Team's page in a second
browser; the SoS page shows each step live, without a reload."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card

pytestmark = pytest.mark.e2e


async def test_escalate_then_accept_remove_and_return_live(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    # The only EAT of the network: the SoS escalates to it without any setting.
    eat = await asyncio.to_thread(server.new_forum, "eat", "Leadership EAT")
    sos_id = forum["id"]
    env = await add_card(server, sos_id, "needs-eat", "No test environment", body="Since May")
    lic = await add_card(server, sos_id, "new", "Licence budget")
    dep = await add_card(server, sos_id, "new", "API contract", kind="dependency")
    slow = await add_card(server, sos_id, "new", "Search is too slow")
    meta = await asyncio.to_thread(server.new_forum, "metascrum", "Product MetaScrum")

    sam = await join("Sam Rep", role="participant")
    erin = await join("Erin Exec", forum_id=eat["id"], role="participant")

    # Only impediments offer the action; it is an item of the card's actions menu, reached
    # and pressed by keyboard (the menu button, ArrowDown into the menu, Enter).
    await expect(sam.card(dep).locator("[data-action=escalate]")).to_have_count(0)
    await sam.card(env).get_by_role("button", name="Actions for card No test environment").focus()
    await sam.page.keyboard.press("ArrowDown")
    item = sam.card(env).get_by_role("menuitem", name="Escalate to EAT")
    for _ in range(6):
        if await item.evaluate("(el) => el === document.activeElement"):
            break
        await sam.page.keyboard.press("ArrowDown")
    await expect(item).to_be_focused()
    await sam.page.keyboard.press("Enter")
    status = sam.card(env).locator(".escalation-status")
    await expect(status).to_have_text("With EAT: escalated")
    await expect(sam.card(env).locator(".link-to a")).to_have_text("Leadership EAT")
    await expect(sam.card(env).locator("[data-action=escalate]")).to_have_count(0)

    # It arrives on the EAT's page live, with a link back to the SoS card.
    arrived = erin.page.locator("#col-escalated .card", has_text="No test environment")
    await expect(arrived).to_have_count(1)
    await expect(arrived.locator(".link-from a")).to_have_text("E2E forum")
    href = await arrived.locator(".link-from a").get_attribute("href")
    assert href == f"/forums/{sos_id}#card-{env}"
    eat_card = await arrived.get_attribute("data-card")
    assert eat_card
    await expect(sam.card(env).locator(".link-to a")).to_have_attribute(
        "href", f"/forums/{eat['id']}#card-{eat_card}"
    )

    # The EAT accepts it, then removes it: the SoS page follows, no reload.
    await erin.drag(eat_card, "accepted")
    await expect(status).to_have_text("With EAT: accepted")
    await erin.drag(eat_card, "removed")
    await expect(status).to_have_text("With EAT: removed")
    await expect(sam.card(env).locator(".link-to")).to_have_class(
        "card-link link-to status-removed"
    )

    # A second one goes back with a note, through the card's own action and dialog.
    await sam.card(lic).locator("[data-menu]").click()
    await sam.card(lic).get_by_role("menuitem", name="Escalate to EAT").click()
    second = erin.page.locator("#col-escalated .card", has_text="Licence budget")
    await expect(second).to_have_count(1)
    await second.locator("[data-menu]").click()
    await second.get_by_role("menuitem", name="Return to SoS with a note").click()
    await erin.page.fill("#return-note", "Teams own their licences")
    await erin.page.click("#return-form button[type=submit]")
    await expect(erin.page.locator("#col-returned .card", has_text="Licence budget")).to_have_count(
        1
    )
    await expect(sam.card(lic).locator(".escalation-status")).to_have_text("With EAT: returned")
    await expect(sam.card(lic).locator(".link-note")).to_have_text("“Teams own their licences”")

    # Where the cycles meet: an impediment that needs product work becomes a backlog item.
    await sam.card(slow).locator("[data-menu]").click()
    await sam.card(slow).get_by_role("menuitem", name="Needs product work").click()
    await expect(sam.card(slow).locator(".escalation-status")).to_have_text(
        "With MetaScrum: proposed"
    )
    await expect(sam.card(slow).locator(".link-to a")).to_have_text("Product MetaScrum")
    status, board = await asyncio.to_thread(server.request, "GET", f"/api/forums/{meta['id']}")
    assert status == 200
    items = [c for c in board["cards"].values() if c["title"] == "Search is too slow"]
    assert len(items) == 1 and items[0]["kind"] == "backlog_item"
    assert items[0]["origin"]["card"] == slow
