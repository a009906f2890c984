"""A status update between two forums lost in a crash is caught up at the next start.

What the EAT does to an escalated card reaches the SoS through memory after the EAT's
commit (SPEC R18); a crash in that window loses the update while both logs stay
intact. Here the window is reproduced exactly: the EAT's move is committed by the
server's own ``Rooms`` in this process with the in-memory hand-over switched off,
then a real server is started on the same file and must bring the SoS card up to date."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from board import ops as o
from board.sync import Accepted
from server.config import TEMPLATES_DIR, Settings
from server.live.registry import Rooms
from server.storage.sqlite import SqliteStorage
from server.web.render import Renderer
from tests.support import ServerProcess
from tests.test_escalation_live import call, escalate, linked_pair


async def commit_without_telling_the_source(db: Path, forum_id: str, op: o.Op) -> None:
    storage = await SqliteStorage.open(db)
    rooms = Rooms(storage.log, Settings(db=db, demo=False), Renderer(TEMPLATES_DIR))
    rooms._follow_links = lambda accepted: None  # type: ignore[method-assign]  # the crash
    try:
        outcome = await rooms.submit(forum_id, op, actor="Eve")
        assert isinstance(outcome, Accepted), outcome
    finally:
        await rooms.close()
        await storage.close()


async def wait_for_status(server: ServerProcess, forum_id: str, card: str, status: str) -> Any:
    deadline = time.monotonic() + 15
    while True:
        board = await asyncio.to_thread(server.board, forum_id)
        link = board["cards"][card]["sent_to"]
        if link["status"] == status or time.monotonic() > deadline:
            return link
        await asyncio.sleep(0.1)


async def test_a_lost_status_update_is_caught_up_after_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "esc.db"
    server = ServerProcess(db).start()
    try:
        sos, eat = await linked_pair(server)
        status, added = await call(
            server,
            "POST",
            f"/api/forums/{sos['id']}/cards",
            {"column": "needs-eat", "title": "No test env", "kind": "impediment"},
        )
        assert status == 201, added
        card = added["card"]["id"] if "card" in added else added["id"]
        out = await escalate(server, sos["id"], card)
        target = out["target_card"]["id"]
    finally:
        server.stop()

    move = o.MoveCard(card=target, column="accepted", index=0)
    await commit_without_telling_the_source(db, eat["id"], move)

    server = ServerProcess(db).start()
    try:
        link = await wait_for_status(server, sos["id"], card, "accepted")
        assert (link["status"], link["label"], link["card"]) == ("accepted", "Accepted", target)
        eat_card = server.board(eat["id"])["cards"][target]
        assert eat_card["column"] == "accepted"  # the target's own log was intact all along
    finally:
        server.stop()
