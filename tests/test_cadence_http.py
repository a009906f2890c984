"""Sprints and team metrics over HTTP on a real server (SPEC R69-R71): the admin's
calendar (form and API), the sprint on pages and exports, recording a team's metrics
(form and API) with bad input refused (400/422, a clear reason, nothing stored), the
CSV, the metrics page's charts and the cadence flags."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ServerProcess, name_cookie


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with the demo network (its calendar: sprint 6 now, 5 sprints recorded)."""
    proc = ServerProcess(Path(tmp_path_factory.mktemp("cadence")) / "demo.db", demo=True)
    proc.start()
    yield proc
    proc.stop()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def entries(server: ServerProcess) -> list[dict[str, Any]]:
    status, found = server.request("GET", "/api/team-metrics")
    assert status == 200
    return list(found)


def test_without_a_setting_the_defaults_apply(tmp_path: Path) -> None:
    """SPEC R69: --sprint-days and the first forum's creation day (UTC)."""
    server = ServerProcess(tmp_path / "plain.db", extra_args=["--sprint-days", "10"]).start()
    try:
        server.new_forum("metascrum", "Product")
        status, cal = server.request("GET", "/api/sprints")
        assert status == 200
        today = dt.datetime.now(dt.UTC).date().isoformat()
        assert (cal["days"], cal["start"], cal["set_by"], cal["current"]) == (10, today, "", 1)
        page = server.http("GET", "/admin")
        assert 'name="days" type="number" min="1" max="365" step="1" value="10"' in page.text
    finally:
        server.stop()


def test_the_admin_sets_the_calendar_and_bad_input_changes_nothing(demo: ServerProcess) -> None:
    """SPEC R69: a form on /admin and PUT /api/sprints; bad input 422 with the reason."""
    _, before = demo.request("GET", "/api/sprints")
    for days, start, words in (
        ("0", "2026-01-05", "1 to 365 days"),
        ("ten", "2026-01-05", "whole number"),
        ("14", "2026-13-01", "YYYY-MM-DD"),
        ("14", "1990-01-01", "between 2000"),
    ):
        r = demo.form("/admin/sprints", {"days": days, "start": start})
        assert r.status == 422 and words in r.text, (days, start, r.text[:300])
        status, problem = demo.request("PUT", "/api/sprints", {"days": days, "start": start})
        assert status in (400, 422), problem
        if status == 422:
            assert words in problem["reason"]
    assert demo.request("GET", "/api/sprints")[1] == before  # nothing stored
    participant = demo.links("sos-commerce")["participant"]
    denied = demo.request(
        "PUT", "/api/sprints", {"days": 7, "start": "2026-01-05"}, bearer(participant)
    )
    assert denied[0] == 403
    # a good one, then put back what the demo had
    r = demo.form("/admin/sprints", {"days": "7", "start": "2026-01-05"})
    assert r.status == 303 and r.headers["location"].startswith("/admin")
    _, now = demo.request("GET", "/api/sprints")
    assert (now["days"], now["start"], now["set_by"]) == (7, "2026-01-05", "admin")
    status, back = demo.request(
        "PUT", "/api/sprints", {"days": before["days"], "start": before["start"]}
    )
    assert status == 200 and back["current"] == before["current"] == 6


def test_sprints_page_lists_sprints_and_who_met(demo: ServerProcess) -> None:
    """SPEC R69, R70: the sprints with their days and forums; the cadence flags."""
    page = demo.http("GET", "/sprints").text
    assert 'id="current-sprint">Sprint 6<' in page
    assert 'data-sprint="6" class="current"' in page and 'data-forum="sos-commerce"' in page
    # the demo's MetaScrum, made in sprint 5, held no session in it
    assert 'data-rule="metascrum_skipped" data-forum="metascrum-commerce" data-sprint="5"' in page
    _, cal = demo.request("GET", "/api/sprints")
    six = next(s for s in cal["sprints"] if s["number"] == 6)
    met = {m["forum_id"]: m["sessions"] for m in six["met"]}
    assert met.get("sos-commerce", 0) >= 1 and all(n >= 1 for n in met.values()), six["met"]
    assert "metascrum-commerce" not in met  # the skipped one


def test_sessions_and_next_steps_show_their_sprint(demo: ServerProcess) -> None:
    """SPEC R69: pages and exports (Markdown, CSV, JSON) carry the sprint."""
    _, sessions = demo.request("GET", "/api/forums/sos-commerce/sessions")
    ended = next(s for s in sessions if s.get("end_seq") is not None)
    sid = ended["id"]
    assert (
        '<span class="sprint" data-sprint>Sprint 6</span>'
        in demo.http("GET", f"/sessions/{sid}").text
    )
    assert "Sprint 6" in demo.http("GET", "/forums/sos-commerce/sessions").text
    assert "- **Sprint:** Sprint 6" in demo.http("GET", f"/sessions/{sid}/export.md").text
    rows = list(
        csv.DictReader(io.StringIO(demo.http("GET", "/forums/sos-commerce/next-steps.csv").text))
    )
    assert rows and all(r["sprint"] == "Sprint 6" for r in rows)
    status, export = demo.request("GET", f"/api/sessions/{sid}/export")
    assert status == 200 and export["session"]["sprint"] == 6
    assert "Sprint 6" in demo.http("GET", "/next-steps").text


def test_recording_a_teams_metrics_by_api_refuses_bad_input(demo: ServerProcess) -> None:
    """SPEC R71: 422 with the field and reason, 400 for a wrong type; nothing stored;
    one entry per team per sprint, recording again replaces it; participants only."""
    links = demo.links("sos-commerce")
    path = "/api/forums/sos-commerce/team-metrics"
    good = {
        "team_id": "checkout",
        "sprint": 6,
        "happiness": 4,
        "productivity": 27,
        "productivity_unit": "story points",
    }
    before = entries(demo)
    for bad, words in (
        ({**good, "happiness": 9}, "happiness: Team happiness is required"),
        ({**good, "sprint": 7}, "sprint: Sprint 7 is not recordable"),
        ({**good, "team_id": "nobody"}, "team_id: Choose one of the network's teams"),
        ({**good, "productivity_unit": ""}, "productivity_unit: Say what productivity"),
        ({**good, "quality": -2, "quality_unit": "bugs"}, "quality: Quality must be between 0"),
    ):
        status, problem = demo.request("POST", path, bad, bearer(links["participant"]))
        assert status == 422 and problem["code"] == "invalid", problem
        assert words in problem["reason"], problem
    status, problem = demo.request(
        "POST", path, {**good, "sprint": "six"}, bearer(links["participant"])
    )
    assert status == 400, problem
    assert demo.request("POST", path, good, bearer(links["viewer"]))[0] == 403
    status, problem = demo.request("POST", "/api/forums/eat/team-metrics", good)
    assert status == 422 and "Scrum of Scrums" in problem["reason"]
    assert entries(demo) == before  # nothing stored by any of them
    status, made = demo.request("POST", path, good, bearer(links["participant"]))
    assert status == 200 and made["recorded_by"] == "API (participant link)"
    again = {**good, "happiness": 5, "productivity": 31}
    assert demo.request("POST", path, again, bearer(links["participant"]))[0] == 200
    mine = [e for e in entries(demo) if (e["team_id"], e["sprint"]) == ("checkout", 6)]
    assert len(mine) == 1 and (mine[0]["happiness"], mine[0]["productivity"]) == (5, 31.0)
    assert len(entries(demo)) == len(before) + 1


def test_recording_by_form_keeps_the_form_and_says_what_is_wrong(demo: ServerProcess) -> None:
    """SPEC R71: the form page (participant) answers 422 with the reason by the field,
    the values as typed, nothing stored; a good entry redirects to the page."""
    maya = name_cookie(demo, "Maya (Search)")
    page = demo.http("GET", "/forums/sos-commerce/team-metrics", headers=maya)
    assert page.status == 200 and 'id="tm-save"' in page.text
    fields = {
        "team_id": "search",
        "sprint": "6",
        "productivity": "12,5",
        "productivity_unit": "points",
        "happiness": "",
    }
    r = demo.form("/forums/sos-commerce/team-metrics", fields)
    assert r.status == 422
    assert 'id="happiness-error" role="alert">Team happiness is required' in r.text
    assert 'value="12,5"' in r.text  # kept as typed
    assert not [e for e in entries(demo) if (e["team_id"], e["sprint"]) == ("search", 6)]
    r = demo.form("/forums/sos-commerce/team-metrics", {**fields, "happiness": "3"})
    assert r.status == 303 and "saved=search-6" in r.headers["location"]
    (entry,) = [e for e in entries(demo) if (e["team_id"], e["sprint"]) == ("search", 6)]
    assert entry["productivity"] == 12.5 and entry["forum_id"] == "sos-commerce"
    edit = demo.http("GET", "/forums/sos-commerce/team-metrics?team=search&sprint=6").text
    assert 'value="12.5"' in edit  # the Edit link fills the form


def test_team_metrics_are_charted_on_the_metrics_page_and_exported(demo: ServerProcess) -> None:
    """SPEC R71: one chart and table per measure, a bar per team per sprint; the CSV."""
    page = demo.http("GET", "/metrics").text
    for measure in ("productivity", "value", "quality", "happiness"):
        assert f'id="chart-team-{measure}"' in page and f'id="table-team-{measure}"' in page
    assert "<title>Checkout, Sprint 1: 21</title>" in page  # the demo's first sprint
    # one unit for a measure: the heading names it; several (Search said "points" in an
    # earlier test): each cell says its own
    assert 'Value delivery <span class="unit">(features released)</span>' in page
    assert '<td class="num" data-team="search">12.5 points</td>' in page
    rows = list(csv.DictReader(io.StringIO(demo.http("GET", "/team-metrics.csv").text)))
    first = next(r for r in rows if (r["team_id"], r["sprint"]) == ("checkout", "1"))
    assert (first["productivity"], first["productivity_unit"], first["happiness"]) == (
        "21.0",
        "story points",
        "3",
    )
    assert first["sprint_start"] < first["sprint_end"]
    sos = demo.http("GET", "/forums/sos-commerce/metrics").text
    assert 'id="chart-team-happiness"' in sos and 'id="cadence-title"' in sos
    eat = demo.http("GET", "/forums/eat/metrics").text
    assert 'id="team-metrics"' not in eat  # recorded in an SoS or a retrospective only
