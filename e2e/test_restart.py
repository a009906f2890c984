"""The server goes away (Ctrl-C or kill -9) and comes back on the same database:
open pages reconnect by themselves, nothing acked is lost, and a move made while
the server was down is sent when it is back (SPEC R8, R10, R13)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support import ServerProcess

from .support import Join, PageErrors, add_card, same_board_everywhere, server_columns

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_the_board_survives_a_restart_and_open_pages_reconnect(
    server: ServerProcess, forum: dict[str, Any], join: Join, page_errors: PageErrors, how: str
) -> None:
    # While the server is down the browser itself logs each failed reconnection.
    page_errors.allow(r"WebSocket connection to 'ws://[^']+/live' failed")
    fid = forum["id"]
    red = await add_card(server, fid, "new", "Build is red")
    login = await add_card(server, fid, "new", "Flaky login")
    env = await add_card(server, fid, "new", "No test environment")
    maya = await join("Maya Chen")
    leo = await join("Leo Martin")

    # The last move before the restart, acked (so on disk: R8).
    await maya.drag(red, "removing")
    await maya.settled()
    before = await same_board_everywhere(server, fid, maya, leo)

    await asyncio.to_thread(server.stop if how == "stop" else server.kill)
    for person in (maya, leo):
        await person.page.wait_for_selector("#conn[data-state=reconnecting]")

    # Leo moves a card while the server is down: shown at once, kept pending.
    card = leo.card(login)
    await card.focus()
    for key in ("Space", "ArrowRight", "ArrowRight", "Space"):
        await leo.page.keyboard.press(key)
    await leo.page.wait_for_selector(f"#col-needs-eat #card-{login}")
    assert await leo.page.evaluate("window.scaleboard.live.pending.size") == 1

    await asyncio.to_thread(server.start)
    after_restart = await server_columns(server, fid)
    # Leo's page may reconnect and send its pending move before we look: either way,
    # the acked move is there and nothing else changed.
    with_leos_move = [
        [col, [c for c in ids if c != login] + ([login] if col == "needs-eat" else [])]
        for col, ids in before
    ]
    assert after_restart in (before, with_leos_move), "the acked move was lost"
    assert red in dict(after_restart)["removing"]

    # Both pages come back by themselves; Leo's pending move is sent and seen.
    for person in (maya, leo):
        await person.wait_live(timeout=20_000)
    expected = [
        ["new", [env]],
        ["removing", [red]],
        ["needs-eat", [login]],
        ["removed", []],
    ]
    assert await same_board_everywhere(server, fid, maya, leo) == expected
    assert len(leo.sent_ops("move_card")) == 1  # sent once, after the welcome

    # Moves after the restart reach the other open page.
    await maya.drag(env, "removed")
    expected[0][1] = []
    expected[3][1] = [env]
    await leo.wait_columns(expected)
    assert await same_board_everywhere(server, fid, maya, leo) == expected

    # A reload, and a newcomer, find the same board.
    await leo.page.reload()
    await leo.wait_live()
    priya = await join("Priya Nair")
    assert await same_board_everywhere(server, fid, maya, leo, priya) == expected
