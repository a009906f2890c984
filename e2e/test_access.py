"""Roles in a real browser: a viewer (the projector) follows the board live but has no
way to change it, and the server refuses what it sends anyway; a participant moves
cards but does not run sessions; a rotated link cuts the open page off."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, PageErrors, add_card, same_board_everywhere, server_columns

pytestmark = pytest.mark.e2e

CONTROLS = ("add-card", "add-column", "edit", "archive", "grab", "rename-forum", "start-session")


async def test_a_viewer_sees_moves_live_but_cannot_move(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    login = await add_card(server, fid, "new", "Flaky login")
    maya = await join("Maya Chen", role="participant")
    projector = await join("Projector", role="viewer")
    view = projector.page

    # The viewer's page has no controls at all, and says what it is.
    await expect(view.locator(".role-badge")).to_have_text("Viewer")
    for action in CONTROLS:
        await expect(view.locator(f"[data-action={action}]")).to_have_count(0)
    await expect(view.locator(".card[tabindex]")).to_have_count(0)
    # The participant moves and edits, but does not run sessions or rename the forum.
    await expect(maya.page.locator(".role-badge")).to_have_text("Participant")
    await expect(maya.page.locator("[data-action=add-card]").first).to_be_visible()
    for action in ("start-session", "rename-forum"):
        await expect(maya.page.locator(f"[data-action={action}]")).to_have_count(0)

    # A participant's move reaches the viewer live.
    await maya.drag(login, "removing")
    expected = [["new", [red]], ["removing", [login]], ["needs-eat", []], ["removed", []]]
    await projector.wait_columns(expected)
    assert await same_board_everywhere(server, fid, maya, projector) == expected

    # Dragging with the mouse does nothing and sends nothing.
    await projector.press_card_grab(red)
    await projector.drag_over("needs-eat")
    await view.mouse.up()
    await expect(view.locator(".ghost")).to_have_count(0)
    await projector.wait_columns(expected)
    # Nor does the keyboard (cards cannot even take the focus from the keyboard).
    await projector.card(red).evaluate("(el) => el.focus()")
    for key in ("Space", "ArrowRight", "Space", "Enter"):
        await view.keyboard.press(key)
    await expect(view.locator("#card-dialog")).to_be_hidden()
    assert projector.sent_ops("move_card") == []

    # An operation forced through the page's own socket is refused, with the reason,
    # and the board stays as it was for everyone.
    await projector.send({"type": "move_card", "card": red, "column": "removed", "index": 0})
    await expect(view.locator(".toast.error")).to_contain_text("read-only")
    await projector.settled()
    assert await server_columns(server, fid) == expected
    assert await same_board_everywhere(server, fid, maya, projector) == expected

    # Live updates carry markup without controls for the viewer: a card added and a
    # session started show no buttons on the projector.
    added = await add_card(server, fid, "new", "Added live")
    await expect(projector.card(added)).to_be_visible()
    await expect(projector.card(added).locator("[data-action]")).to_have_count(0)
    await expect(maya.card(added).locator("[data-action=edit]")).to_have_count(1)
    status, _ = await asyncio.to_thread(server.request, "POST", f"/api/forums/{fid}/sessions")
    assert status == 201
    await expect(view.locator("#session-title")).to_contain_text("running")
    await expect(maya.page.locator("#session-title")).to_contain_text("running")
    await expect(view.locator("#session-status [data-action]")).to_have_count(0)
    await expect(view.locator("[data-action=record-decision]")).to_have_count(0)
    await expect(maya.page.locator("[data-action=end-session]")).to_have_count(0)
    await expect(maya.page.locator("[data-action=record-decision]")).to_be_visible()


async def test_a_rotated_link_cuts_the_open_page_off(
    server: ServerProcess, forum: dict[str, Any], join: Join, page_errors: PageErrors
) -> None:
    fid = forum["id"]
    await add_card(server, fid, "new", "Build is red")
    leo = await join("Leo Martin", role="participant")
    projector = await join("Projector", role="viewer")
    # The reload below is refused by design, which Chromium logs as a failed resource.
    page_errors.allow(rf"status of 403 \(Forbidden\) at http://[^ ]+/forums/{fid}:")

    status, link = await asyncio.to_thread(
        server.request, "POST", f"/api/forums/{fid}/links/viewer/rotate"
    )
    assert status == 201, link
    # The projector's connection is closed as forbidden and it stops trying.
    await expect(projector.page.locator("#conn")).to_have_attribute("data-state", "forbidden")
    await expect(projector.page.locator("#conn")).to_contain_text("No access")
    # Reloading with the old grant: no access, with a way forward.
    response = await projector.page.reload()
    assert response is not None and response.status == 403
    await expect(projector.page.locator("main")).to_contain_text("ask its facilitator for a link")
    # The participant was not touched.
    await leo.settled()
    await expect(leo.page.locator("#conn")).to_have_attribute("data-state", "live")
    # The new link works in the same browser.
    await projector.page.goto(f"/forums/{fid}?token={link['token']}")
    await projector.wait_live()
    await expect(projector.page.locator(".role-badge")).to_have_text("Viewer")
