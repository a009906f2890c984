"""The projector page (server/projector.py) against a real server: who may open it,
what it shows, its QR code, its themes, and its read-only live connection."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import segno

from tests.support import HttpResponse, LiveClient, ServerProcess

Forum = dict[str, Any]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def projector(
    server: ServerProcess, forum: Forum, query: str = "", token: str | None = None
) -> HttpResponse:
    """The projector page as the holder of ``token`` (default: the admin)."""
    headers = bearer(token) if token else None
    return server.http("GET", f"/forums/{forum['id']}/projector{query}", headers=headers)


def qr_modules(page: str) -> tuple[int, set[tuple[int, int]]]:
    """The QR code's size and its dark modules, read back from the page's SVG path."""
    svg = re.search(r'<svg class="qr" viewBox="0 0 (\d+) \1"', page)
    path = re.search(r'<path class="qr-dark" d="([^"]*)"', page)
    assert svg and path, "no QR code on the page"
    dark: set[tuple[int, int]] = set()
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path.group(1)):
        dark.update((int(x) + i, int(y)) for i in range(int(w)))
    return int(svg.group(1)), dark


def expected_modules(text: str) -> tuple[int, set[tuple[int, int]]]:
    qr = segno.make(text, error="m", micro=False)
    dark = {(x + 4, y + 4) for y, row in enumerate(qr.matrix) for x, v in enumerate(row) if v}
    return len(qr.matrix) + 8, dark


def join_label(page: str) -> str:
    found = re.search(r'<span class="join-link">([^<]*)</span>', page)
    assert found
    return html.unescape(found.group(1))


def test_a_viewer_link_opens_the_projector_read_only(server: ServerProcess, forum: Forum) -> None:
    server.request("POST", f"/api/forums/{forum['id']}/cards", {"column": "new", "title": "Red"})
    r = projector(server, forum, token=server.links(forum["id"])["viewer"])
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    page = r.text
    assert '<h1 id="forum-name"' in page and "Test SoS" in page
    assert "Red" in page and '<span class="count" data-count' in page
    for column in ("new", "removing", "needs-eat", "removed"):
        assert f'id="col-{column}"' in page
    # Read-only and without chrome: no controls, no top bar, no inline script or style.
    assert "data-action" not in page and "<button" not in page
    assert not re.search(r'<li class="card[^>]*tabindex', page)
    assert 'class="topbar"' not in page
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    assert '<script type="module" src="/static/js/projector.js"></script>' in page
    assert "No session running" in page


def test_the_projector_is_refused_without_a_link(server: ServerProcess, forum: Forum) -> None:
    r = server.http("GET", f"/forums/{forum['id']}/projector", auth=False)
    assert r.status == 403 and "Test SoS" not in r.text
    other = server.new_forum("sos", "Other forum")
    r = projector(server, forum, token=server.links(other["id"])["facilitator"])
    assert r.status in (401, 403)
    assert server.http("GET", "/forums/no-such-forum/projector").status == 404


def test_the_projector_escapes_what_people_typed(server: ServerProcess) -> None:
    forum = server.new_forum("sos", "<script>alert('name')</script>")
    status, _ = server.request(
        "POST",
        f"/api/forums/{forum['id']}/cards",
        {"column": "new", "title": "<script>alert(1)</script>", "body": '<img src=x onerror="x">'},
    )
    assert status == 201
    page = projector(server, forum).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page


def test_the_qr_code_is_the_forum_address(server: ServerProcess, forum: Forum) -> None:
    page = projector(server, forum, token=server.links(forum["id"])["viewer"]).text
    address = f"{server.url}/forums/{forum['id']}"
    assert qr_modules(page) == expected_modules(address)
    assert join_label(page) == address.split("://", 1)[1]
    assert "token=" not in page
    assert "To join, ask the facilitator or the admin for a link" in page  # SPEC R47


def test_no_query_puts_a_token_on_the_wall(server: ServerProcess, forum: Forum) -> None:
    """The old ``?join=participant`` is gone: the wall shows the room link only while
    the room may join (SPEC R47, tests/test_room_join.py), never a role's link."""
    tokens = server.links(forum["id"])
    for who in (tokens["facilitator"], None):  # the forum's facilitator, the admin
        page = projector(server, forum, "?join=participant", token=who).text
        assert "token=" not in page and tokens["participant"] not in page
        assert qr_modules(page) == expected_modules(f"{server.url}/forums/{forum['id']}")


@pytest.mark.parametrize(
    ("query", "theme"),
    [("", "auto"), ("?theme=dark", "dark"), ("?theme=light", "light"), ("?theme=pink", "auto")],
)
def test_themes(server: ServerProcess, forum: Forum, query: str, theme: str) -> None:
    page = projector(server, forum, query).text
    assert re.search(rf'<body class="projector theme-{theme} kind-sos">', page)
    css = server.http("GET", "/static/css/projector.css", auth=False)
    assert css.status == 200
    assert ".projector.theme-dark" in css.text and "prefers-color-scheme: dark" in css.text


def test_the_projector_shows_a_running_session(server: ServerProcess, forum: Forum) -> None:
    assert server.request("POST", f"/api/forums/{forum['id']}/sessions")[0] == 201
    page = projector(server, forum).text
    assert "Session 1" in page and "running" in page


async def test_the_projectors_live_markup_is_read_only(server: ServerProcess, forum: Forum) -> None:
    """A facilitator's browser on the projector still gets a viewer's markup."""
    token = server.links(forum["id"])["facilitator"]
    url = server.ws_url(forum["id"], token)
    wall = await LiveClient.connect(url + "&view=projector")
    desk = await LiveClient.connect(url)
    try:
        answer = await desk.call({"type": "add_card", "column": "new", "title": "Flaky login"})
        assert answer["type"] == "ack", answer
        wall_batch = await wall.expect("batch", match=lambda m: bool(m["html"]))
        (desk_html,) = [m["html"] for m in desk.received if m["type"] == "batch" and m["html"]]
        assert "data-action" in next(iter(desk_html.values()))
        assert "Flaky login" in next(iter(wall_batch["html"].values()))
        assert "data-action" not in next(iter(wall_batch["html"].values()))
    finally:
        await wall.close()
        await desk.close()


async def test_the_projector_is_not_a_session_participant(
    server: ServerProcess, forum: Forum
) -> None:
    """A screen on the wall watches the session; it does not take part in it."""
    token = server.links(forum["id"])["facilitator"]
    url = server.ws_url(forum["id"], token)
    wall = await LiveClient.connect(url + "&view=projector")
    desk = await LiveClient.connect(url)
    try:
        assert (await desk.call({"type": "start_session"}))["type"] == "ack"
        late_wall = await LiveClient.connect(url + "&view=projector")  # joins mid-session
        assert (await desk.call({"type": "end_session"}))["type"] == "ack"
        await late_wall.close()
        sessions = server.request("GET", f"/api/forums/{forum['id']}/sessions")[1]
        participants = sessions[0]["participants"]
        assert participants and "Projector" not in participants, participants
    finally:
        await wall.close()
        await desk.close()
