"""People, not names, in real browsers (issue 14, SPEC R40, R41, R43): two people both
called Ana each have their own dots and their own hidden cards; one of them reloads the
page (a new websocket) and renames herself at /name, and keeps the dots she cast."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, Person, add_card, pick_name

pytestmark = pytest.mark.e2e


async def phase(fay: Person, name: str, *people: Person) -> None:
    await fay.send({"type": "set_phase", "phase": name})
    for person in (fay, *people):
        await expect(person.page.locator("#voting")).to_have_attribute(
            "data-phase", name, timeout=10_000
        )


async def test_two_anas_and_one_ana_who_reloads_and_renames(
    join: Join, server: ServerProcess
) -> None:  # SPEC R40, R41, R43
    forum = await asyncio.to_thread(server.new_forum, "retro", "Retro")
    fid = forum["id"]
    fay = await join("Fay", forum_id=fid)
    await fay.send({"type": "start_session"})
    ci = await add_card(server, fid, "to-improve", "Fast CI")
    one = await join("Ana", forum_id=fid, role="participant")
    two = await join("Ana", forum_id=fid, role="participant")
    await phase(fay, "write", one, two)
    # Each Ana writes a hidden card: only she sees it face up (R41).
    await one.send({"type": "add_card", "column": "went-well", "title": "First Ana's"})
    await two.send({"type": "add_card", "column": "went-well", "title": "Second Ana's"})
    await expect(one.page.locator("#columns")).to_contain_text("First Ana's")
    await expect(two.page.locator("#columns")).to_contain_text("Second Ana's")
    await expect(one.page.locator(".card.face-down")).to_have_count(1)
    await expect(two.page.locator(".card.face-down")).to_have_count(1)
    assert "Second Ana's" not in await one.page.content()
    assert "First Ana's" not in await two.page.content()

    await phase(fay, "reveal", one, two)
    await phase(fay, "group", one, two)
    await fay.send({"type": "configure_retro", "dots": 2})
    await phase(fay, "vote", one, two)
    plus = one.page.locator("#columns").get_by_role("button", name="+ Dot for Fast CI")
    await plus.click()
    await expect(one.page.locator("#my-votes")).to_contain_text("1 of 2 dots left")
    await plus.click()
    await expect(one.page.locator("#my-votes")).to_contain_text("0 of 2 dots left")
    # The other Ana has both her dots (R41: two people, two budgets).
    await expect(two.page.locator("#my-votes")).to_contain_text("2 of 2 dots left")

    # A reload is a new websocket: the same person, no dot back.
    await one.page.reload()
    await one.wait_live()
    await expect(one.page.locator("#my-votes")).to_contain_text("0 of 2 dots left")
    # A new name at /name: still the same person.
    await one.page.goto(f"/name?next=/forums/{fid}")
    await pick_name(one.page, fid, "Anna")
    await one.wait_live()
    await expect(one.page.locator("#my-votes")).to_contain_text("0 of 2 dots left")

    two_plus = two.page.locator("#columns").get_by_role("button", name="+ Dot for Fast CI")
    await two_plus.click()
    await expect(two.page.locator("#my-votes")).to_contain_text("1 of 2 dots left")
    await phase(fay, "discuss", one, two)
    board = await asyncio.to_thread(server.board, fid)
    assert board["retro"]["tally"] == {ci: 3}
    participants = board["session"]["participants"]
    assert "Ana" in participants and "Ana (2)" in participants and "Anna" not in participants
