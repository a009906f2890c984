"""History pages against a real server: the sessions of a forum and of the network, the
decisions log, the next steps with their overdue marker, filters and the mark-done form.

The sessions are played over the live websocket (``LiveClient``) by named people. The
module has a server of its own, so the network-wide lists hold exactly what it made.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from tests.support import HttpResponse, LiveClient, ServerProcess, ack, live_as, name_cookie

TODAY = dt.date.today()
XSS = "<script>alert(1)</script>"
ESCAPED_XSS = html.escape(XSS, quote=False)


@dataclass
class Scenario:
    """What ``build_scenario`` made: two forums, three sessions, ids by name."""

    a: str  # forum "History SoS" (sos): session 1, ended
    b: str  # forum named XSS + " MetaScrum": session 1 ended, session 2 running
    cards: dict[str, str]
    steps: dict[str, str]


async def build_scenario(server: ServerProcess) -> Scenario:
    """Two forums with sessions played live: cards, moves, decisions about cards, next
    steps with owners and due dates (one overdue, one done during its session)."""
    a = server.new_forum("sos", "History SoS")["id"]
    b = server.new_forum("metascrum", f"{XSS} MetaScrum")["id"]
    cards: dict[str, str] = {}
    steps: dict[str, str] = {}
    maya = await live_as(server, a, "Maya Chen")
    leo = await live_as(server, a, "Leo Martin")
    for key, title in (("red", "Build is red"), ("login", "Flaky login"), ("evil", XSS)):
        cards[key] = f"c{await ack(maya, {'type': 'add_card', 'column': 'new', 'title': title})}"
    move = {"type": "move_card", "index": 0}
    await ack(maya, {**move, "card": cards["evil"], "column": "removing"})  # before: not counted
    await ack(maya, {"type": "start_session"})
    await ack(maya, {**move, "card": cards["red"], "column": "needs-eat"})
    await ack(leo, {**move, "card": cards["login"], "column": "removing"})
    await ack(maya, {**move, "card": cards["red"], "column": "removed"})
    decide = {"type": "record_decision"}
    text = "Escalate the 100% red build to the EAT"
    await ack(maya, {**decide, "text": text, "cards": [cards["red"], cards["login"]]})
    await ack(leo, {**decide, "text": f"{XSS} decided", "cards": [cards["evil"]]})
    for key, step_text, owner, due in (
        ("staging", "Ask platform for a second staging DB", "Priya Nair", 30),
        ("flaky", "Fix the flaky login", "Leo Martin", -3),
        ("evil", f"{XSS} step", "<b>Eve</b>", None),
        ("closed", "Closed in session", "Priya Nair", -5),
    ):
        op = {"type": "add_next_step", "text": step_text, "owner": owner}
        if due is not None:
            op["due"] = (TODAY + dt.timedelta(days=due)).isoformat()
        steps[key] = f"s{await ack(leo, op)}"
    await ack(maya, {"type": "update_next_step", "step": steps["closed"], "status": "done"})
    await ack(maya, {"type": "end_session"})
    # After the session: neither counted nor shown in its decisions (its end board holds).
    await ack(maya, {**move, "card": cards["evil"], "column": "removed"})
    await ack(maya, {"type": "edit_card", "card": cards["red"], "title": "Renamed later"})
    await maya.close()
    await leo.close()

    ana = await live_as(server, b, "Ana Souza")
    column = server.board(b)["columns"][0]["id"]
    cards["budget"] = f"c{await ack(ana, {'type': 'add_card', 'column': column, 'title': 'Q3'})}"
    await ack(ana, {"type": "start_session"})
    await ack(ana, {**decide, "text": "Budget_approved for Q3", "cards": [cards["budget"]]})
    await ack(ana, {**decide, "text": "Budget approved for Q4"})
    due = (TODAY + dt.timedelta(days=10)).isoformat()
    op = {"type": "add_next_step", "text": "Publish the budget", "owner": "priya nair", "due": due}
    steps["budget"] = f"s{await ack(ana, op)}"
    await ack(ana, {"type": "end_session"})
    await ack(ana, {"type": "start_session"})  # session 2 stays running
    await ack(ana, {**decide, "text": "Hire two more testers", "cards": [cards["budget"]]})
    await ack(ana, {"type": "edit_card", "card": cards["budget"], "title": "Q3 budget (final)"})
    await ana.close()
    return Scenario(a=a, b=b, cards=cards, steps=steps)


@pytest.fixture(scope="module")
def hist_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own: the network-wide lists hold only what it made."""
    proc = ServerProcess(tmp_path_factory.mktemp("history-pages") / "board.db").start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def scenario(hist_server: ServerProcess) -> Scenario:
    return await build_scenario(hist_server)


def get(server: ServerProcess, path: str, status: int = 200, **headers: str) -> HttpResponse:
    r = server.http("GET", path, headers=headers or None)
    assert r.status == status, (path, r.status, r.text[:500])
    assert r.headers.get("content-type", "").startswith("text/html"), path
    return r


def rows(page: str, kind: str) -> dict[str, str]:
    """The table rows (``session`` / ``step``) or list items (``decision``) by id."""
    if kind == "decision":
        found = re.findall(
            r'<li class="history-item decision" id="decision-([^"]+)".*?</li>', page, re.S
        )
        items = re.findall(
            r'(<li class="history-item decision" id="decision-[^"]+".*?</li>)', page, re.S
        )
    else:
        found = re.findall(rf'<tr id="{kind}-([^"]+)".*?</tr>', page, re.S)
        items = re.findall(rf'(<tr id="{kind}-[^"]+".*?</tr>)', page, re.S)
    return dict(zip(found, items, strict=True))


def count(row: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', row)
    assert found, (name, row)
    return int(found.group(1))


def texts(page: str, cls: str) -> list[str]:
    """The (unescaped) text of every element with this class, in page order."""
    return [html.unescape(t) for t in re.findall(rf'class="{cls}"[^>]*>(.*?)</', page, re.S)]


# -- sessions ------------------------------------------------------------------------------


def test_a_forums_sessions_page_counts_what_happened(
    hist_server: ServerProcess, scenario: Scenario
) -> None:
    page = get(hist_server, f"/forums/{scenario.a}/sessions").text
    found = rows(page, "session")
    assert list(found) == [f"{scenario.a}-1"]
    row = found[f"{scenario.a}-1"]
    assert f'href="/sessions/{scenario.a}-1"' in row and "Session 1" in row
    assert "Maya Chen" in row and "Leo Martin" in row
    assert re.search(r"<td>\d+ min</td>", row), row  # the duration
    assert count(row, "decisions") == 2
    assert count(row, "next-steps") == 4
    assert count(row, "cards-moved") == 3  # the moves before and after it do not count
    # The forum's other lists are one click away.
    for path in ("decisions", "next-steps"):
        assert f'href="/forums/{scenario.a}/{path}"' in page


def test_the_network_sessions_page_lists_every_forum_newest_first(
    hist_server: ServerProcess, scenario: Scenario
) -> None:
    a, b = scenario.a, scenario.b
    page = get(hist_server, "/sessions").text
    found = rows(page, "session")
    assert list(found) == [f"{b}-2", f"{b}-1", f"{a}-1"]
    assert "History SoS" in found[f"{a}-1"] and "Scrum of Scrums" in found[f"{a}-1"]
    assert f"{ESCAPED_XSS} MetaScrum" in found[f"{b}-1"] and "MetaScrum</span>" in found[f"{b}-1"]
    assert count(found[f"{a}-1"], "cards-moved") == 3
    assert (count(found[f"{b}-1"], "decisions"), count(found[f"{b}-1"], "next-steps")) == (2, 1)
    running = found[f"{b}-2"]
    assert "running" in running and count(running, "decisions") == 1  # counted while running
    assert "Ana Souza" in running

    assert list(rows(get(hist_server, "/sessions?kind=metascrum").text, "session")) == [
        f"{b}-2",
        f"{b}-1",
    ]
    retro = get(hist_server, "/sessions?kind=retro").text
    assert rows(retro, "session") == {}
    assert "No Scaled Retrospective forum has held a session yet." in retro


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/sessions?kind=nonsense", "There is no forum kind &#39;nonsense&#39;"),
        ("/sessions?page=0", "Page &#39;0&#39; is not a page number"),
        ("/sessions?page=two", "Page &#39;two&#39; is not a page number"),
        ("/decisions?page=-1", "is not a page number"),
        ("/decisions?q=" + "x" * 201, "The search text is too long"),
        ("/next-steps?status=finished", "Status &#39;finished&#39; is not one of open, done"),
        ("/next-steps?overdue=maybe", "overdue=&#39;maybe&#39; is neither true nor false"),
    ],
)
def test_bad_filters_get_a_clear_message(
    hist_server: ServerProcess, scenario: Scenario, path: str, message: str
) -> None:
    r = get(hist_server, path, status=400)
    assert message in r.text
    assert re.search(r'<a class="button" href="/[a-z-]*">Show the whole list</a>', r.text)


def test_unknown_forums_are_404_pages(hist_server: ServerProcess, scenario: Scenario) -> None:
    for path in ("/forums/nope/decisions", "/forums/nope/next-steps"):
        r = get(hist_server, path, status=404)
        assert "Not found" in r.text and 'href="/"' in r.text


# -- decisions -----------------------------------------------------------------------------


def test_the_decisions_log_links_sessions_and_cards(
    hist_server: ServerProcess, scenario: Scenario
) -> None:
    a, b, cards = scenario.a, scenario.b, scenario.cards
    page = get(hist_server, "/decisions").text
    assert texts(page, "decision-text") == [
        "Hire two more testers",
        "Budget approved for Q4",
        "Budget_approved for Q3",
        f"{XSS} decided",
        "Escalate the 100% red build to the EAT",
    ]
    escalate = next(r for r in rows(page, "decision").values() if "Escalate" in r)
    assert f'href="/sessions/{a}-1"' in escalate and "Maya Chen" in escalate
    # Titles come from the board the session recorded, not from today's board.
    assert f'href="/sessions/{a}-1#card-{cards["red"]}">Build is red</a>' in escalate
    assert f'href="/sessions/{a}-1#card-{cards["login"]}">Flaky login</a>' in escalate
    assert "Renamed later" not in page
    # A decision of the running session names the cards as the live board has them.
    hire = next(r for r in rows(page, "decision").values() if "Hire two" in r)
    assert f'href="/forums/{b}#card-{cards["budget"]}">Q3 budget (final)</a>' in hire
    assert "running" in hire

    forum_page = get(hist_server, f"/forums/{a}/decisions").text
    assert texts(forum_page, "decision-text") == [
        f"{XSS} decided",
        "Escalate the 100% red build to the EAT",
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ESCALATE", ["Escalate the 100% red build to the EAT"]),
        ("%", ["Escalate the 100% red build to the EAT"]),  # literal, not "anything"
        ("0% r", ["Escalate the 100% red build to the EAT"]),
        ("_", ["Budget_approved for Q3"]),  # literal, not "any one character"
        ("t_a", ["Budget_approved for Q3"]),  # not "Budget approved" either
        ("budget a", ["Budget approved for Q4"]),
        ("\\", []),
        ("nothing like this", []),
    ],
)
def test_searching_decisions(
    hist_server: ServerProcess, scenario: Scenario, q: str, expected: list[str]
) -> None:
    page = get(hist_server, f"/decisions?q={quote(q)}").text
    assert texts(page, "decision-text") == expected
    assert f'value="{html.escape(q.strip())}"' in page  # the search box keeps the text
    if not expected:
        assert f"No decision contains “{html.escape(q.strip())}”." in page


# -- next steps ----------------------------------------------------------------------------


def step_rows(page: str, forum_id: str) -> dict[str, str]:
    return {k.removeprefix(f"{forum_id}-"): v for k, v in rows(page, "step").items()}


def test_the_next_steps_list_marks_overdue_steps(
    hist_server: ServerProcess, scenario: Scenario
) -> None:
    a, s = scenario.a, scenario.steps
    page = get(hist_server, "/next-steps").text
    assert texts(page, "step-text") == [
        "Fix the flaky login",  # open, soonest due
        "Publish the budget",
        "Ask platform for a second staging DB",
        f"{XSS} step",  # open, no due date
        "Closed in session",  # done
    ]
    found = step_rows(page, a)
    flaky = found[s["flaky"]]
    assert 'class="step-row status-open overdue"' in flaky
    assert '<strong class="overdue-label">Overdue</strong>' in flaky  # a word, not colour alone
    assert page.count('class="overdue-label"') == 1
    assert "Leo Martin" in flaky and (TODAY - dt.timedelta(days=3)).isoformat() in flaky
    # Done during its session, which has ended: shown read-only.
    closed = found[s["closed"]]
    assert "status-done" in closed and "Closed with its session" in closed and "<form" not in closed
    assert "by Maya Chen" in closed  # who closed it
    # Open ones can be changed with a small form.
    staging = found[s["staging"]]
    assert f'action="/forums/{a}/next-steps/{s["staging"]}"' in staging
    assert 'name="status" value="done"' in staging and 'name="status" value="dropped"' in staging
    assert 'name="back" value="/next-steps"' in staging


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=done", ["Closed in session"]),
        ("status=dropped", []),
        (
            "owner=PRIYA+NAIR",
            ["Publish the budget", "Ask platform for a second staging DB", "Closed in session"],
        ),
        ("overdue=true", ["Fix the flaky login"]),
        (
            "owner=Priya+Nair&status=open",
            ["Publish the budget", "Ask platform for a second staging DB"],
        ),
    ],
)
def test_filtering_next_steps(
    hist_server: ServerProcess, scenario: Scenario, query: str, expected: list[str]
) -> None:
    page = get(hist_server, f"/next-steps?{query}").text
    assert texts(page, "step-text") == expected
    if not expected:
        assert "No next step matches these filters." in page


def test_a_forums_next_steps(hist_server: ServerProcess, scenario: Scenario) -> None:
    page = get(hist_server, f"/forums/{scenario.b}/next-steps").text
    assert texts(page, "step-text") == ["Publish the budget"]
    assert f'name="back" value="/forums/{scenario.b}/next-steps"' in page


async def test_marking_a_step_done_with_the_page_form(
    hist_server: ServerProcess, scenario: Scenario
) -> None:
    a, step = scenario.a, scenario.steps["staging"]
    watcher = await LiveClient.connect(hist_server.ws_url(a))
    back = f"/forums/{a}/next-steps?owner=Priya+Nair"
    ana = name_cookie(hist_server, "Ana Souza")
    r = hist_server.form(f"/forums/{a}/next-steps/{step}", {"status": "done", "back": back}, ana)
    assert r.status == 303 and r.headers["location"] == back

    # Everyone on the live board sees it, as an operation by Ana.
    def updates(m: dict[str, Any]) -> bool:
        return any(e["type"] == "next_step_updated" for i in m["items"] for e in i["events"])

    batch = await watcher.expect("batch", match=updates)
    (item,) = batch["items"]
    assert item["actor"] == "Ana Souza"
    (event,) = item["events"]
    assert event["step"]["id"] == step and event["step"]["status"] == "done"
    assert 'class="status">done<' in batch["html"][f"step:{step}"]

    row = step_rows(get(hist_server, back).text, a)[step]
    assert "status-done" in row and "by Ana Souza" in row
    assert 'name="status" value="open"' in row  # still on the board: it can be reopened
    status, listed = hist_server.request("GET", f"/api/forums/{a}/next-steps")
    assert status == 200
    assert {s["id"]: (s["status"], s["updated_by"]) for s in listed}[step] == ("done", "Ana Souza")
    status, detail = hist_server.request("GET", f"/api/sessions/{a}-1")
    assert {s["id"]: s["status"] for s in detail["step_list"]}[step] == "done"

    # Reopened the same way.
    r = hist_server.form(f"/forums/{a}/next-steps/{step}", {"status": "open", "back": back}, ana)
    assert r.status == 303
    batch = await watcher.expect("batch", match=updates)
    assert batch["items"][0]["events"][0]["step"]["status"] == "open"
    assert "status-open" in step_rows(get(hist_server, back).text, a)[step]
    await watcher.close()


def test_the_form_refuses_what_it_cannot_change(
    hist_server: ServerProcess, scenario: Scenario
) -> None:
    a, s = scenario.a, scenario.steps
    url = f"/forums/{a}/next-steps"
    back = f"{url}?status=open&owner=Leo+Martin"
    seq = hist_server.board(a)["seq"]
    # Without a name: asked for one, then back to the list.
    r = hist_server.form(f"{url}/{s['flaky']}", {"status": "done", "back": back})
    assert r.status == 303 and r.headers["location"] == f"/name?next={quote(back, safe='/')}"
    headers = name_cookie(hist_server, "Ana Souza")
    cases = [
        (s["flaky"], "finished", 400, "Choose a status: open, done, dropped"),
        ("s999", "done", 404, "This forum has no next step &#39;s999&#39;."),
        (s["closed"], "open", 409, "its session has ended since, so it can no longer be changed"),
    ]
    for step, status, code, message in cases:
        r = hist_server.form(f"{url}/{step}", {"status": status, "back": back}, headers)
        assert r.status == code, (step, r.text[:300])
        assert message in r.text and "The next step was not changed" in r.text
        assert f'href="{html.escape(back)}"' in r.text  # a way back to the list
    r = hist_server.form("/forums/nope/next-steps/s1", {"status": "done"}, headers)
    assert r.status == 404
    assert hist_server.board(a)["seq"] == seq  # nothing changed
    # An off-site "back" is never followed.
    r = hist_server.form(
        f"{url}/{s['flaky']}", {"status": "open", "back": "//evil.example"}, headers
    )
    assert r.status == 303 and r.headers["location"] == "/next-steps"


# -- escaping, navigation, paging ----------------------------------------------------------


def test_every_list_escapes_user_text(hist_server: ServerProcess, scenario: Scenario) -> None:
    a, b = scenario.a, scenario.b
    paths = [
        "/sessions",
        f"/forums/{b}/sessions",
        "/decisions",
        f"/forums/{a}/decisions",
        f"/decisions?q={quote('<script>')}",
        "/next-steps",
        f"/forums/{a}/next-steps?owner={quote('<b>Eve</b>')}",
        f"/sessions?kind={quote(XSS)}",
        f"/next-steps?status={quote(XSS)}",
    ]
    headers = name_cookie(hist_server, "<b>Mallory</b>")
    for path in paths:
        r = hist_server.http("GET", path, headers=headers)
        assert r.status in (200, 400), path
        assert "<script>alert" not in r.text and "<b>" not in r.text, path
        assert "&lt;script&gt;" in r.text, path
        for tag in re.findall(r"<script\b[^>]*>", r.text):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", r.text), path
        assert "style=" not in r.text, path
    owner_page = hist_server.http("GET", paths[6]).text
    assert texts(owner_page, "step-text") == [f"{XSS} step"]
    assert "&lt;b&gt;Eve&lt;/b&gt;" in owner_page


def test_home_and_forum_pages_link_to_the_history(
    hist_server: ServerProcess, scenario: Scenario
) -> None:
    home = get(hist_server, "/").text
    for path in ("/sessions", "/decisions", "/next-steps"):
        assert f'<a href="{path}">' in home
    forum = get(hist_server, f"/forums/{scenario.a}", **name_cookie(hist_server, "Ana")).text
    nav = forum[forum.index('<nav class="topnav"') : forum.index("</nav>")]
    for path in ("sessions", "decisions", "next-steps"):
        assert f'href="/forums/{scenario.a}/{path}"' in nav
    assert (
        '<link rel="stylesheet" href="/static/css/history.css">'
        in get(hist_server, "/sessions").text
    )
    assert hist_server.http("GET", "/static/css/history.css").status == 200


def test_the_network_lists_are_paged(hist_server: ServerProcess, scenario: Scenario) -> None:
    ems = hist_server.new_forum("ems", "Paged EMS")["id"]
    base = f"/api/forums/{ems}"
    for i in range(27):
        assert hist_server.request("POST", f"{base}/sessions")[0] == 201
        text = f"Paged decision {i}"
        assert hist_server.request("POST", f"{base}/decisions", {"text": text})[0] == 201
        assert hist_server.request("POST", f"{base}/sessions/current/end")[0] == 201
    first = get(hist_server, "/sessions?kind=ems").text
    one = list(rows(first, "session"))
    assert one == [f"{ems}-{n}" for n in range(27, 2, -1)]  # 25, newest first
    assert "Page 1 of 2 · 27 sessions" in first
    assert 'href="/sessions?kind=ems&amp;page=2" rel="next"' in first
    second = get(hist_server, "/sessions?kind=ems&page=2").text
    assert list(rows(second, "session")) == [f"{ems}-2", f"{ems}-1"]
    assert 'href="/sessions?kind=ems" rel="prev"' in second
    beyond = get(hist_server, "/sessions?kind=ems&page=3").text
    assert rows(beyond, "session") == {}
    assert "There are no sessions on page 3" in beyond and 'href="/sessions?kind=ems"' in beyond

    decisions = get(hist_server, f"/forums/{ems}/decisions?q=paged&page=2").text
    assert texts(decisions, "decision-text") == ["Paged decision 1", "Paged decision 0"]
    assert f'href="/forums/{ems}/decisions?q=paged" rel="prev"' in decisions
