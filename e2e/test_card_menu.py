"""Quieter cards (issue 13): one compact actions menu per card, usable by keyboard and
screen reader; the face shows what a reader needs; dialogs fit a 768 px tall screen;
picking several cards needs no modifier key."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card

pytestmark = pytest.mark.e2e


async def test_one_menu_button_per_card_driven_by_keyboard(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red", team="", owner="Priya Nair")
    maya = await join("Maya Chen")
    page = maya.page
    card = maya.card(a)

    # The face: kind, title, owner; the only controls are the drag handle and one menu
    # button (no row of link-style actions).
    await expect(card.locator(".kind-label")).to_have_text("Impediment")
    await expect(card.locator(".card-title")).to_have_text("Build is red")
    await expect(card.locator(".owner")).to_contain_text("Priya Nair")
    visible_buttons = card.locator("button:visible")
    await expect(visible_buttons).to_have_count(2)  # ⠿ and ⋯
    button = card.get_by_role("button", name="Actions for card Build is red")
    await expect(button).to_have_attribute("aria-haspopup", "menu")
    await expect(button).to_have_attribute("aria-expanded", "false")

    # Enter opens it on the first item; arrows move; Escape closes and returns focus.
    await button.focus()
    await page.keyboard.press("Enter")
    await expect(button).to_have_attribute("aria-expanded", "true")
    menu = page.get_by_role("menu")
    await expect(menu).to_be_visible()
    items = menu.get_by_role("menuitem")
    names = await items.all_text_contents()
    assert names[:3] == ["Edit", "Move to…", "Archive"], names
    assert "Bring everyone here" in names and "Escalate to EAT…" in names, names
    await expect(items.first).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(items.nth(1)).to_be_focused()
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("ArrowUp")  # wraps to the last
    await expect(items.last).to_be_focused()
    await page.keyboard.press("Home")
    await expect(items.first).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(menu).to_be_hidden()
    await expect(button).to_have_attribute("aria-expanded", "false")
    await expect(button).to_be_focused()

    # ArrowUp on the button opens it on the last item; a click elsewhere closes it.
    await page.keyboard.press("ArrowUp")
    await expect(items.last).to_be_focused()
    await page.locator(".forum-head .purpose").click()  # beside the menu, on nothing
    await expect(menu).to_be_hidden()

    # Choosing "Edit" opens the dialog; closing it gives focus back to the menu button.
    await button.focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Enter")
    await expect(page.locator("#card-dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#card-dialog")).to_be_hidden()
    await expect(button).to_be_focused()


async def test_the_card_dialog_fits_a_768_px_tall_screen(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red")
    maya = await join("Maya Chen")
    for width, height in ((1366, 768), (390, 844)):
        await maya.page.set_viewport_size({"width": width, "height": height})
        await maya.card_action(a, "edit")
        save = maya.page.locator("#card-dialog button[type=submit]")
        await expect(save).to_be_visible()
        await expect(save).to_be_in_viewport(ratio=1)
        await maya.page.keyboard.press("Escape")


async def test_a_decision_concerns_several_cards_without_a_modifier_key(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red")
    b = await add_card(server, fid, "new", "Flaky login")
    maya = await join("Maya Chen")
    page = maya.page
    await page.click("[data-action=start-session]")
    await page.click("[data-action=record-decision]")
    await page.fill("#decision-text", "Fix both this sprint")
    await page.get_by_role("checkbox", name="Build is red").click()  # plain clicks, no Ctrl or ⌘
    await page.get_by_role("checkbox", name="Flaky login").click()
    await page.click("#decision-dialog button[type=submit]")
    await expect(page.locator("#decision-dialog")).to_be_hidden()
    refs = page.locator("#decision-list .decision .card-ref")
    await expect(refs).to_have_text(["Build is red", "Flaky login"])
    board = await asyncio.to_thread(server.board, fid)
    assert [sorted(d["card_ids"]) for d in board["session"]["decisions"]] == [sorted([a, b])]
