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
    await expect(sam.card(dep).locator("[data-route=escalate]")).to_have_count(0)
    await sam.card(env).get_by_role("button", name="Actions for card No test environment").focus()
    await sam.page.keyboard.press("ArrowDown")
    item = sam.card(env).get_by_role("menuitem", name="Escalate to EAT")
    for _ in range(6):
        if await item.evaluate("(el) => el === document.activeElement"):
            break
        await sam.page.keyboard.press("ArrowDown")
    await expect(item).to_be_focused()
    await sam.page.keyboard.press("Enter")
    # A dialog asks for an optional note (R50); sent without one.
    dialog = sam.page.locator("#escalate-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#escalate-card-title")).to_have_text("No test environment")
    await sam.page.click("#escalate-form button[type=submit]")
    await expect(dialog).to_be_hidden()
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
    await sam.page.click("#escalate-form button[type=submit]")
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
    await expect(sam.page.locator("#escalate-dialog-title")).to_have_text("Needs product work")
    await sam.page.click("#escalate-form button[type=submit]")
    await expect(sam.card(slow).locator(".escalation-status")).to_have_text(
        "With MetaScrum: proposed"
    )
    await expect(sam.card(slow).locator(".link-to a")).to_have_text("Product MetaScrum")
    status, board = await asyncio.to_thread(server.request, "GET", f"/api/forums/{meta['id']}")
    assert status == 200
    items = [c for c in board["cards"].values() if c["title"] == "Search is too slow"]
    assert len(items) == 1 and items[0]["kind"] == "backlog_item"
    assert items[0]["origin"]["card"] == slow


async def test_escalate_with_a_note_return_and_escalate_again_live(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    """SPEC R50 R51, in two browsers: the SoS escalates with a note, the card waits in
    Needs EAT; the EAT returns it with a note and it goes back to its column; escalated
    again, the EAT's same card reopens."""
    eat = await asyncio.to_thread(server.new_forum, "eat", "Leadership EAT")
    sos_id = forum["id"]
    card = await add_card(server, sos_id, "removing", "Licence server is full")
    sam = await join("Sam Rep", role="participant")
    erin = await join("Erin Exec", forum_id=eat["id"], role="participant")

    await sam.card(card).locator("[data-menu]").click()
    await sam.card(card).get_by_role("menuitem", name="Escalate to EAT…").click()
    await sam.page.fill("#escalate-note", "We need budget for 20 more seats")
    await sam.page.click("#escalate-form button[type=submit]")
    waiting = sam.page.locator("#col-needs-eat .card", has_text="Licence server is full")
    await expect(waiting).to_have_count(1)
    await expect(waiting.locator(".escalation-status")).to_have_text("With EAT: escalated")

    arrived = erin.page.locator("#col-escalated .card", has_text="Licence server is full")
    await expect(arrived).to_have_count(1)
    await expect(arrived.locator(".link-asked")).to_have_text(
        "asks: “We need budget for 20 more seats”"
    )
    eat_card = await arrived.get_attribute("data-card")
    assert eat_card

    # The EAT returns it with a note: the SoS card is back in Being removed, live.
    await arrived.locator("[data-menu]").click()
    await arrived.get_by_role("menuitem", name="Return to SoS with a note").click()
    await erin.page.fill("#return-note", "Use the spare licences of the old project")
    await erin.page.click("#return-form button[type=submit]")
    back = sam.page.locator("#col-removing .card", has_text="Licence server is full")
    await expect(back).to_have_count(1)
    await expect(back.locator(".escalation-status")).to_have_text("With EAT: returned")
    await expect(back.locator(".link-note")).to_have_text(
        "“Use the spare licences of the old project”"
    )
    # Returned: the EAT is not offered to return it again.
    returned = erin.page.locator(f"#card-{eat_card}")
    await expect(returned).to_have_attribute("data-column", "returned")
    await returned.locator("[data-menu]").click()
    await expect(returned.locator("[data-action=return-escalation]")).to_have_count(0)
    await erin.page.keyboard.press("Escape")

    # Escalated again, with its link and age: the EAT's same card reopens.
    await back.locator("[data-menu]").click()
    await back.get_by_role("menuitem", name="Escalate to EAT again…").click()
    await expect(sam.page.locator("#escalate-dialog-title")).to_have_text("Escalate to EAT again")
    await sam.page.fill("#escalate-note", "The old project's licences expired")
    await sam.page.click("#escalate-form button[type=submit]")
    await expect(
        sam.page.locator("#col-needs-eat .card", has_text="Licence server is full")
    ).to_have_count(1)
    reopened = erin.page.locator(f"#col-escalated #card-{eat_card}")
    await expect(reopened).to_have_count(1)
    await expect(reopened.locator(".link-asked")).to_have_text(
        "asks: “The old project's licences expired”"
    )
    await expect(erin.page.locator(".card", has_text="Licence server is full")).to_have_count(1)
    await expect(sam.card(card).locator(".link-to a")).to_have_attribute(
        "href", f"/forums/{eat['id']}#card-{eat_card}"
    )

    # Removed there: the SoS card goes to Removed, and is offered nothing more.
    await erin.drag(eat_card, "removed")
    await expect(sam.page.locator(f"#col-removed #card-{card}")).to_have_count(1)
    await sam.card(card).locator("[data-menu]").click()
    await expect(sam.card(card).locator("[data-action=escalate]")).to_have_count(0)
