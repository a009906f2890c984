"""Text people type is shown as text: on page load, in live updates, everywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.support import ServerProcess

from .support import Join, Person, add_card, same_board_everywhere

pytestmark = pytest.mark.e2e

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
SVG = '<svg onload="window.__pwned=1"></svg><b>bold</b>'
NAME = "<img src=y onerror=window.__pwned=1>"


async def assert_not_injected(page: Page) -> None:
    # The forum page has no images or SVG of its own and two scripts: times.js (every
    # page) and forum.js.
    assert await page.evaluate("typeof window.__pwned") == "undefined"
    await expect(page.locator("body img, body svg, body b")).to_have_count(0)
    await expect(page.locator("script")).to_have_count(2)
    await expect(page.locator("script:not([src^='/static/js/'])")).to_have_count(0)
    await expect(page.locator("[onerror], [onload]")).to_have_count(0)


async def test_markup_in_titles_and_names_is_shown_as_text(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    # On the board before anyone opens it: the page-load path.
    first = await add_card(server, fid, "new", IMG, body=SCRIPT, owner="<i>Mallory</i>")
    maya = await join("Maya Chen")
    mal = await join(NAME)  # a display name is user text too

    async def check(person: Person) -> None:
        page = person.page
        card = person.card(first)
        await expect(card.locator(".card-title")).to_have_text(IMG)
        await expect(card.locator(".card-body")).to_have_text(SCRIPT)
        await expect(card.locator(".owner")).to_have_text("Owner <i>Mallory</i>")
        await expect(page.locator("#presence-list .chip .sr-only")).to_contain_text([NAME])
        await assert_not_injected(page)

    for person in (maya, mal):
        await check(person)
    await expect(mal.page.locator(".whoami strong")).to_have_text(NAME)

    # Live: a card added through the dialog, seen by the other page.
    await mal.page.click("#col-removing [data-action=add-card]")
    await mal.page.fill("#card-title", SCRIPT)
    await mal.page.fill("#card-body", IMG)
    await mal.page.click("#card-dialog button[type=submit]")
    added = maya.page.locator("#col-removing li.card")
    await expect(added).to_have_count(1)
    second = await added.get_attribute("data-card")
    assert second

    # Live: an edit, and a session whose decision quotes a card and whose
    # participants include the odd name.
    await maya.card_action(first, "edit")
    await expect(maya.page.locator("#card-title")).to_have_value(IMG)  # round-trips as text
    await maya.page.fill("#card-title", SVG)
    await maya.page.click("#card-dialog button[type=submit]")
    await mal.page.click("[data-action=start-session]")
    await expect(maya.page.locator("#session-status .participants")).to_contain_text(NAME)
    await maya.page.click("[data-action=record-decision]")
    await expect(maya.page.locator("#decision-cards .pick-title")).to_have_text([SVG, SCRIPT])
    await maya.page.fill("#decision-text", IMG)
    await maya.page.check(f"#decision-cards input[value='{first}']")
    await maya.page.click("#decision-dialog button[type=submit]")
    await mal.page.click("[data-action=add-next-step]")
    await mal.page.fill("#step-text", SCRIPT)
    await mal.page.fill("#step-owner", "<b>Bob</b>")
    await mal.page.click("#step-dialog button[type=submit]")

    async def check_live(person: Person) -> None:
        page = person.page
        await expect(person.card(first).locator(".card-title")).to_have_text(SVG)
        await expect(person.card(second).locator(".card-title")).to_have_text(SCRIPT)
        await expect(person.card(second).locator(".card-body")).to_have_text(IMG)
        await expect(page.locator("#decision-list .decision-text")).to_have_text([IMG])
        await expect(page.locator("#decision-list .card-ref")).to_have_text([SVG])
        await expect(page.locator("#steps-current .step-text")).to_have_text([SCRIPT])
        await expect(page.locator("#steps-current .owner")).to_have_text(["Owner: <b>Bob</b>"])
        await assert_not_injected(page)

    for person in (maya, mal):
        await check_live(person)
    await same_board_everywhere(server, fid, maya, mal)

    # And all of it again from a fresh page load.
    for person in (maya, mal):
        await person.page.reload()
        await person.wait_live()
        await check_live(person)
        await expect(person.page.locator("#session-status .participants")).to_contain_text(NAME)


async def assert_shown_as_text(page: Page, *texts: str) -> None:
    """Nothing ran and no element came from user text; each text is visible as text."""
    assert await page.evaluate("typeof window.__pwned") == "undefined"
    await expect(page.locator("[onerror], [onload]")).to_have_count(0)
    await expect(page.locator("script:not([src])")).to_have_count(0)
    for text in texts:
        assert await page.get_by_text(text, exact=False).count() >= 1, (page.url, text)


async def test_markup_stays_text_on_review_pages(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    """The session, replay, changes, history and metrics pages of a session full of
    markup, in a real browser: nothing runs."""
    fid = forum["id"]
    base = f"/api/forums/{fid}"

    def call(method: str, path: str, body: Any = None) -> Any:
        status, data = server.request(method, path, body)
        assert status in (200, 201), (path, status, data)
        return data

    first = await add_card(server, fid, "new", IMG, body=SCRIPT, owner="<i>Mallory</i>")
    session = call("POST", f"{base}/sessions")
    second = await add_card(server, fid, "new", SVG)
    call("POST", f"{base}/cards/{first}/move", {"column": "removing", "index": 0})
    call("POST", f"{base}/decisions", {"text": SCRIPT, "cards": [first, second]})
    call("POST", f"{base}/next-steps", {"text": IMG, "owner": "<b>Bob</b>"})
    call("POST", f"{base}/sessions/current/end")

    maya = await join("Maya Chen")
    page = maya.page
    sid = session["id"]
    for path, texts in (
        (f"/sessions/{sid}", (IMG, SCRIPT)),
        (f"/sessions/{sid}/replay", (IMG,)),
        (f"/sessions/{sid}/replay?step=1", ()),
        (f"/sessions/{sid}/changes", (IMG,)),
        (f"/forums/{fid}/sessions", ()),
        ("/sessions", ()),
        (f"/forums/{fid}/decisions", (SCRIPT,)),
        (f"/decisions?q={SCRIPT[:8]}", (SCRIPT,)),
        (f"/forums/{fid}/next-steps", (IMG,)),
        ("/next-steps", (IMG,)),
        (f"/forums/{fid}/metrics", ()),
    ):
        await page.goto(path)
        await assert_shown_as_text(page, *texts)
    # The replay stepped live (fragments fetched by replay.js) stays text too.
    await page.goto(f"/sessions/{sid}/replay")
    slider = page.locator("input[type=range]")
    await slider.focus()
    await page.keyboard.press("Home")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    await expect(page).to_have_url(re.compile(r"step=2$"))
    await assert_shown_as_text(page)
