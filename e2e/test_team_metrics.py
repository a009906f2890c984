"""Team metrics in the browser (SPEC R71): a team's representative opens "Team metrics"
from the Scrum of Scrums board, is told what is missing, records the team's sprint and
sees it charted on the metrics page beside the demo's earlier sprints (SPEC R69: the
sprint it belongs to), with no page error or CSP violation."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.support import ServerProcess

from .support import PageErrors, Person

pytestmark = pytest.mark.e2e


async def test_a_representative_records_a_sprint_and_sees_it_charted(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    rep = await Person.open(
        browser, demo, "sos-commerce", "Tom (Mobile)", page_errors, "participant"
    )
    page = rep.page
    try:
        await expect(page.locator(".team-metrics-panel .sprint-now")).to_have_text("Sprint 6")
        await page.click("#team-metrics-link")
        await page.wait_for_url("**/forums/sos-commerce/team-metrics")
        await expect(page.locator("#current-sprint")).to_have_text("Sprint 6")
        await page.select_option("#tm-team", "mobile")
        await expect(page.locator("#tm-sprint")).to_have_value("6")
        await page.fill("#tm-productivity", "27")
        await page.fill("#tm-productivity-unit", "story points")
        await page.fill("#tm-quality", "1")
        await page.fill("#tm-quality-unit", "escaped defects")
        # No happiness yet: refused (422, which the browser logs), kept, said why.
        page_errors.allow(r"status of 422 \(Unprocessable Entity\) at http://[^ ]+/team-metrics:")
        await page.click("#tm-save")
        await expect(page.locator("#form-error")).to_contain_text("Team happiness is required")
        await expect(page.locator("#happiness-error")).to_be_visible()
        await expect(page.locator("#tm-productivity")).to_have_value("27")
        await page.check("input[name=happiness][value='4']")
        await page.click("#tm-save")
        await expect(page.locator("#recorded")).to_contain_text("Recorded")
        row = page.locator("#table-recorded tr[data-team=mobile][data-sprint='6']")
        await expect(row.locator("[data-measure=happiness]")).to_have_text("4")

        # Charted with the earlier sprints on the metrics page.
        await page.click("nav.topnav a:text-is('Charts')")
        await page.wait_for_url("**/metrics#team-metrics")
        chart = page.locator("svg#chart-team-happiness")
        await expect(chart).to_be_visible()
        bar = chart.locator("rect.bar", has=page.locator("title", has_text="Mobile, Sprint 6: 4"))
        await expect(bar).to_have_count(1)
        box = await bar.bounding_box()
        earlier = chart.locator(
            "rect.bar", has=page.locator("title", has_text="Mobile, Sprint 1: 2")
        )
        low = await earlier.bounding_box()
        assert box and low and box["height"] == pytest.approx(2 * low["height"], 0.05)
        cell = page.locator("#table-team-productivity tr[data-sprint='6'] td[data-team=mobile]")
        await expect(cell).to_have_text("27")
        await expect(
            page.locator("#table-team-productivity tr[data-sprint='1'] td[data-team=mobile]")
        ).to_have_text("15")
    finally:
        await rep.context.close()
