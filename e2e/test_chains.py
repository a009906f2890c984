"""A Scrum of Scrums of Scrums in the browser (SPEC R72): the admin gives an SoS a
parent on the network page, which then draws SoS → parent SoS → EAT; an impediment
escalated from the SoS page lands on the parent's, is escalated on to the EAT, and what
the EAT does shows on both pages below, live, without a reload."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.support import ServerProcess

from .support import Join, PageErrors, add_card, enter_as_admin

pytestmark = pytest.mark.e2e


async def test_escalate_sos_to_its_parent_then_to_the_eat_and_the_network_draws_it(
    server: ServerProcess,
    forum: dict[str, Any],
    join: Join,
    browser: Browser,
    page_errors: PageErrors,
) -> None:
    top = await asyncio.to_thread(server.new_forum, "sos", "Commerce SoSoS")
    eat = await asyncio.to_thread(server.new_forum, "eat", "Leadership EAT")
    sos_id, top_id = forum["id"], top["id"]
    card = await add_card(server, sos_id, "removing", "Build farm is saturated")

    # The admin sets the parent on the network page.
    ctx = await browser.new_context(base_url=server.url, viewport={"width": 1366, "height": 768})
    admin = await ctx.new_page()
    admin.on("pageerror", lambda err: page_errors.on_page_error("admin", err))
    try:
        await enter_as_admin(admin, server)
        await admin.goto("/network")
        await admin.select_option(f"#parent-{sos_id}-network", top_id)
        await admin.locator(f"#parent-{sos_id}-network ~ button[type=submit]").click()
        await admin.wait_for_url("**/network#parents")
        edge = admin.locator(f"line.edge-escalates_to[data-source='{sos_id}']")
        await expect(edge).to_have_attribute("data-target", top_id)
        up = admin.locator(f"line.edge-escalates_to[data-source='{top_id}']")
        await expect(up).to_have_attribute("data-target", eat["id"])
        low = await admin.locator(f"#net-forum-{sos_id} rect").bounding_box()
        high = await admin.locator(f"#net-forum-{top_id} rect").bounding_box()
        boss = await admin.locator(f"#net-forum-{eat['id']} rect").bounding_box()
        assert low and high and boss and boss["y"] < high["y"] < low["y"]  # a row each
        row = admin.locator(f"#network-table tr[data-forum='{sos_id}']")
        await expect(row.locator("td").last).to_have_text("Commerce SoSoS")
    finally:
        await ctx.close()

    sam = await join("Sam Rep", role="participant")
    bo = await join("Bo Parent", forum_id=top_id, role="participant")
    erin = await join("Erin Exec", forum_id=eat["id"], role="participant")

    # The SoS escalates: the dialog names the parent SoS; the card waits in Needs EAT.
    await sam.card(card).locator("[data-menu]").click()
    await sam.card(card).get_by_role("menuitem", name="Escalate to EAT…").click()
    await expect(sam.page.locator("#escalate-dialog-title")).to_have_text(
        "Escalate to Commerce SoSoS"
    )
    await expect(sam.page.locator("#escalate-up")).to_be_visible()
    await sam.page.fill("#escalate-note", "Both trains need more build agents")
    await sam.page.click("#escalate-form button[type=submit]")
    waiting = sam.page.locator(f"#col-needs-eat #card-{card}")
    await expect(waiting).to_have_count(1)
    status = waiting.locator(".escalation-status")
    await expect(status).to_have_text("With SoS: new")

    # It lands in the parent's New; the parent escalates it on to the EAT.
    arrived = bo.page.locator("#col-new .card", has_text="Build farm is saturated")
    await expect(arrived).to_have_count(1)
    await expect(arrived.locator(".link-asked")).to_have_text(
        "asks: “Both trains need more build agents”"
    )
    mid = await arrived.get_attribute("data-card")
    assert mid
    await arrived.locator("[data-menu]").click()
    await arrived.get_by_role("menuitem", name="Escalate to EAT…").click()
    await expect(bo.page.locator("#escalate-dialog-title")).to_have_text("Escalate to EAT")
    await bo.page.click("#escalate-form button[type=submit]")
    await expect(bo.page.locator(f"#col-needs-eat #card-{mid}")).to_have_count(1)
    await expect(status).to_have_text("With SoS: escalated at Leadership EAT")

    # The EAT accepts it, then removes it: every page below follows, live.
    there = erin.page.locator("#col-escalated .card", has_text="Build farm is saturated")
    await expect(there).to_have_count(1)
    eat_card = await there.get_attribute("data-card")
    assert eat_card
    await erin.drag(eat_card, "accepted")
    await expect(status).to_have_text("With SoS: accepted at Leadership EAT")
    await erin.drag(eat_card, "removed")
    await expect(bo.page.locator(f"#col-removed #card-{mid}")).to_have_count(1)
    await expect(sam.page.locator(f"#col-removed #card-{card}")).to_have_count(1)
