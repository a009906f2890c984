"""Standards and feedback in the browser (SPEC R66–R68): the EAT's facilitator adopts an
improvement as a standard in one browser; a second browser on a Scrum of Scrums board
sees "New standard adopted: …" live, and /standards lists it. Process feedback from the
SoS is answered on the EAT, and the SoS card shows the answer live."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card

pytestmark = pytest.mark.e2e


async def test_adopt_a_standard_and_another_board_sees_it_live(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    eat = await asyncio.to_thread(server.new_forum, "eat", "Leadership EAT")
    trunk = await add_card(
        server, eat["id"], "escalated", "Trunk-based development", kind="experiment"
    )
    status, _ = await asyncio.to_thread(
        server.request, "POST", f"/api/forums/{eat['id']}/sessions", {}
    )
    assert status == 201
    dana = await join("Dana Exec", forum_id=eat["id"])  # the EAT's facilitator
    sam = await join("Sam Rep", role="participant")  # on the SoS
    notice = sam.page.locator("#standard-notice")
    await expect(notice).to_be_hidden()

    await dana.card(trunk).locator("[data-menu]").click()
    await dana.card(trunk).get_by_role("menuitem", name="Adopt as a standard").click()
    dialog = dana.page.locator("#adopt-dialog")
    await expect(dialog).to_be_visible()
    await dana.page.fill("#adopt-text", "Every team merges to trunk daily")
    await dialog.get_by_label("Forums of a kind").check()
    await dialog.get_by_label("Scrum of Scrums").check()
    await dana.page.fill("#adopt-effective", "2027-01-04")
    await dana.page.click("#adopt-form button[type=submit]")
    await expect(dialog).to_be_hidden()
    # a decision of the EAT's session, on its page live
    await expect(dana.page.locator(".decision", has_text="Adopted as a standard")).to_have_count(1)

    # the SoS board, in another browser, is told at once
    await expect(notice).to_be_visible()
    await expect(notice.locator("#standard-notice-text")).to_have_text(
        "Every team merges to trunk daily"
    )
    await notice.get_by_role("link", name="Standards").click()
    await expect(sam.page).to_have_url(f"{server.url}/standards?forum={forum['id']}")
    item = sam.page.locator(".standard", has_text="Every team merges to trunk daily")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("Leadership EAT")
    await expect(item).to_contain_text("2027-01-04")
    await expect(item.locator(".card-ref")).to_have_text("Trunk-based development")


async def test_process_feedback_is_answered_and_the_answer_shows_live(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    eat = await asyncio.to_thread(server.new_forum, "eat", "Leadership EAT")
    slow = await add_card(server, forum["id"], "new", "Standups drag", kind="note")
    sam = await join("Sam Rep", role="participant")
    erin = await join("Erin Exec", forum_id=eat["id"], role="participant")
    await sam.card(slow).locator("[data-menu]").click()
    await sam.card(slow).get_by_role("menuitem", name="Send process feedback to EAT").click()
    await sam.page.click("#escalate-form button[type=submit]")
    status = sam.card(slow).locator(".escalation-status")
    await expect(status).to_have_text("Feedback to EAT: escalated")
    arrived = erin.page.locator("#col-escalated .card", has_text="Standups drag")
    await expect(arrived).to_have_count(1)
    await expect(arrived.locator(".kind-label")).to_have_text("Feedback")
    await arrived.locator("[data-menu]").click()
    await arrived.get_by_role("menuitem", name="Answer the feedback").click()
    await erin.page.locator("#answer-dialog").get_by_role("radio", name="Declined").check()
    await erin.page.fill("#answer-note", "Timebox it in the SoS")
    await erin.page.click("#answer-form button[type=submit]")
    await expect(status).to_have_text("Feedback to EAT: declined")
    await expect(sam.card(slow).locator(".link-to .link-note")).to_have_text(
        "“Timebox it in the SoS”"
    )
