"""The admin's page and the name prompt (issue 13): forums in the order of the network,
a Copy button per link, Rotate quiet and confirmed, the served teams' boxes beside their
names; the name prompt says which forum and which role."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, Dialog, expect

from tests.support import ServerProcess

from .support import PageErrors, enter_as_admin

pytestmark = pytest.mark.e2e

# The demo's three Scrums of Scrums (two and their parent, SPEC R72) come first.
NETWORK_ORDER = ["sos", "sos", "sos", "eat", "metascrum", "ems", "retro", "backlog"]


async def test_the_admin_page_in_network_order_with_copy_and_a_confirmed_rotate(
    browser: Browser, demo: ServerProcess, page_errors: PageErrors
) -> None:
    context = await browser.new_context(base_url=demo.url)
    await context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    page.on("pageerror", lambda err: page_errors.on_page_error("admin", err))
    await enter_as_admin(page, demo)

    kinds = await page.locator(".admin-forum h2 .kind-badge").evaluate_all(
        "(els) => els.map((e) => Array.from(e.classList)"
        ".find((c) => c.startsWith('kind-') && c !== 'kind-badge'))"
    )
    assert [k.removeprefix("kind-") for k in kinds] == NETWORK_ORDER

    # Copy: the link is on the clipboard.
    row = page.locator("#forum-sos-commerce .link-row[data-role=participant]")
    url = await row.locator(".link-url").input_value()
    await row.get_by_role("button", name="Copy the participant link of").click()
    await expect(row.locator(".copy-link")).to_contain_text("Copied")
    assert await page.evaluate("() => navigator.clipboard.readText()") == url

    # Rotate is not a red button, and asks first: "no" keeps the link.
    rotate = row.get_by_role("button", name="Rotate the participant link of")
    colour = await rotate.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert colour in ("rgba(0, 0, 0, 0)", "transparent"), colour
    asked: list[str] = []

    async def answer(accept: bool, dialog: Dialog) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", lambda d: asyncio.ensure_future(answer(False, d)))
    await rotate.click()
    await page.wait_for_timeout(300)
    assert asked and "cut off" in asked[0], asked
    assert await row.locator(".link-url").input_value() == url
    page.once("dialog", lambda d: asyncio.ensure_future(answer(True, d)))
    await rotate.click()
    await page.wait_for_load_state("load")
    row = page.locator("#forum-sos-commerce .link-row[data-role=participant]")
    await expect(row.locator(".link-url")).not_to_have_value(url)

    # The teams an SoS serves: each box on the line of its name, before it.
    for label in await page.locator("#forum-sos-commerce .serves-team").all():
        box = await label.locator("input").bounding_box()
        whole = await label.bounding_box()
        assert box and whole
        assert box["height"] >= whole["height"] * 0.4, (box, whole)  # one line, not stacked
        assert box["width"] < 40, box
    await context.close()


async def test_the_name_prompt_names_the_forum_and_the_role(
    browser: Browser, demo: ServerProcess
) -> None:
    context = await browser.new_context(base_url=demo.url)
    page = await context.new_page()
    token = (await asyncio.to_thread(demo.links, "eat"))["participant"]
    await page.goto(f"/forums/eat?token={token}")
    await page.wait_for_url("**/name?next=/forums/eat")
    await expect(page.locator(".name-for")).to_have_text(
        "You are joining Executive Action Team as participant."
    )
    # Somewhere the person holds no link: the prompt names nothing it may not see.
    response = await page.goto("/name?next=/forums/ems")
    assert response and response.status == 200
    await expect(page.locator("#name-input")).to_be_visible()
    await expect(page.locator(".name-for")).to_have_count(0)
    await context.close()
