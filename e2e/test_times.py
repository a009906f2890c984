"""Times on pages are in the viewer's time zone, labelled (issue 13): the server writes
UTC with "UTC" after it; the browser rewrites each in its own zone with that zone's name,
keeping the UTC text as the title — also for times that arrive with live updates."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import Browser, expect

from tests.support import ServerProcess

from .support import enter_named

pytestmark = pytest.mark.e2e


async def test_times_read_in_the_viewers_zone_with_its_name(
    browser: Browser, demo: ServerProcess
) -> None:
    context = await browser.new_context(base_url=demo.url, timezone_id="Asia/Kolkata")
    page = await context.new_page()
    await enter_named(page, demo, "eat", "Maya Chen")
    await page.goto("/sessions/sos-commerce-1")
    started = page.locator(".session-facts time, .forum-head time").first
    iso = await started.get_attribute("datetime")
    assert iso
    utc = dt.datetime.fromisoformat(iso)
    local = utc.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
    await expect(started).to_contain_text(local.strftime("%H:%M"))
    await expect(started).to_contain_text("GMT+5:30")  # the zone, named
    await expect(started).to_have_attribute("title", utc.strftime("%a %d %b %Y, %H:%M UTC"))
    # Decisions' times (the time of day) too.
    decision_time = page.locator(".decision time").first
    await expect(decision_time).to_contain_text("GMT+5:30")

    # Without a browser to rewrite it, the page says UTC.
    raw = await page.request.get("/sessions/sos-commerce-1")
    assert utc.strftime("%a %d %b %Y, %H:%M UTC") in await raw.text()

    # A time that arrives live (a session started on the forum page) is localised too.
    await page.goto("/forums/eat")
    await page.wait_for_selector("#conn[data-state=live]")
    await page.click("[data-action=start-session]")
    await expect(page.locator("#session-status time")).to_contain_text("GMT+5:30")
    await context.close()
