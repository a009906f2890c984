"""The projector in the browser: opened with the viewer link (no name, no clicks after
opening), it follows a move made in a participant's browser and marks the card for a
moment; after a server restart it reconnects by itself and keeps following."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import ServerProcess

from .support import READ_COLUMNS, Join, PageErrors, add_card, server_columns

pytestmark = pytest.mark.e2e

OpenProjector = Callable[..., Awaitable[Page]]
MOVED = re.compile(r"\bmoved\b")  # the class that marks what just changed


@pytest.fixture
async def open_projector(
    browser: Browser, server: ServerProcess, page_errors: PageErrors
) -> AsyncIterator[OpenProjector]:
    """``await open_projector(forum_id)``: a wall screen's browser opening the viewer link."""
    contexts = []

    async def open_(forum_id: str, query: str = "") -> Page:
        context = await browser.new_context(
            base_url=server.url, viewport={"width": 1920, "height": 1080}
        )
        contexts.append(context)
        page = await context.new_page()
        page.on("console", lambda msg: page_errors.on_console("projector", msg))
        page.on("pageerror", lambda err: page_errors.on_page_error("projector", err))
        token = (await asyncio.to_thread(server.links, forum_id))["viewer"]
        sep = "&" if query else "?"
        await page.goto(f"/forums/{forum_id}/projector{query}{sep}token={token}")
        await page.wait_for_url(f"**/forums/{forum_id}/projector{query}")  # the token is gone
        await page.wait_for_selector("#conn[data-state=live]")
        return page

    yield open_
    for context in contexts:
        await context.close()


async def wait_board(page: Page, expected: list[list[Any]], timeout: float = 10_000) -> None:
    check = f"(expected) => JSON.stringify(({READ_COLUMNS})()) === JSON.stringify(expected)"
    await page.wait_for_function(check, arg=expected, timeout=timeout)


async def test_the_projector_follows_a_move_and_marks_it(
    server: ServerProcess, forum: dict[str, Any], join: Join, open_projector: OpenProjector
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    login = await add_card(server, fid, "new", "Flaky login")
    wall = await open_projector(fid)
    maya = await join("Maya Chen", role="participant")

    # Everything fits on the screen: the columns side by side, nothing to scroll.
    sizes = await wall.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " innerWidth, innerHeight]"
    )
    assert sizes[0] <= sizes[2] and sizes[1] <= sizes[3], sizes
    tops = await wall.evaluate(
        "() => Array.from(document.querySelectorAll('#columns > .column'),"
        " (c) => Math.round(c.getBoundingClientRect().top))"
    )
    assert len(tops) == 4 and len(set(tops)) == 1, tops
    assert await wall.locator("svg.qr path.qr-dark").count() == 1
    assert await wall.locator("button, [data-action], .card[tabindex]").count() == 0

    await maya.drag(red, "removing")
    await maya.settled()
    moved = wall.locator(f"#col-removing #card-{red}")
    await expect(moved).to_have_class(MOVED)
    await expect(moved.locator(".moved-by")).to_have_text("MC")  # who moved it (issue 13)
    await expect(wall.locator("#col-removing [data-count]")).to_have_text("1")
    await expect(wall.locator("#col-new [data-count]")).to_have_text("1")
    await wait_board(wall, await server_columns(server, fid))
    assert "moved" not in (await wall.locator(f"#card-{login}").get_attribute("class") or "")
    # The mark stays a few seconds (5 s), then goes.
    await asyncio.sleep(3.5)
    await expect(moved).to_have_class(MOVED)
    await expect(moved).not_to_have_class(MOVED, timeout=6_000)
    await expect(moved.locator(".moved-by")).to_have_count(0)

    # A card added elsewhere appears, read-only and marked, with its text escaped.
    evil = await add_card(server, fid, "new", "<img src=x onerror=alert(1)>")
    added = wall.locator(f"#col-new #card-{evil}")
    await expect(added).to_contain_text("<img src=x onerror=alert(1)>")
    await expect(added).to_have_class(MOVED)
    assert await added.locator("img, button").count() == 0


async def test_the_projector_reconnects_after_a_restart(
    server: ServerProcess,
    forum: dict[str, Any],
    join: Join,
    open_projector: OpenProjector,
    page_errors: PageErrors,
) -> None:
    page_errors.allow(r"WebSocket connection to 'ws://[^']+/live\?view=projector' failed")
    page_errors.allow(r"WebSocket connection to 'ws://[^']+/live' failed")
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    wall = await open_projector(fid, "?theme=dark")
    maya = await join("Maya Chen", role="participant")

    await asyncio.to_thread(server.kill)
    await wall.wait_for_selector("#conn[data-state=reconnecting]")
    await asyncio.to_thread(server.start)
    await wall.wait_for_selector("#conn[data-state=live]", timeout=20_000)
    await maya.wait_live(timeout=20_000)

    await maya.drag(red, "needs-eat")
    await maya.settled()
    await expect(wall.locator(f"#col-needs-eat #card-{red}")).to_have_class(MOVED)
    await wait_board(wall, await server_columns(server, fid))
    assert await wall.evaluate("() => document.body.className") == "projector theme-dark kind-sos"


async def test_the_projector_shows_a_column_going_over_its_wip_limit_live(
    server: ServerProcess, forum: dict[str, Any], open_projector: OpenProjector
) -> None:
    fid = forum["id"]
    status, out = await asyncio.to_thread(
        server.request, "POST", f"/api/forums/{fid}/ops",
        {"op": {"type": "set_wip_limit", "column": "new", "limit": 1}},
    )  # fmt: skip
    assert status in (200, 201), out
    wall = await open_projector(fid)
    column = wall.locator("#col-new")
    over = column.locator("[data-wip-over]")
    await expect(column.locator("[data-wip]")).to_contain_text("/ 1")
    await expect(over).to_be_hidden()
    await add_card(server, fid, "new", "First")
    await add_card(server, fid, "new", "Second")  # 2 of 1: over, shown without a reload
    await expect(over).to_be_visible()
    await expect(over).to_have_text("Over WIP limit")
    await expect(column).to_have_class(re.compile(r"\bover-wip\b"))
