"""Replay and "what changed" against a real server: sessions played over the live
websocket, then read back as pages, as the HTML fragment replay.js fetches, and as
JSON; bad ids and bad steps; user text escaped everywhere."""

from __future__ import annotations

import html
import re
from typing import Any

from server.sessions.replay import step_window
from tests.support import LiveClient, ServerProcess, live_as

Forum = dict[str, Any]
ATTACK = "<script>alert(1)</script>"
ESCAPED = html.escape(ATTACK, quote=False)


async def do(client: LiveClient, op: dict[str, Any]) -> int:
    """Send an op, wait for its ack, return its seq."""
    answer = await client.call(op)
    assert answer["type"] == "ack" and not answer["duplicate"], answer
    return int(answer["seq"])


def board_columns(page: str) -> dict[str, list[str]]:
    """Card ids per column of the (one) board a page or fragment shows, in order."""
    start = page.index('id="columns"')
    ends = [page.find(mark, start) for mark in ('id="archive"', "<aside", "removed-cards")]
    board = page[start : min([e for e in ends if e != -1], default=len(page))]
    out: dict[str, list[str]] = {}
    for chunk in board.split('<section class="column" id="col-')[1:]:
        col = chunk[: chunk.index('"')]
        out[col] = re.findall(r'<li class="card[^"]*" id="card-[^"]+" data-card="([^"]+)"', chunk)
    return out


def caption(page: str) -> str:
    found = re.search(r'<p id="replay-caption"[^>]*>(.*?)</p>', page, re.S)
    assert found, page[:500]
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def card_classes(page: str, card_id: str) -> list[str]:
    found = re.search(rf'<li class="([^"]*)" id="card-{card_id}"', page)
    assert found, card_id
    return found.group(1).split()


def get_ok(server: ServerProcess, path: str) -> Any:
    status, data = server.request("GET", path)
    assert status == 200, (path, status, data)
    return data


def problem(server: ServerProcess, path: str) -> tuple[int, str, str]:
    status, data = server.request("GET", path)
    assert isinstance(data, dict) and set(data) == {"code", "reason"}, (path, data)
    assert data["reason"], data
    return status, data["code"], data["reason"]


async def play_two_sessions(server: ServerProcess, forum: Forum) -> dict[str, Any]:
    """Session 1: a card is added and another moved twice. Between the sessions a card
    is added. Session 2: a card added, one archived, one moved back and renamed."""
    ana = await live_as(server, forum["id"], "Ana")
    ben = await live_as(server, forum["id"], "Ben")
    seqs: dict[str, int] = {}
    seqs["red"] = await do(ana, {"type": "add_card", "column": "new", "title": "Build is red"})
    red = f"c{seqs['red']}"
    seqs["start1"] = await do(ana, {"type": "start_session"})
    seqs["attack"] = await do(ben, {"type": "add_card", "column": "new", "title": ATTACK})
    attack = f"c{seqs['attack']}"
    seqs["move1"] = await do(
        ana, {"type": "move_card", "card": red, "column": "removing", "index": 0}
    )
    seqs["move2"] = await do(
        ben, {"type": "move_card", "card": red, "column": "removed", "index": 0}
    )
    seqs["end1"] = await do(ana, {"type": "end_session"})
    seqs["between"] = await do(ben, {"type": "add_card", "column": "needs-eat", "title": "Between"})
    seqs["start2"] = await do(ben, {"type": "start_session"})
    seqs["fresh"] = await do(ana, {"type": "add_card", "column": "new", "title": "Fresh"})
    await do(ben, {"type": "archive_card", "card": attack})
    await do(ana, {"type": "move_card", "card": red, "column": "new", "index": 0})
    await do(ana, {"type": "edit_card", "card": red, "title": "Build is green"})
    seqs["end2"] = await do(ben, {"type": "end_session"})
    await ana.close()
    await ben.close()
    return {
        "s1": f"{forum['id']}-1",
        "s2": f"{forum['id']}-2",
        "red": red,
        "attack": attack,
        "between": f"c{seqs['between']}",
        "fresh": f"c{seqs['fresh']}",
        "seqs": seqs,
    }


async def test_replay_pages_fragments_and_api_show_the_board_at_each_step(
    server: ServerProcess, forum: Forum
) -> None:
    played = await play_two_sessions(server, forum)
    s1, red, attack, seqs = played["s1"], played["red"], played["attack"], played["seqs"]
    start = seqs["start1"]
    step_of = {name: seqs[name] - start + 1 for name in ("attack", "move1", "move2", "end1")}
    n = step_of["end1"]

    # The timeline: one step per logged op of the session, who did what and when.
    tl = get_ok(server, f"/api/sessions/{s1}/timeline")
    assert (tl["session_id"], tl["forum_id"], tl["running"], tl["start_seq"]) == (
        s1,
        forum["id"],
        False,
        start,
    )
    steps = tl["steps"]
    assert [s["index"] for s in steps] == list(range(1, n + 1))
    assert [s["seq"] for s in steps] == list(range(start, seqs["end1"] + 1))
    move1 = steps[step_of["move1"] - 1]
    assert move1["actor"] == "Ana" and move1["card_ids"] == [red]
    assert move1["summary"] == "Ana moved “Build is red” from New to Being removed"
    assert steps[0]["summary"] == "Ana started session 1"
    assert steps[-1]["summary"] == "Ana ended session 1"
    assert steps[step_of["attack"] - 1]["summary"] == f"Ben added “{ATTACK}” to New"

    # The replay page at the first move: the card is in "Being removed", marked.
    r = server.http("GET", f"/sessions/{s1}/replay?step={step_of['move1']}")
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    cols = board_columns(r.text)
    assert cols["removing"] == [red] and cols["new"] == [attack] and cols["removed"] == []
    assert caption(r.text).startswith(f"Step {step_of['move1']} of {n}: ")
    assert "Ana moved “Build is red” from New to Being removed" in caption(r.text)
    assert "mark-touched" in card_classes(r.text, red)
    assert "mark-touched" not in card_classes(r.text, attack)
    current = re.findall(r'<a href="[^"]*" data-step="(\d+)" aria-current="step"', r.text)
    assert current == [str(step_of["move1"])]
    assert f'max="{n}"' in r.text and f'value="{step_of["move1"]}"' in r.text
    assert 'type="range"' in r.text and 'for="replay-slider"' in r.text
    # Every step is listed, each a link to itself, and nothing is editable.
    for k in range(n + 1):
        assert f'href="/sessions/{s1}/replay?step={k}" data-step="{k}"' in r.text
    assert "data-action" not in r.text and not re.search(r'<li class="card[^>]*tabindex', r.text)
    assert '<script type="module" src="/static/js/replay.js"></script>' in r.text
    assert 'href="/static/css/replay.css"' in r.text

    # One step earlier the card was still in New; at the start only it was there.
    before = board_columns(
        server.http("GET", f"/sessions/{s1}/replay?step={step_of['attack']}").text
    )
    assert before["new"] == [red, attack] and before["removing"] == []
    zero = server.http("GET", f"/sessions/{s1}/replay?step=0")
    assert board_columns(zero.text)["new"] == [red]
    assert caption(zero.text) == f"Step 0 of {n}: the board before the session started"
    # No step given: the last one.
    last = server.http("GET", f"/sessions/{s1}/replay")
    assert caption(last.text).startswith(f"Step {n} of {n}: Ana ended session 1")
    assert board_columns(last.text)["removed"] == [red]

    # The fragment replay.js fetches: the frame alone, same board, same caption.
    frag = server.http("GET", f"/sessions/{s1}/replay/{step_of['move2']}")
    assert frag.status == 200
    assert frag.text.lstrip().startswith('<div id="replay-frame"') and "<html" not in frag.text
    assert board_columns(frag.text)["removed"] == [red]
    assert "Ben moved “Build is red” from Being removed to Removed" in caption(frag.text)
    pinned = server.http("GET", f"/sessions/{s1}/replay/1?last={seqs['end1']}")
    assert pinned.status == 200 and caption(pinned.text).startswith(f"Step 1 of {n}: ")

    # The board API at each step.
    for name, where in (("attack", "new"), ("move1", "removing"), ("move2", "removed")):
        b = get_ok(server, f"/api/sessions/{s1}/board?step={step_of[name]}")
        assert b["cards"][red]["column"] == where
        assert b["seq"] == seqs[name]
    b0 = get_ok(server, f"/api/sessions/{s1}/board?step=0")
    assert b0["seq"] == start - 1 and set(b0["cards"]) == {red} and b0["session"] is None
    b_last = get_ok(server, f"/api/sessions/{s1}/board")
    assert b_last["seq"] == seqs["end1"] and b_last["sessions_held"] == 1

    # The session page links to both review pages.
    snap = server.http("GET", f"/sessions/{s1}")
    assert f'href="/sessions/{s1}/replay"' in snap.text
    assert f'href="/sessions/{s1}/changes"' in snap.text


async def test_what_changed_between_sessions(server: ServerProcess, forum: Forum) -> None:
    played = await play_two_sessions(server, forum)
    s1, s2, red, attack = played["s1"], played["s2"], played["red"], played["attack"]
    between, fresh = played["between"], played["fresh"]

    # Session 2 against the end of session 1 (what happened in between counts too).
    data = get_ok(server, f"/api/sessions/{s2}/changes")
    assert (data["session_id"], data["previous_session_id"]) == (s2, s1)
    assert data["before_seq"] == played["seqs"]["end1"]
    assert data["after_seq"] == played["seqs"]["end2"]
    d = data["diff"]
    assert [(c["card_id"], c["column"]) for c in d["added"]] == [
        (fresh, "New"),
        (between, "Needs EAT"),
    ]
    assert [(c["card_id"], c["title"], c["column"]) for c in d["removed"]] == [
        (attack, ATTACK, "New")
    ]
    assert [(c["card_id"], c["from_column"], c["column"]) for c in d["moved"]] == [
        (red, "Removed", "New")
    ]
    assert [(c["card_id"], c["fields"], c["old_title"]) for c in d["changed"]] == [
        (red, ["title"], "Build is red")
    ]

    r = server.http("GET", f"/sessions/{s2}/changes")
    assert r.status == 200
    page = r.text
    assert f'<a href="/sessions/{s1}">session 1</a>' in page
    assert f'href="/sessions/{s1}" rel="prev"' in page
    assert re.search(r"Added \(2\)", page) and re.search(r"Removed \(1\)", page)
    assert re.search(r"Moved \(1\)", page) and re.search(r"Changed \(1\)", page)
    added = page[page.index('id="changes-added"') : page.index('id="removed-title"')]
    assert f'href="#card-{fresh}"' in added and f'href="#card-{between}"' in added
    moved = page[page.index('id="changes-moved"') : page.index('id="changed-title"')]
    assert "Build is green" in moved and "Removed" in moved and "New" in moved
    changed = page[page.index('id="changes-changed"') :]
    assert "title (was “Build is red”)" in changed
    # The board: the cards marked by kind, each with a visible label.
    assert board_columns(page)["new"] == [red, fresh]
    assert {"mark-moved", "mark-changed"} <= set(card_classes(page, red))
    assert "mark-added" in card_classes(page, fresh)
    assert "→ Moved from Removed" in page and "✎ Changed: title" in page
    assert "+ Added" in page
    # The removed card is not on the board but listed, and shown as it was.
    assert all(attack not in ids for ids in board_columns(page).values())
    removed = page[page.index('id="removed-cards-title"') :]
    assert "mark-removed" in card_classes(removed, attack) and ESCAPED in removed

    # Session 1, the forum's first, against the board just before it started.
    first = get_ok(server, f"/api/sessions/{s1}/changes")
    assert first["previous_session_id"] is None
    assert first["before_seq"] == played["seqs"]["start1"] - 1
    assert [c["card_id"] for c in first["diff"]["added"]] == [attack]
    assert [(c["card_id"], c["from_column"], c["column"]) for c in first["diff"]["moved"]] == [
        (red, "New", "Removed")
    ]
    assert first["diff"]["removed"] == [] and first["diff"]["changed"] == []
    p1 = server.http("GET", f"/sessions/{s1}/changes").text
    assert "first session" in p1 and 'rel="prev"' not in p1


async def test_a_running_session_replays_up_to_now(server: ServerProcess, forum: Forum) -> None:
    ana = await live_as(server, forum["id"], "Ana")
    start = await do(ana, {"type": "start_session"})
    await do(ana, {"type": "add_card", "column": "new", "title": "One"})
    sid = f"{forum['id']}-1"
    tl = get_ok(server, f"/api/sessions/{sid}/timeline")
    assert tl["running"] is True and len(tl["steps"]) == 2
    page = server.http("GET", f"/sessions/{sid}/replay")
    assert page.status == 200 and "still running" in page.text
    assert caption(page.text).startswith("Step 2 of 2: Ana added “One” to New")
    seq = await do(ana, {"type": "add_card", "column": "new", "title": "Two"})
    tl = get_ok(server, f"/api/sessions/{sid}/timeline")
    assert [s["seq"] for s in tl["steps"]] == [start, start + 1, seq]
    # A page pinned to what it showed keeps its steps; unpinned sees the new one.
    pinned = server.http("GET", f"/sessions/{sid}/replay/2?last={start + 1}")
    assert caption(pinned.text).startswith("Step 2 of 2: ")
    assert server.http("GET", f"/sessions/{sid}/replay/3?last={start + 1}").status == 404
    assert caption(server.http("GET", f"/sessions/{sid}/replay/3").text).startswith("Step 3 of 3")
    changes = get_ok(server, f"/api/sessions/{sid}/changes")
    assert [c["title"] for c in changes["diff"]["added"]] == ["One", "Two"]
    assert changes["after_seq"] == seq
    await ana.close()


async def test_unknown_sessions_and_bad_steps(server: ServerProcess, forum: Forum) -> None:
    played = await play_two_sessions(server, forum)
    s1 = played["s1"]
    n = played["seqs"]["end1"] - played["seqs"]["start1"] + 1
    for path in ("/sessions/nope/replay", "/sessions/nope/replay/1", "/sessions/nope/changes"):
        r = server.http("GET", path)
        assert r.status == 404 and r.headers["content-type"].startswith("text/html"), path
        assert "There is no session with this id." in r.text and 'href="/"' in r.text
    for path in ("/api/sessions/nope/timeline", "/api/sessions/nope/board?step=1"):
        assert problem(server, path)[:2] == (404, "not_found")
    assert problem(server, "/api/sessions/nope/changes")[:2] == (404, "not_found")

    bad_pages = {
        f"/sessions/{s1}/replay?step=abc": (400, "must be a whole number"),
        f"/sessions/{s1}/replay?step=1.5": (400, "must be a whole number"),
        f"/sessions/{s1}/replay?step={n + 1}": (404, f"steps 0 to {n}"),
        f"/sessions/{s1}/replay?step=-1": (404, f"steps 0 to {n}"),
        f"/sessions/{s1}/replay/x": (400, "must be a whole number"),
        f"/sessions/{s1}/replay/{n + 1}": (404, f"there is no step {n + 1}"),
    }
    for path, (status, message) in bad_pages.items():
        r = server.http("GET", path)
        assert r.status == status, (path, r.status)
        assert message in r.text, path
        assert f'href="/sessions/{s1}/replay"' in r.text, path  # a way back
    for query in (f"step={n + 1}", "step=-1", "step=abc", "step=1.5"):
        status, code, reason = problem(server, f"/api/sessions/{s1}/board?{query}")
        assert (status, code) == (400, "invalid"), query
        assert "step" in reason, reason
    assert server.request("GET", f"/api/sessions/{s1}/board?step={n}")[0] == 200
    # The API is in the OpenAPI document.
    schema = get_ok(server, "/schema/openapi.json")
    for path in ("timeline", "board", "changes"):
        assert f"/api/sessions/{{session_id}}/{path}" in schema["paths"], path


async def test_user_text_is_escaped_in_replay_and_changes(
    server: ServerProcess, forum: Forum
) -> None:
    played = await play_two_sessions(server, forum)
    s1, s2 = played["s1"], played["s2"]
    attack_step = played["seqs"]["attack"] - played["seqs"]["start1"] + 1
    pages = [
        f"/sessions/{s1}/replay",
        f"/sessions/{s1}/replay?step={attack_step}",
        f"/sessions/{s1}/replay/{attack_step}",
        f"/sessions/{s1}/changes",
        f"/sessions/{s2}/changes",
        f"/sessions/{s2}/replay?step=2",
    ]
    for path in pages:
        r = server.http("GET", path)
        assert r.status == 200, path
        assert "<script>alert" not in r.text, path
        assert ESCAPED in r.text, path
        # No inline script anywhere (the CSP forbids it; the page must not need it).
        assert not re.search(r"<script(?![^>]*\bsrc=)", r.text), path
        assert "default-src 'self'" in r.headers["content-security-policy"]


def test_a_long_session_lists_a_window_of_steps_around_the_current_one() -> None:
    assert step_window(3, 10, half=400) == (0, 10)
    assert step_window(0, 10_000, half=400) == (0, 800)
    assert step_window(5000, 10_000, half=400) == (4600, 5400)
    assert step_window(10_000, 10_000, half=400) == (9200, 10_000)
    for k in (0, 1, 399, 400, 401, 7777, 9999, 10_000):
        lo, hi = step_window(k, 10_000, half=400)
        assert hi - lo == 800 and (lo < k <= hi or k == lo == 0), k
