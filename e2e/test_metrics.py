"""Metrics in the browser: play a session, follow the board's Metrics link, and see
the charts (SVG) and their tables render with the numbers, user text as text, the
guardrail flag of a session that decided nothing, and the period picker working —
with no page error or CSP violation."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, add_card, same_board_everywhere

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=window.__pwned=1>"


async def test_the_metrics_page_renders_charts_and_tables(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    env = await add_card(server, fid, "new", XSS)
    maya = await join("Maya Chen")
    page = maya.page

    # Session 1: one impediment removed, a decision on the other. Session 2: nothing.
    await page.click("[data-action=start-session]")
    await expect(page.locator("#session-title")).to_contain_text("Session 1")
    await maya.drag(red, "removed")
    await same_board_everywhere(server, fid, maya)
    status, _ = await asyncio.to_thread(
        server.request,
        "POST",
        f"/api/forums/{fid}/decisions",
        {"text": "Platform builds a test environment", "cards": [env]},
    )
    assert status == 201
    for _ in range(2):
        await page.click("[data-action=end-session]")
        await page.click("#end-dialog button[type=submit]")
        await expect(page.locator("#session-title")).to_have_text("No session running")
        if _ == 0:
            await page.click("[data-action=start-session]")
            await expect(page.locator("#session-title")).to_contain_text("Session 2")

    # From the board to its metrics (the last 30 days: five weekly bars each).
    await page.click("nav.topnav a:text-is('Metrics')")
    await page.wait_for_url(f"**/forums/{fid}/metrics")
    await expect(page.locator("h1")).to_contain_text("Metrics of E2E forum")
    await expect(page.locator("[data-metric=open]")).to_have_text("1")
    await expect(page.locator("[data-metric=removed]")).to_have_text("1")
    await expect(page.locator("[data-metric=flags]")).to_have_text("1")
    await expect(page.locator("svg#chart-weekly rect.bar.series-raised")).to_have_count(5)
    await page.click(".period-picker a:text-is('Last 7 days')")
    await page.wait_for_url("**/metrics?days=7")
    await expect(page.locator(".period-picker a[aria-current=true]")).to_have_text("Last 7 days")

    # The last 7 days, one week: an SVG with bars, and its table beside it with the same totals.
    weekly = page.locator("svg#chart-weekly")
    await expect(weekly).to_be_visible()
    box = await weekly.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    await expect(weekly.locator("rect.bar.series-raised")).to_have_count(1)
    await expect(weekly.locator("rect.bar.series-removed")).to_have_count(1)
    await expect(weekly.locator("text.value")).to_have_text(["2", "1"])
    await expect(page.locator("#table-weekly [data-total=raised]")).to_have_text("2")
    await expect(page.locator("#table-weekly [data-total=removed]")).to_have_text("1")
    # The bars are drawn: the raised one is twice the removed one.
    raised = await weekly.locator("rect.bar.series-raised").bounding_box()
    removed = await weekly.locator("rect.bar.series-removed").bounding_box()
    assert raised and removed and raised["height"] == pytest.approx(2 * removed["height"], 0.05)

    # The age chart and the oldest open impediment, titled with the card's text as text.
    await expect(page.locator("svg#chart-ages rect.bar")).to_have_count(6)
    await expect(page.locator("svg#chart-oldest text.bar-label")).to_have_text([XSS])
    await expect(page.locator("#table-open th a")).to_have_text([XSS])
    assert await page.evaluate("typeof window.__pwned") == "undefined"
    # Nothing injected: no image, no script but the site's own (times.js, by src).
    await expect(
        page.locator("main img, main script, script:not([src^='/static/js/'])")
    ).to_have_count(0)

    # Decision latency and the guardrail flag of session 2.
    await expect(page.locator("#table-latency tbody tr")).to_have_count(1)
    flagged = page.locator(f"#guardrails li.flagged[data-session='{fid}-2']")
    await expect(flagged.locator("[data-rule=status_meeting]")).to_contain_text(
        "no decisions and no next steps"
    )
    await flagged.locator(f"a[href='/sessions/{fid}-2']").click()
    await page.wait_for_url(f"**/sessions/{fid}-2")
    await page.go_back()
    await page.wait_for_url("**/metrics?days=7")

    # A range of dates from the picker's form.
    today = dt.date.today().isoformat()
    await page.fill("#range-from", today)
    await page.fill("#range-to", today)
    await page.click(".range-form button[type=submit]")
    await page.wait_for_url(f"**/metrics?from={today}&to={today}")
    await expect(page.locator("[data-metric=open]")).to_have_text("1")
    await expect(page.locator("svg#chart-weekly rect.bar")).to_have_count(2)
