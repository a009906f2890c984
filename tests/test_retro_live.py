"""Retrospective phases over the real server (issue 5, SPEC R20-R24): a write-phase
card reaches its author in full and everyone else face down (no title in the frame),
both see it after the reveal, a participant cannot change the phase, and anonymous
authors are absent from frames, pages, the API, history and the export."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.support import LiveClient, ServerProcess, ack, live_as, name_cookie


def batch_with(client: LiveClient, seq: int) -> dict[str, Any]:
    """The batch frame that carried ``seq`` to ``client``."""
    for msg in client.received:
        if msg["type"] == "batch" and any(i["seq"] == seq for i in msg["items"]):
            return msg
    raise AssertionError(f"no batch with seq {seq}")


def item(batch: dict[str, Any], seq: int) -> dict[str, Any]:
    return next(i for i in batch["items"] if i["seq"] == seq)


async def retro_people(
    server: ServerProcess, forum_id: str
) -> tuple[LiveClient, LiveClient, LiveClient]:
    """Fay facilitates, Ana and Bo take part; Fay has started the session."""
    fay = await live_as(server, forum_id, "Fay", "facilitator")
    ana = await live_as(server, forum_id, "Ana", "participant")
    bo = await live_as(server, forum_id, "Bo", "participant")
    await ack(fay, {"type": "start_session"})
    return fay, ana, bo


@pytest.fixture
def retro(server: ServerProcess) -> dict[str, Any]:
    return server.new_forum("retro", "Scaled Retro")


async def test_hidden_until_reveal_anonymous_and_facilitator_only(
    server: ServerProcess, retro: dict[str, Any]
) -> None:
    # SPEC R20, R22, R23
    fid = retro["id"]
    fay, ana, bo = await retro_people(server, fid)
    try:
        # A participant may not run the phases.
        refused = await bo.call({"type": "set_phase", "phase": "write"})
        assert refused["type"] == "reject" and refused["code"] == "forbidden"
        seq = await ack(fay, {"type": "set_phase", "phase": "write"})
        await bo.wait_seq(seq)
        bar = batch_with(bo, seq)["html"]["region:retro"]
        assert 'aria-current="step"' in bar and "data-retro-phase" not in bar  # read-only
        assert "Next: Reveal" in batch_with(fay, seq)["html"]["region:retro"]

        seq = await ack(ana, {"type": "add_card", "column": "ideas", "title": "Secret plan"})
        await bo.wait_seq(seq)
        await ana.wait_seq(seq)
        mine, theirs = batch_with(ana, seq), batch_with(bo, seq)
        assert "Secret plan" in json.dumps(mine)
        raw = json.dumps(theirs)
        assert "Secret plan" not in raw and '"Ana"' not in raw
        card = next(e["card"] for e in item(theirs, seq)["events"] if e["type"] == "card_added")
        cid = card["id"]
        assert card["hidden"] and card["title"] == "" and card["created_by"] == ""
        assert "hidden until reveal" in theirs["html"][f"card:{cid}"]
        assert item(theirs, seq)["actor"] == ""
        # Others cannot change it; its author can.
        no = await bo.call({"type": "edit_card", "card": cid, "title": "Mine now"})
        assert no["type"] == "reject" and no["code"] == "conflict"
        await ack(ana, {"type": "edit_card", "card": cid, "body": "details"})

        # Pages and the API show it face down to others, in full to its author.
        page = server.http("GET", f"/forums/{fid}", headers=name_cookie(server, "Bo")).text
        assert "Secret plan" not in page and "hidden until reveal" in page
        own = server.http("GET", f"/forums/{fid}", headers=name_cookie(server, "Ana")).text
        assert "Secret plan" in own and "Only you see this" in own
        status, board = server.request("GET", f"/api/forums/{fid}")  # the admin: nobody's
        assert status == 200 and board["cards"][cid]["title"] == ""
        projector = server.http("GET", f"/forums/{fid}/projector").text
        assert "Secret plan" not in projector and "Write" in projector
        # A decision about it names it to nobody else: not live, not in the decisions log.
        seq = await ack(ana, {"type": "record_decision", "text": "Try it", "cards": [cid]})
        await bo.wait_seq(seq)
        decided = json.dumps(batch_with(bo, seq))
        assert "Secret plan" not in decided and "a hidden card" in decided
        status, log = server.request("GET", f"/api/decisions?forum={fid}")
        assert status == 200 and "Secret plan" not in json.dumps(log), log
        assert "a hidden card" in json.dumps(log)

        # The reveal: both see it.
        seq = await ack(fay, {"type": "set_phase", "phase": "reveal"})
        await bo.wait_seq(seq)
        revealed = [
            e for e in item(batch_with(bo, seq), seq)["events"] if e["type"] == "cards_revealed"
        ]
        assert revealed[0]["cards"][0]["title"] == "Secret plan"
        assert "Secret plan" in batch_with(bo, seq)["html"][f"card:{cid}"]

        # Anonymous cards, once the facilitator allows them.
        no = await ana.call(
            {"type": "add_card", "column": "ideas", "title": "Q", "anonymous": True}
        )
        assert no["type"] == "reject" and no["code"] == "invalid"
        await ack(fay, {"type": "configure_retro", "anonymous": True, "dots": 4})
        seq = await ack(
            ana, {"type": "add_card", "column": "ideas", "title": "Quiet one", "anonymous": True}
        )
        await bo.wait_seq(seq)
        frame = batch_with(bo, seq)
        anon = next(e["card"] for e in item(frame, seq)["events"] if e["type"] == "card_added")
        assert anon["title"] == "Quiet one" and anon["anonymous"]
        assert anon["created_by"] == "" and item(frame, seq)["actor"] == ""
        assert '"Ana"' not in json.dumps(item(frame, seq))
        seq = await ack(
            fay, {"type": "move_card", "card": anon["id"], "column": "went-well", "index": 0}
        )
        await bo.wait_seq(seq)
        status, api_card = server.request("GET", f"/api/forums/{fid}/cards/{anon['id']}")
        assert status == 200 and api_card["created_by"] == "" and api_card["updated_by"] == ""

        # Back a phase by mistake, on again, end: the session page lists the phases.
        await ack(fay, {"type": "set_phase", "phase": "write"})
        await ack(fay, {"type": "set_phase", "phase": "reveal"})
        await ack(fay, {"type": "end_session"})
        status, forum = server.request("GET", f"/api/forums/{fid}")
        session_id = forum["last_session_id"]
        session_page = server.http("GET", f"/sessions/{session_id}").text
        assert "Phases:" in session_page and "back to Write" in session_page
        # History and export name nobody for the anonymous card.
        status, timeline = server.request("GET", f"/api/sessions/{session_id}/timeline")
        assert status == 200
        anon_steps = [s for s in timeline["steps"] if anon["id"] in s["card_ids"]]
        assert anon_steps and all(s["actor"] == "" for s in anon_steps)
        last_step = len(timeline["steps"]) - 1  # the board is in the reveal phase there
        replay = server.http("GET", f"/sessions/{session_id}/replay?step={last_step}").text
        assert "(reveal phase)" in replay
        exported = server.http("GET", f"/sessions/{session_id}/export.json").json()
        ops = [op for op in exported["operations"] if op["op"].get("card") == anon["id"]]
        adds = [
            op
            for op in exported["operations"]
            if op["op"]["type"] == "add_card" and op["op"].get("anonymous")
        ]
        assert ops and adds and all(op["actor"] == "" for op in ops + adds)
        assert exported["board"]["cards"][anon["id"]]["created_by"] == ""
        md = server.http("GET", f"/sessions/{session_id}/export.md").text
        assert "Quiet one" in md
    finally:
        for c in (fay, ana, bo):
            await c.close()


async def test_phases_only_in_a_retro_session(server: ServerProcess, forum: dict[str, Any]) -> None:
    # SPEC R20: an SoS has no phases
    fay = await live_as(server, forum["id"], "Fay", "facilitator")
    try:
        await ack(fay, {"type": "start_session"})
        no = await fay.call({"type": "set_phase", "phase": "write"})
        assert no["type"] == "reject" and no["code"] == "invalid"
        assert "Scaled Retrospective" in no["reason"]
    finally:
        await fay.close()


async def test_a_hold_on_a_face_down_card_does_not_say_who_wrote_it(
    server: ServerProcess, retro: dict[str, Any]
) -> None:
    # SPEC R22, R29: only its author can hold a hidden card, so showing the hold would
    # show the author; it is not relayed (the welcome does not list it either).
    fid = retro["id"]
    fay, ana, bo = await retro_people(server, fid)
    try:
        await ack(fay, {"type": "set_phase", "phase": "write"})
        seq = await ack(ana, {"type": "add_card", "column": "ideas", "title": "Secret plan"})
        card = f"c{seq}"
        await bo.wait_seq(seq)
        await ana.send_json({"type": "hold", "card": card})
        await asyncio.sleep(0.4)
        assert not any(m.get("holds") for m in bo.received if m["type"] == "batch")
        late = await live_as(server, fid, "Cy", "participant")
        welcome = next(m for m in late.received if m["type"] == "welcome")
        assert welcome["holds"] == []
        await late.close()
        # Once revealed, a hold is ordinary presence again.
        seq = await ack(fay, {"type": "set_phase", "phase": "reveal"})
        await ana.wait_seq(seq)
        await ana.send_json({"type": "hold", "card": card})
        got = await bo.expect("batch", match=lambda m: bool(m["holds"]))
        assert got["holds"][0]["card"] == card
    finally:
        for c in (fay, ana, bo):
            await c.close()


async def test_the_cards_api_writes_anonymous_cards_only_when_allowed(
    server: ServerProcess, retro: dict[str, Any]
) -> None:
    fid = retro["id"]
    new = {"column": "ideas", "title": "Quiet idea", "anonymous": True}
    status, out = server.request("POST", f"/api/forums/{fid}/cards", new)
    assert status in (400, 409) and "anonymous" in out["reason"].lower(), out  # no phases yet
    for op in (
        {"type": "start_session"},
        {"type": "set_phase", "phase": "write"},
        {"type": "configure_retro", "anonymous": True},
    ):
        status, body = server.request("POST", f"/api/forums/{fid}/ops", {"op": op})
        assert status in (200, 201), body
    status, card = server.request("POST", f"/api/forums/{fid}/cards", new)
    assert status == 201, card
    assert card["anonymous"] and card["created_by"] == "" and card["updated_by"] == ""
    status, board = server.request("GET", f"/api/forums/{fid}")
    assert board["cards"][card["id"]]["created_by"] == ""
