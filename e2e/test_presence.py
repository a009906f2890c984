"""Who has this card, in two browsers (issue 5, SPEC R29): a card one person drags or
edits shows the other who has it (name, initials, colour), a second person who opens
it to edit is warned but not blocked, and letting go (drop, close, leaving) clears it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card

pytestmark = pytest.mark.e2e

HELD = re.compile(r"\bis-held\b")


async def test_dragging_a_card_shows_the_holders_name_to_the_others(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    login = await add_card(server, fid, "new", "Flaky login")
    maya = await join("Maya Chen", role="participant")
    leo = await join("Leo Martin", role="participant")

    await maya.press_card_grab(red)  # the drag is in progress, the mouse still down
    card = leo.card(red)
    note = card.locator(".hold-note")
    await expect(note).to_have_text(re.compile(r"MC\s*Maya Chen is moving or editing this"))
    await expect(card).to_have_class(HELD)
    await expect(note.locator(".hold-chip")).to_have_text("MC")
    await expect(note.locator(".hold-chip")).to_have_attribute("aria-hidden", "true")
    hue = await card.evaluate("(el) => el.style.getPropertyValue('--hue')")
    assert hue and 0 <= int(hue) < 360
    # Screen readers hear it once, politely.
    live = leo.page.locator("#hold-live")
    await expect(live).to_have_attribute("aria-live", "polite")
    await expect(live).to_contain_text("Maya Chen is moving or editing this: Build is red")
    # Only that card, and Maya does not see her own hold.
    await expect(leo.card(login).locator(".hold-note")).to_have_count(0)
    await expect(maya.page.locator(".hold-note")).to_have_count(0)
    assert [m for m in maya.sent if m.get("type") == "hold"] == [{"type": "hold", "card": red}]

    await maya.drag_over("removing")
    await maya.page.mouse.up()
    await expect(leo.page.locator(f"#col-removing #card-{red}")).to_be_visible()
    await expect(card.locator(".hold-note")).to_have_count(0)
    await expect(card).not_to_have_class(HELD)
    holds = [m["card"] for m in maya.sent if m.get("type") == "hold"]
    assert holds == [red, None]
    assert len(maya.sent_ops("move_card")) == 1  # the drag is still one operation


async def test_editing_shows_who_has_it_and_warns_a_second_editor(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    maya = await join("Maya Chen", role="participant")
    leo = await join("Leo Martin", role="participant")

    await leo.card_action(red, "edit")
    await expect(leo.page.locator("#card-dialog")).to_be_visible()
    await expect(leo.page.locator("#card-dialog .hold-warning")).to_have_count(0)  # nobody else
    await expect(maya.card(red).locator(".hold-note")).to_have_text(
        re.compile(r"LM\s*Leo Martin is moving or editing this")
    )

    # Maya opens it too: warned, not blocked.
    await maya.card_action(red, "edit")
    warning = maya.page.locator("#card-dialog .hold-warning")
    await expect(warning).to_have_text(
        "Leo Martin is moving or editing this too: your changes may overwrite theirs."
    )
    await expect(leo.card(red).locator(".hold-note")).to_contain_text("Maya Chen")
    await maya.page.fill("#card-title", "Build is red on main")
    await maya.page.click("#card-form button[type=submit]")
    await expect(maya.page.locator("#card-dialog")).to_be_hidden()
    await expect(maya.card(red).locator(".card-title")).to_have_text("Build is red on main")
    # Leo's own dialog stays open; on his page Maya let go, so the note went.
    await expect(leo.card(red).locator(".card-title")).to_have_text("Build is red on main")
    await expect(leo.card(red).locator(".hold-note")).to_have_count(0)
    # The edited card was re-rendered on Maya's page: Leo's hold is still shown on it.
    await expect(maya.card(red).locator(".hold-note")).to_contain_text("Leo Martin")

    await leo.page.click("#card-dialog [data-action=close-dialog]")
    await expect(maya.card(red).locator(".hold-note")).to_have_count(0)

    # Someone who leaves while holding a card lets go of it.
    await leo.card_action(red, "edit")
    await expect(maya.card(red).locator(".hold-note")).to_contain_text("Leo Martin")
    await leo.context.close()
    await expect(maya.card(red).locator(".hold-note")).to_have_count(0)


async def test_a_viewer_sees_holds_and_sends_none(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    maya = await join("Maya Chen", role="participant")
    vic = await join("Vic Viewer", role="viewer")
    await maya.press_card_grab(red)
    await expect(vic.card(red).locator(".hold-note")).to_contain_text("Maya Chen")
    await maya.page.mouse.up()
    await expect(vic.card(red).locator(".hold-note")).to_have_count(0)
    assert not [m for m in vic.sent if m.get("type") == "hold"]
