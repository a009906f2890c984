"""The forum page on a phone: one column at a time, and cards moved by touch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Page

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
