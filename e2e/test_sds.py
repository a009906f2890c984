"""The Scaled Daily Scrum in Chromium, two browsers (SPEC R54-R56): the facilitator
starts the round from the board (the session with it), a participant says "I speak for"
the current team and answers, the facilitator moves on; the participant's page sees
the current team change live, the clock runs, a raised impediment becomes a card in one
click, and the session page records the round."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, expect

from tests.support import ServerProcess

from .support import PageErrors, Person

pytestmark = pytest.mark.e2e


async def test_a_round_through_two_teams(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    forum = (await asyncio.to_thread(demo.new_forum, "sos", "SDS e2e"))["id"]
    status, _ = await asyncio.to_thread(
        demo.request, "POST", f"/api/forums/{forum}/serves", {"teams": ["checkout", "payments"]}
    )
    assert status in (200, 201)
    fay = await Person.open(browser, demo, forum, "Fay", page_errors, "facilitator")
    pia = await Person.open(browser, demo, forum, "Pia", page_errors, "participant")
    try:
        await expect(pia.page.locator("#sds")).to_contain_text("Not running now")
        # No session runs: the button starts one, then the round (SPEC R54).
        await fay.page.click("[data-sds-start]")
        current = pia.page.locator("#sds .sds-turn[aria-current=step]")
        await expect(current).to_contain_text("Checkout")
        await expect(current).to_contain_text("speaking now")
        await expect(pia.page.locator("#session-status")).to_contain_text("running")
        await expect(pia.page.locator("#timer")).to_contain_text("running")
        clock = pia.page.locator("#sds .sds-elapsed")
        first = await clock.text_content()
        await expect(clock).not_to_have_text(first or "", timeout=3000)  # it counts, live
        # Pia speaks for Checkout and answers; Fay's page shows it.
        await pia.page.get_by_role("button", name="I speak for Checkout").click()
        await expect(fay.page.locator("#sds .sds-turn[aria-current=step]")).to_contain_text(
            "Speaker: Pia"
        )
        await pia.page.fill("#sds-impediments", "Flaky CI blocks merges")
        await pia.page.get_by_role("button", name="Save answers").click()
        make = fay.page.get_by_role("button", name="Make an impediment card")
        await make.click()  # one click: a card with the team
        card = fay.page.locator("#col-new .card", has_text="Flaky CI blocks merges")
        await expect(card).to_contain_text("Checkout")
        await expect(pia.page.locator("#col-new .card", has_text="Flaky CI")).to_be_visible()
        # Next team: Pia's page follows the current team.
        await fay.page.get_by_role("button", name="Next team").click()
        await expect(current).to_contain_text("Payments")
        done = pia.page.locator("#sds .sds-turn[data-team=checkout]")
        await expect(done).to_contain_text("done")
        await expect(done).to_contain_text("Flaky CI blocks merges")
        # Skip (not here): the last team, so the round ends everywhere.
        await fay.page.get_by_role("button", name="Skip (not here)").click()
        await expect(pia.page.locator("#sds .sds-ended")).to_have_text("(ended)")
        await expect(pia.page.locator("#sds .sds-turn[data-team=payments]")).to_contain_text(
            "skipped (not here)"
        )
        await fay.page.click("[data-action=end-session]")
        await fay.page.click("#end-dialog button[type=submit]")
        await expect(fay.page.locator("#sds")).to_contain_text("Start the Scaled Daily Scrum")
        await fay.page.goto(f"/sessions/{forum}-1")
        record = fay.page.locator(".sds-record")
        await expect(record).to_contain_text("Represented: 1 of 2 teams")
        await expect(record).to_contain_text("no speaker: Payments")
        await expect(record).to_contain_text("Speaker: Pia")
    finally:
        await fay.context.close()
        await pia.context.close()
    page_errors.check()
