"""Escalation between two live forums: a client on each sees the other's change."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import LiveClient, ServerProcess, close_all, name_cookie

Pred = Callable[[dict[str, Any]], bool]


async def event(client: LiveClient, pred: Pred, timeout: float = 10.0) -> dict[str, Any]:
    """The first event (in a batch still to come) that ``pred`` accepts."""

    def holds(msg: dict[str, Any]) -> bool:
        return any(pred(e) for it in msg["items"] for e in it["events"])

    msg = await client.expect("batch", match=holds, timeout=timeout)
    return next(e for it in msg["items"] for e in it["events"] if pred(e))


def edited(card_id: str, status: str) -> Pred:
    def pred(e: dict[str, Any]) -> bool:
        if e["type"] != "card_edited" or e["card"]["id"] != card_id:
            return False  # a move of it comes too, now (R50)
        sent = e["card"].get("sent_to")
        return sent is not None and sent["status"] == status

    return pred


async def call(server: ServerProcess, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    return await asyncio.to_thread(server.request, *args, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def escalate(server: ServerProcess, forum_id: str, card: str) -> dict[str, Any]:
    """Escalate ``card`` of ``forum_id`` through the REST route, as a participant; the
    answer (``target_forum``, ``target_card``, ...)."""
    participant = server.links(forum_id)["participant"]
    status, out = await call(
        server,
        "POST",
        f"/api/forums/{forum_id}/cards/{card}/escalate",
        headers=bearer(participant),
    )
    assert status == 201, out
    return dict(out)


async def linked_pair(server: ServerProcess) -> tuple[dict[str, Any], dict[str, Any]]:
    sos = server.new_forum("sos", "SoS Escalating")
    eat = server.new_forum("eat", "EAT Receiving")
    status, got = await call(
        server, "POST", f"/api/forums/{sos['id']}/escalates-to", {"forum": eat["id"]}
    )
    assert status == 200 and got == {"forum": eat["id"], "name": "EAT Receiving"}, got
    return sos, eat


async def test_escalate_accept_remove_and_return_live_on_both_forums(server: ServerProcess) -> None:
    sos, eat = await linked_pair(server)
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    e = await LiveClient.connect(server.ws_url(eat["id"]))
    try:
        added = await s.call(
            {"type": "add_card", "column": "needs-eat", "title": "No test env", "body": "since May"}
        )
        card = f"c{added['seq']}"
        out = await escalate(server, sos["id"], card)
        target = out["target_card"]
        assert out["target_forum"] == eat["id"]
        assert target["column"] == "escalated" and target["title"] == "No test env"
        assert target["body"] == "since May"
        assert target["origin"] == {
            "forum": sos["id"], "forum_name": "SoS Escalating", "kind": "sos", "card": card,
            "route": "escalate", "status": "", "label": "", "note": "", "asked": "",
            "waits_in": "", "left": "", "decision": "",
        }  # fmt: skip
        assert out["card"]["sent_to"]["card"] == target["id"]

        # The EAT client sees the new card, with its link back, and its markup says so.
        got = await event(
            e, lambda ev: ev["type"] == "card_added" and ev["card"]["id"] == target["id"]
        )
        assert got["card"]["origin"]["card"] == card
        # The SoS client sees its card marked as escalated, then linked to the EAT card.
        linked = await event(
            s,
            lambda ev: (
                ev["type"] == "card_edited" and ev["card"]["sent_to"]["card"] == target["id"]
            ),
        )
        assert linked["card"]["sent_to"]["status"] == "escalated"

        # The EAT accepts it: the SoS sees it live.
        assert (
            await e.call(
                {"type": "move_card", "card": target["id"], "column": "accepted", "index": 0}
            )
        )["type"] == "ack"
        accepted = await event(s, edited(card, "accepted"))
        assert accepted["card"]["sent_to"]["label"] == "Accepted"
        # ... and removes it: the SoS card is marked removed.
        assert (
            await e.call(
                {"type": "move_card", "card": target["id"], "column": "removed", "index": 0}
            )
        )["type"] == "ack"
        await event(s, edited(card, "removed"))
        status, seen = await call(server, "GET", f"/api/forums/{sos['id']}/cards/{card}")
        assert status == 200 and seen["sent_to"]["status"] == "removed"
        assert seen["sent_to"]["forum"] == eat["id"] and seen["sent_to"]["card"] == target["id"]

        # A second one goes back with a note.
        added = await s.call({"type": "add_card", "column": "new", "title": "Licences"})
        second = f"c{added['seq']}"
        status, out = await call(server, "POST", f"/api/forums/{sos['id']}/cards/{second}/escalate")
        assert status == 201, out
        other = out["target_card"]["id"]
        answer = await e.call(
            {"type": "return_escalation", "card": other, "note": "Teams own licences"}
        )
        assert answer["type"] == "ack", answer
        back = await event(s, edited(second, "returned"))
        assert back["card"]["sent_to"]["note"] == "Teams own licences"
        status, board = await call(server, "GET", f"/api/forums/{eat['id']}")
        assert board["cards"][other]["column"] == "returned"
        assert board["cards"][other]["origin"]["note"] == "Teams own licences"

        # Both forums' logs hold the escalation: their session records and replays show it.
        status, again = await call(server, "POST", f"/api/forums/{sos['id']}/cards/{card}/escalate")
        assert status == 409 and "already" in again["reason"]
    finally:
        await close_all([s, e])


async def test_escalation_refusals(server: ServerProcess) -> None:
    sos, eat = await linked_pair(server)
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    try:
        dep = await s.call(
            {"type": "add_card", "column": "new", "title": "Dep", "kind": "dependency"}
        )
        status, out = await call(
            server, "POST", f"/api/forums/{sos['id']}/cards/c{dep['seq']}/escalate"
        )
        assert status == 400 and out["code"] == "invalid" and "impediment" in out["reason"]

        imp = await s.call({"type": "add_card", "column": "new", "title": "Imp"})
        path = f"/api/forums/{sos['id']}/cards/c{imp['seq']}/escalate"
        viewer = server.links(sos["id"])["viewer"]
        status, out = await call(server, "POST", path, headers=bearer(viewer))
        assert status == 403, out
        status, out = await call(server, "POST", f"/api/forums/{sos['id']}/cards/c999/escalate")
        assert status == 404, out

        # A client cannot write the server's escalation ops itself.
        fake = {
            "type": "receive_escalation", "from_forum": "x", "from_name": "x",
            "from_kind": "sos", "from_card": "c1", "column": "escalated",
            "kind": "impediment", "title": "t",
        }  # fmt: skip
        status, out = await call(server, "POST", f"/api/forums/{eat['id']}/ops", {"op": fake})
        assert status == 400, out

        # A forum with no EAT set, and more than one EAT in the network: nowhere to go.
        lonely = server.new_forum("sos", "SoS without EAT")
        server.new_forum("eat", "Another EAT")
        s2 = await LiveClient.connect(server.ws_url(lonely["id"]))
        card = await s2.call({"type": "add_card", "column": "new", "title": "Stuck"})
        status, out = await call(
            server, "POST", f"/api/forums/{lonely['id']}/cards/c{card['seq']}/escalate"
        )
        assert status == 409 and "admin" in out["reason"], out
        status, out = await call(server, "GET", f"/api/forums/{lonely['id']}/escalates-to")
        assert status == 200 and out["forum"] is None
        await s2.close()
        # A backlog sends nothing, a retro does not escalate; a relation must name a forum
        # of the right kind.
        backlog = server.new_forum("backlog", "Backlog")
        status, out = await call(
            server, "POST", f"/api/forums/{backlog['id']}/escalates-to", {"forum": eat["id"]}
        )
        assert status == 400, out
        retro = server.new_forum("retro", "Retro")
        status, out = await call(
            server, "POST", f"/api/forums/{retro['id']}/escalates-to", {"forum": eat["id"]}
        )
        assert status == 404, out
        status, out = await call(
            server, "POST", f"/api/forums/{sos['id']}/escalates-to", {"forum": retro["id"]}
        )
        assert status == 400, out
        participant = server.links(sos["id"])["participant"]
        status, out = await call(
            server,
            "POST",
            f"/api/forums/{sos['id']}/escalates-to",
            {"forum": None},
            headers=bearer(participant),
        )
        assert status in (401, 403), out
    finally:
        await s.close()


async def test_metascrum_escalates_to_the_only_ems_by_default(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "board.db").start()
    try:
        meta = server.new_forum("metascrum", "MetaScrum")
        ems = server.new_forum("ems", "Exec MetaScrum")
        status, out = await call(server, "GET", f"/api/forums/{meta['id']}/escalates-to")
        assert out == {"forum": ems["id"], "name": "Exec MetaScrum"}
        m = await LiveClient.connect(server.ws_url(meta["id"]))
        x = await LiveClient.connect(server.ws_url(ems["id"]))
        risk = await m.call(
            {"type": "add_card", "column": "proposed", "title": "Budget", "kind": "risk"}
        )
        card = f"c{risk['seq']}"
        status, out = await call(server, "POST", f"/api/forums/{meta['id']}/cards/{card}/escalate")
        assert status == 201, out
        assert out["target_card"]["column"] == "raised" and out["target_card"]["kind"] == "risk"
        assert (
            await x.call(
                {
                    "type": "move_card",
                    "card": out["target_card"]["id"],
                    "column": "decided",
                    "index": 0,
                }
            )
        )["type"] == "ack"
        decided = await event(m, edited(card, "decided"))
        assert decided["card"]["sent_to"]["label"] == "Decided"
        await close_all([m, x])
    finally:
        server.stop()


async def test_the_demo_sos_escalates_to_the_demo_eat(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "demo.db", demo=True).start()
    try:
        pairs = (
            ("sos-commerce", "sos-of-sos"),
            ("sos-of-sos", "eat"),
            ("metascrum-commerce", "ems"),
        )
        for src, dst in pairs:  # the demo SoS escalates to its parent SoS (SPEC R72)
            status, out = await call(server, "GET", f"/api/forums/{src}/escalates-to")
            assert status == 200 and out["forum"] == dst, out
        named = server.form("/name", {"name": "Maya Chen", "next": "/forums/sos-commerce"})
        cookie = named.headers["set-cookie"].split(";", 1)[0]
        page = server.http("GET", "/forums/sos-commerce", headers={"cookie": cookie})
        assert page.status == 200 and 'data-action="escalate"' in page.text
        assert "Escalate to EAT" in page.text
    finally:
        server.stop()


async def test_the_admin_sets_where_a_forum_escalates_on_the_admin_page(
    server: ServerProcess,
) -> None:
    sos = server.new_forum("sos", "SoS Admin Set")
    eat = server.new_forum("eat", "EAT Admin Set")
    server.new_forum("eat", "EAT Other")
    page = server.http("GET", "/admin")
    assert page.status == 200
    assert f'action="/admin/forums/{sos["id"]}/escalates-to"' in page.text
    r = server.form(f"/admin/forums/{sos['id']}/escalates-to", {"target": eat["id"]})
    assert r.status == 303, r.text
    status, out = await call(server, "GET", f"/api/forums/{sos['id']}/escalates-to")
    assert out == {"forum": eat["id"], "name": "EAT Admin Set"}
    assert f'<option value="{eat["id"]}" selected>' in server.http("GET", "/admin").text
    r = server.form(f"/admin/forums/{sos['id']}/escalates-to", {"target": sos["id"]})
    assert r.status == 400 and "not an Executive Action Team" in r.text
    r = server.form(f"/admin/forums/{sos['id']}/escalates-to", {"target": ""})
    assert r.status == 303
    status, out = await call(server, "GET", f"/api/forums/{sos['id']}/escalates-to")
    assert status == 200 and out["forum"] is None  # more than one EAT, none chosen


async def test_the_cycles_meet_product_work_and_improvements(server: ServerProcess) -> None:
    sos = server.new_forum("sos", "SoS Cycles")
    meta = server.new_forum("metascrum", "MetaScrum Cycles")
    retro = server.new_forum("retro", "Retro Cycles")
    eat = server.new_forum("eat", "EAT Cycles")
    for src, route, dst in ((sos, "product", meta), (retro, "improvement", eat)):
        path = f"/api/forums/{src['id']}/routes/{route}"
        status, out = await call(server, "POST", path, {"forum": dst["id"]})
        assert status == 200 and out["forum"] == dst["id"], out
    s = await LiveClient.connect(server.ws_url(sos["id"]))
    m = await LiveClient.connect(server.ws_url(meta["id"]))
    r = await LiveClient.connect(server.ws_url(retro["id"]))
    try:
        imp = await s.call({"type": "add_card", "column": "new", "title": "Search is too slow"})
        card = f"c{imp['seq']}"
        path = f"/api/forums/{sos['id']}/cards/{card}/send/product"
        status, out = await call(server, "POST", path)
        assert status == 201, out
        item = out["target_card"]
        assert (item["kind"], item["column"]) == ("backlog_item", "proposed")
        assert item["origin"]["card"] == card and item["origin"]["route"] == "product"
        assert out["card"]["sent_to"]["route"] == "product"
        assert out["card"]["sent_to"]["card"] == item["id"]
        got = await event(m, lambda e: e["type"] == "card_added" and e["card"]["id"] == item["id"])
        assert got["card"]["origin"]["forum"] == sos["id"]
        answer = await m.call(
            {"type": "move_card", "card": item["id"], "column": "ordered", "index": 0}
        )
        assert answer["type"] == "ack"
        ordered = await event(s, edited(card, "ordered"))
        assert ordered["card"]["sent_to"]["label"] == "Ordered"

        # Once with the MetaScrum, the card does not also go to the EAT.
        status, out = await call(server, "POST", f"/api/forums/{sos['id']}/cards/{card}/escalate")
        assert status == 409, out

        exp = await r.call(
            {
                "type": "add_card",
                "column": "experiments",
                "title": "Pair on-call",
                "kind": "experiment",
                "outcome": "proven",  # only a proven one goes (SPEC R37)
            }
        )
        path = f"/api/forums/{retro['id']}/cards/c{exp['seq']}/send/improvement"
        status, out = await call(server, "POST", path)
        assert status == 201, out
        assert (out["target_card"]["kind"], out["target_card"]["column"]) == (
            "experiment",
            "escalated",
        )
        obs = await r.call({"type": "add_card", "column": "ideas", "title": "Observation"})
        path = f"/api/forums/{retro['id']}/cards/c{obs['seq']}/send/improvement"
        status, out = await call(server, "POST", path)
        assert status == 400 and "experiment" in out["reason"], out
        status, out = await call(server, "POST", f"/api/forums/{sos['id']}/cards/{card}/send/nope")
        assert status == 404, out
    finally:
        await close_all([s, m, r])


async def test_a_removed_impediment_offers_no_escalation(server: ServerProcess) -> None:
    sos, _ = await linked_pair(server)
    status, card = await call(
        server, "POST", f"/api/forums/{sos['id']}/cards",
        {"column": "removed", "title": "Solved already", "kind": "impediment"},
    )  # fmt: skip
    assert status == 201, card
    cookie = await asyncio.to_thread(name_cookie, server, "Ann")
    page = await asyncio.to_thread(server.http, "GET", f"/forums/{sos['id']}", headers=cookie)
    markup = page.text.split(f'id="card-{card["id"]}"', 1)[1].split("</li>", 1)[0]
    assert "Solved already" in markup and 'data-action="escalate"' not in markup
    status, out = await call(server, "POST", f"/api/forums/{sos['id']}/cards/{card['id']}/escalate")
    assert status == 409 and "done with" in out["reason"], out


def test_the_api_documents_both_answers_of_an_escalation(server: ServerProcess) -> None:
    """``201`` with the linked card, ``202`` with the card as it is when the target's
    server has not answered in time (docs/protocol.md)."""
    r = server.http("GET", "/schema/openapi.json", auth=False)
    assert r.status == 200
    paths = r.json()["paths"]
    for path in (
        "/api/forums/{forum_id}/cards/{card_id}/escalate",
        "/api/forums/{forum_id}/cards/{card_id}/send/{route_id}",
    ):
        answers = paths[path]["post"]["responses"]
        assert {"201", "202", "409"} <= answers.keys(), answers.keys()
        assert "not answered yet" in answers["202"]["description"]
        schema = json.dumps(answers["202"]["content"])
        assert "Escalating" in schema, schema
