"""Between processes, through the database (docs/scale-out.md#signals): two real server
processes on one PostgreSQL database, as a cluster runs them.

- A link rotated through one process closes, within a second, the sockets that came in
  with it on the other (which owns the forum), and the old token stops working there.
- A new admin token (``scaleboard admin-link``, a third process) closes the admin's
  sockets on a server within a second, heard, not polled.
- The home page of one process shows the people in a forum whose room runs on the other;
  the network page of one counts the open impediments of a forum live on the other.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from tests.support import ROOT, LiveClient, live_as, name_cookie
from tests.test_access import cookie_of, open_link
from tests.test_admin_token import admin_link
from tests.test_ownership_serve import two_servers


async def closed_within(client: LiveClient, seconds: float) -> float:
    """Wait for the server to close the socket; how long it took."""
    start = time.monotonic()
    async with asyncio.timeout(seconds + 4):
        await client.ws.wait_closed()
    return time.monotonic() - start


async def test_a_rotation_on_one_process_closes_its_sockets_on_the_other(
    db_url: str, tmp_path: Path
) -> None:
    with two_servers(db_url, tmp_path) as (a, b):
        forum = a.new_forum("sos", "Rotated elsewhere")["id"]
        old = a.links(forum)
        bearer = {"authorization": f"Bearer {old['participant']}"}
        assert a.request("GET", f"/api/forums/{forum}", headers=bearer, auth=False)[0] == 200
        live = await LiveClient.connect(a.ws_url(forum, old["participant"]))  # on A, its owner
        viewer = await LiveClient.connect(a.ws_url(forum, old["viewer"]))
        status, link = b.request("POST", f"/api/forums/{forum}/links/participant/rotate")
        assert status == 201, link
        took = await closed_within(live, 1.0)
        assert live.ws.close_code == 4403 and took < 1.0, (live.ws.close_code, took)
        # On A too the old link opens nothing now, and the new one works.
        assert a.request("GET", f"/api/forums/{forum}", headers=bearer, auth=False)[0] == 401
        assert open_link(a, f"/forums/{forum}?token={old['participant']}").status == 403
        fresh = await LiveClient.connect(a.ws_url(forum, link["token"]))
        assert (await fresh.call({"type": "add_column", "title": "After"}))["type"] == "ack"
        # The viewer's link was not rotated: still connected.
        assert viewer.ws.close_code is None
        await fresh.close()
        await viewer.close()


async def test_a_new_admin_token_closes_admin_sockets_on_every_process(
    db_url: str, tmp_path: Path
) -> None:
    with two_servers(db_url, tmp_path) as (a, b):
        forum = a.new_forum("sos", "Admin elsewhere")["id"]
        on_a = await LiveClient.connect(a.ws_url(forum, a.admin_token))
        participant = await LiveClient.connect(a.ws_url(forum, a.links(forum)["participant"]))
        waiting = asyncio.create_task(closed_within(on_a, 1.0))
        new = await asyncio.to_thread(admin_link, db_url)
        took = await waiting
        assert on_a.ws.close_code == 4403
        # Measured from before the command started (it needs a second to start Python),
        # so this bounds the signal's delay from above.
        assert took < 1.0 + _command_start_bound(), took
        assert participant.ws.close_code is None  # everyone else stays
        for server in (a, b):
            status, _ = server.request(
                "GET", "/api/teams", headers={"authorization": f"Bearer {new}"}, auth=False
            )
            assert status == 200
        await participant.close()


def _command_start_bound() -> float:
    """How long starting ``python -m server`` takes here (measured, generously)."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", "import server.cli"], cwd=ROOT, check=True)
    return 2 * (time.monotonic() - start)


async def test_counts_of_a_forum_live_on_another_process(db_url: str, tmp_path: Path) -> None:
    with two_servers(db_url, tmp_path) as (a, b):
        forum = a.new_forum("sos", "Counted elsewhere")["id"]
        people = [await live_as(a, forum, f"Person {i}") for i in range(3)]
        answer = await people[0].call(
            {"type": "add_card", "column": "new", "title": "Blocked", "kind": "impediment"}
        )
        assert answer["type"] == "ack", answer
        admin = open_link(b, f"/admin/enter?token={b.admin_token}")
        cookie = cookie_of(admin)
        deadline = time.monotonic() + 3  # the owner records presence at each renewal
        while True:
            home = b.http("GET", "/", headers={"cookie": cookie}, auth=False).text
            if "3 here now" in home or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert "3 here now" in home
        status, network = b.request("GET", "/api/network")
        assert status == 200
        counted = {f["id"]: f["open_impediments"] for f in network["forums"]}
        assert counted[forum] == 1
        for p in people:
            await p.close()
        deadline = time.monotonic() + 3
        while "here now" in b.http("GET", "/", headers={"cookie": cookie}, auth=False).text:
            assert time.monotonic() < deadline, "people still shown after they left"
            await asyncio.sleep(0.1)


async def test_a_sprint_calendar_set_on_one_process_labels_the_others_pages(
    db_url: str, tmp_path: Path
) -> None:
    """SPEC R69 across processes: what a process renders between page loads (a live
    board's panels and regions) uses its copy of the calendar, which the
    ``scaleboard_cadence`` signal makes current within a second of the admin's change
    on another process."""
    import datetime as dt
    import re

    with two_servers(db_url, tmp_path) as (a, b):
        forum = a.new_forum("sos", "Sprints elsewhere")["id"]

        named = name_cookie(b, "Ada")

        def sprint_on_b() -> str:
            page = b.http("GET", f"/forums/{forum}", headers=named)
            assert page.status == 200, page.status
            found = re.search(r'class="sprint-now">([^<]*)<', page.text)
            assert found, page.text[:500]
            return found.group(1)

        start = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=70)).isoformat()
        status, cal = a.request("PUT", "/api/sprints", {"days": 7, "start": start})
        assert status == 200, cal
        wanted = f"Sprint {cal['current']}"
        assert cal["current"] == 11, cal
        began = time.monotonic()
        while (seen := sprint_on_b()) != wanted and time.monotonic() - began < 3:
            await asyncio.sleep(0.05)
        assert seen == wanted, (seen, wanted)
        assert time.monotonic() - began < 1.0
