"""Retrospective phases in the browser (issue 5, SPEC R20-R22): a card written in the
write phase stays hidden from the other browser until the facilitator reveals it; the
facilitator steps back a phase; the participant has no phase controls; the projector
shows the current phase."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, expect

from tests.support import ServerProcess

from .support import Join, PageErrors

pytestmark = pytest.mark.e2e


async def test_write_phase_cards_stay_hidden_until_the_reveal(
    join: Join, server: ServerProcess, browser: Browser, page_errors: PageErrors
) -> None:
    retro = await asyncio.to_thread(server.new_forum, "retro", "E2E retro")
    fay = await join("Fay", retro["id"])
    pat = await join("Pat", retro["id"], role="participant")

    await fay.page.get_by_role("button", name="Start a session").click()
    await fay.page.get_by_role("button", name="Start the phases: Write").click()
    for person in (fay, pat):
        current = person.page.locator('#retro [aria-current="step"]')
        await expect(current).to_contain_text("Write")
    # Only the facilitator runs the phases.
    await expect(pat.page.locator("#retro [data-retro-phase]")).to_have_count(0)
    await expect(pat.page.locator("#retro-back")).to_have_count(0)
    await expect(fay.page.get_by_role("button", name="Next: Reveal")).to_be_visible()

    # Pat writes a card: Pat sees it, Fay sees that a card exists, face down.
    await pat.page.locator("#col-ideas .add-card").click()
    await pat.page.fill("#card-title", "Secret plan")
    await pat.page.locator("#card-form button[type=submit]").click()
    await expect(pat.page.locator("#col-ideas .card-title")).to_have_text("Secret plan")
    await expect(pat.page.locator("#col-ideas .card")).to_contain_text("Only you see this")
    face_down = fay.page.locator("#col-ideas .card.face-down")
    await expect(face_down).to_have_count(1)
    await expect(face_down).to_contain_text("hidden until reveal")
    assert "Secret plan" not in await fay.page.content()

    # The reveal turns it over for Fay.
    await fay.page.get_by_role("button", name="Next: Reveal").click()
    await expect(fay.page.locator("#col-ideas .card-title")).to_have_text("Secret plan")
    await expect(fay.page.locator("#col-ideas .card.face-down")).to_have_count(0)
    await expect(pat.page.locator('#retro [aria-current="step"]')).to_contain_text("Reveal")

    # On to group, then back to write (a phase advanced by mistake).
    await fay.page.get_by_role("button", name="Next: Group").click()
    await expect(pat.page.locator('#retro [aria-current="step"]')).to_contain_text("Group")
    await fay.page.get_by_label("Back to").select_option("write")
    await fay.page.get_by_role("button", name="Go back to the chosen phase").click()
    for person in (fay, pat):
        await expect(person.page.locator('#retro [aria-current="step"]')).to_contain_text("Write")
    # Revealed cards stay face up after stepping back.
    await expect(fay.page.locator("#col-ideas .card-title")).to_have_text("Secret plan")

    # The projector (viewer link) shows the current phase.
    context = await browser.new_context(base_url=server.url)
    try:
        wall = await context.new_page()
        wall.on("console", lambda msg: page_errors.on_console("projector", msg))
        wall.on("pageerror", lambda err: page_errors.on_page_error("projector", err))
        token = (await asyncio.to_thread(server.links, retro["id"]))["viewer"]
        await wall.goto(f"/forums/{retro['id']}/projector?token={token}")
        await expect(wall.locator('#retro [aria-current="step"]')).to_contain_text("Write")
        await fay.page.get_by_role("button", name="Next: Reveal").click()
        await expect(wall.locator('#retro [aria-current="step"]')).to_contain_text("Reveal")
    finally:
        await context.close()
