"""One Scaled Backlog in two browsers (SPEC R57, R58, R36): the demo MetaScrum re-orders
its ordered column with a trade-off note, and a browser on the demo Scaled Backlog
shows the new order without a reload (and the other way round)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.support import ServerProcess

from .support import Join, running, same_board_everywhere

pytestmark = pytest.mark.e2e

META = "metascrum-commerce"
BACKLOG = "backlog-commerce"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """The demo network: its MetaScrum and Scaled Backlog are one list."""
    async with running(tmp_path / "board.db", demo=True) as proc:
        yield proc


async def titles(server: ServerProcess, forum_id: str) -> list[str]:
    board = await asyncio.to_thread(server.board, forum_id)
    col = next(c for c in board["columns"] if c["id"] == "ordered")
    return [board["cards"][cid]["title"] for cid in col["card_ids"]]


async def test_a_metascrum_reorder_shows_on_the_scaled_backlog_page(
    server: ServerProcess, join: Join
) -> None:
    meta_titles = await titles(server, META)
    assert meta_titles == await titles(server, BACKLOG) and len(meta_titles) >= 4
    maya = await join("Maya Chen", META)
    leo = await join("Leo Martin", BACKLOG, role="viewer")
    shown = leo.page.locator("#col-ordered li.card .card-title")
    await expect(shown).to_have_text(meta_titles)
    await expect(leo.page.locator("#pair-note")).to_contain_text("MetaScrum — Commerce")

    await maya.page.click("[data-action=start-session]")
    await expect(maya.page.locator("#session-title .badge")).to_have_text("running")
    board = await asyncio.to_thread(server.board, META)
    ids = next(c for c in board["columns"] if c["id"] == "ordered")["card_ids"]
    await maya.drag(ids[2], "ordered", before=ids[0])  # the third item to the top
    dialog = maya.page.locator("#tradeoff-dialog")
    await expect(dialog).to_be_visible()
    await maya.page.fill("#tradeoff-note", "Typos first: they cost the most sales")
    await maya.page.click("#tradeoff-dialog button[type=submit]")
    await expect(dialog).to_be_hidden()

    wanted = [meta_titles[2], *meta_titles[:2], *meta_titles[3:]]
    await expect(shown).to_have_text(wanted)  # live, no reload
    await expect(maya.page.locator("#col-ordered li.card .card-title")).to_have_text(wanted)
    decision = maya.page.locator("#decision-list li.decision .decision-text")
    await expect(decision).to_have_text(
        f"Re-ordered {meta_titles[2]}: Typos first: they cost the most sales"
    )
    await same_board_everywhere(server, META, maya)
    await same_board_everywhere(server, BACKLOG, leo)
    assert await titles(server, BACKLOG) == wanted

    # The other way: a facilitator of the Scaled Backlog re-orders; the MetaScrum follows.
    ana = await join("Ana Souza", BACKLOG)
    there = await asyncio.to_thread(server.board, BACKLOG)
    order = next(c for c in there["columns"] if c["id"] == "ordered")["card_ids"]
    await ana.drag(order[1], "ordered", before=order[0])
    again = [wanted[1], wanted[0], *wanted[2:]]
    await expect(maya.page.locator("#col-ordered li.card .card-title")).to_have_text(again)
    await expect(shown).to_have_text(again)
