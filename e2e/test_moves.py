"""Others' moves are seen (issue 13): the card another person moved is marked for a few
seconds with their initials (no animation under reduced motion, still the mark), screen
readers hear it through a polite live region, and many moves at once are said as one
summary, not one announcement each; the mover's own page marks nothing."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card, same_board_everywhere

pytestmark = pytest.mark.e2e

WATCH = """() => {
  window.heard = [];
  new MutationObserver(() => {
    const t = document.getElementById("moves-announcer").textContent;
    if (t) window.heard.push(t);
  }).observe(document.getElementById("moves-announcer"),
             {childList: true, characterData: true, subtree: true});
}"""


async def test_a_move_by_someone_else_is_marked_with_their_initials_and_announced(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin", role="participant")
    await maya.page.evaluate(WATCH)

    await leo.drag(a, "removing")
    await same_board_everywhere(server, fid, maya, leo)
    card = maya.card(a)
    await expect(card).to_have_class(re.compile(r"\bmoved-by-other\b"))
    badge = card.locator(".moved-by")
    await expect(badge).to_have_text("LM")
    await expect(badge).to_have_attribute("title", "Moved by Leo Martin")
    await expect(maya.page.locator("#moves-announcer")).to_have_attribute("aria-live", "polite")
    await expect(maya.page.locator("#moves-announcer")).to_have_text(
        "Leo Martin moved Build is red to Being removed."
    )
    # The mover's own page marks nothing.
    await expect(leo.card(a).locator(".moved-by")).to_have_count(0)
    # A few seconds later the mark is gone.
    await expect(badge).to_have_count(0, timeout=8_000)
    await expect(card).not_to_have_class(re.compile(r"\bmoved-by-other\b"))


async def test_reduced_motion_keeps_the_mark_without_the_animation(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin", role="participant")
    await maya.page.emulate_media(reduced_motion="reduce")
    await leo.drag(a, "needs-eat")
    await expect(maya.card(a).locator(".moved-by")).to_have_text("LM")
    animation = await maya.card(a).evaluate("(el) => getComputedStyle(el).animationName")
    assert animation == "none"
    outline = await maya.card(a).evaluate("(el) => getComputedStyle(el).outlineStyle")
    assert outline == "solid"


async def test_many_moves_at_once_are_announced_as_a_summary(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    ids = [await add_card(server, fid, "new", f"Card {i}") for i in range(6)]
    maya = await join("Maya Chen")
    leo = await join("Leo Martin", role="participant")
    await maya.page.evaluate(WATCH)
    for cid in ids:
        await leo.send({"type": "move_card", "card": cid, "column": "removed", "index": 0})
    await same_board_everywhere(server, fid, maya, leo)
    await asyncio.sleep(1.0)
    heard: list[str] = await maya.page.evaluate("() => window.heard")
    assert 1 <= len(heard) <= 2, heard  # not six announcements
    assert any("cards were moved by others" in h for h in heard), heard
    for cid in ids:
        await expect(maya.card(cid).locator(".moved-by")).to_have_text("LM")
