"""Metrics and guardrails against a real server: sessions played over the live
websocket (impediments raised, moved to Removed, archived; decisions naming cards;
next steps done and not done; a short session that decides nothing; a MetaScrum that
re-orders without a trade-off note), then read back from the JSON API and the pages.
Also: bad periods, unknown forums, escaping of user text in the SVG, the OpenAPI
schema, access, and a cache that follows new operations."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import HttpResponse, ServerProcess, ack, live_as, name_cookie

XSS = "<script>alert(1)</script>"
ESCAPED = html.escape(XSS, quote=False)
TODAY = dt.date.today()


@dataclass
class Played:
    """What ``play`` made: three forums, card and step ids, and when it ran."""

    sos: str
    meta: str
    notes: str
    cards: dict[str, str]
    began: float
    ended: float


async def play(server: ServerProcess) -> Played:
    began = time.time()
    sos = server.new_forum("sos", "Metrics SoS")["id"]
    meta = server.new_forum("metascrum", "Metrics MetaScrum")["id"]
    notes = server.new_forum("sos", "Status SoS")["id"]
    cards: dict[str, str] = {}

    # The Scrum of Scrums: four impediments and a dependency, raised before session 1.
    ana = await live_as(server, sos, "Ana (Checkout)")
    ben = await live_as(server, sos, "Ben (Payments)")
    add = {"type": "add_card", "column": "new"}
    for key, title, fields in (
        ("red", "Build is red", {"team": "checkout"}),
        ("env", "No test environment", {"team": "search"}),
        ("evil", XSS, {}),
        ("flake", "Old flaky test", {}),
        ("dep", "Payments API for checkout", {"kind": "dependency", "team": "checkout"}),
    ):
        cards[key] = f"c{await ack(ana, {**add, 'title': title, **fields})}"
    await ack(ana, {"type": "edit_card", "card": cards["dep"], "to_team": "payments"})
    move = {"type": "move_card", "index": 0}
    await ack(ana, {"type": "start_session"})
    await ack(ben, {**move, "card": cards["red"], "column": "removing"})
    await ack(ben, {**move, "card": cards["red"], "column": "removed"})
    decide = {"type": "record_decision"}
    await ack(ana, {**decide, "text": f"{XSS} platform builds it", "cards": [cards["env"]]})
    await ack(ben, {**decide, "text": "Move budget from Search to Payments"})
    step = {"type": "add_next_step"}
    cards["s1"] = f"s{await ack(ana, {**step, 'text': 'Ask platform', 'owner': 'Ana'})}"
    cards["s2"] = f"s{await ack(ana, {**step, 'text': 'Write it up', 'owner': 'Ben'})}"
    await ack(ana, {"type": "end_session"})
    # Between the sessions: one step done, an impediment archived.
    await ack(ana, {"type": "update_next_step", "step": cards["s1"], "status": "done"})
    await ack(ana, {"type": "archive_card", "card": cards["flake"]})
    await ben.close()
    # Session 2: nothing decided, no next step — likely a status meeting.
    await ack(ana, {"type": "start_session"})
    await ack(ana, {"type": "end_session"})
    await ana.close()

    # The MetaScrum: session 1 re-orders without a decision, session 2 with a trade-off
    # note on the move (SPEC R36) and a decision.
    cy = await live_as(server, meta, "Cy")
    ordered = {"type": "add_card", "column": "ordered"}
    first = f"c{await ack(cy, {**ordered, 'title': 'Apple Pay'})}"
    second = f"c{await ack(cy, {**ordered, 'title': 'Guest checkout'})}"
    await ack(cy, {"type": "start_session"})
    await ack(cy, {**move, "card": second, "column": "ordered"})
    await ack(cy, {**step, "text": "Tell the teams"})
    await ack(cy, {"type": "end_session"})
    await ack(cy, {"type": "start_session"})
    await ack(cy, {**move, "card": first, "column": "ordered", "note": "PSD2 deadline"})
    await ack(cy, {**decide, "text": "Apple Pay before guest checkout: PSD2 deadline"})
    await ack(cy, {"type": "end_session"})
    await cy.close()

    # A Scrum of Scrums whose board is mostly status notes.
    dee = await live_as(server, notes, "Dee")
    for i in range(4):
        await ack(dee, {**add, "title": f"Status {i}", "kind": "note"})
    await ack(dee, {**add, "title": "Flaky deploys"})
    await ack(dee, {"type": "start_session"})
    await ack(dee, {**step, "text": "Bring impediments, not status"})
    await ack(dee, {"type": "end_session"})
    await dee.close()
    return Played(sos, meta, notes, cards, began, time.time())


@pytest.fixture(scope="module")
def metrics_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of this module's own, with the demo network (it has the teams)."""
    proc = ServerProcess(tmp_path_factory.mktemp("metrics") / "board.db", demo=True).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def played(metrics_server: ServerProcess) -> Played:
    return await play(metrics_server)


def api(server: ServerProcess, path: str) -> dict[str, Any]:
    status, data = server.request("GET", path)
    assert status == 200, (path, status, data)
    return dict(data)


def problem(server: ServerProcess, path: str, status: int, code: str) -> str:
    got, data = server.request("GET", path)
    assert (got, data["code"]) == (status, code), (path, got, data)
    assert set(data) == {"code", "reason"} and data["reason"]
    return str(data["reason"])


def page(server: ServerProcess, path: str, status: int = 200) -> HttpResponse:
    r = server.http("GET", path)
    assert r.status == status, (path, r.status, r.text[:600])
    assert r.headers["content-type"].startswith("text/html")
    return r


def flags_by_session(report: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["guardrails"]["flags"]:
        out.setdefault(f["session_id"], set()).add(f["rule"])
    return out


# -- the numbers --------------------------------------------------------------------------


def test_a_forums_metrics_from_its_sessions(metrics_server: ServerProcess, played: Played) -> None:
    report = api(metrics_server, f"/api/forums/{played.sos}/metrics?days=7")
    m = report["metrics"]
    assert report["scope"] == played.sos and report["forum"]["name"] == "Metrics SoS"
    assert (report["days"], report["last_day"]) == (7, TODAY.isoformat())
    elapsed = played.ended - played.began

    # Open at the end: the test environment and the <script> one (red removed, the
    # flaky test archived; the dependency is no impediment).
    open_ids = {i["card_id"] for i in m["open_impediments"]}
    assert open_ids == {played.cards["env"], played.cards["evil"]}
    assert m["impediment_age"]["count"] == 2
    assert all(0 < i["age"] <= elapsed + 5 for i in m["open_impediments"])

    removals = {r["card_id"]: r for r in m["removals"]}
    assert set(removals) == {played.cards["red"], played.cards["flake"]}
    assert removals[played.cards["red"]]["how"] == "removed"
    assert removals[played.cards["flake"]]["how"] == "archived"
    for r in removals.values():
        assert 0 < r["took"] <= elapsed and r["took"] == pytest.approx(
            r["removed_at"] - r["created_at"]
        )
    assert m["time_to_removal"]["count"] == 2

    # One card named by a decision: the environment, latency = decided - raised.
    [latency] = m["latencies"]
    assert latency["card_id"] == played.cards["env"] and latency["session_id"] == f"{played.sos}-1"
    assert latency["latency"] == pytest.approx(latency["decided_at"] - latency["raised_at"])
    assert 0 < latency["latency"] <= elapsed

    # Session 1 agreed two steps; one was done before session 2 began.
    follow = {s["session_id"]: s for s in m["sessions"]}
    one = follow[f"{played.sos}-1"]
    assert (one["steps"], one["done"], one["still_open"], one["rate"]) == (2, 1, 1, 0.5)
    assert one["next_session_id"] == f"{played.sos}-2"
    two = follow[f"{played.sos}-2"]
    assert (two["steps"], two["rate"]) == (0, None)
    assert m["follow_through"] == {"sessions": 1, "steps": 2, "done": 1, "rate": 0.5}

    assert (m["raised"], m["decisions"]) == (4, 2)
    assert sum(w["raised"] for w in m["weeks"]) == 4
    assert sum(w["removed"] for w in m["weeks"]) == 2
    assert sum(w["decisions"] for w in m["weeks"]) == 2
    assert m["escalations"]["available"] is True
    assert (m["escalations"]["sent"], m["escalations"]["received"]) == (0, 0)


def test_guardrail_flags(metrics_server: ServerProcess, played: Played) -> None:
    sos = api(metrics_server, f"/api/forums/{played.sos}/metrics?days=7")
    assert flags_by_session(sos) == {
        f"{played.sos}-1": {"decision_out_of_place", "team_unrepresented"},
        f"{played.sos}-2": {"status_meeting", "team_unrepresented"},
    }
    reasons = {(f["session_id"], f["rule"]): f["reason"] for f in sos["guardrails"]["flags"]}
    assert reasons[(f"{played.sos}-1", "team_unrepresented")] == (
        "Search has cards on the board but nobody from it took part."
    )
    assert reasons[(f"{played.sos}-2", "team_unrepresented")] == (
        "Payments and Search have cards on the board but nobody from them took part."
    )
    assert "budget" in reasons[(f"{played.sos}-1", "decision_out_of_place")]
    out_of_place = [f for f in sos["guardrails"]["flags"] if f["rule"] == "decision_out_of_place"]
    assert out_of_place[0]["decision_id"]

    meta = api(metrics_server, f"/api/forums/{played.meta}/metrics?days=7")
    assert flags_by_session(meta) == {f"{played.meta}-1": {"reorder_without_tradeoff"}}

    notes = api(metrics_server, f"/api/forums/{played.notes}/metrics?days=7")
    assert flags_by_session(notes) == {f"{played.notes}-1": {"status_cards"}}
    assert "4 note" in notes["guardrails"]["flags"][0]["reason"]


def test_the_network_adds_the_forums_up(metrics_server: ServerProcess, played: Played) -> None:
    net = api(metrics_server, "/api/metrics?days=7")
    assert net["scope"] == "network" and net["forum"] is None
    lines = {line["forum"]["id"]: line for line in net["forums"]}
    assert {played.sos, played.meta, played.notes, "sos-commerce", "eat"} <= set(lines)
    parts = {fid: api(metrics_server, f"/api/forums/{fid}/metrics?days=7") for fid in lines}
    m = net["metrics"]
    assert len(m["open_impediments"]) == sum(
        len(p["metrics"]["open_impediments"]) for p in parts.values()
    )
    assert len(m["removals"]) == sum(len(p["metrics"]["removals"]) for p in parts.values())
    assert m["decisions"] == sum(p["metrics"]["decisions"] for p in parts.values())
    assert len(net["guardrails"]["flags"]) == sum(
        len(p["guardrails"]["flags"]) for p in parts.values()
    )
    assert lines[played.sos]["open_impediments"] == 2 and lines[played.sos]["flags"] == 4
    assert lines[played.sos]["follow_through"] == 0.5
    ages = [i["age"] for i in m["open_impediments"]]
    assert ages == sorted(ages, reverse=True)  # oldest first across forums


def test_a_range_and_a_period_with_nothing_in_it(
    metrics_server: ServerProcess, played: Played
) -> None:
    today = TODAY.isoformat()
    ranged = api(metrics_server, f"/api/forums/{played.sos}/metrics?from={today}&to={today}")
    assert (ranged["first_day"], ranged["last_day"], ranged["days"]) == (today, today, None)
    assert len(ranged["metrics"]["open_impediments"]) == 2
    past = api(metrics_server, f"/api/forums/{played.sos}/metrics?from=2001-01-01&to=2001-01-31")
    m = past["metrics"]
    assert m["open_impediments"] == [] and m["removals"] == [] and m["sessions"] == []
    assert m["impediment_age"] == {"count": 0, "median": None, "p90": None, "max": None}
    assert len(m["weeks"]) == 5 and past["guardrails"]["flags"] == []


def test_the_cache_follows_new_operations(metrics_server: ServerProcess, played: Played) -> None:
    path = f"/api/forums/{played.notes}/metrics?days=7"
    before = len(api(metrics_server, path)["metrics"]["open_impediments"])
    status, _ = metrics_server.request(
        "POST", f"/api/forums/{played.notes}/cards", {"column": "new", "title": "New one"}
    )
    assert status == 201
    after = api(metrics_server, path)["metrics"]["open_impediments"]
    assert len(after) == before + 1 and "New one" in {i["title"] for i in after}


# -- bad input, unknown forums, schema, access ------------------------------------------


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("days=8", "must be one of 7, 30, 90, 365"),
        ("days=abc", "must be one of"),
        ("from=2024-02-30&to=2024-03-01", "not a real date"),
        ("from=yesterday&to=2024-03-01", "YYYY-MM-DD"),
        ("from=2024-03-02&to=2024-03-01", "ends"),
        ("from=2024-03-01", "both"),
        ("days=7&from=2024-03-01&to=2024-03-02", "not both"),
        ("from=1900-01-01&to=2024-01-01", "at most"),
        (f"from={TODAY + dt.timedelta(days=3)}&to={TODAY + dt.timedelta(days=4)}", "future"),
    ],
)
def test_bad_periods_get_a_clear_400(
    metrics_server: ServerProcess, played: Played, query: str, words: str
) -> None:
    for path in (f"/api/forums/{played.sos}/metrics?{query}", f"/api/metrics?{query}"):
        assert words in problem(metrics_server, path, 400, "invalid")
    for path in (f"/forums/{played.sos}/metrics?{query}", f"/metrics?{query}"):
        text = page(metrics_server, path, 400).text
        assert "This period does not work" in text and html.escape(words) in text


def test_unknown_forums_are_404(metrics_server: ServerProcess) -> None:
    problem(metrics_server, "/api/forums/nope/metrics", 404, "not_found")
    text = page(metrics_server, "/forums/nope/metrics", 404).text
    assert "There is no forum" in text and 'href="/"' in text


def test_the_api_is_in_the_openapi_schema(metrics_server: ServerProcess) -> None:
    schema = api(metrics_server, "/schema/openapi.json")
    for path in ("/api/metrics", "/api/forums/{forum_id}/metrics"):
        op = schema["paths"][path]["get"]
        assert {p["name"] for p in op["parameters"]} >= {"days", "from", "to"}
        assert "metrics" in op["tags"]
    assert "/forums/{forum_id}/metrics" not in schema["paths"]  # the page is not API
    assert "MetricsReport" in schema["components"]["schemas"]


def test_metrics_need_access_to_the_forum(metrics_server: ServerProcess, played: Played) -> None:
    status, _ = metrics_server.request("GET", f"/api/forums/{played.sos}/metrics", auth=False)
    assert status == 401
    assert metrics_server.http("GET", f"/forums/{played.sos}/metrics", auth=False).status == 403
    status, net = metrics_server.request("GET", "/api/metrics", auth=False)
    assert status == 200 and net["forums"] == [] and net["metrics"]["open_impediments"] == []


# -- the pages ----------------------------------------------------------------------------


def section(text: str, ident: str) -> str:
    start = text.index(f'id="{ident}"')
    return text[start : text.index("</section>", start)]


def test_the_forum_page_shows_charts_tables_and_flags(
    metrics_server: ServerProcess, played: Played
) -> None:
    r = page(metrics_server, f"/forums/{played.sos}/metrics?days=7")
    text = r.text
    assert r.headers["cache-control"] == "no-store"
    assert re.search(r'data-metric="open">2<', text)
    assert re.search(r'data-metric="removed">2<', text)
    assert re.search(r'data-metric="follow-through">50 %<', text)
    assert re.search(r'data-metric="flags">4<', text)
    weekly = section(text, "weekly")
    assert 'data-total="raised">4<' in weekly and 'data-total="removed">2<' in weekly
    assert weekly.count('class="bar series-raised"') >= 1 and "<svg" in weekly
    assert 'fill="url(#chart-weekly-hatch)"' in weekly  # removed bars are hatched
    assert 'data-total="decisions">2<' in section(text, "decisions")
    assert "next session not held yet" not in section(text, "follow-through")
    assert "50 %" in section(text, "follow-through")
    guard = section(text, "guardrails")
    for rule in ("status_meeting", "decision_out_of_place", "team_unrepresented"):
        assert f'data-rule="{rule}"' in guard
    assert f'href="/sessions/{played.sos}-2"' in guard
    assert "No escalation in this period." in section(text, "escalations")
    assert 'id="chart-escalations"' in section(text, "escalations")
    # No inline style or script (CSP); the only script is every page's times.js, by src.
    assert " style=" not in text and not re.search(r"<script(?![^>]*\ssrc=)", text)


def test_user_text_is_escaped_in_the_svg_and_tables(
    metrics_server: ServerProcess, played: Played
) -> None:
    for path in (f"/forums/{played.sos}/metrics?days=7", "/metrics?days=7"):
        text = page(metrics_server, path).text
        assert XSS not in text
        at = text.index('id="chart-oldest"')
        oldest = text[at : text.index("</svg>", at)]
        assert XSS not in oldest
        if path.startswith("/forums/"):  # the network's ten oldest are the demo's older ones
            assert ESCAPED in oldest  # a card title as SVG text
        assert ESCAPED in section(text, "ages")  # and in the table beside it
        assert f"{ESCAPED} platform builds it" in section(text, "latency")  # decision text


def test_the_network_page_lists_forums(metrics_server: ServerProcess, played: Played) -> None:
    text = page(metrics_server, "/metrics?days=30").text
    forums = section(text, "forums")
    for fid in (played.sos, played.meta, played.notes):
        assert f'data-forum="{fid}"' in forums
        assert f'href="/forums/{fid}/metrics?days=30"' in forums
    assert 'aria-current="true">Last 30 days' in text
    assert 'value="' + (TODAY - dt.timedelta(days=29)).isoformat() + '"' in text


def test_the_forum_and_home_pages_link_to_the_metrics(
    metrics_server: ServerProcess, played: Played
) -> None:
    home = page(metrics_server, "/").text
    assert 'href="/metrics"' in home
    cookie = name_cookie(metrics_server, "Ana")
    board = metrics_server.http("GET", f"/forums/{played.sos}", headers=cookie).text
    assert f'href="/forums/{played.sos}/metrics"' in board
