"""The forum page on a phone: one column at a time, and cards moved by touch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.support import ServerProcess

from .support import Join, add_card, same_board_everywhere

pytestmark = pytest.mark.e2e

TOUCH = """([type, x, y]) => {
  const init = {pointerId: 7, pointerType: "touch", isPrimary: true, button: 0, buttons: 1,
                clientX: x, clientY: y, bubbles: true, cancelable: true};
  const target = document.elementFromPoint(x, y) || document.body;
  target.dispatchEvent(new PointerEvent(type, init));
}"""


async def touch(page: Page, kind: str, x: float, y: float) -> None:
    await page.evaluate(TOUCH, [kind, x, y])


async def center(page: Page, selector: str) -> tuple[float, float]:
    box = await page.locator(selector).bounding_box()
    assert box, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def test_a_phone_shows_a_column_at_a_time_and_moves_cards_by_touch(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red")
    b = await add_card(server, fid, "new", "Flaky login")
    c = await add_card(server, fid, "new", "No test environment")
    desk = await join("Maya Chen")
    phone = await join("Leo Martin", role="participant")
    page = phone.page
    await page.set_viewport_size({"width": 390, "height": 844})

    # One column fills the screen; the next one only peeks in at the right edge.
    first = await page.locator("#col-new").bounding_box()
    second = await page.locator("#col-removing").bounding_box()
    assert first and second
    assert first["width"] >= 0.85 * 390, first
    assert second["x"] >= first["x"] + first["width"] and 390 - second["x"] <= 40, second

    # A long press picks the card up; dragging the finger moves it above the first card.
    x, y = await center(page, f"#card-{c} .card-title")
    await touch(page, "pointerdown", x, y)
    await asyncio.sleep(0.5)  # longer than the long press (350 ms)
    top = await page.locator(f"#card-{a}").bounding_box()
    assert top
    steps = 8
    for i in range(1, steps + 1):
        ty = y + (top["y"] + 6 - y) * i / steps
        await touch(page, "pointermove", x, ty)
        await asyncio.sleep(0.02)
    await touch(page, "pointerup", x, top["y"] + 6)

    expected = [["new", [c, a, b]], ["removing", []], ["needs-eat", []], ["removed", []]]
    await desk.wait_columns(expected)
    assert await same_board_everywhere(server, fid, desk, phone) == expected

    # A short tap is not a drag: nothing moves.
    x, y = await center(page, f"#card-{b} .card-title")
    await touch(page, "pointerdown", x, y)
    await touch(page, "pointerup", x, y)
    await asyncio.sleep(0.3)
    assert await same_board_everywhere(server, fid, desk, phone) == expected


class Finger:
    """A real touch screen: touch events through the DevTools protocol, so the browser
    makes the pointer events (and honours touch-action) as it does for a finger."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.cdp: Any = None

    async def _send(self, kind: str, x: float | None = None, y: float | None = None) -> None:
        if self.cdp is None:
            self.cdp = await self.page.context.new_cdp_session(self.page)
            await self.cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True})
        points = [] if x is None or y is None else [{"x": x, "y": y}]
        await self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    async def down(self, x: float, y: float) -> None:
        await self._send("touchStart", x, y)

    async def move(self, x: float, y: float) -> None:
        await self._send("touchMove", x, y)

    async def up(self) -> None:
        await self._send("touchEnd")


STRIP_AT_END = """() => { const s = document.getElementById("columns");
  return s.scrollLeft + s.clientWidth >= s.scrollWidth - 2; }"""


async def test_a_phone_drags_a_card_to_the_last_column_by_holding_it_at_the_edge(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    """Holding a dragged card at the screen's right edge scrolls the columns until the
    last one is in view; dropping it there moves it there (issue 13)."""
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red")
    desk = await join("Maya Chen")
    phone = await join("Leo Martin", role="participant")
    page = phone.page
    await page.set_viewport_size({"width": 390, "height": 844})
    finger = Finger(page)

    x, y = await center(page, f"#card-{a} .card-title")
    await finger.down(x, y)
    await asyncio.sleep(0.5)  # a long press picks it up
    for i in range(1, 9):  # to the right edge of the screen
        await finger.move(x + (386 - x) * i / 8, y)
        await asyncio.sleep(0.02)
    await page.wait_for_function(STRIP_AT_END, timeout=10_000)  # held there: it scrolls
    lx, ly = await center(page, "#col-removed ol.cards")
    for i in range(1, 9):
        await finger.move(386 + (lx - 386) * i / 8, y + (ly - y) * i / 8)
        await asyncio.sleep(0.02)
    await finger.up()

    expected = [["new", []], ["removing", []], ["needs-eat", []], ["removed", [a]]]
    await desk.wait_columns(expected)
    assert await same_board_everywhere(server, fid, desk, phone) == expected


async def test_move_to_lists_the_columns_for_touch_mouse_and_keyboard(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    """A card's actions menu has "Move to…": a dialog with a button per column."""
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red")
    b = await add_card(server, fid, "new", "Flaky login")
    desk = await join("Maya Chen")
    phone = await join("Leo Martin", role="participant")
    page = phone.page
    await page.set_viewport_size({"width": 390, "height": 844})

    # Touch: tap the menu button, tap "Move to…", tap the last column.
    finger = Finger(page)
    for selector in (f"#card-{a} [data-menu]", f"#card-{a} [data-action=move-to]"):
        x, y = await center(page, selector)
        await finger.down(x, y)
        await finger.up()
    dialog = page.locator("#move-dialog")
    await expect(dialog).to_be_visible()
    targets = dialog.locator(".move-target-name")
    await expect(targets).to_have_text(["New", "Being removed", "Needs EAT", "Removed"])
    await expect(dialog.locator(".move-target").first).to_be_disabled()  # it is there now
    x, y = await center(page, "#move-dialog .move-target[data-column=removed]")
    await finger.down(x, y)
    await finger.up()
    await expect(dialog).to_be_hidden()
    expected = [["new", [b]], ["removing", []], ["needs-eat", []], ["removed", [a]]]
    assert await same_board_everywhere(server, fid, desk, phone) == expected
    # The moved card is in view on the phone: the scroll followed the move.
    await expect(phone.card(a)).to_be_in_viewport(ratio=0.99)

    # Mouse, on the desk: the menu, "Move to…", "Needs EAT".
    await desk.card_action(b, "move-to")
    await desk.page.locator("#move-dialog .move-target[data-column=needs-eat]").click()
    expected = [["new", []], ["removing", []], ["needs-eat", [b]], ["removed", [a]]]
    assert await same_board_everywhere(server, fid, desk, phone) == expected

    # Keyboard alone: focus the card's menu button, Enter, down to "Move to…", Enter,
    # Tab to a column, Enter.
    await desk.card(b).locator("[data-menu]").focus()
    await desk.page.keyboard.press("Enter")
    await desk.page.keyboard.press("ArrowDown")
    move_item = desk.card(b).get_by_role("menuitem", name="Move to…")
    await expect(move_item).to_be_focused()
    await desk.page.keyboard.press("Enter")
    await expect(desk.page.locator("#move-dialog .move-target[data-column=new]")).to_be_focused()
    await desk.page.keyboard.press("Enter")
    expected = [["new", [b]], ["removing", []], ["needs-eat", []], ["removed", [a]]]
    assert await same_board_everywhere(server, fid, desk, phone) == expected


async def test_the_edit_dialog_shows_the_column_and_moves_the_card(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    a = await add_card(server, fid, "new", "Build is red")
    phone = await join("Leo Martin", role="participant")
    page = phone.page
    await page.set_viewport_size({"width": 390, "height": 844})
    await phone.card_action(a, "edit")
    column = page.get_by_label("Column", exact=True)
    await expect(column).to_be_visible()
    await expect(column).to_have_value("new")
    await column.select_option("needs-eat")
    await page.fill("#card-title", "Build is red again")
    await page.click("#card-dialog button[type=submit]")
    await expect(page.locator("#card-dialog")).to_be_hidden()
    expected = [["new", []], ["removing", []], ["needs-eat", [a]], ["removed", []]]
    assert await same_board_everywhere(server, fid, phone) == expected
    await expect(phone.card(a).locator(".card-title")).to_have_text("Build is red again")
