"""Access against a real server: each role against each route and each websocket op,
rotation, CSRF, forged cookies, the admin's link (docs/access.md).

Roles are: nobody (no credentials), a forum's viewer, participant and facilitator
(its tokens, from the admin API), and the admin. HTTP calls carry them as bearer tokens
here; cookies from opening the links are tested on their own below.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import websockets

from server.access.passes import COOKIE, Pass
from server.access.signing import fingerprint, seal
from tests.support import ROOT, HttpResponse, LiveClient, ServerProcess

Forum = dict[str, Any]
WHO = ("nobody", "viewer", "participant", "facilitator", "admin")
RANK = {"nobody": 0, "viewer": 1, "participant": 2, "facilitator": 3, "admin": 4}


class World:
    """Two forums: A with cards, a recorded session and a next step; B another one."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.a = server.new_forum("sos", "Access A")["id"]
        self.b = server.new_forum("retro", "Access B")["id"]
        for title in ("One", "Two", "Three"):
            add = server.request(
                "POST", f"/api/forums/{self.a}/cards", {"column": "new", "title": title}
            )
            assert add[0] == 201, add
        base = f"/api/forums/{self.a}"
        assert server.request("POST", f"{base}/sessions")[0] == 201
        assert (
            server.request("POST", f"{base}/decisions", {"text": "Secret decision of A"})[0] == 201
        )
        status, step = server.request("POST", f"{base}/next-steps", {"text": "Secret step of A"})
        assert status == 201, step
        self.step = step["id"]
        status, ended = server.request("POST", f"{base}/sessions/current/end")
        assert status == 201, ended
        self.session = ended["session"]["id"]
        bb = f"/api/forums/{self.b}"
        assert server.request("POST", f"{bb}/sessions")[0] == 201
        assert server.request("POST", f"{bb}/decisions", {"text": "Decision of B"})[0] == 201
        assert server.request("POST", f"{bb}/sessions/current/end")[0] == 201
        self.tokens = server.links(self.a)

    def headers(self, who: str) -> dict[str, str]:
        if who == "nobody":
            return {}
        token = self.server.admin_token if who == "admin" else self.tokens[who]
        return {"authorization": f"Bearer {token}"}

    def seq(self) -> int:
        return int(self.server.board(self.a)["seq"])


@pytest.fixture(scope="module")
def world(server: ServerProcess) -> World:
    return World(server)


def call(
    server: ServerProcess, who: str, w: World, method: str, path: str, body: Any
) -> HttpResponse:
    headers = w.headers(who)
    if isinstance(body, dict) and body.get("_form"):
        fields = {k: v for k, v in body.items() if k != "_form"}
        return server.form(path, fields, headers, auth=False)
    data = None if body is None else msgspec.json.encode(body)
    headers = {"content-type": "application/json", **headers}
    return server.http(method, path, data, headers, auth=False)


# (method, path, body, least role) — least role: "public" (anyone), "member" (anyone with
# some link), a forum role on A, or "admin". "{a}", "{b}", "{s}", "{step}" are filled in.
ROUTES: list[tuple[str, str, Any, str]] = [
    # JSON API
    ("GET", "/api/kinds", None, "public"),
    ("GET", "/api/teams", None, "member"),
    ("GET", "/api/forums/{a}", None, "viewer"),
    ("GET", "/api/forums/{a}/cards", None, "viewer"),
    ("GET", "/api/forums/{a}/cards/c1", None, "viewer"),
    ("GET", "/api/forums/{a}/sessions", None, "viewer"),
    ("GET", "/api/forums/{a}/next-steps", None, "viewer"),
    ("GET", "/api/sessions/{s}", None, "viewer"),
    ("GET", "/api/sessions/{s}/timeline", None, "viewer"),
    ("GET", "/api/sessions/{s}/board?step=1", None, "viewer"),
    ("GET", "/api/sessions/{s}/changes", None, "viewer"),
    ("GET", "/api/sessions/{s}/export", None, "viewer"),
    ("GET", "/api/sessions?forum={a}", None, "viewer"),
    ("GET", "/api/decisions?forum={a}", None, "viewer"),
    ("GET", "/api/next-steps?forum={a}", None, "viewer"),
    ("POST", "/api/forums/{a}/cards", {"column": "new", "title": "New"}, "participant"),
    ("PATCH", "/api/forums/{a}/cards/c1", {"title": "Renamed"}, "participant"),
    ("POST", "/api/forums/{a}/cards/c2/move", {"column": "removing", "index": 0}, "participant"),
    ("POST", "/api/forums/{a}/cards/c3/archive", None, "participant"),
    ("POST", "/api/forums/{a}/cards/c3/restore", None, "participant"),
    ("POST", "/api/forums/{a}/ops", {"op": {"type": "add_column", "title": "X"}}, "participant"),
    ("POST", "/api/forums/{a}/ops", {"op": {"type": "rename_forum", "name": "A!"}}, "facilitator"),
    ("POST", "/api/forums/{a}/ops", {"op": {"type": "set_room_join", "on": False}}, "facilitator"),
    ("POST", "/api/forums/{a}/sessions", None, "facilitator"),
    ("POST", "/api/forums/{a}/decisions", {"text": "Decided"}, "participant"),
    ("POST", "/api/forums/{a}/next-steps", {"text": "Step"}, "participant"),
    ("PATCH", "/api/forums/{a}/next-steps/{step}", {"status": "open"}, "participant"),
    ("POST", "/api/forums/{a}/sessions/current/end", None, "facilitator"),
    ("POST", "/api/forums", {"name": "Made", "kind": "sos"}, "admin"),
    ("POST", "/api/import", {"format": "nonsense"}, "admin"),
    ("GET", "/api/forums/{a}/links", None, "admin"),
    ("POST", "/api/forums/{b}/links/viewer/rotate", None, "admin"),
    # pages
    ("GET", "/forums/{a}", None, "viewer"),
    ("GET", "/forums/{a}/sessions", None, "viewer"),
    ("GET", "/forums/{a}/decisions", None, "viewer"),
    ("GET", "/forums/{a}/next-steps", None, "viewer"),
    ("GET", "/forums/{a}/next-steps.csv", None, "viewer"),
    ("GET", "/sessions/{s}", None, "viewer"),
    ("GET", "/sessions/{s}/replay", None, "viewer"),
    ("GET", "/sessions/{s}/replay/1", None, "viewer"),
    ("GET", "/sessions/{s}/changes", None, "viewer"),
    ("GET", "/sessions/{s}/export.md", None, "viewer"),
    ("GET", "/sessions/{s}/export.json", None, "viewer"),
    ("POST", "/forums/{a}/next-steps/{step}", {"_form": 1, "status": "open"}, "participant"),
    ("GET", "/import", None, "admin"),
    ("GET", "/admin", None, "admin"),
    ("POST", "/forums", {"_form": 1, "name": "Made by form", "kind": "sos"}, "admin"),
    ("POST", "/admin/forums/{b}/rotate", {"_form": 1, "role": "viewer"}, "admin"),
    # joining from the room (SPEC R45-R47; the room link itself: tests/test_room_join.py)
    ("GET", "/forums/{a}/projector/join-panel", None, "viewer"),
    ("GET", "/forums/{a}/join", None, "viewer"),
    ("POST", "/forums/{a}/room-link/rotate", {"_form": 1}, "facilitator"),
    ("GET", "/", None, "public"),
    ("GET", "/sessions", None, "public"),
    ("GET", "/decisions", None, "public"),
    ("GET", "/next-steps", None, "public"),
    ("GET", "/next-steps.csv", None, "public"),
    # sprints and team metrics (SPEC R69-R71; bad input, so nothing changes)
    ("GET", "/sprints", None, "public"),
    ("GET", "/api/sprints", None, "public"),
    ("PUT", "/api/sprints", {"days": 0, "start": "2026-01-05"}, "admin"),
    ("POST", "/admin/sprints", {"_form": 1, "days": "0", "start": "2026-01-05"}, "admin"),
    ("GET", "/forums/{a}/team-metrics", None, "viewer"),
    ("POST", "/forums/{a}/team-metrics", {"_form": 1, "team_id": "nope"}, "participant"),
    (
        "POST",
        "/api/forums/{a}/team-metrics",
        {"team_id": "x", "sprint": 1, "happiness": 3},
        "participant",
    ),
    ("GET", "/api/team-metrics", None, "public"),
    ("GET", "/team-metrics.csv", None, "public"),
]


def allowed(who: str, floor: str) -> bool:
    if floor == "public":
        return True
    if floor == "member":
        return who != "nobody"
    if floor == "admin":
        return who == "admin"
    return RANK[who] >= RANK[floor]


def fill(text: str, w: World) -> str:
    return text.format(a=w.a, b=w.b, s=w.session, step=w.step)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(
    ("method", "path", "body", "floor"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
def test_each_role_against_each_route(
    server: ServerProcess, world: World, who: str, method: str, path: str, body: Any, floor: str
) -> None:
    url = fill(path, world)
    before = world.seq()
    r = call(server, who, world, method, url, body)
    if allowed(who, floor):
        assert r.status not in (401, 403) and r.status < 500, (r.status, r.text[:300])
        return
    api = url.startswith("/api/")
    expected = 401 if api and who == "nobody" else 403
    assert r.status == expected, (r.status, r.text[:300])
    if api:
        problem = r.json()
        assert problem["code"] == ("unauthorized" if expected == 401 else "forbidden")
        assert problem["reason"]
        if expected == 401:
            assert r.headers.get("www-authenticate", "").startswith("Bearer")
    else:
        assert r.headers["content-type"].startswith("text/html")
        assert "link" in r.text or "admin" in r.text  # says what to do
    assert world.seq() == before  # a refusal changes nothing


def test_network_lists_show_only_the_forums_a_person_may_see(
    server: ServerProcess, world: World
) -> None:
    viewer = world.headers("viewer")
    for path, key in (("/api/sessions", "forum_id"), ("/api/decisions", "forum_id")):
        status, found = server.request("GET", path + "?limit=200", headers=viewer)
        assert status == 200 and found["items"], found
        assert {item[key] for item in found["items"]} == {world.a}, path
        status, everything = server.request("GET", path + "?limit=200")
        assert world.b in {item[key] for item in everything["items"]}, path
    status, forums = server.request("GET", "/api/forums", headers=viewer)
    assert status == 200 and [f["id"] for f in forums] == [world.a]
    status, forums = server.request("GET", "/api/forums", auth=False)
    assert status == 200 and forums == []
    status, _ = server.request("GET", f"/api/sessions?forum={world.b}", headers=viewer)
    assert status == 403
    csv = server.http("GET", "/next-steps.csv", headers=viewer)
    assert "Secret step of A" in csv.text
    nobody = server.http("GET", "/next-steps.csv", auth=False)
    assert "Secret step of A" not in nobody.text
    for path in ("/sessions", "/decisions", "/next-steps"):
        page = server.http("GET", path, auth=False)
        assert page.status == 200, path
        assert world.a not in page.text and "Secret" not in page.text, path


def test_the_home_page_by_role(server: ServerProcess, world: World) -> None:
    anonymous = server.http("GET", "/", auth=False)
    assert anonymous.status == 200
    assert "Ask your forum's facilitator for its link" in anonymous.text
    assert world.a not in anonymous.text and 'action="/forums"' not in anonymous.text
    viewer = server.http("GET", "/", headers=world.headers("viewer"))
    assert f'href="/forums/{world.a}"' in viewer.text and world.b not in viewer.text
    assert 'action="/forums"' not in viewer.text and "Viewer" in viewer.text
    admin = server.http("GET", "/")
    assert f'href="/forums/{world.a}"' in admin.text and f'href="/forums/{world.b}"' in admin.text
    assert 'action="/forums"' in admin.text and 'href="/admin"' in admin.text


# -- ids cannot be probed -----------------------------------------------------------------

# (method, path, body): "{f}" is a forum, "{s}" a session of it.
PROBES: list[tuple[str, str, Any]] = [
    ("GET", "/api/forums/{f}", None),
    ("GET", "/api/forums/{f}/cards", None),
    ("GET", "/api/forums/{f}/sessions", None),
    ("GET", "/api/forums/{f}/metrics", None),
    ("GET", "/api/forums/{f}/escalates-to", None),
    ("POST", "/api/forums/{f}/cards", {"column": "new", "title": "Probe"}),
    ("POST", "/api/forums/{f}/sessions", None),
    ("GET", "/api/sessions/{s}", None),
    ("GET", "/api/sessions/{s}/export", None),
    ("GET", "/api/sessions/{s}/timeline", None),
    ("GET", "/api/sessions?forum={f}", None),
    ("GET", "/api/decisions?forum={f}", None),
    ("GET", "/api/next-steps?forum={f}", None),
    ("GET", "/forums/{f}", None),
    ("GET", "/forums/{f}/sessions", None),
    ("GET", "/forums/{f}/metrics", None),
    ("GET", "/forums/{f}/projector", None),
    ("GET", "/forums/{f}/next-steps.csv", None),
    ("GET", "/sessions/{s}", None),
    ("GET", "/sessions/{s}/replay", None),
    ("GET", "/sessions/{s}/export.json", None),
    ("POST", "/forums/{f}/next-steps/s1", {"_form": 1, "status": "done"}),
]


def test_no_access_and_not_found_get_the_same_answer(server: ServerProcess, world: World) -> None:
    """Whoever has no role on a forum gets the same status and body for it (and its
    sessions) as for one that does not exist: guessable ids (name slugs,
    ``<forum>-<n>``) tell nothing (docs/access.md)."""
    other = server.new_forum("sos", "Probe other")["id"]
    strangers = {
        "nobody": {},
        "viewer of another forum": {"authorization": f"Bearer {server.links(other)['viewer']}"},
    }
    # The same kind of id for an existing and an unknown forum, and for a recorded
    # session, one of the forum that does not exist (yet), one of a forum that does not.
    forums = (world.a, "access-a-0000")
    sessions = (world.session, f"{world.a}-99", "access-a-0000-1")
    for who, headers in strangers.items():
        for method, path, body in PROBES:
            urls = (
                [path.format(f=f, s=world.session) for f in forums]
                if "{s}" not in path
                else [path.format(f=world.a, s=s) for s in sessions]
            )
            answers = []
            for url in urls:
                before = world.seq()
                r = call_as(server, headers, method, url, body)
                assert world.seq() == before
                # A page's CSRF token is new for each cookie-less request, whatever it shows.
                text = re.sub(r'(name="csrf-token" content=)"[^"]*"', r"\1", r.text)
                answers.append((r.status, r.headers.get("content-type"), text))
            status = answers[0][0]
            assert status in (401, 403), (who, method, urls[0], answers[0][:1], answers[0][2][:300])
            for url, answer in zip(urls[1:], answers[1:], strict=True):
                assert answer == answers[0], (who, method, url, answer[:2], answer[2][:300])
            if urls[0].startswith("/api/"):
                assert r.json()["reason"].startswith("Not found, or you have no access"), r.text
            else:
                assert "No access or not found" in r.text, r.text[:300]
    # Who may see the forum learns what is not there.
    for path in ("/api/forums/{f}", "/forums/{f}", "/api/sessions/{s}", "/sessions/{s}"):
        url = path.format(f="access-a-0000", s="access-a-0000-1")
        assert call(server, "admin", world, "GET", url, None).status == 404, url
    for path in (f"/api/sessions/{world.a}-99", f"/sessions/{world.a}-99"):
        assert call(server, "viewer", world, "GET", path, None).status == 404, path


def call_as(
    server: ServerProcess, headers: dict[str, str], method: str, path: str, body: Any
) -> HttpResponse:
    if isinstance(body, dict) and body.get("_form"):
        fields = {k: v for k, v in body.items() if k != "_form"}
        return server.form(path, fields, headers, auth=False)
    data = None if body is None else msgspec.json.encode(body)
    return server.http(
        method, path, data, {"content-type": "application/json", **headers}, auth=False
    )


async def test_the_websocket_tells_strangers_nothing_either(
    server: ServerProcess, world: World
) -> None:
    other = server.links(server.new_forum("sos", "Probe other ws")["id"])["viewer"]
    answers = []
    for forum in (world.a, "access-a-0000"):
        for token in ("", other):
            ws = await websockets.connect(server.ws_url(forum, token))
            frame = msgspec.json.decode(await ws.recv())
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            answers.append((token, frame, ws.close_code))
    assert answers[0][1]["code"] == "forbidden" and answers[0][2] == 4403
    assert [a for a in answers if a[0] == ""] == [answers[0]] * 2
    assert [a for a in answers if a[0]] == [answers[1]] * 2


# -- links and cookies -------------------------------------------------------------------


def open_link(server: ServerProcess, url: str, cookie: str = "") -> HttpResponse:
    headers = {"cookie": cookie} if cookie else {}
    return server.http("GET", url, headers=headers, auth=False)


def cookie_of(r: HttpResponse, name: str = COOKIE) -> str:
    found = re.search(rf"{name}=([^;]+)", "\n".join(r.set_cookies))  # one of several
    assert found, r.headers
    return f"{name}={found.group(1)}"


def test_a_link_grants_its_role_and_leaves_the_address(server: ServerProcess, world: World) -> None:
    page = f"/forums/{world.a}"
    r = open_link(server, f"{page}?token={world.tokens['participant']}&x=1")
    assert r.status == 303 and r.headers["location"] == f"{page}?x=1"  # the token is gone
    set_cookie = r.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "samesite=lax" in set_cookie.lower()
    assert world.tokens["participant"] not in set_cookie
    cookie = cookie_of(r)
    board = open_link(server, page, cookie)
    assert board.status == 303 and board.headers["location"].startswith("/name")  # in, no name
    name = server.form("/name", {"name": "Pat"}, auth=True)
    both = f"{cookie}; {cookie_of(name, 'sb_name')}"
    board = open_link(server, page, both)
    assert board.status == 200 and 'data-role="participant"' in board.text
    assert world.tokens["participant"] not in board.text  # never echoed into a page
    assert (
        'data-action="add-card"' in board.text and 'data-action="start-session"' not in board.text
    )
    # The cookie opens the forum's other pages and its API reads, not the other forum.
    assert open_link(server, f"/sessions/{world.session}", cookie).status == 200
    assert open_link(server, f"/api/forums/{world.a}", cookie).status == 200
    assert open_link(server, f"/forums/{world.b}", cookie).status == 403
    # A second link adds to the cookie.
    r = open_link(server, f"/forums/{world.b}?token={server.links(world.b)['viewer']}", cookie)
    more = cookie_of(r)
    assert open_link(server, f"/forums/{world.b}/sessions", more).status == 200
    assert open_link(server, f"/forums/{world.a}/sessions", more).status == 200


def test_each_role_sees_only_its_controls(server: ServerProcess, world: World) -> None:
    name = cookie_of(server.form("/name", {"name": "Vic"}), "sb_name")
    pages = {}
    for role in ("viewer", "participant", "facilitator"):
        r = open_link(server, f"/forums/{world.a}?token={world.tokens[role]}")
        pages[role] = open_link(server, f"/forums/{world.a}", f"{cookie_of(r)}; {name}").text
    viewer, participant, facilitator = pages["viewer"], pages["participant"], pages["facilitator"]
    assert 'data-role="viewer"' in viewer
    for action in ("add-card", "edit", "archive", "add-column", "grab", "start-session"):
        assert f'data-action="{action}"' not in viewer, action
        assert f'data-action="{action}"' in facilitator, action
    # Cards are not picked up from the keyboard either (only the row of columns, which
    # scrolls, takes focus).
    assert not re.search(r'<li class="card[^>]*tabindex', viewer)
    assert 'data-action="add-card"' in participant and 'data-action="edit"' in participant
    assert 'data-action="start-session"' not in participant
    assert 'data-action="rename-forum"' not in participant
    assert 'data-action="rename-forum"' in facilitator


def test_a_bad_link_says_so_and_grants_nothing(server: ServerProcess, world: World) -> None:
    r = open_link(server, f"/forums/{world.a}?token=not-a-token")
    assert r.status == 403 and "This link does not work" in r.text
    assert "set-cookie" not in r.headers
    assert "not-a-token" not in r.text


def test_forged_cookies_and_cookies_of_another_instance_are_refused(
    server: ServerProcess, world: World, tmp_path: Path
) -> None:
    page = f"/forums/{world.a}/sessions"
    # The right shape and the right fingerprint, signed with a guessed secret.
    held = Pass(g=[(world.a, "facilitator", fingerprint(world.tokens["facilitator"]))])
    forged = seal("not the secret", "access", msgspec.json.encode(held))
    assert open_link(server, page, f"{COOKIE}={forged}").status == 403
    real = cookie_of(open_link(server, f"/forums/{world.a}?token={world.tokens['viewer']}"))
    payload, mac = real.split("=", 1)[1].rsplit(".", 1)
    tampered = f"{COOKIE}={payload}x.{mac}"
    assert open_link(server, page, tampered).status == 403
    assert open_link(server, page, real).status == 200
    # A name cookie is signed by the same instance, but is not an access cookie.
    name_value = cookie_of(server.form("/name", {"name": '{"a":"x"}'}), "sb_name").split("=", 1)[1]
    assert open_link(server, "/admin", f"{COOKIE}={name_value}").status == 403
    # The admin cookie of another Scaleboard opens nothing here.
    other = ServerProcess(tmp_path / "other.db").start()
    try:
        r = open_link(other, f"/admin/enter?token={other.admin_token}")
        foreign = cookie_of(r)
        assert open_link(other, "/admin", foreign).status == 200
        assert open_link(server, "/admin", foreign).status == 403
        assert open_link(server, page, foreign).status == 403
    finally:
        other.stop()


# -- CSRF -------------------------------------------------------------------------------------


def csrf_pair(server: ServerProcess, cookie: str, page: str) -> tuple[str, str]:
    """The CSRF cookie and field value a browser gets from a page."""
    r = open_link(server, page, cookie)
    assert r.status == 200, r.status
    field = re.search(r'name="csrf" value="([^"]+)"', r.text) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', r.text
    )
    assert field, "the page has no CSRF token"
    return cookie_of(r, "sb_csrf"), field.group(1)


def test_forms_need_their_csrf_token(server: ServerProcess, world: World) -> None:
    grant = cookie_of(open_link(server, f"/forums/{world.a}?token={world.tokens['participant']}"))
    name = cookie_of(server.form("/name", {"name": "Csrf Tester"}), "sb_name")
    cookie = f"{grant}; {name}"
    page = f"/forums/{world.a}/next-steps"
    csrf_cookie, field = csrf_pair(server, cookie, page)
    target = f"/forums/{world.a}/next-steps/{world.step}"

    def status_of_step() -> str:
        steps = server.request("GET", f"/api/next-steps?forum={world.a}")[1]["items"]
        return str(next(s["status"] for s in steps if s["id"] == world.step))

    before = status_of_step()
    wanted = "dropped" if before != "dropped" else "done"
    attempts = [
        ({"status": wanted}, f"{cookie}; {csrf_cookie}"),  # no field
        ({"status": wanted, "csrf": "forged"}, f"{cookie}; {csrf_cookie}"),  # wrong field
        ({"status": wanted, "csrf": field}, cookie),  # field, but no cookie to match
    ]
    for fields, cookies in attempts:
        r = server.form(target, {**fields, "back": page}, {"cookie": cookies}, auth=False)
        assert r.status == 403, (fields, r.status)
        assert "nothing was changed" in r.text
        assert status_of_step() == before
    ok = server.form(
        target,
        {"status": wanted, "csrf": field, "back": page},
        {"cookie": f"{cookie}; {csrf_cookie}"},
        auth=False,
    )
    assert ok.status == 303, ok.text[:300]
    assert status_of_step() == wanted
    # The name form is a form too: no token, no name.
    r = server.form("/name", {"name": "Mallory"}, {"cookie": csrf_cookie}, auth=False)
    assert r.status == 403 and "sb_name" not in r.headers.get("set-cookie", "")


def test_cookie_authenticated_api_changes_need_the_csrf_header(
    server: ServerProcess, world: World
) -> None:
    grant = cookie_of(open_link(server, f"/forums/{world.a}?token={world.tokens['participant']}"))
    csrf_cookie, field = csrf_pair(server, grant, f"/forums/{world.a}/sessions")
    cookies = {"cookie": f"{grant}; {csrf_cookie}", "content-type": "application/json"}
    body = msgspec.json.encode({"column": "new", "title": "Through the cookie"})
    before = world.seq()
    url = f"/api/forums/{world.a}/cards"
    r = server.http("POST", url, body, cookies, auth=False)
    assert r.status == 403 and r.json()["code"] == "csrf"
    assert world.seq() == before
    r = server.http("POST", url, body, {**cookies, "x-csrf-token": field}, auth=False)
    assert r.status == 201, r.text
    # Reads need no token, and a bearer token needs none either.
    assert server.http("GET", f"/api/forums/{world.a}", headers=cookies, auth=False).status == 200
    r = server.http(
        "POST",
        url,
        body,
        {**world.headers("participant"), "content-type": "application/json"},
        auth=False,
    )
    assert r.status == 201


# -- the websocket -------------------------------------------------------------------------

OPS: list[dict[str, Any]] = [
    {"type": "add_card", "column": "new", "title": "WS"},
    {"type": "edit_card", "card": "c1", "title": "WS edit"},
    {"type": "move_card", "card": "c2", "column": "removing", "index": 0},
    {"type": "archive_card", "card": "c3"},
    {"type": "restore_card", "card": "c3"},
    {"type": "add_column", "title": "WS col"},
    {"type": "rename_column", "column": "new", "title": "New!"},
    {"type": "move_column", "column": "removed", "index": 0},
    {"type": "remove_column", "column": "nope"},
    {"type": "rename_forum", "name": "Renamed over ws"},
    {"type": "start_session"},
    {"type": "record_decision", "text": "WS decision"},
    {"type": "add_next_step", "text": "WS step"},
    {"type": "update_next_step", "step": "s404", "status": "done"},
    {"type": "end_session"},
    {"type": "set_timer", "duration": 300},
    {"type": "start_timer"},
    {"type": "pause_timer"},
    {"type": "reset_timer"},
    {"type": "set_focus", "target": "new"},
]
FACILITATOR_ONLY = {
    "rename_forum",
    "start_session",
    "end_session",
    "set_timer",
    "start_timer",
    "pause_timer",
    "reset_timer",
    "set_focus",
}


@pytest.mark.parametrize("who", ("viewer", "participant", "facilitator", "admin"))
async def test_each_role_against_each_websocket_op(server: ServerProcess, who: str) -> None:
    forum = server.new_forum("sos", f"WS {who}")
    for title in ("One", "Two", "Three"):
        server.request(
            "POST", f"/api/forums/{forum['id']}/cards", {"column": "new", "title": title}
        )
    tokens = server.links(forum["id"])
    token = server.admin_token if who == "admin" else tokens[who]
    client = await LiveClient.connect(server.ws_url(forum["id"], token))
    try:
        for op in OPS:
            seq = server.board(forum["id"])["seq"]
            answer = await client.call(op)
            may = who in ("facilitator", "admin") or (
                who == "participant" and op["type"] not in FACILITATOR_ONLY
            )
            if may:
                assert answer.get("code") != "forbidden", (op, answer)
            else:
                assert answer["type"] == "reject" and answer["code"] == "forbidden", (op, answer)
                assert answer["reason"]
                assert server.board(forum["id"])["seq"] == seq, op  # nothing changed
    finally:
        await client.close()


async def test_without_a_grant_the_websocket_is_refused(
    server: ServerProcess, world: World
) -> None:
    for url in (
        server.ws_url(world.a, ""),
        server.ws_url(world.a, "wrong-token"),
        server.ws_url(world.a, server.links(world.b)["facilitator"]),  # another forum's link
    ):
        ws = await websockets.connect(url)
        error = msgspec.json.decode(await ws.recv())
        assert error == {
            "type": "error",
            "code": "forbidden",
            "reason": "You have no access to this forum: ask its facilitator for a link.",
        }
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4403
    # An unknown forum is 4404 only to the admin, who would see any forum; to anyone
    # else it is 4403, as above (test_the_websocket_tells_strangers_nothing_either).
    client = await LiveClient.connect(server.ws_url("no-such-forum"), hello=False)
    await asyncio.sleep(0.2)
    assert client.received[0]["code"] == "unknown_forum" and client.ws.close_code == 4404
    await client.close()


async def test_a_viewers_move_is_rejected_whatever_it_sends(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Viewer tries")
    server.request("POST", f"/api/forums/{forum['id']}/cards", {"column": "new", "title": "Card"})
    tokens = server.links(forum["id"])
    participant = await LiveClient.connect(server.ws_url(forum["id"], tokens["participant"]))
    viewer = await LiveClient.connect(server.ws_url(forum["id"], tokens["viewer"]))
    try:
        move = {"type": "move_card", "card": "c1", "column": "removing", "index": 0}
        accepted = await participant.call(move, "shared-id-1")
        assert accepted["type"] == "ack"
        seq = server.board(forum["id"])["seq"]
        # The participant's op id (a resend would be acked as a duplicate), a valid
        # move, a move that changes nothing, and an op only the server writes.
        for op_id, op in (
            ("shared-id-1", move),
            ("v-1", {"type": "move_card", "card": "c1", "column": "new", "index": 0}),
            ("v-2", move),
        ):
            answer = await viewer.call(op, op_id)
            assert answer["type"] == "reject" and answer["code"] == "forbidden", answer
            assert "read-only" in answer["reason"]
        await viewer.send_json(
            {"type": "op", "id": "v-3", "op": {"type": "note_presence", "names": ["X"]}}
        )
        bad = await viewer.expect("error")
        assert bad["code"] == "bad_message"
        assert server.board(forum["id"])["seq"] == seq
        # The viewer still follows the board live.
        answer = await participant.call(
            {"type": "move_card", "card": "c1", "column": "new", "index": 0}
        )
        await viewer.wait_seq(answer["seq"])
        # Over HTTP too, whatever the operation.
        auth = {"authorization": f"Bearer {tokens['viewer']}"}
        for op in OPS:
            status, problem = server.request(
                "POST", f"/api/forums/{forum['id']}/ops", {"op": op}, headers=auth
            )
            assert status == 403 and problem["code"] == "forbidden", (op, problem)
    finally:
        await viewer.close()
        await participant.close()


# -- rotation ---------------------------------------------------------------------------------


async def test_rotating_a_link_cuts_the_old_one_off(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Rotated")["id"]
    old = server.links(forum)
    grant = cookie_of(open_link(server, f"/forums/{forum}?token={old['participant']}"))
    page = f"/forums/{forum}/sessions"
    assert open_link(server, page, grant).status == 200
    live = await LiveClient.connect(server.ws_url(forum, old["participant"]))
    viewer = await LiveClient.connect(server.ws_url(forum, old["viewer"]))
    status, link = server.request("POST", f"/api/forums/{forum}/links/participant/rotate")
    assert status == 201, link
    new = link["token"]
    assert new != old["participant"] and link["url"].endswith(f"/forums/{forum}?token={new}")
    assert server.links(forum) == {**old, "participant": new}
    try:
        # The open connection of that role is told and closed; the viewer stays.
        error = await live.expect("error")
        assert error["code"] == "forbidden" and "replaced" in error["reason"]
        for _ in range(100):
            if live.ws.close_code is not None:
                break
            await asyncio.sleep(0.05)
        assert live.ws.close_code == 4403
        answer = await viewer.call({"type": "add_column", "title": "x"})
        assert answer["code"] == "forbidden"  # a viewer, as before, and still connected
        # The old link, its grant, the old bearer and a new handshake: all refused.
        r = open_link(server, f"/forums/{forum}?token={old['participant']}")
        assert r.status == 403 and "This link does not work" in r.text
        assert open_link(server, page, grant).status == 403
        status, _ = server.request(
            "GET", f"/api/forums/{forum}", headers={"authorization": f"Bearer {old['participant']}"}
        )
        assert status == 401
        again = await websockets.connect(server.ws_url(forum, old["participant"]))
        assert msgspec.json.decode(await again.recv())["code"] == "forbidden"
        with pytest.raises(websockets.ConnectionClosed):
            await again.recv()
        assert again.close_code == 4403
        # The new link works.
        fresh = await LiveClient.connect(server.ws_url(forum, new))
        assert (await fresh.call({"type": "add_column", "title": "y"}))["type"] == "ack"
        await fresh.close()
        r = open_link(server, f"/forums/{forum}?token={new}")
        assert open_link(server, page, cookie_of(r)).status == 200
    finally:
        await live.close()
        await viewer.close()


def test_the_admin_rotates_through_the_admin_page(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "Rotated by form")["id"]
    old = server.links(forum)
    admin = cookie_of(open_link(server, f"/admin/enter?token={server.admin_token}"))
    page = open_link(server, "/admin", admin)
    assert page.status == 200
    for role in ("participant", "facilitator", "viewer"):
        assert f"/forums/{forum}?token={old[role]}" in page.text
    csrf_cookie, field = csrf_pair(server, admin, "/admin")
    cookies = {"cookie": f"{admin}; {csrf_cookie}"}
    r = server.form(f"/admin/forums/{forum}/rotate", {"role": "viewer"}, cookies, auth=False)
    assert r.status == 403 and server.links(forum) == old  # no CSRF field: nothing rotated
    r = server.form(
        f"/admin/forums/{forum}/rotate", {"role": "viewer", "csrf": field}, cookies, auth=False
    )
    assert r.status == 303 and r.headers["location"].startswith("/admin")
    now = server.links(forum)
    assert now["viewer"] != old["viewer"] and now["participant"] == old["participant"]
    r = server.form(
        f"/admin/forums/{forum}/rotate", {"role": "owner", "csrf": field}, cookies, auth=False
    )
    assert r.status == 400 and server.links(forum) == now


# -- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def first_run(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "first.db", configured_admin=False).start()
    yield proc
    proc.stop()


def printed_admin_link(server: ServerProcess) -> str:
    found = re.findall(r"Admin: (http://\S+)", server.log())
    assert len(found) == 1, server.log()
    return str(found[0])


def test_the_first_run_prints_an_admin_link_once_and_admin_link_replaces_it(
    first_run: ServerProcess,
) -> None:
    link = printed_admin_link(first_run)
    parts = urllib.parse.urlsplit(link)
    assert parts.netloc == f"127.0.0.1:{first_run.port}" and parts.path == "/admin/enter"
    token = urllib.parse.parse_qs(parts.query)["token"][0]
    assert len(token) >= 32
    r = open_link(first_run, f"/admin/enter?token={token}")
    assert r.status == 303 and r.headers["location"] == "/admin/enter"
    admin = cookie_of(r)
    r = open_link(first_run, "/admin/enter", admin)
    assert r.status == 303 and r.headers["location"] == "/admin"
    assert open_link(first_run, "/admin", admin).status == 200
    assert open_link(first_run, "/admin/enter").status == 403  # no mark, no token
    # Only a hash is stored; nothing in the database is the token.
    for stored in first_run.db.parent.glob(first_run.db.name + "*"):
        assert token.encode() not in stored.read_bytes(), stored
    # A new link, made while the server runs: the old link and its cookie stop working.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "admin-link",
            "--db",
            str(first_run.db),
            "--port",
            str(first_run.port),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    new_link = re.search(r"Admin: (http://\S+)", out.stdout)
    assert new_link, out.stdout
    new_token = urllib.parse.parse_qs(urllib.parse.urlsplit(new_link.group(1)).query)["token"][0]
    assert new_token != token
    assert open_link(first_run, "/admin", admin).status == 403
    assert open_link(first_run, f"/admin/enter?token={token}").status == 403
    status, _ = first_run.request(
        "GET", "/api/teams", headers={"authorization": f"Bearer {new_token}"}
    )
    assert status == 200
    # A restart prints no new link: the admin has one.
    first_run.stop()
    first_run.start()
    assert len(re.findall(r"Admin: http", first_run.log())) == 1
    r = open_link(first_run, f"/admin/enter?token={new_token}")
    assert open_link(first_run, "/admin", cookie_of(r)).status == 200


def test_a_short_configured_admin_token_is_refused(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--db",
            str(tmp_path / "x.db"),
            "--admin-token",
            "short",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2 and "at least 16 characters" in out.stderr
    assert not (tmp_path / "x.db").exists()


async def test_tokens_never_reach_the_logs(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "logged.db", extra_args=["--log-level", "debug"]).start()
    try:
        forum = server.new_forum("sos", "Logged")["id"]
        tokens = server.links(forum)
        r = open_link(server, f"/forums/{forum}?token={tokens['viewer']}")
        assert r.status == 303
        open_link(server, f"/forums/{forum}?token=wrong-token-123")
        client = await LiveClient.connect(server.ws_url(forum, tokens["participant"]))
        await client.close()
        await asyncio.sleep(0.2)
    finally:
        server.stop()
    log = server.log_path.read_text()
    assert f"/forums/{forum}" in log  # the access log is on
    for secret in (tokens["viewer"], tokens["participant"], "wrong-token-123", server.admin_token):
        assert secret not in log


# -- every forum has its links ------------------------------------------------------------------


def test_forums_get_links_however_they_are_made(tmp_path: Path) -> None:
    """Created, imported, from the demo, or from a database older than links."""
    server = ServerProcess(tmp_path / "made.db", demo=True).start()
    try:
        status, forums = server.request("GET", "/api/forums")
        assert status == 200 and len(forums) > 3
        tokens: set[str] = set()
        for forum in forums:  # the demo network
            links = server.links(forum["id"])
            assert sorted(links) == ["facilitator", "participant", "room", "viewer"]
            tokens.update(links.values())
        made = server.new_forum("eat", "Made here")["id"]
        tokens.update(server.links(made).values())
        base = f"/api/forums/{made}"
        assert server.request("POST", f"{base}/sessions")[0] == 201
        status, ended = server.request("POST", f"{base}/sessions/current/end")
        assert status == 201, ended
        status, export = server.request("GET", f"/api/sessions/{ended['session']['id']}/export")
        assert status == 200
        status, imported = server.request("POST", "/api/import", export)
        assert status == 201, imported
        tokens.update(server.links(imported["forum_id"]).values())
        # Every token is its own (4 per forum: 3 roles and the room), long and URL-safe.
        assert len(tokens) == 4 * (len(forums) + 2)
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{32,}", t) for t in tokens)
    finally:
        server.stop()
    # A database from before links: the next start gives its forums theirs.
    with sqlite3.connect(server.db) as db:
        db.execute("DROP TABLE forum_tokens")
    server.start()
    try:
        links = server.links(made)
        assert sorted(links) == ["facilitator", "participant", "room", "viewer"]
        assert not set(links.values()) & tokens
        r = open_link(server, f"/forums/{made}?token={links['viewer']}")
        assert open_link(server, f"/forums/{made}/sessions", cookie_of(r)).status == 200
    finally:
        server.stop()
