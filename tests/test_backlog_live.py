"""The Scaled Backlog and WIP limits against a real server (SPEC R35–R38): the team filter
page, a re-order's note over the websocket and the API, the improvement route's gate,
and a session page listing its WIP overruns."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import LiveClient, ServerProcess, name_cookie


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own, with the demo network (it has the teams)."""
    proc = ServerProcess(tmp_path_factory.mktemp("backlog") / "board.db", demo=True).start()
    yield proc
    proc.stop()


def add(server: ServerProcess, forum: str, column: str, title: str, **fields: Any) -> str:
    status, card = server.request(
        "POST", f"/api/forums/{forum}/cards", {"column": column, "title": title, **fields}
    )
    assert status == 201, card
    return str(card["id"])


def page(server: ServerProcess, path: str) -> tuple[int, str]:
    r = server.http("GET", path, headers={**name_cookie(server, "Maya (Checkout)"), **server.auth})
    return r.status, r.text


def test_the_team_filter_page(demo: ServerProcess) -> None:
    """R35: ``?team=`` shows one team's items, says how many of how many, and can be
    cleared; an unknown team is a 404 with a way back."""
    forum = demo.new_forum("backlog", "Backlog for the filter")["id"]
    add(demo, forum, "ordered", "Guest checkout", team="checkout")
    add(demo, forum, "ordered", "Apple Pay", team="payments", teams=["payments", "checkout"])
    add(demo, forum, "ordered", "Typo tolerance", team="search")
    status, text = page(demo, f"/forums/{forum}?team=checkout")
    assert status == 200
    assert '<option value="checkout" selected>Checkout</option>' in text
    assert "Showing 2 of 3 items for Checkout" in text
    assert f'href="/forums/{forum}" class="filter-clear"' in text
    assert 'data-teams="payments checkout"' in text  # what backlog.js filters live by
    assert text.count('class="team-chip owning-team team-checkout"') == 1  # a chip per team
    assert '<script type="module" src="/static/js/forum.js">' in text

    status, text = page(demo, f"/forums/{forum}")
    assert status == 200 and "Showing" not in text
    assert re.search(r'id="team-filter-note" role="status" hidden', text)

    status, text = page(demo, f"/forums/{forum}?team=nope")
    assert status == 404 and "There is no team &#39;nope&#39;" in text
    assert f'href="/forums/{forum}"' in text

    sos = demo.new_forum("sos", "No filter here")["id"]
    status, text = page(demo, f"/forums/{sos}")
    assert status == 200 and 'id="team-filter"' not in text  # backlog and MetaScrum only


async def test_a_reorder_note_becomes_a_decision_everyone_sees(demo: ServerProcess) -> None:
    """R36: the note travels with the move; both events arrive in one item, the decision
    with its markup."""
    forum = demo.new_forum("metascrum", "MetaScrum for notes")["id"]
    a = add(demo, forum, "ordered", "PSD2")
    b = add(demo, forum, "ordered", "Apple Pay")
    mover = await LiveClient.connect(demo.ws_url(forum))
    watcher = await LiveClient.connect(demo.ws_url(forum))
    try:
        assert (await mover.call({"type": "start_session"}))["type"] == "ack"
        move = {"type": "move_card", "card": b, "column": "ordered", "index": 0}
        answer = await mover.call({**move, "note": "Apple Pay brings revenue this quarter"})
        assert answer["type"] == "ack", answer
        await watcher.wait_seq(answer["seq"])
        batch = next(
            m
            for m in watcher.received
            if m["type"] == "batch" and any(i["seq"] == answer["seq"] for i in m["items"])
        )
        [item] = [i for i in batch["items"] if i["seq"] == answer["seq"]]
        types = [e["type"] for e in item["events"]]
        assert types[:2] == ["card_moved", "decision_recorded"]
        decision = item["events"][1]["decision"]
        assert decision["text"] == "Re-ordered Apple Pay: Apple Pay brings revenue this quarter"
        assert decision["card_ids"] == [b]
        assert "Re-ordered Apple Pay" in html.unescape(batch["html"][f"decision:{decision['id']}"])
        # Where a note does not belong it is refused, and nothing moves.
        bad = await mover.call({**move, "card": a, "column": "parked", "note": "why"})
        assert bad["type"] == "reject" and bad["code"] == "invalid"
    finally:
        await mover.close()
        await watcher.close()
    # The JSON API takes the note too.
    status, moved = demo.request(
        "POST",
        f"/api/forums/{forum}/cards/{a}/move",
        {"column": "ordered", "index": 0, "note": "Law first"},
    )
    assert status in (200, 201), moved
    board = demo.board(forum)
    texts = [d["text"] for d in board["session"]["decisions"]]
    assert texts[-1] == "Re-ordered PSD2: Law first"
    assert [board["cards"][c]["title"] for c in board["columns"][1]["card_ids"]] == [
        "PSD2",
        "Apple Pay",
    ]


def test_only_a_proven_experiment_is_sent_to_the_eat(demo: ServerProcess) -> None:
    """R37: the improvement route refuses an experiment that is not proven, with why."""
    status, forums = demo.request("GET", "/api/forums")
    retro = next(f["id"] for f in forums if f["kind"] == "retro")
    card = add(
        demo,
        retro,
        "experiments",
        "Pair across teams",
        kind="experiment",
        hypothesis="Fewer late deps",
    )
    status, body = demo.request("POST", f"/api/forums/{retro}/cards/{card}/send/improvement")
    assert status == 400 and body["code"] == "invalid"
    assert "Only a proven experiment" in body["reason"]
    assert demo.board(retro)["cards"][card]["sent_to"] is None  # nothing changed
    status, _ = demo.request(
        "PATCH", f"/api/forums/{retro}/cards/{card}", {"outcome": "proven", "result": "2 → 0"}
    )
    assert status == 200
    status, body = demo.request("POST", f"/api/forums/{retro}/cards/{card}/send/improvement")
    assert status in (200, 201), body
    assert body["card"]["sent_to"]["route"] == "improvement"


async def test_the_session_page_lists_wip_overruns(demo: ServerProcess) -> None:
    """R38: over the limit is recorded, shown on the board, on the session page and as
    a guardrail flag."""
    forum = demo.new_forum("sos", "SoS with limits")["id"]
    client = await LiveClient.connect(demo.ws_url(forum))
    try:
        ok = await client.call({"type": "set_wip_limit", "column": "new", "limit": 2})
        assert ok["type"] == "ack"
        bad = await client.call({"type": "set_wip_limit", "column": "new", "limit": 0})
        assert bad["type"] == "reject" and "1 to 999" in bad["reason"]
        assert (await client.call({"type": "start_session"}))["type"] == "ack"
        for title in ("A", "B", "C"):
            answer = await client.call({"type": "add_card", "column": "new", "title": title})
            assert answer["type"] == "ack"
        items = client.items()
        over = [e for i in items for e in i["events"] if e["type"] == "wip_exceeded"]
        assert [(e["column"], e["count"], e["limit"], e["title"]) for e in over] == [
            ("new", 3, 2, "New")
        ]
        at = next(i["at"] for i in items if any(e["type"] == "wip_exceeded" for e in i["events"]))
        _, board_page = page(demo, f"/forums/{forum}")
        assert 'data-wip-limit="2"' in board_page and "column over-wip" in board_page
        assert re.search(r'<span class="wip-over" data-wip-over>Over WIP limit</span>', board_page)
        assert (await client.call({"type": "record_decision", "text": "Finish first"}))[
            "type"
        ] == "ack"
        assert (await client.call({"type": "end_session"}))["type"] == "ack"
    finally:
        await client.close()
    status, text = page(demo, f"/sessions/{forum}-1")
    assert status == 200
    clock = dt.datetime.fromtimestamp(at, tz=dt.UTC).strftime("%H:%M UTC")  # pages: UTC, labelled
    assert "Over the WIP limit of New (3/2) at <time" in text and f">{clock}</time>" in text
    status, metrics = demo.request("GET", f"/api/forums/{forum}/metrics?days=7")
    assert status == 200
    flags = [f for f in metrics["guardrails"]["flags"] if f["rule"] == "wip_exceeded"]
    assert len(flags) == 1 and "New (3/2)" in flags[0]["reason"]
