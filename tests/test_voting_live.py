"""Dot voting over real websockets (issue 5, SPEC R26-R28): a participant's vote reaches
only them until the facilitator closes the vote; everyone else learns how many people
voted, never for what; after the close everyone gets the tally and the discussion order."""

from __future__ import annotations

import json
from typing import Any

from tests.support import LiveClient, ServerProcess


def events_of(msg: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for i in msg.get("items", []) for e in i["events"] if e["type"] == kind]


def has(kind: str) -> Any:
    return lambda m: bool(events_of(m, kind))


async def ok(client: LiveClient, op: dict[str, Any]) -> dict[str, Any]:
    answer = await client.call(op)
    assert answer["type"] == "ack", answer
    return answer


async def test_votes_stay_with_the_voter_until_the_close(server: ServerProcess) -> None:
    forum = server.new_forum("retro", "Retro")
    fid = forum["id"]
    tokens = server.links(fid)
    fac = await LiveClient.connect(server.ws_url(fid, tokens["facilitator"]))
    a = await LiveClient.connect(server.ws_url(fid, tokens["participant"]))
    b = await LiveClient.connect(server.ws_url(fid, tokens["participant"]))
    try:
        a_name = next(m["you"]["name"] for m in a.received if m["type"] == "welcome")
        await ok(fac, {"type": "start_session"})
        cards = []
        for title in ("Fast CI", "Flaky tests", "Long meetings"):
            await ok(fac, {"type": "add_card", "column": "to-improve", "title": title})
            cards.append(f"c{fac.seq}")
        for phase in ("write", "reveal", "group"):
            await ok(fac, {"type": "set_phase", "phase": phase})
        # Group phase (R25): B puts two cards in one cluster and names it.
        await ok(b, {"type": "group_card", "card": cards[1], "with_card": cards[2]})
        group = f"g{b.seq}"
        named = await ok(b, {"type": "name_group", "group": group, "title": "Waste"})
        await a.wait_seq(named["seq"])
        clusters = [m for m in a.received if m["type"] == "batch" and "region:voting" in m["html"]]
        assert 'data-group-title="Waste"' in clusters[-1]["html"]["region:voting"]
        await ok(fac, {"type": "set_phase", "phase": "vote"})
        await b.wait_seq(fac.seq)
        mark = len(b.received)
        # A votes: two dots on the cluster (through one of its cards), one on a card.
        await ok(a, {"type": "cast_vote", "target": cards[1]})
        await ok(a, {"type": "cast_vote", "target": group})
        last = await ok(a, {"type": "cast_vote", "target": cards[0]})
        refused = await a.call({"type": "cast_vote", "target": cards[0]})
        assert refused["type"] == "reject" and refused["code"] == "limit"
        assert refused["reason"] == "You have used all 3 dots."
        await b.wait_seq(last["seq"])
        # A sees their own votes and their dots left.
        mine = [e for m in a.received for e in events_of(m, "vote_cast")]
        # SPEC R40: their own votes say "you", never their person key.
        assert [(e["voter"], e["target"], e["used"]) for e in mine] == [
            ("you", group, 1),
            ("you", group, 2),
            ("you", cards[0], 3),
        ]
        assert a_name.startswith("Guest ")
        a_last = next(m for m in reversed(a.received) if has("vote_cast")(m))
        assert "0</strong> of 3 dots left" in a_last["html"]["region:my-votes"]
        assert f'data-mine="{group}" data-dots="2"' in a_last["html"]["region:my-votes"]
        # B's frames since the vote opened: a count of voters, nothing about targets.
        seen = b.received[mark:]
        raw = json.dumps(seen)
        assert "vote_cast" not in raw and "data-mine" not in raw and "region:my-votes" not in raw
        counted = [e for m in seen for e in events_of(m, "votes_counted")]
        assert counted == [{"type": "votes_counted", "voters": 1}] * 3
        for m in seen:
            if m["type"] != "batch":
                continue
            shared = m["html"].pop("region:voting", "")
            # Op ids are random hex: one may contain a short card id by chance.
            items = [{k: v for k, v in i.items() if k != "op_id"} for i in m["items"]]
            text = json.dumps({**m, "items": items})
            assert cards[0] not in text and group not in text
            assert "1 person has voted" in shared
        # Neither a fresh connection nor the JSON API shows A's targets.
        c = await LiveClient.connect(server.ws_url(fid, tokens["participant"]))
        welcome = next(m for m in c.received if m["type"] == "welcome")
        assert "data-mine" not in welcome["html"]["region:my-votes"]
        assert "3</strong> of 3 dots left" in welcome["html"]["region:my-votes"]
        await c.close()
        api = server.board(fid)
        assert all(v == {} for v in api["retro"]["votes"].values())
        assert api["retro"]["tally"] is None
        # The facilitator closes the vote: everyone gets the tally and the order.
        closed = await ok(fac, {"type": "set_phase", "phase": "discuss"})
        for client in (a, b):
            batch = await client.expect("batch", match=has("vote_closed"))
            assert events_of(batch, "vote_closed")[0]["tally"] == {group: 2, cards[0]: 1}
            order = batch["html"]["region:voting"]
            assert "Discussion order" in order
            assert order.index(f'data-topic="{group}"') < order.index(f'data-topic="{cards[0]}"')
            assert f'data-topic="{group}" data-votes="2"' in order
            assert client.seq >= closed["seq"]
        # Stepping back re-opens the vote with A's votes kept.
        await ok(fac, {"type": "set_phase", "phase": "vote"})
        again = await a.expect("batch", match=has("vote_reopened"))
        assert "0</strong> of 3 dots left" in again["html"]["region:my-votes"]
    finally:
        for client in (fac, a, b):
            await client.close()


async def test_what_is_not_votable_is_refused_live_and_clusters_gather(
    server: ServerProcess,
) -> None:
    """SPEC R48: a dot on a "Went well" card is refused to its sender with a clear reason
    and changes nothing for anyone. SPEC R49: grouping with ``gather`` moves the card in
    after the cluster's cards, for everyone in the same seq; renaming reaches everyone."""
    forum = server.new_forum("retro", "Retro")
    fid = forum["id"]
    tokens = server.links(fid)
    fac = await LiveClient.connect(server.ws_url(fid, tokens["facilitator"]))
    a = await LiveClient.connect(server.ws_url(fid, tokens["participant"]))
    try:
        await ok(fac, {"type": "start_session"})
        ids = {}
        for column, title in (("went-well", "Pairing"), ("to-improve", "Flaky"), ("ideas", "Mob")):
            await ok(fac, {"type": "add_card", "column": column, "title": title})
            ids[title] = f"c{fac.seq}"
        for phase in ("write", "reveal", "group"):
            await ok(fac, {"type": "set_phase", "phase": phase})
        grouped = await ok(
            a, {"type": "group_card", "card": ids["Mob"], "with_card": ids["Flaky"], "gather": True}
        )
        batch = await fac.expect("batch", match=has("card_moved"))
        assert events_of(batch, "card_moved")[0]["card_id"] == ids["Mob"]
        assert events_of(batch, "card_moved")[0]["column"] == "to-improve"
        assert batch["items"][-1]["seq"] == grouped["seq"]  # one op, one seq
        group = f"g{grouped['seq']}"
        named = await ok(fac, {"type": "name_group", "group": group, "title": "Flaky CI"})
        await a.wait_seq(named["seq"])
        renamed = next(m for m in reversed(a.received) if has("group_changed")(m))
        assert 'data-group-title="Flaky CI"' in renamed["html"]["region:voting"]
        board = server.board(fid)
        column = next(c for c in board["columns"] if c["id"] == "to-improve")
        assert column["card_ids"] == [ids["Flaky"], ids["Mob"]]

        await ok(fac, {"type": "set_phase", "phase": "vote"})
        before = server.board(fid)
        refused = await a.call({"type": "cast_vote", "target": ids["Pairing"]})
        assert refused["type"] == "reject" and refused["code"] == "invalid"
        assert refused["reason"] == "Cards in “Went well” are not voted on."
        assert server.board(fid)["seq"] == before["seq"]
        # The vote list offers the cluster, and no dot control for "Went well".
        voted = await ok(a, {"type": "cast_vote", "target": group})
        await fac.wait_seq(voted["seq"])
        panel = next(m for m in reversed(fac.received) if "region:voting" in m.get("html", {}))
        assert f'data-topic="{ids["Pairing"]}"' not in panel["html"]["region:voting"]
        assert f'data-topic="{group}"' in panel["html"]["region:voting"]
    finally:
        for client in (fac, a):
            await client.close()
