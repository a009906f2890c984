"""Who has this card, and follow the facilitator, over real websockets (issue 5).

Holds (SPEC R29): A's hold reaches B with A's connection id, a newcomer's welcome lists
it, letting go and leaving release it, a bad hold gets ``error`` and changes nothing, a
viewer may not hold, and holds count against the rate limit. The focus (R30, R31): the
facilitator's ``set_focus`` reaches everyone with ``region:focus``, a participant's is
refused, and a full welcome carries the current focus.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.support import LiveClient, ServerProcess, name_cookie


def add_card(server: ServerProcess, forum_id: str, title: str) -> str:
    status, card = server.request(
        "POST", f"/api/forums/{forum_id}/cards", {"column": "new", "title": title}
    )
    assert status == 201, card
    return str(card["id"])


async def connect(server: ServerProcess, forum_id: str, role: str) -> LiveClient:
    return await LiveClient.connect(server.ws_url(forum_id, server.links(forum_id)[role]))


def me(client: LiveClient) -> str:
    welcome = next(m for m in client.received if m["type"] == "welcome")
    return str(welcome["you"]["id"])


def holds_of(client: LiveClient) -> list[dict[str, Any]]:
    """Every hold change this client was sent in batches, in order."""
    return [h for m in client.received if m["type"] == "batch" for h in m.get("holds", [])]


async def hold(client: LiveClient, card: str | None) -> None:
    await client.send_json({"type": "hold", "card": card})


async def quiet(client: LiveClient, seconds: float = 0.3) -> list[dict[str, Any]]:
    """What arrives in the next ``seconds`` (for 'nothing else happened')."""
    start = len(client.received)
    await asyncio.sleep(seconds)
    return client.received[start:]


async def test_a_hold_reaches_the_others_with_the_holders_peer_id(
    server: ServerProcess, forum: dict[str, Any]
) -> None:  # SPEC R29
    fid = forum["id"]
    card = add_card(server, fid, "Build is red")
    a = await connect(server, fid, "participant")
    b = await connect(server, fid, "participant")
    try:
        seq = server.board(fid)["seq"]
        await hold(a, card)
        got = await b.expect("batch", match=lambda m: m["holds"])
        assert got["holds"] == [{"peer": me(a), "card": card}]
        assert got["items"] == [] and got["joined"] == [] and got["left"] == []
        # The same frame reaches the holder (same bytes for all).
        mine = await a.expect("batch", match=lambda m: m["holds"])
        assert mine == got
        # Someone who arrives now is told in the welcome.
        c = await connect(server, fid, "facilitator")
        welcome = next(m for m in c.received if m["type"] == "welcome")
        assert welcome["holds"] == [{"peer": me(a), "card": card}]
        # Holding the same card again sends nothing; letting go does.
        await hold(a, card)
        await hold(a, None)
        released = await b.expect("batch", match=lambda m: m["holds"])
        assert released["holds"] == [{"peer": me(a), "card": None}]
        assert holds_of(b) == [{"peer": me(a), "card": card}, {"peer": me(a), "card": None}]
        # A hold is presence, never an operation: nothing was logged.
        assert server.board(fid)["seq"] == seq
        await c.close()
    finally:
        await a.close()
        await b.close()


async def test_a_peer_that_disconnects_lets_go(
    server: ServerProcess, forum: dict[str, Any]
) -> None:  # SPEC R29
    fid = forum["id"]
    card = add_card(server, fid, "Flaky login")
    a = await connect(server, fid, "participant")
    b = await connect(server, fid, "participant")
    try:
        a_id = me(a)
        await hold(a, card)
        await b.expect("batch", match=lambda m: m["holds"])
        await a.close()
        gone = await b.expect("batch", match=lambda m: a_id in m["left"])
        assert gone["holds"] == [{"peer": a_id, "card": None}]
        c = await connect(server, fid, "participant")
        assert next(m for m in c.received if m["type"] == "welcome")["holds"] == []
        await c.close()
    finally:
        await b.close()


async def test_a_bad_hold_gets_an_error_and_changes_nothing(
    server: ServerProcess, forum: dict[str, Any]
) -> None:  # SPEC R29, R12
    fid = forum["id"]
    card = add_card(server, fid, "Build is red")
    gone = add_card(server, fid, "Old news")
    status, archived = server.request("POST", f"/api/forums/{fid}/cards/{gone}/archive")
    assert status in (200, 201) and archived["archived"], archived
    a = await connect(server, fid, "participant")
    b = await connect(server, fid, "participant")
    try:
        await hold(a, card)
        await b.expect("batch", match=lambda m: m["holds"])
        seq = server.board(fid)["seq"]
        bad = [("c999", "not_found", "There is no card 'c999'"), (gone, "conflict", "archived")]
        for target, code, words in bad:
            await hold(a, target)
            error = await a.expect("error")
            assert error["code"] == code and words in error["reason"], error
        await a.send_json({"type": "hold", "card": 12})
        assert (await a.expect("error"))["code"] == "bad_message"
        await a.send_json({"type": "hold", "card": card, "extra": 1})
        assert (await a.expect("error"))["code"] == "bad_message"
        # Nothing changed: B saw nothing, A still holds its card, nothing was logged.
        assert not [m for m in await quiet(b) if m["type"] == "batch"]
        assert holds_of(b) == [{"peer": me(a), "card": card}]
        c = await connect(server, fid, "participant")
        assert next(m for m in c.received if m["type"] == "welcome")["holds"] == [
            {"peer": me(a), "card": card}
        ]
        assert server.board(fid)["seq"] == seq
        await c.close()
        # Before hello, a hold is refused like an op.
        early = await LiveClient.connect(
            server.ws_url(fid, server.links(fid)["participant"]), hello=False
        )
        await hold(early, card)
        assert (await early.expect("error"))["code"] == "hello_first"
        await early.close()
    finally:
        await a.close()
        await b.close()


async def test_a_viewer_cannot_hold(server: ServerProcess, forum: dict[str, Any]) -> None:
    fid = forum["id"]  # SPEC R29
    card = add_card(server, fid, "Build is red")
    viewer = await connect(server, fid, "viewer")
    b = await connect(server, fid, "participant")
    try:
        await hold(viewer, card)
        error = await viewer.expect("error")
        assert error["code"] == "forbidden" and "read-only" in error["reason"]
        assert not [m for m in await quiet(b) if m["type"] == "batch"]
        c = await connect(server, fid, "participant")
        assert next(m for m in c.received if m["type"] == "welcome")["holds"] == []
        await c.close()
    finally:
        await viewer.close()
        await b.close()


async def test_holds_count_against_the_rate_limit(
    server: ServerProcess, forum: dict[str, Any]
) -> None:  # SPEC R29, R14
    fid = forum["id"]
    card = add_card(server, fid, "Build is red")
    a = await connect(server, fid, "participant")
    try:
        for i in range(400):  # far past the burst of 200 at 50/s
            await a.send_json({"type": "hold", "card": card if i % 2 == 0 else None})
        await asyncio.sleep(0.5)
        codes = [m["code"] for m in a.received if m["type"] == "error"]
        assert codes and set(codes) == {"rate_limited"}
        assert len(codes) >= 100
    finally:
        await a.close()


def focus_target(html: str) -> str:
    head = html.split(">", 1)[0]
    assert 'id="focus"' in head, html
    found = re.search(r'data-target="([^"]*)"', head)
    assert found, head
    return found.group(1)


async def test_the_facilitator_brings_everyone_to_a_card(
    server: ServerProcess, forum: dict[str, Any]
) -> None:  # SPEC R30, R31
    fid = forum["id"]
    card = add_card(server, fid, "Build is red")
    fac = await connect(server, fid, "facilitator")
    part = await connect(server, fid, "participant")
    try:
        assert (await fac.call({"type": "set_focus", "target": card}))["type"] == "ack"
        batch = await part.expect(
            "batch",
            match=lambda m: any(
                e["type"] == "focus_changed" for i in m["items"] for e in i["events"]
            ),
        )
        events = [e for i in batch["items"] for e in i["events"]]
        assert {"type": "focus_changed", "target": card} in events
        region = batch["html"]["region:focus"]
        assert focus_target(region) == card and "Build is red" in region
        assert "release-focus" not in region  # a participant cannot release
        assert server.board(fid)["focus"] == card
        # A participant may not move everyone.
        refused = await part.call({"type": "set_focus", "target": "removing"})
        assert refused["type"] == "reject" and refused["code"] == "forbidden"
        assert server.board(fid)["focus"] == card
        # Whoever arrives (or reconnects without a seq) gets it with the whole board.
        late = await connect(server, fid, "viewer")
        welcome = next(m for m in late.received if m["type"] == "welcome")
        assert welcome["full"] and focus_target(welcome["html"]["region:focus"]) == card
        await late.close()
        # The facilitator's page offers "Bring everyone here" on cards and columns, and
        # "Release"; a participant's page (the same cards, rendered once and cached)
        # offers neither, but both follow the focus.
        cookie = name_cookie(server, "Fay")["cookie"]
        pages = {
            role: server.http(
                "GET",
                f"/forums/{fid}",
                headers={"cookie": cookie, "authorization": f"Bearer {token}"},
            ).text
            for role, token in (("facilitator", server.links(fid)["facilitator"]),
                                ("participant", server.links(fid)["participant"]))
        }  # fmt: skip
        fac_page, part_page = pages["facilitator"], pages["participant"]
        assert fac_page.count('data-action="bring-here"') == 1 + 4  # one card, four columns
        assert 'data-action="release-focus"' in fac_page
        assert "bring-here" not in part_page and "release-focus" not in part_page
        for page in (fac_page, part_page):
            assert 'id="follow-toggle"' in page and f'data-target="{card}"' in page
        # Release.
        assert (await fac.call({"type": "set_focus", "target": None}))["type"] == "ack"
        released = await part.expect("batch", match=lambda m: "region:focus" in m["html"])
        assert focus_target(released["html"]["region:focus"]) == ""
        assert server.board(fid)["focus"] is None
    finally:
        await fac.close()
        await part.close()
