"""A person is an identity, not a name, over real websockets and HTTP (issue 14, SPEC
R40-R44): the person cookie is made on first contact and kept through renames; two
people called Ana are two people; one person reconnecting or renaming keeps their dots
and holds; an API token's writes carry its label and make no attendee; no client is
ever sent another person's id or key."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from typing import Any

from tests.support import LiveClient, ServerProcess, new_browser

KEY = re.compile(r"\bp[A-Za-z0-9_-]{16}\b")


async def ok(client: LiveClient, op: dict[str, Any]) -> dict[str, Any]:
    answer = await client.call(op)
    assert answer["type"] == "ack", answer
    return answer


async def as_browser(server: ServerProcess, fid: str, browser: dict[str, str]) -> LiveClient:
    """A participant's live connection from ``browser`` (its name and person cookies)."""
    token = server.links(fid)["participant"]
    return await LiveClient.connect(server.ws_url(fid, token), additional_headers=browser)


def person_pair(browser: dict[str, str]) -> str:
    return next(p for p in browser["cookie"].split("; ") if p.startswith("sb_person="))


def person_id(browser: dict[str, str]) -> str:
    """The raw person id inside the browser's signed cookie (what must never be sent)."""
    payload = person_pair(browser).split("=", 1)[1].rsplit(".", 1)[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


async def voting_retro(server: ServerProcess, dots: int) -> tuple[str, LiveClient]:
    forum = server.new_forum("retro", "Retro")
    fid = forum["id"]
    fac = await LiveClient.connect(server.ws_url(fid, server.links(fid)["facilitator"]))
    await ok(fac, {"type": "start_session"})
    await ok(fac, {"type": "add_card", "column": "to-improve", "title": "Pairing"})
    await ok(fac, {"type": "set_phase", "phase": "write"})
    await ok(fac, {"type": "configure_retro", "dots": dots})
    for phase in ("reveal", "group", "vote"):
        await ok(fac, {"type": "set_phase", "phase": phase})
    return fid, fac


async def vote(client: LiveClient, card: str) -> dict[str, Any]:
    return await client.call({"type": "cast_vote", "target": card})


def test_the_person_cookie_is_made_on_first_contact_and_kept(server: ServerProcess) -> None:
    # SPEC R40: signed, long-lived, HttpOnly; made once; a forged one is replaced.
    first = server.http("GET", "/healthz", auth=False)
    made = first.cookie("sb_person")
    assert made is not None
    header = next(h for h in first.set_cookies if h.startswith("sb_person="))
    flags = header.lower()
    assert "httponly" in flags and "max-age=34560000" in flags and "samesite=lax" in flags
    again = server.http("GET", "/healthz", headers={"cookie": made}, auth=False)
    assert again.cookie("sb_person") is None  # kept, not made again
    renamed = server.form("/name", {"name": "Ana", "next": "/"}, headers={"cookie": made})
    assert renamed.status == 303 and renamed.cookie("sb_person") is None
    forged = made[:-3] + ("AAA" if not made.endswith("AAA") else "BBB")
    replaced = server.http("GET", "/healthz", headers={"cookie": forged}, auth=False)
    assert replaced.cookie("sb_person") not in (None, made, forged)
    # A bearer caller is its token, not a browser: no person cookie for it.
    bearer = server.http("GET", "/healthz")
    assert bearer.cookie("sb_person") is None


async def test_reconnect_and_rename_keep_the_dots(server: ServerProcess) -> None:
    # SPEC R41, the scenario: 2 dots, cast 2, the third refused; reconnect: still
    # refused; rename: still refused. Another Ana has dots of her own.
    fid, fac = await voting_retro(server, dots=2)
    ana = new_browser(server, "Ana")
    a = await as_browser(server, fid, ana)
    other = await as_browser(server, fid, new_browser(server, "Ana"))
    try:
        await ok(a, {"type": "cast_vote", "target": "c2"})
        await ok(a, {"type": "cast_vote", "target": "c2"})
        third = await vote(a, "c2")
        assert third["type"] == "reject" and third["code"] == "limit", third
        await a.close()
        a = await as_browser(server, fid, ana)  # the same link and browser
        welcome = next(m for m in a.received if m["type"] == "welcome")
        assert "0</strong> of 2 dots left" in welcome["html"]["region:my-votes"]
        again = await vote(a, "c2")
        assert again["type"] == "reject" and again["code"] == "limit", again
        await a.close()
        anna = new_browser(server, "Anna", person=person_pair(ana))  # renamed at /name
        a = await as_browser(server, fid, anna)
        you = next(m for m in a.received if m["type"] == "welcome")["you"]
        assert you["name"] == "Anna"
        renamed = await vote(a, "c2")
        assert renamed["type"] == "reject" and renamed["code"] == "limit", renamed
        page = server.http("GET", f"/forums/{fid}", headers=anna).text  # the page too
        assert "0</strong> of 2 dots left" in page
        # The other Ana: a person of her own, with both her dots.
        await ok(other, {"type": "cast_vote", "target": "c2"})
        await ok(other, {"type": "cast_vote", "target": "c2"})
        closed = await ok(fac, {"type": "set_phase", "phase": "discuss"})
        await other.wait_seq(closed["seq"])
        board = server.board(fid)
        assert board["retro"]["tally"] == {"c2": 4}
        # One person however many names: Ana, Anna's one place in the session; two Anas.
        people = board["session"]["participants"]
        assert people.count("Ana") == 1 and "Ana (2)" in people and "Anna" not in people
        assert board["session"]["people"] == {}
    finally:
        for c in (a, other, fac):
            await c.close()


async def test_two_anas_see_only_their_own_hidden_cards(server: ServerProcess) -> None:
    # SPEC R41: a hidden card is its person's, not its name's (live frames and pages).
    forum = server.new_forum("retro", "Retro")
    fid = forum["id"]
    fac = await LiveClient.connect(server.ws_url(fid, server.links(fid)["facilitator"]))
    first, second = new_browser(server, "Ana"), new_browser(server, "Ana")
    a1 = await as_browser(server, fid, first)
    a2 = await as_browser(server, fid, second)
    try:
        await ok(fac, {"type": "start_session"})
        await ok(fac, {"type": "set_phase", "phase": "write"})
        one = await ok(a1, {"type": "add_card", "column": "went-well", "title": "First secret"})
        two = await ok(a2, {"type": "add_card", "column": "went-well", "title": "Other secret"})
        await a1.wait_seq(two["seq"])
        await a2.wait_seq(two["seq"])
        assert "Other secret" not in json.dumps(a1.received)
        assert "First secret" not in json.dumps(a2.received)
        steal = await a2.call({"type": "edit_card", "card": f"c{one['seq']}", "title": "x"})
        assert steal["type"] == "reject" and steal["code"] == "conflict", steal
        page1 = server.http("GET", f"/forums/{fid}", headers=first).text
        page2 = server.http("GET", f"/forums/{fid}", headers=second).text
        assert "First secret" in page1 and "Other secret" not in page1
        assert "Other secret" in page2 and "First secret" not in page2
    finally:
        for c in (a1, a2, fac):
            await c.close()


async def test_no_client_is_sent_another_persons_id_or_key(server: ServerProcess) -> None:
    # SPEC R40: frames, pages and the API carry display names; a person's id never
    # leaves the server, and their key only ever reaches themselves.
    fid, fac = await voting_retro(server, dots=3)
    ana, bo = new_browser(server, "Ana"), new_browser(server, "Bo")
    a = await as_browser(server, fid, ana)
    b = await as_browser(server, fid, bo)
    try:
        await ok(a, {"type": "cast_vote", "target": "c2"})
        last = await ok(b, {"type": "cast_vote", "target": "c2"})
        await a.wait_seq(last["seq"])
        await fac.wait_seq(last["seq"])
        a_keys = set(KEY.findall(json.dumps(a.received)))
        b_keys = set(KEY.findall(json.dumps(b.received)))
        assert len(a_keys) <= 1 and len(b_keys) <= 1 and not a_keys & b_keys
        fac_sent = json.dumps(fac.received)
        assert not KEY.findall(fac_sent), [
            fac_sent[max(0, m.start() - 200) : m.end() + 50] for m in KEY.finditer(fac_sent)
        ]
        sent = json.dumps([a.received, b.received, fac.received])
        for browser in (ana, bo):
            assert person_id(browser) not in sent
            for path in (f"/forums/{fid}", f"/api/forums/{fid}"):
                assert person_id(browser) not in server.http("GET", path, headers=ana).text
        api = server.http("GET", f"/api/forums/{fid}", headers=ana).text
        api_keys = set(KEY.findall(api))  # at most Ana's own, under her own votes
        assert len(api_keys) <= 1 and not api_keys & b_keys
        closed = await ok(fac, {"type": "set_phase", "phase": "discuss"})
        await b.wait_seq(closed["seq"])
        after = server.http("GET", f"/api/forums/{fid}", headers=bo).json()
        others, own = (
            [k for k in after["retro"]["votes"] if not KEY.fullmatch(k)],
            [k for k in after["retro"]["votes"] if KEY.fullmatch(k)],
        )
        assert others == ["voter 1"] and len(own) == 1 and own[0] not in api_keys
    finally:
        for c in (a, b, fac):
            await c.close()


async def test_an_api_write_is_labelled_and_is_not_an_attendee(server: ServerProcess) -> None:
    # SPEC R42: "API (participant link)"; the session's participants never list it.
    forum = server.new_forum("sos", "SoS")
    fid = forum["id"]
    fac = await LiveClient.connect(server.ws_url(fid, server.links(fid)["facilitator"]))
    try:
        await ok(fac, {"type": "start_session"})
        bearer = {"authorization": f"Bearer {server.links(fid)['participant']}"}
        status, card = server.request(
            "POST", f"/api/forums/{fid}/cards", {"column": "new", "title": "From CI"}, bearer
        )
        assert status == 201 and card["created_by"] == "API (participant link)", card
        batch = await fac.expect("batch", match=lambda m: m.get("items"))
        assert batch["items"][0]["actor"] == "API (participant link)"
        status, _ = server.request(
            "POST", f"/api/forums/{fid}/cards", {"column": "new", "title": "Admin"}
        )
        assert status == 201
        board = server.board(fid)
        assert board["cards"]["c3"]["created_by"] == "API (admin)"
        participants = board["session"]["participants"]
        assert not [p for p in participants if p.startswith("API")], participants
    finally:
        await fac.close()


async def test_a_hold_comes_back_when_its_person_reconnects(server: ServerProcess) -> None:
    # SPEC R44: the connection goes, the hold is released for everyone; the same person's
    # next connection has it again, and the others are told.
    forum = server.new_forum("sos", "SoS")
    fid = forum["id"]
    status, card = server.request(
        "POST", f"/api/forums/{fid}/cards", {"column": "new", "title": "Red build"}
    )
    assert status == 201
    ana = new_browser(server, "Ana")
    a = await as_browser(server, fid, ana)
    watcher = await as_browser(server, fid, new_browser(server, "Bo"))
    try:
        await a.send_json({"type": "hold", "card": card["id"]})
        await watcher.expect("batch", match=lambda m: m.get("holds"))
        await a.close()
        gone = await watcher.expect("batch", match=lambda m: m.get("left"))
        assert {"peer": gone["left"][0], "card": None} in gone["holds"]
        a = await as_browser(server, fid, ana)
        me = next(m for m in a.received if m["type"] == "welcome")["you"]["id"]
        back = await watcher.expect("batch", match=lambda m: m.get("holds") and m.get("joined"))
        assert {"peer": me, "card": card["id"]} in back["holds"]
        # Someone else leaving and coming back gets nothing back that was not theirs.
        await watcher.close()
        watcher = await as_browser(server, fid, new_browser(server, "Cy"))
        await asyncio.sleep(0.2)
        welcome = next(m for m in watcher.received if m["type"] == "welcome")
        assert welcome["holds"] == [{"peer": me, "card": card["id"]}]
    finally:
        for c in (a, watcher):
            await c.close()


async def test_a_next_step_marked_from_its_page_is_by_the_same_person(
    server: ServerProcess,
) -> None:  # SPEC R40, R43: HTTP forms act as the browser's person too
    forum = server.new_forum("sos", "SoS")
    fid = forum["id"]
    fac = await LiveClient.connect(server.ws_url(fid, server.links(fid)["facilitator"]))
    ana = new_browser(server, "Ana")
    a = await as_browser(server, fid, ana)
    try:
        await ok(fac, {"type": "start_session"})
        made = await ok(a, {"type": "add_next_step", "text": "Call the vendor"})
        await fac.wait_seq(made["seq"])
        (step,) = server.board(fid)["next_steps"]
        anna = new_browser(server, "Anna", person=person_pair(ana))  # renamed since
        r = server.form(f"/forums/{fid}/next-steps/{step}", {"status": "done"}, anna)
        assert r.status == 303, r.text
        board = server.board(fid)
        assert board["next_steps"][step]["status"] == "done"
        assert board["next_steps"][step]["updated_by"] == "Anna"
        assert [p for p in board["session"]["participants"] if p.startswith("An")] == ["Ana"]
    finally:
        for c in (a, fac):
            await c.close()


async def test_here_now_counts_people_not_names(server: ServerProcess) -> None:  # SPEC R40
    """Two people called Ana are two here; one Ana in two tabs is one."""
    fid = server.new_forum("sos", "Counted by person")["id"]
    ana, other_ana = new_browser(server, "Ana"), new_browser(server, "Ana")
    url = server.ws_url(fid)
    clients = [
        await LiveClient.connect(url, additional_headers=ana),
        await LiveClient.connect(url, additional_headers=ana),  # a second tab
        await LiveClient.connect(url, additional_headers=other_ana),
    ]
    try:
        admin = server.http("GET", f"/admin/enter?token={server.admin_token}", auth=False)
        cookie = admin.cookie("sb_access")
        assert cookie is not None
        home = server.http("GET", "/", headers={"cookie": cookie}, auth=False).text
        assert "2 here now" in home
    finally:
        for c in clients:
            await c.close()
