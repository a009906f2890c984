"""Joining from the room (SPEC R45-R47) against a real server: only a facilitator lets
the room join; the room link admits as a participant only while that is on, is no API
credential, and a rotation cuts it and everyone who came in with it off; the
projector shows the room link while on and whom to ask while off. Older databases get
their room links at startup, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import asyncpg
import pytest
import websockets

from tests.support import HttpResponse, LiveClient, ServerProcess, live_as, name_cookie
from tests.test_projector import expected_modules, join_label, qr_modules

OPS = "/api/forums/{}/ops"


def open_link(server: ServerProcess, url: str, cookie: str = "") -> HttpResponse:
    """A page as a browser without credentials (but ``cookie``) opens it."""
    return server.http("GET", url, headers={"cookie": cookie} if cookie else {}, auth=False)


def cookie_pair(r: HttpResponse, name: str = "sb_access") -> str:
    found = r.cookie(name)
    assert found is not None, r.set_cookies
    return found


def room_join(server: ServerProcess, forum_id: str, on: bool) -> None:
    """Turn room joining on or off as the admin (a facilitator of every forum)."""
    op = {"op": {"type": "set_room_join", "on": on}}
    status, answer = server.request("POST", OPS.format(forum_id), op)
    assert status in (200, 201), answer


def join_url(server: ServerProcess, forum_id: str, token: str) -> str:
    return f"/forums/{forum_id}/join?token={token}"


async def test_only_a_facilitator_lets_the_room_join(server: ServerProcess) -> None:
    """SPEC R45: a participant (or viewer) is refused with a clear reason and nothing
    changes; the facilitator's toggle reaches everyone as ``room_join_changed``."""
    forum = server.new_forum("sos", "Room R45")["id"]
    participant = await live_as(server, forum, "Pia", "participant")
    viewer = await live_as(server, forum, "Vic", "viewer")
    facilitator = await live_as(server, forum, "Fay", "facilitator")
    try:
        seq = server.board(forum)["seq"]
        for client in (participant, viewer):
            answer = await client.call({"type": "set_room_join", "on": True})
            assert answer["type"] == "reject" and answer["code"] == "forbidden", answer
            assert answer["reason"]
        assert answer["reason"].startswith("You are viewing this forum read-only")
        refused = await participant.call({"type": "set_room_join", "on": True})
        assert "Only a facilitator may set room join" in refused["reason"]
        board = server.board(forum)
        assert board["seq"] == seq and board["room_join"] is False
        # Bad input gets a clear error and changes nothing.
        await facilitator.op({"type": "set_room_join", "on": "yes"})
        bad = await facilitator.expect("error")
        assert bad["code"] == "bad_message" and "$.op.on" in bad["reason"], bad
        assert server.board(forum)["seq"] == seq
        status, body = server.request(
            "POST",
            OPS.format(forum),
            {"op": {"type": "set_room_join", "on": True}},
            headers={"authorization": f"Bearer {server.links(forum)['participant']}"},
        )
        assert status == 403 and body["code"] == "forbidden"
        # The facilitator turns it on: everyone hears it, the board keeps it.
        answer = await facilitator.call({"type": "set_room_join", "on": True})
        assert answer["type"] == "ack" and answer["seq"] == seq + 1
        for client in (participant, viewer):
            batch = await client.expect("batch")
            events = [e for item in batch["items"] for e in item["events"]]
            assert {"type": "room_join_changed", "on": True} in events
            assert any("Let people in the room" not in v for v in batch["html"].values())
        assert server.board(forum)["room_join"] is True
        # The same again changes nothing (no seq spent).
        again = await facilitator.call({"type": "set_room_join", "on": True})
        assert again["type"] == "ack" and server.board(forum)["seq"] == seq + 1
    finally:
        for client in (participant, viewer, facilitator):
            await client.close()


def test_the_room_link_admits_only_while_room_joining_is_on(server: ServerProcess) -> None:
    """SPEC R46: off, the link grants nothing and says whom to ask; on, it grants a
    participant's role and goes on to the board (name prompt first); turning it off
    lets nobody new in and keeps who is in."""
    forum = server.new_forum("sos", "Room R46")["id"]
    links = server.links(forum)
    room = links["room"]
    assert len(set(links.values())) == 4  # a token of its own
    # Off (a new board): a clear "ask" page, no grant, no token echoed.
    off = open_link(server, join_url(server, forum, room))
    assert off.status == 403 and "Joining from the room is off" in off.text
    assert "Room R46" in off.text and "ask the facilitator or the admin" in off.text
    assert off.cookie("sb_access") is None and room not in off.text
    assert off.headers["cache-control"] == "no-store"
    room_join(server, forum, True)
    on = open_link(server, join_url(server, forum, room))
    assert on.status == 303 and on.headers["location"] == f"/forums/{forum}"
    grant = cookie_pair(on)
    board = open_link(server, f"/forums/{forum}", grant)
    assert board.status == 303 and board.headers["location"] == f"/name?next=/forums/{forum}"
    prompt = open_link(server, board.headers["location"], grant)
    assert "joining <strong>Room R46</strong> as <strong>participant</strong>" in prompt.text
    named = f"{grant}; {name_cookie(server, 'Rui')['cookie']}"
    page = open_link(server, f"/forums/{forum}", named)
    assert page.status == 200 and 'data-role="participant"' in page.text
    assert room not in page.text
    assert 'id="room-join"' in page.text and "People in the room may join" in page.text
    # The room link is no API credential, and no other forum opens with it.
    status, _ = server.request(
        "GET", f"/api/forums/{forum}", headers={"authorization": f"Bearer {room}"}
    )
    assert status == 401
    assert open_link(server, f"/forums/{forum}?token={room}").status == 403  # not its address
    # Off again: already admitted people stay, nobody new gets in.
    room_join(server, forum, False)
    assert open_link(server, f"/forums/{forum}", named).status == 200
    again = open_link(server, join_url(server, forum, room))
    assert again.status == 403 and again.cookie("sb_access") is None
    # Without a token, /join is for those with a role: on to the board, else no access.
    assert open_link(server, f"/forums/{forum}/join", named).status == 303
    assert open_link(server, f"/forums/{forum}/join").status == 403
    assert open_link(server, join_url(server, forum, "not-a-token")).status == 403


async def test_the_room_link_is_not_a_websocket_credential(server: ServerProcess) -> None:
    """SPEC R46: ``?token=`` with the room link opens no socket (a grant does)."""
    forum = server.new_forum("sos", "Room socket")["id"]
    room_join(server, forum, True)
    ws = await websockets.connect(server.ws_url(forum, server.links(forum)["room"]))
    error = await ws.recv()
    assert '"forbidden"' in str(error)
    with pytest.raises(websockets.ConnectionClosed):
        await ws.recv()
    assert ws.close_code == 4403


async def test_rotating_the_room_link_cuts_the_old_one_off(server: ServerProcess) -> None:
    """SPEC R46: the forum page's rotate form (facilitator, CSRF) replaces the room
    link; the old link, its grants and its sockets stop working; other links stay."""
    forum = server.new_forum("sos", "Room rotate")["id"]
    links = server.links(forum)
    room_join(server, forum, True)
    grant = cookie_pair(open_link(server, join_url(server, forum, links["room"])))
    joined = await LiveClient.connect(
        server.ws_url(forum, ""), additional_headers={"cookie": grant}
    )
    member = await live_as(server, forum, "Pat", "participant")
    path = f"/forums/{forum}/room-link/rotate"
    try:
        # A facilitator's browser: its page has the form and its CSRF field.
        fac = cookie_pair(open_link(server, f"/forums/{forum}?token={links['facilitator']}"))
        fac = f"{fac}; {name_cookie(server, 'Fay')['cookie']}"
        page = open_link(server, f"/forums/{forum}", fac)
        assert 'class="room-link-rotate"' in page.text and "data-confirm=" in page.text
        assert "Let people in the room join from the projector" in page.text
        field = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert field is not None
        browser = {"cookie": f"{fac}; {cookie_pair(page, 'sb_csrf')}"}
        assert server.form(path, {}, browser, auth=False).status == 403  # no CSRF field
        part = cookie_pair(open_link(server, f"/forums/{forum}?token={links['participant']}"))
        assert server.form(path, {}, {"cookie": part}, auth=False).status == 403  # a participant
        assert server.links(forum) == links  # nothing rotated yet
        r = server.form(path, {"csrf": field.group(1)}, browser, auth=False)
        assert r.status == 303 and r.headers["location"].startswith(f"/forums/{forum}")
        now = server.links(forum)
        assert now["room"] != links["room"] and {**now, "room": links["room"]} == links
        # The socket that came in by the old room link is told and closed; the rest stay.
        error = await joined.expect("error")
        assert error["code"] == "forbidden" and "replaced" in error["reason"]
        for _ in range(100):
            if joined.ws.close_code is not None:
                break
            await asyncio.sleep(0.05)
        assert joined.ws.close_code == 4403
        assert (await member.call({"type": "add_column", "title": "Still here"}))["type"] == "ack"
        assert open_link(server, f"/forums/{forum}/sessions", grant).status == 403
        old = open_link(server, join_url(server, forum, links["room"]))
        assert old.status == 403 and "This link does not work" in old.text
        fresh = open_link(server, join_url(server, forum, now["room"]))
        assert fresh.status == 303
        assert open_link(server, f"/forums/{forum}/sessions", cookie_pair(fresh)).status == 200
        # /admin lists it with the others: its address, a Copy button, a confirmed Rotate.
        admin = server.http("GET", "/admin")
        row = re.search(
            r'<tr class="link-row" data-role="room">(.*?)</tr>',
            admin.text.split(f'id="forum-{forum}"')[1],
            re.S,
        )
        assert row is not None, "no room link on /admin"
        assert f"/forums/{forum}/join?token={now['room']}" in row.group(1)
        assert 'class="copy-link"' in row.group(1) and "data-confirm=" in row.group(1)
        # The admin rotates it on /admin's API too, like any link.
        status, link = server.request("POST", f"/api/forums/{forum}/links/room/rotate")
        assert status == 201 and link["url"].endswith(f"/forums/{forum}/join?token={link['token']}")
    finally:
        await joined.close()
        await member.close()


async def test_the_projector_shows_the_room_link_only_while_on(server: ServerProcess) -> None:
    """SPEC R47: off, the QR code is the forum's address and the panel names the
    facilitators connected now; on, it is the room link (page and panel alike)."""
    forum = server.new_forum("sos", "Room R47")["id"]
    viewer = {"authorization": f"Bearer {server.links(forum)['viewer']}"}
    address = f"{server.url}/forums/{forum}"

    def projector() -> str:
        r = server.http("GET", f"/forums/{forum}/projector", headers=viewer)
        assert r.status == 200 and r.headers["cache-control"] == "no-store"
        return r.text

    page = projector()
    assert qr_modules(page) == expected_modules(address)
    assert "To join, ask the facilitator or the admin for a link" in page
    fay = await live_as(server, forum, "Fay Lead", "facilitator")
    try:
        panel = server.http("GET", f"/forums/{forum}/projector/join-panel", headers=viewer)
        assert panel.status == 200 and panel.text.startswith('<figure class="join" id="join"')
        assert "To join, ask Fay Lead or the admin for a link" in panel.text
        room_join(server, forum, True)
        link = f"{server.url}/forums/{forum}/join?token={server.links(forum)['room']}"
        panel = server.http("GET", f"/forums/{forum}/projector/join-panel", headers=viewer)
        for text in (projector(), panel.text):
            assert qr_modules(text) == expected_modules(link)
            assert join_label(text) == link.split("://", 1)[1]
            assert "Scan to join as a participant" in text
    finally:
        await fay.close()
    room_join(server, forum, False)
    assert qr_modules(projector()) == expected_modules(address)
    stranger = server.http("GET", f"/forums/{forum}/projector/join-panel", auth=False)
    assert stranger.status == 403 and server.links(forum)["room"] not in stranger.text


def test_an_older_sqlite_database_gets_its_room_links(tmp_path: Path) -> None:
    """SPEC R46: a database from before room links gets one per forum at startup."""
    server = ServerProcess(tmp_path / "old.db").start()
    try:
        forum = server.new_forum("eat", "From before")["id"]
        before = server.links(forum)
        assert sorted(before) == ["facilitator", "participant", "room", "viewer"]
    finally:
        server.stop()
    with sqlite3.connect(server.db) as db:
        db.execute("DELETE FROM forum_tokens WHERE role='room'")
    server.start()
    try:
        after = server.links(forum)
        assert sorted(after) == sorted(before) and after["room"] != before["room"]
        assert {k: v for k, v in after.items() if k != "room"} == {
            k: v for k, v in before.items() if k != "room"
        }
        room_join(server, forum, True)
        assert open_link(server, join_url(server, forum, after["room"])).status == 303
    finally:
        server.stop()


async def test_room_links_on_postgresql(db_url: str, tmp_path: Path) -> None:
    """SPEC R46 on PostgreSQL: made with the forum, made at startup where missing, and
    admitting only while on."""
    server = ServerProcess(db_url, log_path=tmp_path / "pg.log").start()
    try:
        forum = server.new_forum("sos", "On PostgreSQL")["id"]
        room = server.links(forum)["room"]
        assert open_link(server, join_url(server, forum, room)).status == 403
        room_join(server, forum, True)
        assert open_link(server, join_url(server, forum, room)).status == 303
    finally:
        server.stop()
    db = await asyncpg.connect(db_url)  # an older database: no room links yet
    try:
        await db.execute("DELETE FROM forum_tokens WHERE role='room'")
    finally:
        await db.close()
    server.start()
    try:
        fresh = server.links(forum)["room"]
        assert fresh != room
        assert open_link(server, join_url(server, forum, fresh)).status == 303  # still on
        assert open_link(server, join_url(server, forum, room)).status == 403
    finally:
        server.stop()
