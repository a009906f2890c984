"""What a crash between two forums' writes leaves is brought up to date at the next start.

Ops for another forum are mail (SPEC R18a), written in the transaction of the op that
sent them; a crash before their delivery leaves them waiting in the database, and the
next start delivers them. Here that window is reproduced exactly: an op is committed by
the server's own ``Rooms`` in this process with no ``Postman`` (so nothing is
delivered, as after a SIGKILL), then a real server is started on the same file.

A log written before mail existed may lack a status update for good (it travelled in
memory); the startup reconcile (``catch_up``, SPEC R18) writes it. That case is made by
settling the mail unapplied, which leaves the logs as such a crash left them."""

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


async def commit_without_delivering(db: Path, forum_id: str, op: o.Op, *, lose: bool) -> None:
    """Commit ``op`` on ``forum_id`` and deliver none of its mail (a crash right after the
    commit); with ``lose``, the mail is settled unapplied, as in a log made before mail."""
    storage = await SqliteStorage.open(db)
    rooms = Rooms(storage.log, Settings(db=db, demo=False), Renderer(TEMPLATES_DIR))
    try:
        outcome = await rooms.submit(forum_id, op, actor="Eve")
        assert isinstance(outcome, Accepted), outcome
        [waiting] = await storage.mail.waiting()
        mail = await storage.mail.pending(waiting.forum_id)
        assert len(mail) == 1
        if lose:
            await storage.mail.settle(mail[0], "lost", time.time())
    finally:
        await rooms.close()
        await storage.close()


async def wait_for_link(
    server: ServerProcess, forum_id: str, card: str, done: Any, timeout: float = 15
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        board = await asyncio.to_thread(server.board, forum_id)
        link = board["cards"][card]["sent_to"]
        if done(link) or time.monotonic() > deadline:
            return link
        await asyncio.sleep(0.1)


async def escalated_pair(db: Path) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """An SoS card escalated to its EAT by a real server (stopped after): the forums, the
    SoS card and the EAT's linked card."""
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
        return sos, eat, card, out["target_card"]["id"]
    finally:
        server.stop()


async def test_a_status_update_waiting_as_mail_is_delivered_after_a_restart(
    tmp_path: Path,
) -> None:  # SPEC R18a
    db = tmp_path / "esc.db"
    sos, eat, card, target = await escalated_pair(db)
    move = o.MoveCard(card=target, column="accepted", index=0)
    await commit_without_delivering(db, eat["id"], move, lose=False)

    server = ServerProcess(db).start()
    try:
        link = await wait_for_link(server, sos["id"], card, lambda ln: ln["status"] == "accepted")
        assert (link["status"], link["label"], link["card"]) == ("accepted", "Accepted", target)
        assert server.board(eat["id"])["cards"][target]["column"] == "accepted"
    finally:
        server.stop()


async def test_a_status_update_lost_before_mail_is_caught_up_after_a_restart(
    tmp_path: Path,
) -> None:  # SPEC R18
    db = tmp_path / "esc.db"
    sos, eat, card, target = await escalated_pair(db)
    move = o.MoveCard(card=target, column="accepted", index=0)
    await commit_without_delivering(db, eat["id"], move, lose=True)

    server = ServerProcess(db).start()
    try:
        link = await wait_for_link(server, sos["id"], card, lambda ln: ln["status"] == "accepted")
        assert (link["status"], link["label"], link["card"]) == ("accepted", "Accepted", target)
    finally:
        server.stop()


async def test_an_escalation_waiting_as_mail_is_not_marked_failed_at_startup(
    tmp_path: Path,
) -> None:  # SPEC R18 R18a
    """The startup reconcile marks failed an escalation the target never received, but
    one whose ``receive_escalation`` is still waiting to be delivered is the mail's."""
    db = tmp_path / "esc.db"
    server = ServerProcess(db).start()
    try:
        sos, eat = await linked_pair(server)
        status, added = await call(
            server,
            "POST",
            f"/api/forums/{sos['id']}/cards",
            {"column": "needs-eat", "title": "Sent before the crash", "kind": "impediment"},
        )
        assert status == 201, added
        card = added["card"]["id"] if "card" in added else added["id"]
    finally:
        server.stop()
    sent = o.EscalateCard(card=card, to_forum=eat["id"], to_name=eat["name"], to_kind="eat")
    await commit_without_delivering(db, sos["id"], sent, lose=False)

    server = ServerProcess(db).start()
    try:
        link = await wait_for_link(server, sos["id"], card, lambda ln: bool(ln["card"]))
        assert link["status"] == "escalated" and link["card"], link
        copy = server.board(eat["id"])["cards"][link["card"]]
        assert copy["origin"]["card"] == card and copy["title"] == "Sent before the crash"
    finally:
        server.stop()
