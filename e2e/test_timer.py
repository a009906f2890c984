"""The shared timer in the browser (issue 5): the facilitator starts it, and two
browsers (facilitator and participant) show the same time left, within a second."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page, expect

from .support import Join

pytestmark = pytest.mark.e2e


def seconds(text: str) -> int:
    total = 0
    for part in text.strip().split(":"):
        total = total * 60 + int(part)
    return total


async def shown(page: Page) -> int:
    return seconds(await page.locator("#timer .timer-time").inner_text())


async def test_two_browsers_show_the_same_time(join: Join) -> None:
    fay = await join("Fay")
    pat = await join("Pat", role="participant")
    # Only the facilitator has the controls.
    await expect(pat.page.locator("#timer")).to_be_visible()
    await expect(pat.page.locator("#timer [data-timer]")).to_have_count(0)
    await expect(pat.page.locator("#timer .timer-time")).to_have_text("–:––")

    duration = fay.page.get_by_label("Duration")
    await duration.fill("3")
    start = fay.page.get_by_role("button", name="Start the timer")
    await start.focus()
    await fay.page.keyboard.press("Enter")  # keyboard reachable
    for person in (fay, pat):
        await expect(person.page.locator("#timer")).to_have_attribute("data-state", "running")
    await asyncio.sleep(1.5)  # let both tick
    for _ in range(3):
        a, b = await asyncio.gather(shown(fay.page), shown(pat.page))
        assert abs(a - b) <= 1, (a, b)
        assert 170 <= a <= 180 and 170 <= b <= 180, (a, b)
        await asyncio.sleep(0.7)

    await fay.page.get_by_role("button", name="Pause the timer").click()
    for person in (fay, pat):
        await expect(person.page.locator("#timer")).to_have_attribute("data-state", "paused")
    a, b = await asyncio.gather(shown(fay.page), shown(pat.page))
    assert a == b
    await asyncio.sleep(1.2)
    assert await shown(pat.page) == b  # paused: it does not tick

    await fay.page.get_by_role("button", name="Reset the timer").click()
    await expect(pat.page.locator("#timer .timer-time")).to_have_text("3:00")
    await expect(pat.page.locator("#timer")).to_have_attribute("data-state", "ready")
