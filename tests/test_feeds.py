"""Calendar feeds on a real server: a forum's and a person's, read back with icalendar.

The server runs at ``--log-level debug`` (every request line logged) with a log of its
own, so the last test can check that no feed's secret reached it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.nginx import Nginx
from tests.support import ServerProcess, ack, live_as, new_browser

SEEN: list[str] = []  # every feed token these tests saw (none may be in the log)


@pytest.fixture(scope="module")
def feeds_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    where = Path(tmp_path_factory.mktemp("feeds")) / "feeds.db"
    proc = ServerProcess(where, extra_args=["--log-level", "debug"]).start()
    yield proc
    proc.stop()


def _feed_path(page: str) -> str:
    found = re.search(r'id="feed-url"[^>]*value="https?://[^/]+(/feeds/[^"]+\.ics)"', page)
    assert found is not None, page[-2000:]
    path = found.group(1)
    SEEN.append(path.removeprefix("/feeds/").removesuffix(".ics"))
    return path


def _calendar(server: ServerProcess, path: str) -> icalendar.Calendar:
    r = server.http("GET", path, auth=False)
    assert r.status == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(r.raw)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def _meeting(server: ServerProcess, forum_id: str, due: dt.date) -> None:
    """Session 1 (ended): a due step for Ana, one without a date, one for Bo; then
    session 2, still running."""
    maya = await live_as(server, forum_id, "Maya")
    try:
        await ack(maya, {"type": "start_session"})
        step = {"type": "add_next_step", "text": "Book the shared test lab", "owner": "Ana"}
        await ack(maya, {**step, "due": due.isoformat()})
        await ack(maya, {"type": "add_next_step", "text": "No date yet", "owner": "Ana"})
        await ack(
            maya,
            {"type": "add_next_step", "text": "Ask Finance", "owner": "Bo", "due": "2030-01-02"},
        )
        await ack(maya, {"type": "end_session"})
        await ack(maya, {"type": "start_session"})
    finally:
        await maya.close()


def _events(cal: icalendar.Calendar) -> dict[str, Any]:
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


async def test_a_forum_feed_has_its_sessions_and_due_next_steps(
    feeds_server: ServerProcess,
) -> None:
    server = feeds_server
    forum = server.new_forum("sos", "Lab SoS")
    due = dt.date.today() + dt.timedelta(days=3)
    await _meeting(server, forum["id"], due)
    page = server.http("GET", f"/forums/{forum['id']}/feed")
    assert page.status == 200, page.text[:500]
    cal = _calendar(server, _feed_path(page.text))
    assert str(cal["x-wr-calname"]) == "Lab SoS · Scaleboard"
    events = _events(cal)
    ended, running = events["Lab SoS: session 1"], events["Lab SoS: session 2 (running)"]
    assert isinstance(ended["dtstart"].dt, dt.datetime) and ended["dtstart"].dt.tzinfo
    assert ended["dtend"].dt >= ended["dtstart"].dt
    assert str(ended["url"]).endswith(f"/sessions/{forum['id']}-1")
    assert running["dtend"].dt >= running["dtstart"].dt
    step = events["Next step: Book the shared test lab"]
    assert step["dtstart"].dt == due and step["dtend"].dt == due + dt.timedelta(days=1)
    assert "Owner: Ana" in str(step["description"])
    assert "Next step: Ask Finance" in events
    assert "Next step: No date yet" not in events  # no due date: not on a calendar
    assert len({str(e["uid"]) for e in cal.walk("VEVENT")}) == 4


async def test_rotating_a_forum_feed_kills_the_old_url(feeds_server: ServerProcess) -> None:
    server = feeds_server
    forum = server.new_forum("sos", "Rotating")
    old = _feed_path(server.http("GET", f"/forums/{forum['id']}/feed").text)
    again = _feed_path(server.http("GET", f"/forums/{forum['id']}/feed").text)
    assert again == old  # the page shows the same feed until it is rotated
    _calendar(server, old)
    r = server.form(f"/forums/{forum['id']}/feed", {})
    assert r.status == 303 and r.headers["location"].endswith("/feed?rotated=1")
    new = _feed_path(server.http("GET", f"/forums/{forum['id']}/feed").text)
    assert new != old
    assert server.http("GET", old, auth=False).status == 404
    _calendar(server, new)


def test_only_a_facilitator_sees_a_forum_feed(feeds_server: ServerProcess) -> None:
    server = feeds_server
    forum = server.new_forum("sos", "Roles")
    links = server.links(forum["id"])
    for role, status in (("participant", 403), ("viewer", 403), ("facilitator", 200)):
        headers = {"authorization": f"Bearer {links[role]}"}
        r = server.http("GET", f"/forums/{forum['id']}/feed", headers=headers)
        assert r.status == status, (role, r.status)
        if status == 200:
            _feed_path(r.text)


@pytest.mark.parametrize(
    "path",
    [
        f"/feeds/{secrets.token_urlsafe(24)}.ics",
        "/feeds/.ics",
        "/feeds/calendar.ics",
        f"/feeds/{'x' * 300}.ics",
        "/feeds/%00.ics",
        f"/feeds/{secrets.token_urlsafe(24)}",  # pasted without .ics
        "/feeds/a/b/c.ics",
    ],
)
def test_a_wrong_token_is_404(feeds_server: ServerProcess, path: str) -> None:
    r = feeds_server.http("GET", path, auth=False)
    assert r.status == 404, r.text[:300]
    assert "calendar" not in r.headers.get("content-type", "")


async def test_my_feed_lists_my_next_steps_where_i_may_look(feeds_server: ServerProcess) -> None:
    server = feeds_server
    mine = server.new_forum("sos", "Mine")
    other = server.new_forum("sos", "Not mine")
    due = dt.date.today() + dt.timedelta(days=1)
    await _meeting(server, mine["id"], due)
    await _meeting(server, other["id"], due)  # Ana owns a step there too, but cannot look
    ana = new_browser(server, "Ana")
    token = urllib.parse.quote(server.links(mine["id"])["participant"])
    entered = server.http("GET", f"/forums/{mine['id']}?token={token}", headers=ana, auth=False)
    access = entered.cookie("sb_access")
    assert access is not None, entered.set_cookies
    ana = {"cookie": f"{ana['cookie']}; {access}"}
    page = server.http("GET", "/my/feed", headers=ana, auth=False)
    assert page.status == 200, page.text[:500]
    path = _feed_path(page.text)
    cal = _calendar(server, path)
    assert str(cal["x-wr-calname"]) == "Next steps of Ana · Scaleboard"
    steps = [e for e in cal.walk("VEVENT")]
    assert [str(e["summary"]) for e in steps] == ["Next step: Book the shared test lab"]
    assert "Forum: Mine" in str(steps[0]["description"])

    csrf = page.cookie("sb_csrf")
    cookies = {"cookie": f"{ana['cookie']}; {csrf}"} if csrf else ana
    r = server.form("/my/feed", {"csrf": _csrf(page.text)}, headers=cookies, auth=False)
    assert r.status == 303, r.text[:300]
    assert server.http("GET", path, auth=False).status == 404
    fresh = _feed_path(server.http("GET", "/my/feed", headers=ana, auth=False).text)
    assert fresh != path
    assert len(list(_calendar(server, fresh).walk("VEVENT"))) == 1

    # The participant link Ana came in with is rotated: her feed shows that forum no more.
    status, _ = server.request("POST", f"/api/forums/{mine['id']}/links/participant/rotate")
    assert status in (200, 201)
    assert list(_calendar(server, fresh).walk("VEVENT")) == []

    # The admin (another person, also called Ana) sees every forum's steps of an Ana.
    admin = server.http("GET", "/my/feed", headers=new_browser(server, "Ana"))
    everywhere = _calendar(server, _feed_path(admin.text))
    forums = {
        str(e["description"]).split("Forum: ")[1].split("\n")[0] for e in everywhere.walk("VEVENT")
    }
    assert {"Mine, session 1", "Not mine, session 1"} <= forums

    stranger = server.http("GET", "/my/feed", auth=False)  # no name yet: pick one first
    assert stranger.status == 303 and stranger.headers["location"] == "/name?next=/my/feed"


def test_nginx_logs_a_feed_without_its_token(feeds_server: ServerProcess, tmp_path: Path) -> None:
    """Behind nginx (deploy/nginx/scaleboard.conf, as ``scaleboard cluster`` fills it in)
    the feed answers, and the access log names it ``/feeds/[hidden].ics``."""
    server = feeds_server
    forum = server.new_forum("sos", "Behind nginx")
    path = _feed_path(server.http("GET", f"/forums/{forum['id']}/feed").text)
    nginx = Nginx(tmp_path, [server.port]).start()
    try:
        with urllib.request.urlopen(f"{nginx.url}{path}", timeout=10) as r:
            assert r.status == 200
            assert icalendar.Calendar.from_ical(r.read()).walk("VCALENDAR")
        wrong = f"{nginx.url}/feeds/{secrets.token_urlsafe(24)}.ics"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(wrong, timeout=10)
        assert info.value.code == 404
    finally:
        nginx.stop()
    log = nginx.access_log.read_text()
    assert log.count('"GET /feeds/[hidden].ics HTTP/1.1" 200') == 1, log
    assert log.count('"GET /feeds/[hidden].ics HTTP/1.1" 404') == 1, log
    assert path not in log and wrong.rsplit("/", 1)[1] not in log


def test_feeds_and_imports_on_postgresql(db_url: str, tmp_path: Path) -> None:
    """The same on a server on PostgreSQL (the ``feeds`` table of its migration step):
    an import, the feed, a rotation."""
    server = ServerProcess(db_url, log_path=tmp_path / "pg.log").start()
    try:
        forum = server.new_forum("sos", "On PostgreSQL")
        csv = (Path(__file__).parent / "data" / "github.csv").read_text()
        status, done = server.request("POST", f"/api/forums/{forum['id']}/import", {"csv": csv})
        assert status == 200 and done["imported"] == 4, done
        old = _feed_path(server.http("GET", f"/forums/{forum['id']}/feed").text)
        assert str(_calendar(server, old)["x-wr-calname"]) == "On PostgreSQL · Scaleboard"
        assert server.form(f"/forums/{forum['id']}/feed", {}).status == 303
        new = _feed_path(server.http("GET", f"/forums/{forum['id']}/feed").text)
        assert server.http("GET", old, auth=False).status == 404
        _calendar(server, new)
    finally:
        server.stop()
    log = (tmp_path / "pg.log").read_text(errors="replace")
    assert old.split("/")[-1].removesuffix(".ics") not in log


def test_no_feed_secret_reaches_the_log(feeds_server: ServerProcess) -> None:
    """Runs last in this module: every token the tests above used."""
    assert len(SEEN) >= 5
    log = feeds_server.log_path.read_text(errors="replace")
    assert "/feeds/[hidden].ics" in log  # the request lines are there, without the token
    for token in SEEN:
        assert token not in log, token
