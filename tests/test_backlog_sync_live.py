"""One Scaled Backlog, live (SPEC R57–R59): websocket clients on a MetaScrum and on its
Scaled Backlog see one re-order; the list survives a restart, and mail a crash left
waiting is delivered by the next start; an EMS decision's text reaches the MetaScrum."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from board import ops as o
from board.sync import Accepted
from server.config import TEMPLATES_DIR, Settings
from server.live.registry import Rooms
from server.storage.sqlite import SqliteStorage
from server.web.render import Renderer
from tests.support import LiveClient, ServerProcess, close_all, name_cookie
from tests.test_escalation_live import call, escalate, event
from tests.test_mail_serve import two_servers


@pytest.fixture
def own(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own: its one MetaScrum and one Scaled Backlog pair themselves."""
    proc = ServerProcess(tmp_path / "board.db").start()
    yield proc
    proc.stop()


def ordered(server: ServerProcess, forum_id: str) -> list[str]:
    board = server.board(forum_id)
    col = next(c for c in board["columns"] if c["id"] == "ordered")
    return [board["cards"][cid]["title"] for cid in col["card_ids"]]


async def until(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def same(
    server: ServerProcess, meta: str, backlog: str, titles: list[str], there: Any = None
) -> Any:
    """Both lists are ``titles`` (the Scaled Backlog read from ``there`` when it runs on
    another process)."""
    other = there or server
    return lambda: ordered(server, meta) == ordered(other, backlog) == titles


def card_of(server: ServerProcess, forum_id: str, title: str) -> str:
    cards = server.board(forum_id)["cards"].values()
    return str(next(c["id"] for c in cards if c["title"] == title and not c["archived"]))


def moved(card_id: str) -> Any:
    return lambda e: e["type"] == "card_moved" and e["card_id"] == card_id


async def test_one_reorder_seen_live_on_both_forums(own: ServerProcess) -> None:
    """SPEC R57, R58, R36: an item added on either forum is on both; a re-order with a
    note on the MetaScrum reaches a client of the Scaled Backlog live (and the decision
    stays the MetaScrum's); one made on the Scaled Backlog reaches the MetaScrum."""
    meta = own.new_forum("metascrum", "MetaScrum Live")["id"]
    backlog = own.new_forum("backlog", "Backlog Live")["id"]
    assert own.board(meta)["pair"] == backlog and own.board(backlog)["pair"] == meta
    m = await LiveClient.connect(own.ws_url(meta))
    b = await LiveClient.connect(own.ws_url(backlog))
    try:
        for title in ("Guest checkout", "PSD2"):
            await m.call({"type": "add_card", "column": "ordered", "title": title})
        await b.call({"type": "add_card", "column": "ordered", "title": "Offline basket"})
        await until(same(own, meta, backlog, ["Guest checkout", "PSD2", "Offline basket"]))

        await m.call({"type": "start_session"})
        psd2 = card_of(own, meta, "PSD2")
        psd2_there = card_of(own, backlog, "PSD2")
        note = "PSD2 first: the regulator's deadline"
        await m.call(
            {"type": "move_card", "card": psd2, "column": "ordered", "index": 0, "note": note}
        )
        got = await event(b, moved(psd2_there))
        assert got["column"] == "ordered"
        await until(same(own, meta, backlog, ["PSD2", "Guest checkout", "Offline basket"]))
        decisions = own.board(meta)["session"]["decisions"]
        assert decisions[-1]["text"] == f"Re-ordered PSD2: {note}"
        assert own.board(backlog)["session"] is None

        offline = card_of(own, backlog, "Offline basket")
        await b.call({"type": "move_card", "card": offline, "column": "ordered", "index": 0})
        await event(m, moved(card_of(own, meta, "Offline basket")))
        await until(same(own, meta, backlog, ["Offline basket", "PSD2", "Guest checkout"]))
    finally:
        await close_all([m, b])


async def commit_without_delivering(db: Path, forum_id: str, op: o.Op) -> None:
    """Commit ``op`` with the server's own rooms and no postman: its mail stays waiting,
    as after a SIGKILL right after the commit."""
    storage = await SqliteStorage.open(db)
    rooms = Rooms(storage.log, Settings(db=db, demo=False), Renderer(TEMPLATES_DIR))
    try:
        outcome = await rooms.submit(forum_id, op, actor="Eve")
        assert isinstance(outcome, Accepted), outcome
        assert await storage.mail.waiting()
    finally:
        await rooms.close()
        await storage.close()


async def test_the_list_survives_a_restart_and_a_crash_before_delivery(tmp_path: Path) -> None:
    """SPEC R57, R58, R18a: after a restart both forums show the one list; a re-order
    committed on the MetaScrum whose mail was never delivered (a crash) reaches the
    Scaled Backlog when the server starts again, and the order is one again."""
    db = tmp_path / "board.db"
    server = ServerProcess(db).start()
    try:
        meta = server.new_forum("metascrum", "MetaScrum Restart")["id"]
        backlog = server.new_forum("backlog", "Backlog Restart")["id"]
        for title in ("A", "B", "C"):
            status, _ = await call(
                server, "POST", f"/api/forums/{meta}/cards", {"column": "ordered", "title": title}
            )
            assert status == 201
        await until(same(server, meta, backlog, ["A", "B", "C"]))
    finally:
        server.stop()
    server.start()
    try:
        await until(same(server, meta, backlog, ["A", "B", "C"]))
        card_c = card_of(server, meta, "C")
    finally:
        server.stop()
    await commit_without_delivering(db, meta, o.MoveCard(card=card_c, column="ordered", index=0))
    server.start()
    try:
        await until(same(server, meta, backlog, ["C", "A", "B"]))
        b = await LiveClient.connect(server.ws_url(backlog))
        try:  # and live again after it
            card_a = card_of(server, meta, "A")
            status, _ = await call(
                server,
                "POST",
                f"/api/forums/{meta}/ops",
                {"op": {"type": "move_card", "card": card_a, "column": "ordered", "index": 2}},
            )
            assert status in (200, 201)
            await event(b, moved(card_of(server, backlog, "A")))
            await until(same(server, meta, backlog, ["C", "B", "A"]))
        finally:
            await b.close()
    finally:
        server.stop()


async def test_an_ems_decision_comes_back_with_its_text(own: ServerProcess) -> None:
    """SPEC R59: the EMS records a decision about a card the MetaScrum escalated; the
    MetaScrum's card shows the decision's text live, and after a restart."""
    meta = own.new_forum("metascrum", "MetaScrum EMS")["id"]
    ems = own.new_forum("ems", "EMS Deciding")["id"]
    status, _ = await call(own, "POST", f"/api/forums/{meta}/escalates-to", {"forum": ems})
    assert status == 200
    m = await LiveClient.connect(own.ws_url(meta))
    x = await LiveClient.connect(own.ws_url(ems))
    text = "Fund a second Payments team; the marketplace waits."
    try:
        added = await m.call({"type": "add_card", "column": "ordered", "title": "Second team?"})
        card = f"c{added['seq']}"
        out = await escalate(own, meta, card)
        there = out["target_card"]["id"]
        await x.call({"type": "start_session"})
        await x.call({"type": "move_card", "card": there, "column": "decided", "index": 0})
        await x.call({"type": "record_decision", "text": text, "cards": [there]})

        def decided(e: dict[str, Any]) -> bool:
            sent = e.get("card", {}).get("sent_to") if e["type"] == "card_edited" else None
            return sent is not None and sent.get("decision") == text

        await event(m, decided)
    finally:
        await close_all([m, x])
    own.stop()
    own.start()
    link = own.board(meta)["cards"][card]["sent_to"]
    assert link["label"] == "Decided" and link["decision"] == text
    page = own.http("GET", f"/forums/{meta}", headers=name_cookie(own, "Ana"))
    assert "EMS decided:" in page.text and text in page.text


async def test_one_list_across_two_processes(db_url: str, tmp_path: Path) -> None:
    """SPEC R57, R58, R18a, R9b: the MetaScrum lives on one process and its Scaled
    Backlog on another (one PostgreSQL); a re-order on either reaches a client of the
    other, as mail between the two rooms."""
    with two_servers(db_url, tmp_path) as (a, b):
        meta = a.new_forum("metascrum", "MetaScrum A")["id"]
        backlog = a.new_forum("backlog", "Backlog B")["id"]
        m = await LiveClient.connect(a.ws_url(meta))  # the MetaScrum on a
        x = await LiveClient.connect(b.ws_url(backlog))  # the Scaled Backlog on b
        try:
            for title in ("A", "B", "C"):
                await m.call({"type": "add_card", "column": "ordered", "title": title})
            await until(same(a, meta, backlog, ["A", "B", "C"], b))
            card_c = card_of(a, meta, "C")
            await m.call({"type": "move_card", "card": card_c, "column": "ordered", "index": 0})
            await event(x, moved(card_of(b, backlog, "C")))
            await until(same(a, meta, backlog, ["C", "A", "B"], b))
            card_b = card_of(b, backlog, "B")
            await x.call({"type": "move_card", "card": card_b, "column": "ordered", "index": 0})
            await event(m, moved(card_of(a, meta, "B")))
            await until(same(a, meta, backlog, ["B", "C", "A"], b))
        finally:
            await close_all([m, x])


async def test_the_admin_chooses_a_metascrums_scaled_backlog(own: ServerProcess) -> None:
    """SPEC R57: with two MetaScrums nothing pairs by itself; the admin's choice
    (``POST /api/forums/{id}/backlog``) pairs the two boards at once, and the items made
    on the MetaScrum before it go over. Anything but a MetaScrum and a Scaled Backlog is
    refused, and nothing changes."""
    meta = own.new_forum("metascrum", "MetaScrum One")["id"]
    own.new_forum("metascrum", "MetaScrum Two")
    backlog = own.new_forum("backlog", "Backlog Chosen")["id"]
    status, _ = await call(
        own, "POST", f"/api/forums/{meta}/cards", {"column": "ordered", "title": "Early"}
    )
    assert status == 201
    status, got = await call(own, "GET", f"/api/forums/{meta}/backlog")
    assert (status, got) == (200, {"forum": None, "name": ""})
    for forum, body in ((backlog, {"forum": meta}), (meta, {"forum": meta}), (meta, {})):
        status, out = await call(own, "POST", f"/api/forums/{forum}/backlog", body)
        assert status == 400, out
    status, got = await call(own, "POST", f"/api/forums/{meta}/backlog", {"forum": backlog})
    assert (status, got) == (200, {"forum": backlog, "name": "Backlog Chosen"})
    status, got = await call(own, "GET", f"/api/forums/{backlog}/backlog")
    assert got == {"forum": meta, "name": "MetaScrum One"}
    await until(same(own, meta, backlog, ["Early"]))
    participant = own.links(meta)["participant"]
    status, out = await call(
        own,
        "POST",
        f"/api/forums/{meta}/backlog",
        {"forum": backlog},
        {"authorization": f"Bearer {participant}"},
    )
    assert status in (401, 403), out
