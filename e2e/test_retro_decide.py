"""Voting and deciding in a Scaled Retrospective (issue 13): dots are cast on the cards
themselves (and only in the vote phase); the decide phase starts from the
top-voted clusters and cards; making a next step from one marks it as made for everyone
(no second "Make next step")."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card

pytestmark = pytest.mark.e2e


async def test_decide_starts_from_the_top_voted_and_shows_what_was_made(
    join: Join, server: ServerProcess
) -> None:
    retro = await asyncio.to_thread(server.new_forum, "retro", "E2E retro")
    fid = retro["id"]
    slow = await add_card(server, fid, "to-improve", "Slow reviews")
    flaky = await add_card(server, fid, "to-improve", "Flaky tests")
    await add_card(server, fid, "went-well", "Pairing")
    fay = await join("Fay", fid)
    pat = await join("Pat", fid, role="participant")
    await fay.send({"type": "start_session"})
    for name in ("write", "reveal", "group", "vote"):
        await fay.send({"type": "set_phase", "phase": name})
        await expect(fay.page.locator("#retro")).to_have_attribute("data-phase", name)
    # Dots are cast on the cards themselves.
    await expect(pat.card(slow).locator(".card-dots")).to_have_count(1)
    plus = pat.card(flaky).get_by_role("button", name="+ Dot for Flaky tests")
    minus = pat.card(flaky).get_by_role("button", name="− Dot from Flaky tests")
    await expect(minus).to_be_disabled()  # nothing to take back yet
    for _ in range(3):
        await plus.click()
        await pat.settled()
    await expect(minus).to_be_enabled()
    await minus.click()  # one back: two dots on Flaky tests
    await pat.settled()
    await expect(pat.page.locator("#my-votes .dots-left strong")).to_have_text("1")
    await fay.send({"type": "cast_vote", "target": slow})
    await pat.settled()
    await fay.settled()
    for name in ("discuss", "decide"):
        await fay.send({"type": "set_phase", "phase": name})
        await expect(fay.page.locator("#retro")).to_have_attribute("data-phase", name)

    await expect(pat.page.locator(".card-dots")).to_have_count(0)  # no dots after the vote
    top = pat.page.locator("#retro .retro-top > li")
    await expect(top).to_have_count(2)  # what got votes, most first
    await expect(top.nth(0)).to_contain_text("2 votes")
    await expect(top.nth(0)).to_contain_text("Flaky tests")
    await expect(top.nth(1)).to_contain_text("Slow reviews")

    await top.nth(0).get_by_role("button", name="Make next step").click()
    await pat.page.fill("#retro-step-owner", "Pat")
    await pat.page.locator("#retro-step-dialog button[type=submit]").click()
    await expect(pat.page.locator("#retro-step-dialog")).to_be_hidden()
    for person in (pat, fay):
        first = person.page.locator("#retro .retro-top > li").nth(0)
        await expect(first.locator(".retro-made")).to_contain_text("Next step made")
        await expect(first.get_by_role("button", name="Make next step")).to_have_count(0)
        second = person.page.locator("#retro .retro-top > li").nth(1)
        await expect(second.get_by_role("button", name="Make next step")).to_have_count(1)
