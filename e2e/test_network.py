"""The network page and dependencies in the browser: a count on the network page goes
up when an impediment is added in another tab, without a reload; a dependency's marker
and the Dependencies list appear live on another person's board and go when it no
longer connects the card — with no page error or CSP violation. SPEC R32-R34."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.support import ServerProcess

from .axe import axe_source, report, serious, violations
from .support import Join, PageErrors, add_card, enter_as_admin

pytestmark = pytest.mark.e2e


async def test_network_count_goes_up_live_without_a_reload(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    maya = await join("Maya Chen")
    network = await maya.context.new_page()  # a second tab, same person
    await network.goto("/network")
    box = network.locator(f"#net-forum-{fid}")
    await expect(box).to_have_attribute("data-count", "0")
    await expect(network.locator(f"#network-table tr[data-forum='{fid}'] td.num")).to_have_text("0")
    await network.evaluate("window.__notReloaded = true")

    page = maya.page  # the forum's tab: add an impediment with the dialog
    await page.locator("#col-new [data-action=add-card]").click()
    await page.fill("#card-title", "Build server is down")
    await page.click("#card-form button[type=submit]")
    await expect(page.locator("#col-new .card-title")).to_have_text(["Build server is down"])

    await expect(box).to_have_attribute("data-count", "1", timeout=15_000)
    await expect(box).to_contain_text("1 open impediment")
    await expect(network.locator(f"#network-table tr[data-forum='{fid}'] td.num")).to_have_text("1")
    assert await network.evaluate("window.__notReloaded === true")
    await network.close()


async def test_dependency_marker_and_list_appear_live(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    side_a = await add_card(server, fid, "new", "Checkout: new cart API")
    side_b = await add_card(server, fid, "removing", "Payments: intent endpoint")
    dep = await add_card(server, fid, "new", "Cart API waits for intents", kind="dependency")
    maya = await join("Maya Chen")
    tom = await join("Tom Reyes", role="participant")
    await expect(tom.page.locator("#dependencies")).to_contain_text("Cart API waits for intents")
    await expect(tom.card(side_a).locator(".dep-marker")).to_have_count(0)

    page = maya.page
    await maya.card_action(dep, "edit")
    await expect(page.locator(".connects-field")).to_be_visible()
    await page.select_option("#card-connects-1", side_a)
    await page.select_option("#card-connects-2", side_b)
    await page.click("#card-form button[type=submit]")
    await expect(page.locator("#card-dialog")).to_be_hidden()

    for side in (side_a, side_b):
        marker = tom.card(side).locator(".dep-marker")
        await expect(marker).to_have_count(1)
        await expect(marker).to_contain_text("Dependency:")
        await expect(marker).to_have_attribute("href", f"#card-{dep}")
    item = tom.page.locator(f"#dependency-{dep}")
    await expect(item).to_contain_text("Checkout: new cart API")
    await expect(item).to_contain_text("Payments: intent endpoint")
    await expect(item).to_contain_text("open 0 days")
    await expect(tom.card(dep).locator(".dep-connects")).to_contain_text("Checkout: new cart API")

    # connect only one side: the other card loses its marker, live, without a re-render
    await maya.card_action(dep, "edit")
    await page.select_option("#card-connects-2", "")
    await page.click("#card-form button[type=submit]")
    await expect(tom.card(side_b).locator(".dep-marker")).to_have_count(0)
    await expect(tom.card(side_a).locator(".dep-marker")).to_have_count(1)
    await expect(item).not_to_contain_text("Payments: intent endpoint")


async def test_network_page_has_no_serious_accessibility_violations(
    browser: Browser, tmp_path: Path, page_errors: PageErrors
) -> None:
    demo = ServerProcess(tmp_path / "demo.db", demo=True)
    await asyncio.to_thread(demo.start)
    # Only this context (the test's own injected axe) bypasses the pages' CSP.
    ctx = await browser.new_context(
        base_url=demo.url, viewport={"width": 1440, "height": 900}, bypass_csp=True
    )
    try:
        page = await ctx.new_page()
        page.on("console", lambda msg: page_errors.on_console("axe", msg))
        page.on("pageerror", lambda err: page_errors.on_page_error("axe", err))
        await enter_as_admin(page, demo)
        problems = []
        for path in ("/network", "/admin"):
            response = await page.goto(path)
            assert response is not None and response.status == 200
            found = serious(await violations(page, axe_source()))
            if found:
                problems.append(report(path, found))
        assert not problems, "\n".join(problems)
        await page.goto("/network")
        await expect(page.locator("#net-forum-sos-commerce")).to_contain_text("3 open impediments")
        await expect(page.locator("#net-team-checkout")).to_contain_text("Checkout")
    finally:
        await ctx.close()
        await asyncio.to_thread(demo.stop)
