"""The history JSON API against a real server: recent sessions with their counts, the
decisions log, every next step with filters, bad query values; and open next steps
carried into the next session, seen over the live websocket.

The sessions are played over the websocket by ``build_scenario`` (shared with
``test_history_pages.py``) on a server of this module's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.support import ServerProcess, ack, live_as
from tests.test_history_pages import TODAY, XSS, Scenario, build_scenario


@pytest.fixture(scope="module")
def hist_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("history-api") / "board.db").start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def scenario(hist_server: ServerProcess) -> Scenario:
    return await build_scenario(hist_server)


def ok(server: ServerProcess, path: str) -> Any:
    status, body = server.request("GET", path)
    assert status == 200, (path, body)
    return body


# -- sessions ------------------------------------------------------------------------------


def test_recent_sessions_with_their_counts(hist_server: ServerProcess, scenario: Scenario) -> None:
    a, b = scenario.a, scenario.b
    found = ok(hist_server, "/api/sessions")
    assert (found["total"], found["limit"], found["offset"]) == (3, 50, 0)
    by_id = {s["id"]: s for s in found["items"]}
    assert list(by_id) == [f"{b}-2", f"{b}-1", f"{a}-1"]  # newest first
    one = by_id[f"{a}-1"]
    assert (one["forum_id"], one["forum_name"], one["forum_kind"]) == (a, "History SoS", "sos")
    assert (one["decisions"], one["next_steps"], one["cards_moved"]) == (2, 4, 3)
    assert set(one["participants"]) == {"Maya Chen", "Leo Martin"}
    assert one["ended_by"] == "Maya Chen" and one["ended_at"] > one["started_at"]
    assert one["operations"] == one["end_seq"] - one["start_seq"] + 1
    assert by_id[f"{b}-1"]["forum_name"] == f"{XSS} MetaScrum"
    running = by_id[f"{b}-2"]
    assert running["ended_at"] is None and running["end_seq"] is None
    assert (running["decisions"], running["next_steps"], running["cards_moved"]) == (1, 0, 0)
    assert running["operations"] >= 3  # start, decision, edit (so far)
    # The per-forum list and a session's detail carry the same count.
    listed = ok(hist_server, f"/api/forums/{a}/sessions")
    assert [s["cards_moved"] for s in listed] == [3]
    assert ok(hist_server, f"/api/sessions/{a}-1")["session"]["cards_moved"] == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=metascrum", ["b-2", "b-1"]),
        ("kind=sos", ["a-1"]),
        ("kind=retro", []),
        ("forum={a}", ["a-1"]),
        ("forum={b}&kind=sos", []),
        ("limit=1", ["b-2"]),
        ("limit=2&offset=1", ["b-1", "a-1"]),
        ("offset=3", []),
    ],
)
def test_filtering_and_paging_sessions(
    hist_server: ServerProcess, scenario: Scenario, query: str, expected: list[str]
) -> None:
    names = {"a": scenario.a, "b": scenario.b}
    found = ok(hist_server, "/api/sessions?" + query.format(**names))
    ids = [f"{names[e[0]]}{e[1:]}" for e in expected]
    assert [s["id"] for s in found["items"]] == ids
    if query.startswith(("limit", "offset")):
        assert found["total"] == 3


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/api/sessions?limit=0", "Expected `int` >= 1 (at `limit`)"),
        ("/api/sessions?limit=201", "Expected `int` <= 200 (at `limit`)"),
        ("/api/sessions?limit=ten", "Expected `int`, got `str` (at `limit`)"),
        ("/api/sessions?offset=-1", "Expected `int` >= 0 (at `offset`)"),
        ("/api/decisions?offset=30196732375207690240", "Expected `int` <= 1000000000"),
        ("/api/next-steps?offset=1000000001", "Expected `int` <= 1000000000 (at `offset`)"),
        ("/api/sessions?kind=nonsense", "There is no forum kind 'nonsense'"),
        ("/api/sessions?forum=nope", "There is no forum 'nope'."),
        ("/api/decisions?forum=nope", "There is no forum 'nope'."),
        ("/api/decisions?q=" + "x" * 201, "The search text is too long"),
        ("/api/next-steps?status=finished", "Status 'finished' is not one of open, done, dropped"),
        ("/api/next-steps?overdue=maybe", "Expected `bool`, got `str` (at `overdue`)"),
        ("/api/next-steps?forum=nope", "There is no forum 'nope'."),
    ],
)
def test_bad_query_values_are_400_problems(
    hist_server: ServerProcess, scenario: Scenario, path: str, reason: str
) -> None:
    status, problem = hist_server.request("GET", path)
    assert status == 400, problem
    assert problem["code"] == "invalid" and reason in problem["reason"], problem


# -- decisions -----------------------------------------------------------------------------


def test_the_decisions_log(hist_server: ServerProcess, scenario: Scenario) -> None:
    a, b, cards = scenario.a, scenario.b, scenario.cards
    found = ok(hist_server, "/api/decisions")
    assert found["total"] == 5
    assert [d["text"] for d in found["items"]] == [
        "Hire two more testers",
        "Budget approved for Q4",
        "Budget_approved for Q3",
        f"{XSS} decided",
        "Escalate the 100% red build to the EAT",
    ]
    escalate = found["items"][-1]
    assert escalate["session_id"] == f"{a}-1" and escalate["session_number"] == 1
    assert escalate["forum_id"] == a and escalate["by"] == "Maya Chen"
    assert escalate["session_running"] is False
    # Titles as the session's recorded end board has them (the card was renamed since).
    assert escalate["cards"] == [
        {"id": cards["red"], "title": "Build is red"},
        {"id": cards["login"], "title": "Flaky login"},
    ]
    hire = found["items"][0]
    assert hire["session_running"] is True and hire["forum_id"] == b
    assert hire["cards"] == [{"id": cards["budget"], "title": "Q3 budget (final)"}]
    assert found["items"][1]["cards"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=escalate", ["Escalate the 100% red build to the EAT"]),
        ("q=%25", ["Escalate the 100% red build to the EAT"]),
        ("q=_", ["Budget_approved for Q3"]),
        ("q=t_a", ["Budget_approved for Q3"]),
        ("q=" + quote("<script>"), [f"{XSS} decided"]),
        ("q=no+such+words", []),
        (
            "forum={b}",
            ["Hire two more testers", "Budget approved for Q4", "Budget_approved for Q3"],
        ),
        ("forum={b}&q=budget&limit=1&offset=1", ["Budget_approved for Q3"]),
    ],
)
def test_searching_and_filtering_decisions(
    hist_server: ServerProcess, scenario: Scenario, query: str, expected: list[str]
) -> None:
    found = ok(hist_server, "/api/decisions?" + query.format(a=scenario.a, b=scenario.b))
    assert [d["text"] for d in found["items"]] == expected
    if "limit" not in query:
        assert found["total"] == len(expected)


# -- next steps ----------------------------------------------------------------------------


def test_every_next_step(hist_server: ServerProcess, scenario: Scenario) -> None:
    a, s = scenario.a, scenario.steps
    found = ok(hist_server, "/api/next-steps")
    assert found["total"] == 5
    by_id = {(x["forum_id"], x["id"]): x for x in found["items"]}
    flaky = by_id[(a, s["flaky"])]
    assert flaky["overdue"] is True and flaky["status"] == "open" and flaky["changeable"] is True
    assert flaky["owner"] == "Leo Martin"
    assert flaky["due"] == (TODAY - dt.timedelta(days=3)).isoformat()
    assert flaky["session_id"] == f"{a}-1" and flaky["created_by"] == "Leo Martin"
    closed = by_id[(a, s["closed"])]
    assert closed["status"] == "done" and closed["overdue"] is False
    assert closed["changeable"] is False and closed["updated_by"] == "Maya Chen"
    assert [x["overdue"] for x in found["items"]].count(True) == 1
    assert by_id[(a, s["evil"])]["due"] is None and by_id[(a, s["evil"])]["owner"] == "<b>Eve</b>"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=done", ["Closed in session"]),
        ("status=dropped", []),
        ("overdue=true", ["Fix the flaky login"]),
        ("overdue=false&status=open&forum={b}", ["Publish the budget"]),
        (
            "owner=priya+NAIR",
            ["Publish the budget", "Ask platform for a second staging DB", "Closed in session"],
        ),
        ("owner=Priya+Nair&forum={a}&status=open", ["Ask platform for a second staging DB"]),
        ("owner=nobody", []),
        ("limit=2&offset=1", ["Publish the budget", "Ask platform for a second staging DB"]),
    ],
)
def test_filtering_next_steps(
    hist_server: ServerProcess, scenario: Scenario, query: str, expected: list[str]
) -> None:
    found = ok(hist_server, "/api/next-steps?" + query.format(a=scenario.a, b=scenario.b))
    assert [x["text"] for x in found["items"]] == expected


def test_the_schema_documents_the_history_routes(hist_server: ServerProcess) -> None:
    schema = ok(hist_server, "/schema/openapi.json")
    for path, params in (
        ("/api/sessions", {"forum", "kind", "limit", "offset"}),
        ("/api/decisions", {"q", "forum", "limit", "offset"}),
        ("/api/next-steps", {"status", "owner", "forum", "overdue", "limit", "offset"}),
    ):
        op = schema["paths"][path]["get"]
        assert {p["name"] for p in op["parameters"]} == params, path
        assert "400" in op["responses"], path
    assert "cards_moved" in schema["components"]["schemas"]["ListedSession"]["properties"]
    # The page routes stay out of it.
    assert not any(p in schema["paths"] for p in ("/sessions", "/decisions", "/next-steps"))


# -- open next steps carry into the next session --------------------------------------------


def region(message: dict[str, Any], name: str) -> str:
    return str(message["html"][f"region:{name}"])


async def test_open_next_steps_are_carried_into_the_next_session(
    hist_server: ServerProcess,
) -> None:
    forum = hist_server.new_forum("sos", "Carry-over")["id"]
    maya = await live_as(hist_server, forum, "Maya Chen")
    await ack(maya, {"type": "start_session"})
    keep = f"s{await ack(maya, {'type': 'add_next_step', 'text': 'Keep me open', 'owner': 'Li'})}"
    done = f"s{await ack(maya, {'type': 'add_next_step', 'text': 'Done already'})}"
    await ack(maya, {"type": "update_next_step", "step": done, "status": "done"})
    await ack(maya, {"type": "end_session"})

    # Someone who opens the forum now gets the open step on the board, not the done one.
    leo = await live_as(hist_server, forum, "Leo Martin")
    welcome = next(m for m in leo.received if m["type"] == "welcome")
    assert welcome["full"] is True
    steps = region(welcome, "next-steps")
    assert f'id="step-{keep}"' in steps and "Keep me open" in steps
    assert "From earlier sessions" in steps and "Done already" not in steps

    # The next session opens with it, for everyone.
    await ack(maya, {"type": "start_session"})
    batch = await leo.expect("batch", match=lambda m: "region:next-steps" in m["html"])
    steps = region(batch, "next-steps")
    earlier = steps[steps.index('id="steps-earlier"') : steps.index("</ol>")]
    assert f'id="step-{keep}"' in earlier and "Done already" not in steps
    assert "Session 2" in region(batch, "session-status")
    board = hist_server.board(forum)
    assert list(board["next_steps"]) == [keep]
    assert board["session"]["number"] == 2

    # Closed in session 2, it is gone from the board once session 2 ends.
    await ack(leo, {"type": "update_next_step", "step": keep, "status": "done"})
    update = await maya.expect("batch", match=lambda m: f"step:{keep}" in m["html"])
    assert update["items"][0]["actor"] == "Leo Martin"
    assert 'class="status">done<' in update["html"][f"step:{keep}"]
    await ack(maya, {"type": "end_session"})
    assert hist_server.board(forum)["next_steps"] == {}
    listed = ok(hist_server, f"/api/next-steps?forum={forum}")
    assert {x["id"]: (x["status"], x["changeable"]) for x in listed["items"]} == {
        keep: ("done", False),
        done: ("done", False),
    }
    await maya.close()
    await leo.close()
