"""Replay in the browser: play a session, end it, open its replay and move the slider
back (keys, fill, a mouse drag, the buttons and the step list): the board shows the
earlier state and the caption names the step, with no page error."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.support import ServerProcess

from .support import READ_COLUMNS, Join, add_card, same_board_everywhere

pytestmark = pytest.mark.e2e


def where(columns: list[list[Any]], card_id: str) -> str | None:
    for column, ids in columns:
        if card_id in ids:
            return str(column)
    return None


async def wait_card_in(page: Page, card_id: str, column: str) -> None:
    """Wait until the replayed board shows ``card_id`` in ``column``."""
    await expect(page.locator(f"#col-{column} ol.cards > #card-{card_id}")).to_have_count(1)


async def test_replay_moves_the_board_back_through_the_session(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    login = await add_card(server, fid, "new", "Flaky login")
    maya = await join("Maya Chen")
    page = maya.page

    # Play: start, two moves by mouse, one through the API, end.
    await page.click("[data-action=start-session]")
    await expect(page.locator("#session-title")).to_contain_text("Session 1")
    await maya.drag(red, "removing")
    await same_board_everywhere(server, fid, maya)
    await maya.drag(red, "removed")
    await same_board_everywhere(server, fid, maya)
    status, _ = await asyncio.to_thread(
        server.request,
        "POST",
        f"/api/forums/{fid}/cards/{login}/move",
        {"column": "needs-eat", "index": 0},
    )
    assert status == 201
    await same_board_everywhere(server, fid, maya)
    await page.click("[data-action=end-session]")
    await page.click("#end-dialog button[type=submit]")
    await expect(page.locator("#session-title")).to_have_text("No session running")
    at_end = await same_board_everywhere(server, fid, maya)

    # The steps, as the API tells them.
    status, timeline = await asyncio.to_thread(
        server.request, "GET", f"/api/sessions/{fid}-1/timeline"
    )
    assert status == 200
    summaries = [s["summary"] for s in timeline["steps"]]
    n = len(summaries)
    first_move = summaries.index("Maya Chen moved “Build is red” from New to Being removed") + 1
    second_move = (
        summaries.index("Maya Chen moved “Build is red” from Being removed to Removed") + 1
    )
    api_move = summaries.index("API (admin) moved “Flaky login” from New to Needs EAT") + 1
    assert summaries[-1] == "Maya Chen ended session 1" and first_move < second_move < api_move

    # Open the replay from the session page: it shows the last step.
    await page.goto(f"/sessions/{fid}-1")
    await page.click("nav.session-links a:text-is('Replay')")
    await page.wait_for_url(f"**/sessions/{fid}-1/replay")
    caption = page.locator("#replay-caption")
    slider = page.locator("#replay-slider")
    await expect(caption).to_contain_text(f"Step {n} of {n}: Maya Chen ended session 1")
    assert await page.evaluate(READ_COLUMNS) == at_end
    await expect(page.get_by_label(re.compile(r"^Step \d+ of"))).to_have_value(str(n))
    await expect(page.locator("#replay-controls button[type=submit]")).to_be_hidden()

    # Keyboard on the slider: back to the second move, then to the first.
    await slider.focus()
    for _ in range(n - second_move):
        await page.keyboard.press("ArrowLeft")
    await expect(caption).to_contain_text(
        f"Step {second_move} of {n}: Maya Chen moved “Build is red” from Being removed to Removed"
    )
    await page.keyboard.press("ArrowLeft")
    await expect(caption).to_contain_text(
        f"Step {first_move} of {n}: Maya Chen moved “Build is red” from New to Being removed"
    )
    await wait_card_in(page, red, "removing")
    await wait_card_in(page, login, "new")
    await expect(page.locator(f"#card-{red}")).to_have_class(re.compile(r"\bmark-touched\b"))
    await expect(page.locator(f"#card-{red} .card-mark")).to_have_text("◆ This step")
    await expect(page).to_have_url(re.compile(rf"/sessions/{fid}-1/replay\?step={first_move}$"))
    await expect(page.locator("#replay-status")).to_contain_text(f"Step {first_move} of {n}")
    await expect(page.locator("#replay-steps [aria-current=step]")).to_have_attribute(
        "data-step", str(first_move)
    )
    await expect(slider).to_have_attribute("aria-valuetext", re.compile(rf"^Step {first_move} "))

    # Home: the board before the session; End: the last step again.
    await page.keyboard.press("Home")
    await expect(caption).to_have_text(f"Step 0 of {n}: the board before the session started")
    await wait_card_in(page, red, "new")
    await page.keyboard.press("End")
    await expect(caption).to_contain_text(f"Step {n} of {n}")
    await wait_card_in(page, red, "removed")

    # `fill` sets the slider as a drag would: straight to the API's move.
    await slider.fill(str(api_move))
    await expect(caption).to_contain_text(
        f"Step {api_move} of {n}: API (admin) moved “Flaky login” from New to Needs EAT"
    )
    await wait_card_in(page, login, "needs-eat")

    # A mouse drag of the thumb to the far left: step 0.
    box = await slider.bounding_box()
    assert box
    y = box["y"] + box["height"] / 2
    thumb_x = box["x"] + box["width"] * api_move / n
    await page.mouse.move(thumb_x, y)
    await page.mouse.down()
    await page.mouse.move(box["x"] - 20, y, steps=8)
    await page.mouse.up()
    await expect(caption).to_contain_text(f"Step 0 of {n}")
    await wait_card_in(page, red, "new")
    await wait_card_in(page, login, "new")

    # The buttons and the step list.
    await page.click("[data-nav=next]")
    await expect(caption).to_contain_text(f"Step 1 of {n}: Maya Chen started session 1")
    await page.click(f"#replay-steps a[data-step='{second_move}']")
    await expect(caption).to_contain_text(f"Step {second_move} of {n}")
    await wait_card_in(page, red, "removed")
    await page.click("[data-nav=prev]")
    await expect(caption).to_contain_text(f"Step {first_move} of {n}")
    await page.click("[data-nav=last]")
    await expect(caption).to_contain_text(f"Step {n} of {n}")
    await expect(page.locator("[data-nav=next]")).to_have_attribute("aria-disabled", "true")

    # Keys with the page (not the slider) focused, fast: only the latest step shows.
    await page.locator("h1").click()
    for _ in range(n):
        await page.keyboard.press("ArrowLeft")
    await expect(caption).to_contain_text(f"Step 0 of {n}")
    assert where(await page.evaluate(READ_COLUMNS), red) == "new"

    # Reloading keeps the step (the URL has it); it works without script, too.
    await page.reload()
    await expect(caption).to_contain_text(f"Step 0 of {n}")
    await expect(slider).to_have_value("0")

    # What changed: both moved cards, marked and listed.
    await page.goto(f"/sessions/{fid}-1/changes")
    moved = page.locator("#changes-moved li")
    await expect(moved).to_have_count(2)
    await expect(page.locator(f"#card-{red} .card-mark")).to_have_text("→ Moved from New")
    await expect(page.locator(f"#card-{login}")).to_have_class(re.compile(r"\bmark-moved\b"))
