"""A first end-to-end check of the live path (more in test_live_*.py)."""

from __future__ import annotations

from typing import Any

from tests.support import LiveClient, ServerProcess


async def test_two_clients_see_the_same_move(server: ServerProcess, forum: dict[str, Any]) -> None:
    a = await LiveClient.connect(server.ws_url(forum["id"]))
    b = await LiveClient.connect(server.ws_url(forum["id"]))
    answer = await a.call({"type": "add_card", "column": "new", "title": "Build is red"})
    assert answer["type"] == "ack" and answer["seq"] == 1
    card = "c1"
    answer = await b.call({"type": "move_card", "card": card, "column": "removed", "index": 0})
    assert answer == {"type": "ack", "id": answer["id"], "seq": 2, "duplicate": False}
    await a.wait_seq(2)
    assert [i["seq"] for i in a.items()] == [1, 2]
    assert [i["seq"] for i in b.items()] == [1, 2]
    board = server.board(forum["id"])
    assert board["cards"][card]["column"] == "removed"
    await a.close()
    await b.close()
