"""A person's teams over real websockets and HTTP (issue 14, SPEC R52, R53), on a demo
server (its network has teams): everyone in the forum sees a pick at once in presence;
bad picks are refused to their sender only; the name prompt offers and saves the
teams; attendance carries them; "My next steps" lists a person's open steps."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import LiveClient, ServerProcess, new_browser

KEY = re.compile(r"\bp[A-Za-z0-9_-]{16}\b")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(Path(tmp_path_factory.mktemp("teams")) / "board.db", demo=True).start()
    yield proc
    proc.stop()


async def as_browser(
    server: ServerProcess, fid: str, browser: dict[str, str], role: str = "participant"
) -> LiveClient:
    token = server.links(fid)[role]
    return await LiveClient.connect(server.ws_url(fid, token), additional_headers=browser)


def presence(msg: dict[str, Any]) -> dict[str, list[str]]:
    """Name -> teams of the peers a batch says joined (or changed)."""
    return {p["name"]: p["teams"] for p in msg.get("joined", [])}


async def seen(client: LiveClient, match: Any, timeout: float = 10.0) -> dict[str, Any]:
    """The first batch ``client`` received (before now or within ``timeout``) that matches."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for msg in client.received:
            if msg["type"] == "batch" and match(msg):
                return msg
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"no such batch; got {client.received[-3:]}")
        await asyncio.sleep(0.02)


async def test_everyone_sees_a_persons_teams_at_once(demo: ServerProcess) -> None:
    # SPEC R52: a pick goes out as the person's presence again (team names, no key).
    fid = demo.new_forum("sos", "Teams SoS")["id"]
    maya, bo = new_browser(demo, "Maya"), new_browser(demo, "Bo")
    a = await as_browser(demo, fid, maya)
    b = await as_browser(demo, fid, bo)
    try:
        answer = await a.call({"type": "set_my_teams", "teams": ["checkout", "payments"]})
        assert answer["type"] == "ack", answer
        for client in (a, b):
            batch = await seen(client, lambda m: bool(presence(m).get("Maya")))
            assert presence(batch)["Maya"] == ["Checkout", "Payments"]
            events = [e for i in batch["items"] for e in i["events"]]
            assert {
                "type": "my_teams_set",
                "name": "Maya",
                "teams": ["checkout", "payments"],
            } in events
        # Someone joining later hears it in the welcome.
        c = await as_browser(demo, fid, new_browser(demo, "Cy"))
        welcome = next(m for m in c.received if m["type"] == "welcome")
        assert {p["name"]: p["teams"] for p in welcome["peers"]}["Maya"] == ["Checkout", "Payments"]
        await c.close()
        for client in (a, b):
            assert not KEY.search(json.dumps(client.received))
    finally:
        await a.close()
        await b.close()


async def test_bad_picks_are_refused_to_their_sender_only(demo: ServerProcess) -> None:
    # SPEC R52, R2a, R42: unknown team, too many, a viewer, an API token.
    fid = demo.new_forum("sos", "Refusals SoS")["id"]
    a = await as_browser(demo, fid, new_browser(demo, "Maya"))
    viewer = await as_browser(demo, fid, new_browser(demo, "Vi"), role="viewer")
    try:
        unknown = await a.call({"type": "set_my_teams", "teams": ["billing"]})
        assert (unknown["type"], unknown["code"]) == ("reject", "invalid")
        assert unknown["reason"] == "There is no team 'billing'."
        await a.op({"type": "set_my_teams", "teams": [f"t{i}" for i in range(9)]})
        bad = await a.expect("error")
        assert bad["code"] == "bad_message"
        refused = await viewer.call({"type": "set_my_teams", "teams": ["checkout"]})
        assert (refused["type"], refused["code"]) == ("reject", "forbidden")
        status, body = demo.request(
            "POST", f"/api/forums/{fid}/ops", {"op": {"type": "set_my_teams", "teams": ["search"]}}
        )
        assert status == 400 and "not a person" in json.dumps(body)
        assert not any(m["type"] == "batch" and m["items"] for m in viewer.received)
    finally:
        await a.close()
        await viewer.close()


def name_form(
    server: ServerProcess, browser: dict[str, str], fid: str, name: str, teams: list[str]
) -> Any:
    fields = [("name", name), ("next", f"/forums/{fid}"), ("team_forum", fid)]
    fields += [("teams", t) for t in teams]
    body = urllib.parse.urlencode(fields)
    headers = {"content-type": "application/x-www-form-urlencoded", **browser}
    return server.http("POST", "/name", body, headers)


async def test_the_name_prompt_offers_and_saves_the_teams(demo: ServerProcess) -> None:
    # SPEC R52: joining a forum picks teams; a bad pick is shown on the form, unsaved.
    fid = demo.new_forum("sos", "Joining SoS")["id"]
    maya = new_browser(demo, "Maya")
    page = demo.http("GET", f"/name?next=/forums/{fid}", headers=maya)
    assert page.status == 200 and 'name="teams" value="checkout"' in page.text
    watcher = await as_browser(demo, fid, new_browser(demo, "Bo"))
    try:
        bad = name_form(demo, maya, fid, "Maya", ["checkout", "billing"])
        assert bad.status == 400 and "There is no team &#39;billing&#39;." in bad.text
        done = name_form(demo, maya, fid, "Maya Chen", ["search"])
        assert done.status == 303 and done.headers["location"] == f"/forums/{fid}"
        board = demo.http("GET", f"/forums/{fid}", headers={**maya, "cookie": maya["cookie"]})
        assert 'id="my-teams-button"' in board.text and "Team: Search" in board.text
        item = await seen(watcher, lambda m: m["items"])
        assert item["items"][0]["events"][0]["teams"] == ["search"]
    finally:
        await watcher.close()
    # A viewer is offered no teams.
    vid = demo.new_forum("sos", "Viewer SoS")["id"]
    token = demo.links(vid)["viewer"]
    viewer_page = demo.http("GET", f"/name?next=/forums/{vid}&token={token}", auth=False)
    assert 'name="teams"' not in viewer_page.text


async def test_a_sessions_attendance_shows_teams(demo: ServerProcess) -> None:
    # SPEC R53: the session record lists each participant with their teams.
    fid = demo.new_forum("sos", "Attendance SoS")["id"]
    fac = await as_browser(demo, fid, new_browser(demo, "Fay"), role="facilitator")
    maya = await as_browser(demo, fid, new_browser(demo, "Maya"))
    try:
        assert (await maya.call({"type": "set_my_teams", "teams": ["mobile"]}))["type"] == "ack"
        assert (await fac.call({"type": "start_session"}))["type"] == "ack"
        step = {"type": "add_next_step", "text": "Ask Platform", "owner": "Maya"}
        assert (await maya.call(step))["type"] == "ack"
        assert (await fac.call({"type": "end_session"}))["type"] == "ack"
    finally:
        await fac.close()
        await maya.close()
    status, record = demo.request("GET", f"/api/sessions/{fid}-1")
    assert status == 200 and record["board"]["members"] == {}  # keys stay home (R40)
    assert not KEY.search(json.dumps(record))
    page = demo.http("GET", f"/sessions/{fid}-1")
    assert page.status == 200
    assert re.search(r"<bdi>Maya</bdi> <span class=\"member-teams\">\(Mobile\)</span>", page.text)


async def test_my_next_steps_lists_open_steps_overdue_first(demo: ServerProcess) -> None:
    # Issue 14: a person's open steps across forums, by the names they went by.
    one = demo.new_forum("sos", "Steps one")["id"]
    two = demo.new_forum("metascrum", "Steps two")["id"]
    today = dt.date.today()
    fac1 = await as_browser(demo, one, new_browser(demo, "Fay"), role="facilitator")
    fac2 = await as_browser(demo, two, new_browser(demo, "Fay"), role="facilitator")
    steps = [
        (fac1, "Later one", "zed quinn", (today + dt.timedelta(days=9)).isoformat()),
        (fac2, "Overdue one", "Zed Quinn", (today - dt.timedelta(days=3)).isoformat()),
        (fac1, "Undated one", "ZED QUINN", None),
        (fac2, "Someone else's", "Ann", today.isoformat()),
    ]
    try:
        for fac in (fac1, fac2):
            assert (await fac.call({"type": "start_session"}))["type"] == "ack"
        for fac, text, owner, due in steps:
            op = {"type": "add_next_step", "text": text, "owner": owner, "due": due}
            assert (await fac.call(op))["type"] == "ack"
    finally:
        await fac1.close()
        await fac2.close()
    zed = new_browser(demo, "Zed Quinn")
    page = demo.http("GET", "/my/steps", headers=zed)  # the admin's bearer: every forum
    assert page.status == 200
    order = re.findall(r'class="step-text" dir="auto">([^<]+)<', page.text)
    assert order == ["Overdue one", "Later one", "Undated one"]
    assert 'href="/my/feed"' in page.text and "Mark done" in page.text
    row = re.search(rf'action="(/forums/{one}/next-steps/[^"]+)"', page.text)
    assert row is not None
    done = demo.form(row.group(1), {"status": "done", "back": "/my/steps"}, headers=zed)
    assert done.status == 303 and done.headers["location"] == "/my/steps"
    after = demo.http("GET", "/my/steps", headers=zed)
    left = re.findall(r'class="step-text" dir="auto">([^<]+)<', after.text)
    assert len(left) == 2 and "Overdue one" in left
    # Without a name there is nobody to list for: the name prompt first.
    anonymous = demo.http("GET", "/my/steps", auth=False)
    assert anonymous.status == 303 and anonymous.headers["location"] == "/name?next=/my/steps"
