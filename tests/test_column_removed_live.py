"""Removing a column with archived cards, live against a real server (SPEC R39): the
``column_removed`` event says where its archived cards went, so a client that applies
events holds the server's board before any of them is restored."""

from __future__ import annotations

from typing import Any

from tests.support import EventBoard, LiveClient, ServerProcess, ack, close_all, connect


async def test_a_removed_columns_archived_cards_move_home_on_every_client(
    server: ServerProcess, forum: dict[str, Any]
) -> None:
    a, b = await connect(server, forum, 2)
    start = server.board(forum["id"])
    seq = await ack(a, {"type": "add_card", "column": "removing", "title": "Old risk"})
    card = f"c{seq}"
    await ack(a, {"type": "archive_card", "card": card})
    seq = await ack(a, {"type": "remove_column", "column": "removing"})
    await b.wait_seq(seq)
    server_board = server.board(forum["id"])
    home = server_board["cards"][card]["column"]
    assert home == server_board["columns"][0]["id"] == "new"
    # SPEC R39: the event names the column the archived cards now belong to, and them.
    removed = [e for i in b.items() for e in i["events"] if e["type"] == "column_removed"]
    assert removed == [{"type": "column_removed", "column_id": "removing", "home": home,
                        "rehomed": [card]}]  # fmt: skip
    # SPEC R5: applying the events gives the server's board, archived cards included.
    copy = EventBoard(start).apply(b.items())
    assert copy.cards[card]["column"] == home and copy.cards[card]["archived"]
    assert copy.column_order() == {c["id"]: c["card_ids"] for c in server_board["columns"]}
    # A client that joins later agrees, and a restore puts the card where everyone has it.
    c = await LiveClient.connect(server.ws_url(forum["id"]))
    seq = await ack(c, {"type": "restore_card", "card": card})
    await b.wait_seq(seq)
    restored = [e for i in b.items() for e in i["events"] if e["type"] == "card_restored"]
    assert restored[-1]["card"]["column"] == home
    await close_all([a, b, c])
