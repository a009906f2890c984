"""A person's pick carries across forums (SPEC R74) and viewers never count for a team
(R75), on a real server (the demo's network has teams) with real websocket clients and
a browser's cookies kept as a browser keeps them."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import HttpResponse, LiveClient, ServerProcess


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(Path(tmp_path_factory.mktemp("carry")) / "board.db", demo=True).start()
    yield proc
    proc.stop()


class Browser:
    """One browser: its cookie jar, filled from every answer (no bearer token)."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.jar: dict[str, str] = {}
        self.csrf = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())}

    def keep(self, r: HttpResponse) -> HttpResponse:
        for header in r.set_cookies:
            name, _, value = header.split(";", 1)[0].partition("=")
            if "max-age=0" not in header.lower():
                self.jar[name] = value
            else:
                self.jar.pop(name, None)
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', r.text)
        self.csrf = found.group(1) if found else self.csrf
        return r

    def get(self, path: str) -> HttpResponse:
        return self.keep(self.server.http("GET", path, headers=self.headers, auth=False))

    def post(self, path: str, fields: list[tuple[str, str]]) -> HttpResponse:
        body = urllib.parse.urlencode([("csrf", self.csrf), *fields])
        headers = {"content-type": "application/x-www-form-urlencoded", **self.headers}
        return self.keep(self.server.http("POST", path, body, headers, auth=False))

    def enter(self, fid: str, role: str = "participant") -> None:
        """Open the forum's link, as its people get it."""
        token = self.server.links(fid)[role]
        assert self.get(f"/forums/{fid}?token={token}").status in (200, 303)

    def name(self, name: str, forum: str | None = None, teams: tuple[str, ...] = ()) -> None:
        """The name prompt, leading to ``forum``'s board, with ``teams`` ticked and "Use
        these in my other forums" on (its default)."""
        target = f"/forums/{forum}" if forum else "/"
        assert self.get(f"/name?next={target}").status == 200
        fields = [("name", name), ("next", target)]
        if forum:
            fields += [("team_forum", forum), ("carry", "1"), *(("teams", t) for t in teams)]
        done = self.post("/name", fields)
        assert done.status == 303, done.text[:300]

    async def live(self, fid: str, role: str = "participant") -> LiveClient:
        url = self.server.ws_url(fid, self.server.links(fid)[role])
        return await LiveClient.connect(url, additional_headers=self.headers)


def joined_as(client: LiveClient) -> dict[str, Any]:
    return next(m for m in client.received if m["type"] == "welcome")["you"]


async def first_batch(client: LiveClient, match: Any) -> dict[str, Any]:
    return await client.expect("batch", match=match)


def my_teams_set(msg: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for i in msg.get("items", []) for e in i["events"] if e["type"] == "my_teams_set"]


async def test_a_pick_made_in_one_forum_is_there_in_the_next(demo: ServerProcess) -> None:
    # SPEC R74: Maya picks Checkout on joining one forum; in another forum she has never
    # picked in, she arrives in Checkout: a set_my_teams by her, heard by everyone there.
    first = demo.new_forum("sos", "Carry one")["id"]
    second = demo.new_forum("sos", "Carry two")["id"]
    maya = Browser(demo)
    maya.enter(first)
    page = maya.get(f"/name?next=/forums/{first}")
    assert 'name="carry" value="1" checked' in page.text
    maya.name("Maya", first, ("checkout",))
    assert "sb_teams" in maya.jar
    bo = Browser(demo)
    bo.enter(second)
    bo.name("Bo")
    maya.enter(second)
    # The name prompt for the second forum ticks the carried pick.
    offered = maya.get(f"/name?next=/forums/{second}")
    assert re.search(r'value="checkout" data-name="Checkout" checked', offered.text)
    watcher = await bo.live(second)
    arrived = await maya.live(second)
    try:
        assert joined_as(arrived)["teams"] == ["Checkout"]
        batch = await first_batch(watcher, lambda m: my_teams_set(m))
        assert my_teams_set(batch) == [
            {"type": "my_teams_set", "name": "Maya", "teams": ["checkout"]}
        ]
        assert {p["name"]: p["teams"] for p in batch["joined"]}["Maya"] == ["Checkout"]
        # Logged: the board's page says so after a reload, for her.
        board = maya.get(f"/forums/{second}")
        assert "Team: Checkout" in board.text
        # Per forum still: she changes it here; the first forum keeps Checkout.
        answer = await arrived.call({"type": "set_my_teams", "teams": ["search"]})
        assert answer["type"] == "ack"
        assert "Team: Search" in maya.get(f"/forums/{second}").text
        assert "Team: Checkout" in maya.get(f"/forums/{first}").text
    finally:
        await watcher.close()
        await arrived.close()
    # Reconnecting does not replace a pick made here with the carried one.
    again = await maya.live(second)
    try:
        assert joined_as(again)["teams"] == ["Search"]
    finally:
        await again.close()


async def test_the_boards_dialog_updates_the_pick_for_other_forums(demo: ServerProcess) -> None:
    # SPEC R74: POST /my/teams (the "My teams" dialog, ticked) keeps the new pick; a bad
    # one is 400 with the reason and keeps the old.
    third = demo.new_forum("sos", "Carry three")["id"]
    ana = Browser(demo)
    ana.enter(third)
    ana.name("Ana")
    ana.get(f"/forums/{third}")  # the board's page: its CSRF token
    kept = ana.post("/my/teams", [("teams", "payments"), ("teams", "mobile")])
    assert kept.status == 204
    before = ana.jar["sb_teams"]
    bad = ana.post("/my/teams", [("teams", "payments"), ("teams", "billing")])
    assert bad.status == 400 and "There is no team 'billing'." in bad.text
    assert ana.jar["sb_teams"] == before and not bad.set_cookies
    forged = demo.http(
        "POST",
        "/my/teams",
        "teams=search&csrf=nope",
        {"content-type": "application/x-www-form-urlencoded", **ana.headers},
        auth=False,
    )
    assert forged.status == 403
    client = await ana.live(third)
    try:
        assert joined_as(client)["teams"] == ["Payments", "Mobile"]
    finally:
        await client.close()
    # An empty pick so kept clears it: the next forum asks again.
    assert ana.post("/my/teams", []).status == 204
    assert "sb_teams" not in ana.jar
    fourth = demo.new_forum("sos", "Carry four")["id"]
    ana.enter(fourth)
    client = await ana.live(fourth)
    try:
        assert joined_as(client)["teams"] == []
    finally:
        await client.close()


async def test_a_viewer_never_counts_for_a_team(demo: ServerProcess) -> None:
    # SPEC R75: a viewer who carries Checkout joins a running session: no pick is applied,
    # they are not counted, and the session shows no team; a bearer-token connection is
    # the token's (R42): it cannot pick teams and is not counted either.
    fid = demo.new_forum("sos", "Viewer SoS")["id"]
    vi = Browser(demo)
    carry_from = demo.new_forum("sos", "Where Vi picked")["id"]
    vi.enter(carry_from)
    vi.name("Vi", carry_from, ("checkout",))
    assert "sb_teams" in vi.jar
    vi.enter(fid, "viewer")
    fac = await LiveClient.connect(demo.ws_url(fid, demo.links(fid)["facilitator"]))
    viewer = None
    token = None
    try:
        assert (await fac.call({"type": "start_session"}))["type"] == "ack"
        viewer = await vi.live(fid, "viewer")
        assert joined_as(viewer)["teams"] == []
        bearer = {"authorization": f"Bearer {demo.links(fid)['participant']}"}
        token = await LiveClient.connect(demo.ws_url(fid, ""), additional_headers=bearer)
        assert joined_as(token)["name"] == "API (participant link)"
        refused = await token.call({"type": "set_my_teams", "teams": ["search"]})
        assert (refused["type"], refused["code"]) == ("reject", "invalid")
        status, board = demo.request("GET", f"/api/forums/{fid}")
        assert status == 200
        assert board["session"]["teams"] == {}
        assert "Vi" not in board["session"]["participants"]
        assert not any(p.startswith("API") for p in board["session"]["participants"])
        assert (await fac.call({"type": "end_session"}))["type"] == "ack"
    finally:
        for c in (fac, viewer, token):
            if c is not None:
                await c.close()
    status, record = demo.request("GET", f"/api/sessions/{fid}-1")
    assert status == 200 and "Vi" not in record["session"]["participants"]
    page = demo.http("GET", f"/sessions/{fid}-1")
    assert page.status == 200 and 'class="member-teams"' not in page.text
