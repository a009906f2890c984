"""The JSON API under /api against a real server: forums, cards, ops, sessions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support import LiveClient, ServerProcess, column_order

Forum = dict[str, Any]


def ok(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    status, data = server.request(method, path, body)
    assert status in (200, 201), (method, path, status, data)
    return data


def problem(server: ServerProcess, method: str, path: str, body: Any = None) -> tuple[int, str]:
    """An error answer: the status and its stable ``code`` (it must have a ``reason``)."""
    status, data = server.request(method, path, body)
    assert status >= 400, (method, path, status, data)
    assert isinstance(data, dict) and set(data) == {"code", "reason"}, data
    assert data["reason"], data
    return status, data["code"]


# -- forums -------------------------------------------------------------------------


def test_forums_are_created_and_listed(server: ServerProcess) -> None:
    status, created = server.request(
        "POST", "/api/forums", {"name": "  EAT — Commerce  ", "kind": "eat"}
    )
    assert status == 201
    assert created["name"] == "EAT — Commerce" and created["kind"] == "eat"
    assert created["seq"] == 0 and created["live_cards"] == 0 and not created["in_session"]
    listed = {f["id"]: f for f in ok(server, "GET", "/api/forums")}
    assert listed[created["id"]]["name"] == "EAT — Commerce"
    kinds = {k["id"] for k in ok(server, "GET", "/api/kinds")}
    assert {"sos", "eat", "metascrum", "ems", "retro", "backlog"} <= kinds


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Fine", "kind": "standup"},
        {"name": "", "kind": "sos"},
        {"name": "   ", "kind": "sos"},
        {"name": "x" * 81, "kind": "sos"},
        {"name": "Fine", "kind": "sos", "colour": "red"},
        {"kind": "sos"},
    ],
    ids=["bad-kind", "empty-name", "blank-name", "long-name", "unknown-field", "no-name"],
)
def test_bad_forums_are_refused_with_code_and_reason(
    server: ServerProcess, body: dict[str, Any]
) -> None:
    before = len(ok(server, "GET", "/api/forums"))
    status, code = problem(server, "POST", "/api/forums", body)
    assert (status, code) == (400, "invalid")
    assert len(ok(server, "GET", "/api/forums")) == before


def test_many_forums_of_one_name_each_get_their_own_id(tmp_path: Path) -> None:
    # Ids are the name's slug and a short random suffix, so 1000 forums of one name
    # are all but certain to draw the same suffix twice; none may fail for it.
    server = ServerProcess(tmp_path / "many.db").start()
    try:
        body = {"name": "Scrum of Scrums", "kind": "sos"}
        with ThreadPoolExecutor(8) as pool:
            made = list(
                pool.map(lambda _: server.request("POST", "/api/forums", body), range(1000))
            )
        assert [status for status, _ in made] == [201] * 1000, [f for s, f in made if s != 201][:3]
        ids = {forum["id"] for _, forum in made}
        assert len(ids) == 1000
        assert {f["id"] for f in ok(server, "GET", "/api/forums")} == ids
    finally:
        server.stop()


def test_board_of_a_new_forum(server: ServerProcess, forum: Forum) -> None:
    board = ok(server, "GET", f"/api/forums/{forum['id']}")
    assert board["forum_id"] == forum["id"] and board["kind"] == "sos"
    assert [c["id"] for c in board["columns"]] == ["new", "removing", "needs-eat", "removed"]
    assert board["seq"] == 0 and board["cards"] == {} and board["session"] is None


def test_unknown_forum_and_card_are_404(server: ServerProcess, forum: Forum) -> None:
    base = f"/api/forums/{forum['id']}"
    assert problem(server, "GET", "/api/forums/nope") == (404, "not_found")
    assert problem(server, "GET", "/api/forums/nope/cards") == (404, "not_found")
    card = {"column": "new", "title": "Lost"}
    assert problem(server, "POST", "/api/forums/nope/cards", card) == (404, "not_found")
    assert problem(server, "GET", "/api/forums/nope/sessions") == (404, "not_found")
    assert problem(server, "GET", f"{base}/cards/c42") == (404, "not_found")
    assert problem(server, "PATCH", f"{base}/cards/c42", {"title": "x"}) == (404, "not_found")
    move = {"column": "new", "index": 0}
    assert problem(server, "POST", f"{base}/cards/c42/move", move) == (404, "not_found")
    assert problem(server, "POST", f"{base}/cards/c42/archive") == (404, "not_found")
    assert problem(server, "POST", f"{base}/cards/c42/restore") == (404, "not_found")
    nowhere = {"column": "nowhere", "title": "x"}
    assert problem(server, "POST", f"{base}/cards", nowhere) == (404, "not_found")
    assert problem(server, "GET", "/api/sessions/nope-1") == (404, "not_found")
    assert ok(server, "GET", base)["seq"] == 0


# -- cards --------------------------------------------------------------------------


def test_card_lifecycle(server: ServerProcess, forum: Forum) -> None:
    base = f"/api/forums/{forum['id']}"
    first = ok(server, "POST", f"{base}/cards", {"column": "new", "title": "Staging is down"})
    assert first["id"] == "c1" and first["column"] == "new" and first["kind"] == "impediment"
    assert first["created_by"] == "API (admin)"  # SPEC R42: the token's label
    second = ok(
        server,
        "POST",
        f"{base}/cards",
        {"column": "new", "title": "Needs payments API", "kind": "dependency", "index": 0},
    )
    assert second["id"] == "c2"
    assert [c["id"] for c in ok(server, "GET", f"{base}/cards")] == ["c2", "c1"]

    edited = ok(server, "PATCH", f"{base}/cards/c1", {"title": "Staging down", "owner": "Maya"})
    assert edited["title"] == "Staging down" and edited["owner"] == "Maya"
    assert edited["kind"] == "impediment"  # left out, unchanged
    assert ok(server, "GET", f"{base}/cards/c1") == edited

    moved = ok(server, "POST", f"{base}/cards/c1/move", {"column": "removing", "index": 0})
    assert moved["column"] == "removing"
    archived = ok(server, "POST", f"{base}/cards/c2/archive")
    assert archived["archived"] is True
    assert [c["id"] for c in ok(server, "GET", f"{base}/cards")] == ["c1"]
    with_archived = server.request("GET", f"{base}/cards?archived=true")[1]
    assert [c["id"] for c in with_archived] == ["c1", "c2"]
    restored = ok(server, "POST", f"{base}/cards/c2/restore")
    assert restored["archived"] is False and restored["column"] == "new"

    board = ok(server, "GET", base)
    assert board["seq"] == 6
    assert column_order(board) == {
        "new": ["c2"],
        "removing": ["c1"],
        "needs-eat": [],
        "removed": [],
    }
    # A change that changes nothing spends no seq.
    assert (
        ok(server, "PATCH", f"{base}/cards/c1", {"title": "Staging down"}) == board["cards"]["c1"]
    )
    assert ok(server, "GET", base)["seq"] == 6


def test_card_input_is_checked(server: ServerProcess, forum: Forum) -> None:
    base = f"/api/forums/{forum['id']}"
    wrong_kind = {"column": "new", "title": "x", "kind": "backlog_item"}
    assert problem(server, "POST", f"{base}/cards", wrong_kind) == (400, "invalid")
    assert problem(server, "POST", f"{base}/cards", {"column": "new", "title": " "}) == (
        400,
        "invalid",
    )
    too_long = {"column": "new", "title": "x" * 201}
    assert problem(server, "POST", f"{base}/cards", too_long) == (400, "invalid")
    assert ok(server, "GET", base)["seq"] == 0


# -- generic ops ----------------------------------------------------------------------


def test_ops_with_an_id_are_idempotent(server: ServerProcess, forum: Forum) -> None:
    path = f"/api/forums/{forum['id']}/ops"
    add = {"id": "api-op-1", "op": {"type": "add_card", "column": "new", "title": "Once"}}
    assert ok(server, "POST", path, add) == {"seq": 1, "changed": True, "duplicate": False}
    # SPEC R6: the same id again is a duplicate with the original seq.
    assert ok(server, "POST", path, add) == {"seq": 1, "changed": False, "duplicate": True}
    assert len(ok(server, "GET", f"/api/forums/{forum['id']}")["cards"]) == 1
    same_place = {"op": {"type": "move_card", "card": "c1", "column": "new", "index": 0}}
    assert ok(server, "POST", path, same_place) == {"seq": 1, "changed": False, "duplicate": False}
    missing = {"id": "api-op-2", "op": {"type": "archive_card", "card": "c9"}}
    assert problem(server, "POST", path, missing) == (404, "not_found")
    assert problem(server, "POST", path, missing) == (404, "not_found")
    assert problem(server, "POST", path, {"op": {"type": "end_session"}}) == (409, "no_session")
    assert problem(server, "POST", path, {"op": {"type": "explode"}}) == (400, "invalid")
    server_only = {"op": {"type": "note_presence", "names": ["Eve"]}}
    assert problem(server, "POST", path, server_only) == (400, "invalid")
    assert ok(server, "GET", f"/api/forums/{forum['id']}")["seq"] == 1


# -- sessions -------------------------------------------------------------------------


def test_session_from_start_to_record(server: ServerProcess, forum: Forum) -> None:
    base = f"/api/forums/{forum['id']}"
    ok(server, "POST", f"{base}/cards", {"column": "new", "title": "Flaky staging"})
    assert problem(server, "POST", f"{base}/decisions", {"text": "No"}) == (409, "no_session")
    session = ok(server, "POST", f"{base}/sessions")
    assert session["id"] == f"{forum['id']}-1" and session["number"] == 1
    # SPEC R42: labelled by the token, and a token is not an attendee.
    assert session["started_by"] == "API (admin)" and session["participants"] == []
    assert problem(server, "POST", f"{base}/sessions") == (409, "conflict")

    decision = ok(
        server, "POST", f"{base}/decisions", {"text": "Platform owns it", "cards": ["c1"]}
    )
    assert decision["session_id"] == session["id"] and decision["card_ids"] == ["c1"]
    step = ok(
        server,
        "POST",
        f"{base}/next-steps",
        {"text": "Add a staging health check", "owner": "Maya", "due": "2030-01-31"},
    )
    assert step["status"] == "open" and step["due"] == "2030-01-31"
    other = ok(server, "POST", f"{base}/next-steps", {"text": "Ask the EAT"})
    done = ok(server, "PATCH", f"{base}/next-steps/{step['id']}", {"status": "done"})
    assert done["status"] == "done" and done["text"] == step["text"]
    steps = {s["id"]: s["status"] for s in ok(server, "GET", f"{base}/next-steps")}
    assert steps == {step["id"]: "done", other["id"]: "open"}
    bad = {"status": "finished"}
    assert problem(server, "PATCH", f"{base}/next-steps/{step['id']}", bad)[0] == 400
    assert problem(server, "PATCH", f"{base}/next-steps/s999", {"status": "done"}) == (
        404,
        "not_found",
    )
    running = ok(server, "GET", f"{base}/sessions")
    assert [s["id"] for s in running] == [session["id"]] and running[0]["ended_at"] is None
    ok(server, "POST", f"{base}/cards/c1/move", {"column": "removing", "index": 0})

    ended = ok(server, "POST", f"{base}/sessions/current/end")
    record = ended["session"]
    assert record["id"] == session["id"] and record["ended_by"] == "API (admin)"
    assert record["decisions"] == 1 and record["next_steps"] == 2
    assert record["end_seq"] == ok(server, "GET", base)["seq"]
    assert ended["board"]["cards"]["c1"]["column"] == "removing"  # the board at its end
    assert [d["text"] for d in ended["decision_list"]] == ["Platform owns it"]
    assert {s["id"]: s["status"] for s in ended["step_list"]} == steps
    assert ok(server, "GET", f"/api/sessions/{session['id']}") == ended
    listed = ok(server, "GET", f"{base}/sessions")
    assert listed[0]["ended_at"] == record["ended_at"]
    # The open step stays with the forum; the done one is closed with the session.
    assert [s["id"] for s in ok(server, "GET", f"{base}/next-steps")] == [other["id"]]
    assert ok(server, "GET", base)["session"] is None
    assert problem(server, "POST", f"{base}/sessions/current/end") == (409, "no_session")
    # A second session gets the next number.
    assert ok(server, "POST", f"{base}/sessions")["number"] == 2


# -- live, schema, health -------------------------------------------------------------


async def test_api_changes_are_broadcast_live(server: ServerProcess, forum: Forum) -> None:
    client = await LiveClient.connect(server.ws_url(forum["id"]))
    base = f"/api/forums/{forum['id']}"
    card = ok(server, "POST", f"{base}/cards", {"column": "new", "title": "From the API"})
    batch = await client.expect("batch", match=lambda m: m["items"])
    (item,) = batch["items"]
    assert item["seq"] == 1 and item["actor"] == "API (admin)" and item["op_id"] is None
    assert item["events"] == [{"type": "card_added", "card": card}]
    assert "From the API" in batch["html"][f"card:{card['id']}"]
    ok(server, "POST", f"{base}/cards/{card['id']}/move", {"column": "removed", "index": 0})
    await client.wait_seq(2)
    moved = client.items()[-1]["events"][0]
    assert moved["type"] == "card_moved" and moved["column"] == "removed"
    await client.close()


def test_openapi_schema_lists_the_api(server: ServerProcess) -> None:
    schema = ok(server, "GET", "/schema/openapi.json")
    assert schema["info"]["title"] == "Scaleboard"
    paths = set(schema["paths"])
    for path in (
        "/api/forums",
        "/api/forums/{forum_id}",
        "/api/forums/{forum_id}/ops",
        "/api/forums/{forum_id}/cards",
        "/api/forums/{forum_id}/cards/{card_id}/move",
        "/api/forums/{forum_id}/sessions",
        "/api/sessions/{session_id}",
        "/api/forums/{forum_id}/next-steps/{step_id}",
    ):
        assert path in paths, path
    assert not [p for p in paths if p.startswith("/forums") or p.startswith("/name")]


def test_healthz(server: ServerProcess) -> None:
    assert server.request("GET", "/healthz") == (200, {"status": "ok"})
