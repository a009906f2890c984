"""Exports and import over HTTP between two real servers (each its own SQLite file).

A session is played on server A over the live websocket; its JSON export is imported
into server B, exported again there, and the two must agree. Markdown and CSV are
checked for their content and their escaping; malformed imports must change nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.sessions.export_formats import csv_cell, md
from tests.support import HttpResponse, LiveClient, ServerProcess, ack, name_cookie

SCRIPT_TITLE = "<script>alert('x')</script> & co"


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Server B: the Scaleboard sessions are imported into."""
    proc = ServerProcess(Path(tmp_path_factory.mktemp("other")) / "other.db").start()
    yield proc
    proc.stop()


async def play_session(server: ServerProcess, title: str = "Test SoS") -> dict[str, Any]:
    """A session on a new forum, played by Ana and Ben over the websocket, then ended."""
    forum = server.new_forum("sos", title)
    url = server.ws_url(forum["id"])
    ana = await LiveClient.connect(url, additional_headers=name_cookie(server, "Ana"))
    ben = await LiveClient.connect(url, additional_headers=name_cookie(server, "Ben"))
    flaky = f"c{await ack(ana, {'type': 'add_card', 'column': 'new', 'title': 'Flaky CI'})}"
    staging = f"c{await ack(ana, {'type': 'add_card', 'column': 'new', 'title': 'Staging'})}"
    start = await ack(ana, {"type": "start_session"})
    script = f"c{await ack(ben, {'type': 'add_card', 'column': 'new', 'title': SCRIPT_TITLE})}"
    await ack(ana, {"type": "move_card", "card": flaky, "column": "removing", "index": 0})
    await ack(ben, {"type": "move_card", "card": script, "column": "needs-eat", "index": 0})
    await ack(ben, {"type": "edit_card", "card": staging, "title": "Shared staging"})
    await ack(
        ana,
        {"type": "record_decision", "text": "Fix CI before features", "cards": [flaky, script]},
    )
    await ack(
        ben,
        {"type": "add_next_step", "text": "=cmd()", "owner": "Ben", "due": "2031-01-02"},
    )
    step = await ack(
        ana,
        {
            "type": "add_next_step",
            "text": "Quarantine flaky tests",
            "owner": "Ana",
            "cards": [flaky],
        },
    )
    await ack(ana, {"type": "update_next_step", "step": f"s{step}", "status": "done"})
    end = await ack(ana, {"type": "end_session"})
    await ana.close()
    await ben.close()
    return {
        "forum": forum,
        "session_id": f"{forum['id']}-1",
        "start": start,
        "end": end,
        "cards": {"flaky": flaky, "staging": staging, "script": script},
    }


def download(server: ServerProcess, path: str) -> HttpResponse:
    r = server.http("GET", path)
    assert r.status == 200, (path, r.status, r.text[:500])
    return r


def export_json(server: ServerProcess, session_id: str) -> tuple[bytes, dict[str, Any]]:
    r = download(server, f"/sessions/{session_id}/export.json")
    assert r.headers["content-type"].startswith("application/json")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"{session_id}.json" in disposition
    return r.raw, r.json()


def import_api(server: ServerProcess, data: bytes) -> HttpResponse:
    return server.http("POST", "/api/import", data, {"content-type": "application/json"})


def multipart(data: bytes, filename: str = "export.json") -> tuple[bytes, dict[str, str]]:
    boundary = f"----scaleboard{secrets.token_hex(8)}"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def forum_count(server: ServerProcess) -> int:
    status, forums = server.request("GET", "/api/forums")
    assert status == 200
    return len(forums)


def table_counts(server: ServerProcess) -> tuple[int, int]:
    """Forums, and sessions listed across them: what an import would add to."""
    status, forums = server.request("GET", "/api/forums")
    assert status == 200
    sessions = 0
    for f in forums:
        status, found = server.request("GET", f"/api/forums/{f['id']}/sessions")
        assert status == 200
        sessions += len(found)
    return len(forums), sessions


def without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


# -- the round trip ------------------------------------------------------------------------


async def test_a_session_survives_export_and_import_into_another_scaleboard(
    server: ServerProcess, other: ServerProcess
) -> None:
    played = await play_session(server, "Round trip SoS")
    sid, fid = played["session_id"], played["forum"]["id"]
    data, exported = export_json(server, sid)
    assert exported["format"] == "scaleboard.session" and exported["version"] == 1
    assert exported["session"]["start_seq"] == played["start"]
    assert exported["session"]["end_seq"] == played["end"]
    assert [e["seq"] for e in exported["operations"]] == list(
        range(played["start"], played["end"] + 1)
    )
    assert exported["session"]["participants"] == ["Ana", "Ben"]
    assert len(exported["start_board"]["cards"]) == 2
    status, api_export = server.request("GET", f"/api/sessions/{sid}/export")
    assert status == 200
    assert without(api_export, "exported_at") == without(exported, "exported_at")

    before = forum_count(other)
    r = import_api(other, data)
    assert r.status == 201, r.text
    assert r.json() == {"forum_id": fid, "session_id": sid, "remapped": False}
    assert forum_count(other) == before + 1

    _, again = export_json(other, sid)
    assert without(again, "exported_at") == without(exported, "exported_at")

    # B's forum holds the board the session ended on, and goes on from there.
    assert other.board(fid) == exported["board"]
    status, detail_a = server.request("GET", f"/api/sessions/{sid}")
    assert status == 200
    status, detail_b = other.request("GET", f"/api/sessions/{sid}")
    assert status == 200
    assert detail_b == detail_a
    assert [d["text"] for d in detail_b["decision_list"]] == ["Fix CI before features"]
    assert {(s["text"], s["status"]) for s in detail_b["step_list"]} == {
        ("=cmd()", "open"),
        ("Quarantine flaky tests", "done"),
    }
    status, listed = other.request("GET", f"/api/forums/{fid}/sessions")
    assert status == 200 and [s["id"] for s in listed] == [sid]

    page = other.http("GET", f"/sessions/{sid}")
    assert page.status == 200
    for text in ("Fix CI before features", "Quarantine flaky tests", "Shared staging"):
        assert text in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in page.text
    assert "<script>alert(" not in page.text
    assert f'href="/sessions/{sid}/export.md"' in page.text
    assert f'href="/sessions/{sid}/export.json"' in page.text
    assert f'href="/sessions/{sid}/next-steps.csv"' in page.text  # this session's (issue 13)
    assert 'href="/static/css/print.css" media="print"' in page.text

    live = other.http("GET", f"/forums/{fid}", headers=name_cookie(other, "Cleo"))
    assert live.status == 200
    assert 'id="card-' + played["cards"]["flaky"] + '"' in live.text
    assert "Shared staging" in live.text and "=cmd()" in live.text

    # The imported forum is a live forum: its next operation follows the session's.
    cleo = await LiveClient.connect(other.ws_url(fid), additional_headers=name_cookie(other, "C"))
    seq = await ack(cleo, {"type": "start_session"})
    assert seq == played["end"] + 1
    assert other.board(fid)["session"]["id"] == f"{fid}-2"
    await ack(cleo, {"type": "end_session"})
    await cleo.close()


async def test_importing_one_file_twice_makes_two_forums(
    server: ServerProcess, other: ServerProcess
) -> None:
    played = await play_session(server, "Twice")
    sid, fid = played["session_id"], played["forum"]["id"]
    data, exported = export_json(server, sid)
    before = forum_count(other)

    first = import_api(other, data)
    second = import_api(other, data)
    assert first.status == second.status == 201, (first.text, second.text)
    assert first.json() == {"forum_id": fid, "session_id": sid, "remapped": False}
    moved = second.json()
    assert moved["remapped"] is True and moved["forum_id"] != fid
    new_fid = moved["forum_id"]
    assert moved["session_id"] == f"{new_fid}-1"
    assert forum_count(other) == before + 2

    # The remapped copy is the same session under the new ids.
    _, copy = export_json(other, moved["session_id"])
    expected = json.loads(json.dumps(exported).replace(fid, new_fid))
    assert without(copy, "exported_at") == without(expected, "exported_at")
    assert other.board(new_fid)["columns"] == exported["board"]["columns"]
    page = other.http("GET", f"/sessions/{moved['session_id']}")
    assert page.status == 200 and "Fix CI before features" in page.text


async def test_the_import_page_takes_an_upload_larger_than_the_default_body_limit(
    server: ServerProcess, other: ServerProcess
) -> None:
    forum = server.new_forum("retro", "Big retro")
    client = await LiveClient.connect(server.ws_url(forum["id"]))
    for i in range(60):
        body = f"Observation {i}: " + "lorem ipsum " * 300
        await ack(
            client, {"type": "add_card", "column": "went-well", "title": f"Obs {i}", "body": body}
        )
    await ack(client, {"type": "start_session"})
    await ack(client, {"type": "move_card", "card": "c1", "column": "to-improve", "index": 0})
    await ack(client, {"type": "end_session"})
    await client.close()
    data, _ = export_json(server, f"{forum['id']}-1")
    assert len(data) > 256 * 1024

    form = other.http("GET", "/import")
    assert form.status == 200
    assert 'enctype="multipart/form-data"' in form.text and 'type="file"' in form.text
    body, headers = multipart(data)
    r = other.http("POST", "/import", body, headers)
    assert r.status == 303, r.text[:500]
    target = r.headers["location"]
    assert re.fullmatch(r"/sessions/[a-z0-9-]+-1", target)
    page = other.http("GET", target)
    assert page.status == 200 and "Obs 59" in page.text


# -- malformed imports ---------------------------------------------------------------------


def tampered(exported: dict[str, Any], kind: str) -> bytes:
    doc = json.loads(json.dumps(exported))
    if kind == "not-json":
        return b'{"format": "scaleboard.session", '
    if kind == "empty":
        return b""
    if kind == "wrong-format":
        doc["format"] = "trello.board"
    elif kind == "wrong-version":
        doc["version"] = 7
    elif kind == "missing-field":
        del doc["operations"]
    elif kind == "bad-type":
        doc["session"]["number"] = "one"
    elif kind == "seq-gap":
        del doc["operations"][3]
    elif kind == "tampered-board":
        card = next(iter(doc["board"]["cards"]))
        doc["board"]["cards"][card]["title"] = "Rewritten later"
    elif kind == "invariant":
        cols = doc["board"]["columns"]
        cols[-1]["card_ids"] = [*cols[-1]["card_ids"], cols[1]["card_ids"][0]]
    elif kind == "foreign-decision":
        doc["decisions"][0]["session_id"] = "someone-else-9"
    return json.dumps(doc).encode()


MALFORMED = {
    "not-json": "not valid JSON",
    "empty": "not valid JSON",
    "wrong-format": "`format` is 'trello.board'",
    "wrong-version": "version 7 is not supported",
    "missing-field": "missing required field `operations`",
    "bad-type": "at `$.session.number`",
    "seq-gap": "without gaps",
    "tampered-board": "not the board the operations lead to",
    "invariant": "board breaks the board invariants",
    "foreign-decision": "belongs to session 'someone-else-9'",
}


@pytest.fixture(scope="module")
async def one_export(server: ServerProcess) -> dict[str, Any]:
    played = await play_session(server, "For tampering")
    _, exported = export_json(server, played["session_id"])
    return exported


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_a_malformed_import_is_refused_with_its_reason_and_writes_nothing(
    other: ServerProcess, one_export: dict[str, Any], kind: str
) -> None:
    data = tampered(one_export, kind)
    before = table_counts(other)

    r = import_api(other, data)
    assert r.status == 400, r.text
    problem = r.json()
    assert problem["code"] == "invalid"
    assert MALFORMED[kind] in problem["reason"], problem

    if data:  # the page needs a file; an empty one has its own message
        body, headers = multipart(data, "board <evil>.json")
        page = other.http("POST", "/import", body, headers)
        assert page.status == 400
        assert 'role="alert"' in page.text
        shown = re.search(r'<p id="import-error"[^>]*>(.*?)</p>', page.text, re.S)
        assert shown is not None
        assert MALFORMED[kind].replace("'", "&#39;") in shown.group(1)
    assert table_counts(other) == before


def test_the_import_page_without_a_file_says_so(other: ServerProcess) -> None:
    before = forum_count(other)
    body, headers = multipart(b"")
    r = other.http("POST", "/import", body, headers)
    assert r.status == 400 and "The chosen file is empty." in r.text
    r = other.http(
        "POST", "/import", b"", {"content-type": "multipart/form-data; boundary=nothing"}
    )
    assert r.status == 400 and "Choose an export file" in r.text
    assert forum_count(other) == before


# -- Markdown, CSV, errors -----------------------------------------------------------------


async def test_markdown_holds_decisions_steps_and_the_board_escaped(
    server: ServerProcess,
) -> None:
    played = await play_session(server, "Release <b>train</b>")
    r = download(server, f"/sessions/{played['session_id']}/export.md")
    assert r.headers["content-type"].startswith("text/markdown")
    md = r.text
    assert md.startswith("# Release &lt;b&gt;train&lt;/b&gt; — session 1\n")
    assert "**Participants:** Ana, Ben" in md
    decisions = md.split("## Decisions", 1)[1].split("## Next steps", 1)[0]
    assert "1. Fix CI before features" in decisions
    assert "“Flaky CI”" in decisions
    assert "“&lt;script&gt;alert('x')&lt;/script&gt; &amp; co”" in decisions
    steps = md.split("## Next steps", 1)[1].split("## Board", 1)[0]
    assert "- [ ] \\=cmd()" in steps and "Owner: Ben" in steps and "Due: 2031-01-02" in steps
    assert "- [x] Quarantine flaky tests" in steps and "Status: **done**" in steps
    board = md.split("## Board", 1)[1]
    columns = re.findall(r"^### (.+) \((\d+)\)$", board, re.M)
    assert columns == [("New", "1"), ("Being removed", "1"), ("Needs EAT", "1"), ("Removed", "0")]
    new = board.split("### New", 1)[1].split("###", 1)[0]
    assert "- **Shared staging**" in new
    removing = board.split("### Being removed", 1)[1].split("###", 1)[0]
    assert "- **Flaky CI**" in removing
    needs_eat = board.split("### Needs EAT", 1)[1].split("###", 1)[0]
    assert "- **&lt;script&gt;alert('x')&lt;/script&gt; &amp; co**" in needs_eat
    assert "<script" not in md and "<b>" not in md


async def test_the_summary_holds_decisions_steps_and_attendance_escaped(
    server: ServerProcess,
) -> None:
    """The short Markdown a chat or wiki takes (issue 16): what ``session.ended``
    webhooks carry."""
    played = await play_session(server, "Release <b>train</b>")
    r = download(server, f"/sessions/{played['session_id']}/summary.md")
    assert r.headers["content-type"].startswith("text/markdown")
    md = r.text
    assert md.startswith("## Release \\<b\\>train\\</b\\>: session 1\n")
    decisions = md.split("### Decisions", 1)[1].split("### Next steps", 1)[0]
    assert "- Fix CI before features" in decisions
    steps = md.split("### Next steps", 1)[1].split("### Attendance", 1)[0]
    assert "- =cmd() — Ben, 2031-01-02\n" in steps
    assert "- Quarantine flaky tests — Ana (done)" in steps
    assert md.rstrip().endswith("2 people: Ana, Ben")
    assert "<b>" not in md
    page = server.http("GET", f"/sessions/{played['session_id']}")
    assert f'href="/sessions/{played["session_id"]}/summary.md"' in page.text


async def test_next_steps_csv_parses_and_guards_formulas(server: ServerProcess) -> None:
    played = await play_session(server, "CSV forum")
    fid = played["forum"]["id"]
    r = download(server, f"/forums/{fid}/next-steps.csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["text"] for row in rows] == ["'=cmd()", "Quarantine flaky tests"]
    cmd, quarantine = rows
    assert cmd["forum"] == "CSV forum" and cmd["forum_id"] == fid
    assert cmd["session"] == played["session_id"]
    assert (cmd["owner"], cmd["due"], cmd["status"]) == ("Ben", "2031-01-02", "open")
    assert (quarantine["owner"], quarantine["status"]) == ("Ana", "done")
    assert cmd["created_by"] == "Ben" and quarantine["updated_by"] == "Ana"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", cmd["created_at"])

    everything = list(csv.DictReader(io.StringIO(download(server, "/next-steps.csv").text)))
    assert {row["forum_id"] for row in everything} >= {fid}
    assert len({row["forum_id"] for row in everything}) > 1
    assert all(not row["text"].startswith(("=", "+", "-", "@")) for row in everything)


async def test_a_sessions_next_steps_csv_holds_that_sessions_steps_only(
    server: ServerProcess,
) -> None:
    """The session page's "Next steps (CSV)" is that session's, not the whole forum's."""
    played = await play_session(server, "Two sessions")
    fid, first = played["forum"]["id"], played["session_id"]
    ana = await LiveClient.connect(server.ws_url(fid), additional_headers=name_cookie(server, "A"))
    await ack(ana, {"type": "start_session"})
    await ack(ana, {"type": "add_next_step", "text": "Only in the second", "owner": "Ana"})
    await ack(ana, {"type": "end_session"})
    await ana.close()
    second = server.board(fid)["last_session_id"]
    assert second != first

    def texts(path: str) -> list[str]:
        r = download(server, path)
        assert r.headers["content-type"].startswith("text/csv")
        return [row["text"] for row in csv.DictReader(io.StringIO(r.text))]

    assert texts(f"/sessions/{first}/next-steps.csv") == ["'=cmd()", "Quarantine flaky tests"]
    assert texts(f"/sessions/{second}/next-steps.csv") == ["Only in the second"]
    assert len(texts(f"/forums/{fid}/next-steps.csv")) == 3
    assert server.http("GET", "/sessions/nope-1/next-steps.csv").status == 404


async def test_unknown_or_running_sessions_are_not_exported(server: ServerProcess) -> None:
    for path in (
        "/sessions/nope-1/export.md",
        "/sessions/nope-1/export.json",
        "/sessions/nope-1/summary.md",
    ):
        r = server.http("GET", path)
        assert r.status == 404 and 'href="/"' in r.text, path
    r = server.http("GET", "/forums/nope/next-steps.csv")
    assert r.status == 404
    status, problem = server.request("GET", "/api/sessions/nope-1/export")
    assert status == 404 and problem["code"] == "not_found"

    forum = server.new_forum("sos", "Still talking")
    client = await LiveClient.connect(server.ws_url(forum["id"]))
    await ack(client, {"type": "start_session"})
    await client.close()
    sid = f"{forum['id']}-1"
    for path in (
        f"/sessions/{sid}/export.md",
        f"/sessions/{sid}/export.json",
        f"/sessions/{sid}/summary.md",
    ):
        r = server.http("GET", path)
        assert r.status == 409 and "has not ended" in r.text, path
        assert f'href="/sessions/{sid}"' in r.text
    status, problem = server.request("GET", f"/api/sessions/{sid}/export")
    assert status == 409 and problem["code"] == "conflict"


# -- the escaping helpers themselves -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("Tom & Jerry &amp;", "Tom &amp; Jerry &amp;amp;"),
        ("# not a heading", "\\# not a heading"),
        ("- not a list", "\\- not a list"),
        ("+ nor this", "\\+ nor this"),
        ("12. nor a numbered one", "12\\. nor a numbered one"),
        ("3) or this", "3\\) or this"),
        ("> no quote", "&gt; no quote"),
        ("===", "\\==="),
        (
            "*bold* _it_ `code` [link](x) | ~~s~~",
            "\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x) \\| \\~\\~s\\~\\~",
        ),
        ("back\\slash", "back\\\\slash"),
        ("two\n\n# lines", "two  \n\\# lines"),
        ("   indented code?", "indented code?"),
    ],
)
def test_md_makes_user_text_inert(text: str, expected: str) -> None:
    assert md(text) == expected


def test_md_keeps_lines_inside_a_list_item() -> None:
    assert md("one\ntwo\r\nthree", 4) == "one  \n    two  \n    three"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=cmd()", "'=cmd()"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain = fine", "plain = fine"),
        (None, ""),
        ("2031-01-02", "2031-01-02"),
    ],
)
def test_csv_cells_never_start_a_formula(value: str | None, expected: str) -> None:
    assert csv_cell(value) == expected
