"""SPEC R11 against a real server: another process writes the forum's next seq into the
server's SQLite file, so the server's own write of that seq fails for real. The
sender's op is rejected (``storage``), the room reloads from disk with a new epoch,
every client gets ``resync``, and a client that says hello again catches up from the
stored board (the other writer's op included) and can go on."""

from __future__ import annotations

import time
from typing import Any

from board import ops as o
from board.sync import Accepted, ForumSync
from server.storage.sqlite import SqliteStorage
from tests.support import LiveClient, ServerProcess


async def write_next_seq_elsewhere(server: ServerProcess, forum_id: str, title: str) -> int:
    """Log one op at the forum's next seq through a store of our own on the same file."""
    other = await SqliteStorage.open(server.db)
    try:
        loaded = await other.log.load(forum_id)
        assert loaded is not None
        outcome = ForumSync(loaded.board, "elsewhere").submit(
            o.AddCard(column="new", title=title), op_id=None, actor="Eve", at=time.time()
        )
        assert isinstance(outcome, Accepted)
        await other.log.append(forum_id, [outcome], time.time())
        return outcome.item.seq
    finally:
        await other.close()


async def test_r11_a_failed_write_reloads_and_every_client_resyncs(
    server: ServerProcess, forum: dict[str, Any]
) -> None:
    # SPEC R11
    url = server.ws_url(forum["id"])
    ann = await LiveClient.connect(url)
    bob = await LiveClient.connect(url)
    try:
        assert (await ann.call({"type": "add_card", "column": "new", "title": "Kept"}))[
            "type"
        ] == "ack"
        await bob.wait_seq(ann.seq)
        old_epoch, kept = ann.epoch, ann.seq
        theirs = await write_next_seq_elsewhere(server, forum["id"], "From elsewhere")
        assert theirs == kept + 1

        lost = await ann.call({"type": "add_card", "column": "new", "title": "Lost"})
        assert (lost["type"], lost["code"]) == ("reject", "storage")
        for client in (ann, bob):
            await client.expect("resync")

        for client in (ann, bob):
            welcome = await client.hello(client.seq, old_epoch)
            assert welcome["epoch"] != old_epoch
            assert welcome["full"] is True and welcome["seq"] == theirs
            assert "From elsewhere" in str(welcome["html"])
            assert "Lost" not in str(welcome["html"])
        again = await ann.call({"type": "add_card", "column": "new", "title": "Lost"})
        assert (again["type"], again["seq"]) == ("ack", theirs + 1)
        await bob.wait_seq(theirs + 1)
        board = server.board(forum["id"])
        titles = {c["title"] for c in board["cards"].values()}
        assert {"Kept", "From elsewhere", "Lost"} <= titles
    finally:
        await ann.close()
        await bob.close()
