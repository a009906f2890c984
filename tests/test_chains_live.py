"""Scrums of Scrums of Scrums on a real server (SPEC R72): setting a parent (API, admin
form, network page), a chain of three live forums with the outcome flowing back down,
and a status lost in a crash caught up down the chain after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from board import ops as o
from tests.support import LiveClient, ServerProcess, close_all
from tests.test_escalation_live import call, edited, escalate, event
from tests.test_escalation_restart import commit_without_delivering, wait_for_link


async def chain_of_three(server: ServerProcess, tag: str) -> tuple[str, str, str]:
    """An SoS, its parent SoS and an EAT the parent escalates to: their ids."""
    a = server.new_forum("sos", f"SoS {tag}")["id"]
    top = server.new_forum("sos", f"SoSoS {tag}")["id"]
    eat = server.new_forum("eat", f"EAT {tag}")["id"]
    status, out = await call(server, "POST", f"/api/forums/{top}/escalates-to", {"forum": eat})
    assert status == 200, out
    status, out = await call(server, "POST", f"/api/forums/{a}/parent", {"parent": top})
    assert status == 200 and out == {"forum": a, "parent": top, "name": f"SoSoS {tag}"}, out
    return a, top, eat


async def test_setting_a_parent_refuses_circles_and_non_sos(server: ServerProcess) -> None:
    # SPEC R72
    a, top, eat = await chain_of_three(server, "Rules")
    status, out = await call(server, "GET", f"/api/forums/{a}/escalates-to")
    assert out["forum"] == top  # an SoS with a parent escalates there
    for forum, parent, code in (
        (top, a, 400),  # a circle
        (a, a, 400),  # itself
        (a, eat, 400),  # not a Scrum of Scrums
        (eat, a, 400),  # an EAT has no parent SoS
        ("missing", a, 404),
    ):
        status, out = await call(server, "POST", f"/api/forums/{forum}/parent", {"parent": parent})
        assert status == code, (forum, parent, out)
    status, out = await call(server, "GET", f"/api/forums/{a}/parent")
    assert out["parent"] == top  # nothing changed
    # The admin's form, on /admin and on the network page; a refused one changes nothing.
    admin = server.http("GET", "/admin")
    assert f'action="/admin/forums/{a}/parent"' in admin.text
    page = server.http("GET", "/network")
    assert 'id="parents"' in page.text and f'id="parent-{a}-network"' in page.text
    bad = server.form(f"/admin/forums/{top}/parent", {"parent": a, "back": "network"})
    assert bad.status == 400 and "circle" in bad.text
    status, out = await call(server, "POST", f"/api/forums/{a}/escalates-to", {"forum": eat})
    assert status == 200 and out["forum"] == top, out  # the parent still comes first
    cleared = server.form(f"/admin/forums/{a}/parent", {"parent": "", "back": "network"})
    assert cleared.status == 303 and cleared.headers["location"].endswith("/network#parents")
    status, out = await call(server, "GET", f"/api/forums/{a}/escalates-to")
    assert out["forum"] == eat  # no parent: its own EAT again
    assert server.form(f"/admin/forums/{a}/parent", {"parent": top}).status == 303


async def test_a_chain_of_three_live_forums_with_the_outcome_flowing_down(
    server: ServerProcess,
) -> None:  # SPEC R72, R50, R32a
    a, top, eat = await chain_of_three(server, "Live")
    clients = [await LiveClient.connect(server.ws_url(f)) for f in (a, top, eat)]
    ca, _, ce = clients
    try:
        added = await ca.call({"type": "add_card", "column": "new", "title": "No staging"})
        card = f"c{added['seq']}"
        first = await escalate(server, a, card)
        assert first["target_forum"] == top and first["target_card"]["column"] == "new"
        mid = first["target_card"]["id"]
        second = await escalate(server, top, mid)
        assert second["target_forum"] == eat and second["target_card"]["column"] == "escalated"
        there = second["target_card"]["id"]
        passed = await event(ca, edited(card, "escalated"))
        assert passed["card"]["sent_to"]["label"].endswith("EAT Live")
        status, facts = await call(server, "GET", "/api/network")
        assert status == 200
        count = {f["id"]: f["open_impediments"] for f in facts["forums"]}
        assert (count[a], count[top], count[eat]) == (0, 0, 1)  # once (R32a)
        await ce.call({"type": "move_card", "card": there, "column": "removed", "index": 0})

        def moved_to_removed(e: dict[str, Any]) -> bool:
            return e["type"] == "card_moved" and e["card_id"] == card and e["column"] == "removed"

        await event(ca, moved_to_removed)  # two links down, live
        assert server.board(top)["cards"][mid]["column"] == "removed"
    finally:
        await close_all(clients)


async def test_a_status_lost_in_a_crash_is_caught_up_down_the_chain(tmp_path: Path) -> None:
    # SPEC R72, R18: the startup reconcile writes the parent's missing status, and what
    # the parent passes down reaches the SoS below.
    db = tmp_path / "chain.db"
    server = ServerProcess(db).start()
    try:
        a, top, eat = await chain_of_three(server, "Crash")
        status, added = await call(
            server, "POST", f"/api/forums/{a}/cards", {"column": "new", "title": "No staging"}
        )
        assert status == 201, added
        card = added["card"]["id"] if "card" in added else added["id"]
        mid = (await escalate(server, a, card))["target_card"]["id"]
        there = (await escalate(server, top, mid))["target_card"]["id"]
        await wait_for_link(server, a, card, lambda ln: ln["status"] == "escalated")
    finally:
        server.stop()
    move = o.MoveCard(card=there, column="accepted", index=0)
    await commit_without_delivering(db, eat, move, lose=True)
    server = ServerProcess(db).start()
    try:
        link = await wait_for_link(server, a, card, lambda ln: ln["status"] == "accepted")
        assert (link["status"], link["label"]) == ("accepted", "Accepted · EAT Crash")
    finally:
        server.stop()
