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

from .axe import report, serious, violations
from .support import PageErrors, Person, enter_named

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
        # What Pia is typing survives the panel being replaced by someone else's change.
        blocking = pia.page.locator("#sds-blocking")
        await blocking.click()
        await blocking.type("We block Payments")
        await fay.page.fill("#sds-speaker", "Pia (Checkout)")
        await fay.page.get_by_role("button", name="Set the speaker").click()
        await expect(pia.page.locator("#sds .sds-speaker").first).to_contain_text("Pia (Checkout)")
        await expect(blocking).to_have_value("We block Payments")
        await expect(blocking).to_be_focused()
        await blocking.type(" API")
        await pia.page.keyboard.press("Tab")  # leaving the field saves it
        await expect(fay.page.locator("#sds-blocking")).to_have_value("We block Payments API")
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
        await expect(record).to_contain_text("Speaker: Pia (Checkout)")
        await expect(record).to_contain_text("We block Payments API")
    finally:
        await fay.context.close()
        await pia.context.close()
    page_errors.check()


async def test_the_running_round_has_no_serious_accessibility_violation(
    browser: Browser, demo: ServerProcess, axe: str, page_errors: PageErrors
) -> None:
    """axe-core on the board (a facilitator's, every control) and the projector with the
    round running, and on the session page's record of the demo's round."""
    fid = "sos-commerce"

    def op(body: dict[str, object]) -> None:
        status, answer = demo.request("POST", f"/api/forums/{fid}/ops", {"op": body})
        assert status in (200, 201), answer

    await asyncio.to_thread(op, {"type": "start_session"})
    await asyncio.to_thread(op, {"type": "start_sds", "teams": ["checkout", "payments"]})
    await asyncio.to_thread(
        op, {"type": "answer_sds", "team": "checkout", "impediments": "Flaky CI"}
    )
    await asyncio.to_thread(op, {"type": "next_sds_team", "team": "checkout"})
    context = await browser.new_context(
        base_url=demo.url, viewport={"width": 1366, "height": 768}, bypass_csp=True
    )
    try:
        page = await context.new_page()
        page.on("pageerror", lambda err: page_errors.on_page_error("axe", err))
        await enter_named(page, demo, fid, "Maya Chen")
        await expect(page.locator("#sds .sds-turn[aria-current=step]")).to_contain_text("Payments")
        for path in (f"/forums/{fid}", f"/forums/{fid}/projector", f"/sessions/{fid}-1"):
            await page.goto(path)
            if path != f"/sessions/{fid}-1":
                await page.wait_for_selector("#conn[data-state=live]")
                await expect(page.locator("#sds")).to_contain_text("Payments")
            else:
                await expect(page.locator(".sds-record")).to_contain_text("Represented")
            found = serious(await violations(page, axe))
            assert not found, report(path, found)
    finally:
        await context.close()
    page_errors.check()
