"""The network page, its picture fragment and its JSON, with the demo network and with
live changes; which teams a Scrum of Scrums serves; dependencies drawn live on a board.
SPEC R32-R34."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import LiveClient, ServerProcess, name_cookie


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(Path(tmp_path_factory.mktemp("network")) / "demo.db", demo=True)
    proc.start()
    yield proc
    proc.stop()


def counts(server: ServerProcess) -> dict[str, Any]:
    status, body = server.request("GET", "/api/network")
    assert status == 200, body
    return {f["id"]: f for f in body["forums"]}


def picture_count(html: str, forum_id: str) -> int:
    found = re.search(
        rf'id="net-forum-{forum_id}" data-forum="{forum_id}" data-count="(\d+)"', html
    )
    assert found, html[:500]
    return int(found.group(1))


def test_api_network_with_the_demo(demo: ServerProcess) -> None:  # SPEC R32
    forums = counts(demo)
    sos = forums["sos-commerce"]
    assert sos["serves"] == ["checkout", "payments", "search", "mobile"]
    assert sos["escalates_to"] == "sos-of-sos"  # its parent SoS (R72)
    assert forums["sos-platform"]["escalates_to"] == "sos-of-sos"
    assert forums["sos-of-sos"]["escalates_to"] == "eat"
    # The impediment escalated the whole way counts at the EAT only (R32a, R72).
    assert forums["sos-platform"]["open_impediments"] == 0
    assert forums["sos-of-sos"]["open_impediments"] == 0
    # New (with one the EAT returned), Being removed; not Removed, nor the one with the
    # EAT (counted there, R32a).
    assert sos["open_impediments"] == 3
    assert forums["metascrum-commerce"]["escalates_to"] == "ems"
    assert forums["metascrum-commerce"]["open_impediments"] is None  # holds none
    # Escalated (linked to the SoS's), accepted, in progress; not the returned one, nor
    # the one that came up the chain and was removed.
    assert forums["eat"]["open_impediments"] == 3
    status, body = demo.request("GET", "/api/network")
    assert [t["id"] for t in body["teams"]][:2] == ["checkout", "payments"]
    status, schema = demo.request("GET", "/schema/openapi.json")
    assert status == 200 and "/api/network" in schema["paths"]
    assert "NetworkFacts" in schema["components"]["schemas"]


def test_network_page_and_picture(demo: ServerProcess) -> None:  # SPEC R33
    page = demo.http("GET", "/network")
    assert page.status == 200
    html = page.text
    assert 'src="/static/js/network.js"' in html and "/static/css/network.css" in html
    assert "<svg" in html and 'id="network-table"' in html
    assert picture_count(html, "sos-commerce") == 3
    assert 'href="/forums/sos-commerce"' in html and "3 open impediments" in html
    assert "<script>" not in html and " style=" not in html  # CSP: nothing inline
    part = demo.http("GET", "/network/picture")
    assert part.status == 200 and part.text.lstrip().startswith('<div id="network-picture"')
    assert picture_count(part.text, "eat") == 3  # the returned one counts at the SoS (R32a)
    assert part.headers["cache-control"] == "no-store"
    home = demo.http("GET", "/")
    assert 'href="/network"' in home.text


def test_network_needs_a_link(demo: ServerProcess) -> None:
    assert demo.http("GET", "/network", auth=False).status == 403
    status, body = demo.request("GET", "/api/network", auth=False)
    assert status == 401 and body["code"] == "unauthorized"


def test_a_viewer_sees_only_the_forums_of_their_links(demo: ServerProcess) -> None:
    token = demo.links("eat")["viewer"]
    status, body = demo.request("GET", "/api/network", headers={"authorization": f"Bearer {token}"})
    assert status == 200
    assert [f["id"] for f in body["forums"]] == ["eat"]


async def test_counts_follow_a_live_change(demo: ServerProcess) -> None:  # SPEC R32
    before = (await asyncio.to_thread(counts, demo))["sos-commerce"]["open_impediments"]
    client = await LiveClient.connect(demo.ws_url("sos-commerce"))
    try:
        added = await client.call({"type": "add_card", "column": "new", "title": "New blocker"})
        assert added["type"] == "ack"
        live = (await asyncio.to_thread(counts, demo))["sos-commerce"]["open_impediments"]
        assert live == before + 1
        part = await asyncio.to_thread(demo.http, "GET", "/network/picture")
        assert picture_count(part.text, "sos-commerce") == before + 1
        card = f"c{added['seq']}"
        moved = await client.call(
            {"type": "move_card", "card": card, "column": "removed", "index": 0}
        )
        assert moved["type"] == "ack"
        after = (await asyncio.to_thread(counts, demo))["sos-commerce"]["open_impediments"]
        assert after == before
    finally:
        await client.close()


def test_serves_api_and_admin_form(demo: ServerProcess) -> None:  # SPEC R33
    server = demo
    sos = server.new_forum("sos", "Serving SoS")
    eat = server.new_forum("eat", "Not serving")
    status, teams = server.request("GET", "/api/teams")
    assert status == 200
    ids = [t["id"] for t in teams]
    status, got = server.request("POST", f"/api/forums/{sos['id']}/serves", {"teams": ids[:2]})
    assert status == 200 and got == {"forum": sos["id"], "teams": ids[:2]}
    status, bad = server.request("POST", f"/api/forums/{sos['id']}/serves", {"teams": ["nope"]})
    assert status == 400 and "nope" in bad["reason"]
    status, bad = server.request("POST", f"/api/forums/{eat['id']}/serves", {"teams": ids[:1]})
    assert status == 400 and "Scrum of Scrums" in bad["reason"]
    status, bad = server.request("POST", "/api/forums/missing/serves", {"teams": []})
    assert status == 404
    status, got = server.request("GET", f"/api/forums/{sos['id']}/serves")
    assert got["teams"] == ids[:2]  # nothing changed by the refusals
    participant = server.links(sos["id"])["participant"]
    status, _ = server.request(
        "POST",
        f"/api/forums/{sos['id']}/serves",
        {"teams": []},
        headers={"authorization": f"Bearer {participant}"},
    )
    assert status == 403
    form = server.form(f"/admin/forums/{sos['id']}/serves", {f"team-{ids[-1]}": "on"})
    assert form.status == 303
    status, got = server.request("GET", f"/api/forums/{sos['id']}/serves")
    assert got["teams"] == [ids[-1]]
    admin = server.http("GET", "/admin")
    assert f'action="/admin/forums/{sos["id"]}/serves"' in admin.text
    assert f'action="/admin/forums/{eat["id"]}/serves"' not in admin.text
    refused = server.form(f"/admin/forums/{eat['id']}/serves", {f"team-{ids[0]}": "on"})
    assert refused.status == 400 and "Nothing was changed" in refused.text


async def test_dependency_marker_and_list_live(server: ServerProcess) -> None:  # SPEC R34
    forum = server.new_forum("sos", "Dependencies SoS")
    client = await LiveClient.connect(server.ws_url(forum["id"]))
    try:
        a = await client.call({"type": "add_card", "column": "new", "title": "Side A"})
        b = await client.call({"type": "add_card", "column": "new", "title": "Side B"})
        d = await client.call(
            {"type": "add_card", "column": "new", "title": "A needs B", "kind": "dependency"}
        )
        ca, cb, cd = (f"c{x['seq']}" for x in (a, b, d))
        op_id = await client.op({"type": "edit_card", "card": cd, "connects": [ca, cb]})
        batch = await client.expect(
            "batch", match=lambda m: any(i.get("op_id") == op_id for i in m["items"])
        )
        assert (await client.answer(op_id))["type"] == "ack"
        html = batch["html"]
        region = html["region:dependencies"]
        assert "A needs B" in region and f'href="#card-{ca}"' in region and "Side B" in region
        assert "open 0 days" in region and "over-sprint" not in region
        dep_card = html[f"card:{cd}"]
        assert 'class="dep-marker-tpl"' in dep_card and f'data-connects="{ca} {cb}"' in dep_card
        assert "Connects" in dep_card and "Side A" in dep_card
        # renaming a connected card re-renders the dependency card that names it
        op_id = await client.op({"type": "edit_card", "card": ca, "title": "Side A renamed"})
        batch = await client.expect(
            "batch", match=lambda m: any(i.get("op_id") == op_id for i in m["items"])
        )
        assert "Side A renamed" in batch["html"][f"region:card-{cd}"]
        assert "dep-marker" in batch["html"][f"card:{ca}"]  # its own marker, from the server
        page = server.http("GET", f"/forums/{forum['id']}", headers=name_cookie(server, "Tess"))
        assert page.status == 200
        assert 'id="dependencies"' in page.text and 'class="dep-marker"' in page.text
    finally:
        await client.close()


async def test_the_sprint_length_is_a_server_option(tmp_path: Path) -> None:  # SPEC R34
    refused = ServerProcess(tmp_path / "bad.db", extra_args=["--sprint-days", "0"])
    with pytest.raises(RuntimeError, match="sprint-days"):
        refused.start(timeout=10)
    server = ServerProcess(tmp_path / "ten.db", extra_args=["--sprint-days", "10"]).start()
    try:
        forum = server.new_forum("sos", "Ten-day sprints")
        status, _ = server.request(
            "POST", f"/api/forums/{forum['id']}/cards",
            {"column": "new", "title": "A needs B", "kind": "dependency"},
        )  # fmt: skip
        assert status == 201
        page = server.http("GET", f"/forums/{forum['id']}", headers=name_cookie(server, "Tess"))
        assert "A sprint here is 10 days" in page.text
    finally:
        server.stop()
