"""In the browser: the facilitator uploads a Jira CSV, sees the mapping and the preview,
changes the mapping and the column, imports; a participant's board, open in another browser, shows
the cards arrive live, each with its key linking back to Jira (SPEC R65)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, PageErrors, same_board_everywhere

pytestmark = pytest.mark.e2e

DATA = Path(__file__).parent.parent / "tests" / "data"


async def test_upload_preview_import_and_a_second_browser_sees_the_cards(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    maya = await join("Maya")  # facilitator
    li = await join("Li", role="participant")
    page = maya.page
    await page.locator(".forum-more summary").click()  # the facilitator's "More" menu
    await page.get_by_role("link", name="Import cards").click()
    await page.wait_for_url(f"**/forums/{forum['id']}/import")
    await page.set_input_files("#import-file", str(DATA / "jira.csv"))
    await page.fill("#import-site", "https://acme.atlassian.net")
    await page.get_by_role("button", name="Preview", exact=True).click()

    await expect(page.locator("#mapping-title")).to_have_text("Jira export: 3 items")
    await expect(page.locator("#map-title")).to_have_value("Summary")
    await expect(page.locator("#map-status")).to_have_value("Status")
    rows = page.locator("#preview tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(2)).to_contain_text("Being removed")  # status → that column
    assert await asyncio.to_thread(server.board, forum["id"]) is not None
    assert not (await asyncio.to_thread(server.board, forum["id"]))["cards"]  # nothing yet

    await page.select_option("#map-status", "")  # (none): every card to the chosen column
    await page.select_option("#map-column", "needs-eat")
    await page.get_by_role("button", name="Update preview").click()
    await expect(page.locator("#map-status")).to_have_value("")
    await expect(page.locator("#map-column")).to_have_value("needs-eat")
    await expect(rows.nth(2)).to_contain_text("Needs EAT")
    await page.get_by_role("button", name="Import 3 cards").click()
    await page.wait_for_url(f"**/forums/{forum['id']}")

    cards = li.page.locator("[data-column=needs-eat] .card")  # the participant, not reloaded
    await expect(cards).to_have_count(3)
    link = li.page.locator(".card .link-source a", has_text="PAY-101")
    await expect(link).to_have_attribute("href", "https://acme.atlassian.net/browse/PAY-101")
    await expect(li.page.locator(".card", has_text="PAY-103")).to_contain_text(
        'Fraud rules change may break refunds, says "Risk"'
    )
    await maya.wait_live()
    await same_board_everywhere(server, forum["id"], maya, li)


async def test_a_malformed_file_shows_its_line_and_imports_nothing(
    server: ServerProcess, forum: dict[str, Any], join: Join, page_errors: PageErrors
) -> None:
    # A file that cannot be read is answered 400 (with the page saying why): the
    # browser logs the status of the document it loaded.
    page_errors.allow(r"status of 400 \(Bad Request\) at .*/import")
    maya = await join("Maya")
    page = maya.page
    await page.goto(f"/forums/{forum['id']}/import")
    await page.set_input_files("#import-file", str(DATA / "malformed_rows.csv"))
    await page.get_by_role("button", name="Preview", exact=True).click()
    errors = page.locator("#row-errors li")
    await expect(errors).to_have_count(3)
    await expect(errors.nth(0)).to_contain_text("Line 3")
    await expect(page.get_by_role("button", name="Import 1 card")).to_be_disabled()
    await page.set_input_files("#import-file", str(DATA / "malformed_quote.csv"))
    await page.get_by_role("button", name="Preview", exact=True).click()
    await expect(page.locator("#import-error")).to_contain_text("Line 3")
    await expect(page.locator("#import-error")).to_contain_text("Nothing was imported")
    assert not (await asyncio.to_thread(server.board, forum["id"]))["cards"]
