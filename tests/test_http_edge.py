"""The HTTP edge against a real server: what holds for every request, whichever route
answers it or none (docs/reliability.md, "Bad input hurts only its sender").

- Every response carries the security headers, Litestar's own 404 and 405 included, and
  a link token is taken out of every URL (``server/web/edge.py``).
- A bad body gets a 4xx with a reason: JSON nested too deeply for the decoder (a 2 KB
  body of 1,000 brackets) on every JSON write route, the session import and its form.
- Any error nobody expected is logged with its traceback and answered with a plain 500.
- A ``/static`` path that cannot name a file (a NUL byte, a path below a file, a name
  too long for the OS) is a 404.
- ``--log-level debug`` keeps every access line and shows no token, however its name
  is percent-encoded (``server/cli.py``'s ``Redact``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from uvicorn.logging import AccessFormatter

from server.cli import Redact
from tests.support import ROOT, HttpResponse, LiveClient, ServerProcess

DEEP = "[" * 1000 + "]" * 1000  # the 2 KB body
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own, so its log holds only what these tests did."""
    proc = ServerProcess(tmp_path_factory.mktemp("edge") / "edge.db").start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def forum_id(edge_server: ServerProcess) -> str:
    return str(edge_server.new_forum("sos", "Edge")["id"])


def secured(r: HttpResponse, what: str) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, (what, r.headers)
    assert r.headers.get("x-content-type-options") == "nosniff", what
    assert r.headers.get("x-frame-options") == "DENY", what
    assert r.headers.get("referrer-policy") == "same-origin", what


def no_traceback(server: ServerProcess) -> None:
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-4000:]


# -- security headers on every response --------------------------------------------------


def test_routing_404_and_405_carry_the_security_headers(
    edge_server: ServerProcess, forum_id: str
) -> None:
    cases = [
        ("GET", "/nope", 404),
        ("GET", "/api/nope", 404),
        ("GET", "/static/nope.css", 404),
        ("PUT", "/api/forums", 405),
        ("DELETE", f"/forums/{forum_id}", 405),
        ("GET", f"/forums/{forum_id}/live", 405),  # the websocket, as a plain request
        ("POST", "/static/css/app.css", 405),
    ]
    for method, path, status in cases:
        for auth in (True, False):
            r = edge_server.http(method, path, auth=auth)
            what = f"{method} {path} auth={auth}"
            assert r.status == status, (what, r.status, r.text[:300])
            secured(r, what)
            assert str(ROOT) not in r.text, what  # no server paths
            if path.startswith("/api/"):
                problem = r.json()
                assert problem["code"] == ("not_found" if status == 404 else "not_allowed")
                assert problem["reason"], what
            else:
                assert r.headers["content-type"].startswith("text/html"), what
                assert "Not found" in r.text or "Not allowed" in r.text, what
            if status == 405:
                assert "allow" in r.headers, what
    # What routes answer carries them too, as before.
    for path in ("/", "/static/css/app.css", "/api/kinds", f"/forums/{forum_id}"):
        secured(edge_server.http("GET", path), path)
    no_traceback(edge_server)


# -- /static ------------------------------------------------------------------------------


def test_a_static_path_that_cannot_name_a_file_is_not_found(edge_server: ServerProcess) -> None:
    for path in (
        "/static/css/app.css%00.js",  # the issue's
        "/static/%00",
        "/static/css/app.css%00",
        "/static/css/app.css/x",  # below a file: ENOTDIR
        "/static/css/app.css/..",
        "/static/" + "a" * 300,  # too long a name: ENAMETOOLONG
        "/static/" + "a/" * 3000 + "x",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2e%2e/pyproject.toml",
    ):
        r = edge_server.http("GET", path, auth=False)
        assert r.status == 404, (path, r.status, r.text[:300])
        secured(r, path)
        assert str(ROOT) not in r.text, path
    assert edge_server.http("GET", "/static/css/app.css", auth=False).status == 200
    no_traceback(edge_server)


# -- bad bodies ---------------------------------------------------------------------------


def json_write_routes(forum_id: str) -> list[tuple[str, str]]:
    f = f"/api/forums/{forum_id}"
    return [
        ("POST", "/api/forums"),
        ("POST", f"{f}/cards"),
        ("PATCH", f"{f}/cards/c1"),
        ("POST", f"{f}/cards/c1/move"),
        ("POST", f"{f}/ops"),
        ("POST", f"{f}/decisions"),
        ("POST", f"{f}/next-steps"),
        ("PATCH", f"{f}/next-steps/s1"),
        ("POST", f"{f}/escalates-to"),
        ("POST", f"{f}/routes/escalate"),
    ]


def test_deeply_nested_json_gets_a_400_with_a_reason(
    edge_server: ServerProcess, forum_id: str
) -> None:
    json_type = {"content-type": "application/json"}
    for method, path in json_write_routes(forum_id):
        for body in (DEEP, DEEP_OBJECT, '{"title": ' + DEEP + ', "column": "new"}'):
            r = edge_server.http(method, path, body, json_type)
            assert r.status == 400, (method, path, r.status, r.text[:300])
            problem = r.json()
            assert problem == {"code": "invalid", "reason": problem["reason"]}, problem
            assert "nested too deeply" in problem["reason"], (path, problem)
    # The session import reads the whole file itself.
    for body in (DEEP, DEEP_OBJECT, '{"format": ' + DEEP + "}"):
        r = edge_server.http("POST", "/api/import", body, json_type)
        assert r.status == 400, (r.status, r.text[:300])
        assert r.json()["code"] == "invalid" and r.json()["reason"], r.text
    r = edge_server.http("POST", "/api/import", '{"format": ' + DEEP + "}", json_type)
    assert "nested too deeply" in r.json()["reason"], r.text
    no_traceback(edge_server)


def test_the_import_form_says_a_deeply_nested_file_is_no_export(
    edge_server: ServerProcess,
) -> None:
    boundary = "edge-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="deep.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
        '{"format": ' + DEEP + "}\r\n"
        f"--{boundary}--\r\n"
    )
    r = edge_server.http(
        "POST", "/import", body, {"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert r.status == 400, (r.status, r.text[:300])
    assert "nested too deeply" in r.text
    no_traceback(edge_server)


def test_an_unexpected_error_is_logged_and_answered_plainly(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "broken.db").start()
    try:
        forum = server.new_forum("sos", "Broken")["id"]
        assert server.request("GET", "/api/decisions")[0] == 200
        with sqlite3.connect(server.db) as db:  # the database breaks under the server
            db.execute("DROP TABLE decisions")
        status, problem = server.request("GET", "/api/decisions")
        assert status == 500
        assert problem["code"] == "internal" and "has been logged" in problem["reason"], problem
        page = server.http("GET", "/decisions")
        assert page.status == 500 and page.headers["content-type"].startswith("text/html")
        secured(page, "500 page")
        for text in (str(problem), page.text):  # nothing of the error itself
            for inside in ("no such table", "sqlite", "OperationalError", "Traceback", ".py"):
                assert inside not in text, inside
        # Everything else still works.
        assert server.request("GET", "/healthz")[0] == 200
        assert server.request("GET", f"/api/forums/{forum}")[0] == 200
    finally:
        server.stop()
    log = server.log_path.read_text()
    for path in ("/api/decisions", "/decisions"):
        found = [line for line in log.splitlines() if f"answering GET {path}" in line]
        assert found and "ERROR" in found[0] and "scaleboard" in found[0], log[-3000:]
    assert log.count("Traceback") >= 2 and "no such table: decisions" in log, log[-3000:]


# -- logging ------------------------------------------------------------------------------


def access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it: five arguments."""
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 404),
        None,
    )


def test_redact_keeps_the_access_log_arguments_and_hides_any_spelling_of_token() -> None:
    formatter = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s')
    for path, shown in (
        ("/nope?token=abc", "/nope?token=[hidden]"),
        ("/nope?%74oken=abc&x=1", "/nope?%74oken=[hidden]&x=1"),
        ("/nope?%2574oken=abc", "/nope?%2574oken=[hidden]"),
        ("/nope?next=/a&TOKEN=abc", "/nope?next=/a&TOKEN=[hidden]"),
        ("/nope?q=token", "/nope?q=token"),
    ):
        record = access_record(path)
        assert Redact().filter(record)
        assert isinstance(record.args, tuple) and len(record.args) == 5
        line = formatter.format(record)
        assert line.startswith(f'127.0.0.1:5000 - "GET {shown} HTTP/1.1" 404'), (path, line)
    handshake = logging.LogRecord(
        "uvicorn.error", logging.DEBUG, __file__, 1, "> Cookie: sb_access=abc", None, None
    )
    Redact().filter(handshake)
    assert handshake.getMessage() == "> Cookie: [hidden]"
    templated = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "opened /f?token=%s", ("abc",), None
    )
    Redact().filter(templated)
    assert templated.getMessage() == "opened /f?token=[hidden]"


async def test_debug_logging_keeps_every_access_line_and_shows_no_token(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "debug.db", extra_args=["--log-level", "debug"]).start()
    try:
        forum = server.new_forum("sos", "Debug")["id"]
        tokens = server.links(forum)
        secrets = [f"secret-{i}-never-logged" for i in range(7)]
        requests: list[tuple[str, str, int]] = [
            ("GET", f"/nope?token={secrets[0]}", 404),  # no route: the edge takes it
            ("GET", f"/api/kinds?%74oken={secrets[1]}", 200),
            ("GET", f"/forums/{forum}/live?token={secrets[2]}", 405),
            ("PUT", f"/api/forums?%74oken={secrets[3]}&x=1", 405),
            ("GET", f"/static/css/app.css?token={secrets[4]}", 403),  # a link that opens nothing
            ("GET", f"/static/nope.css?%74oken={secrets[5]}", 403),
            # Not a link token (its name decodes to ``%74oken``), but logged redacted.
            ("GET", f"/api/kinds?%2574oken={secrets[6]}", 200),
            # A percent-encoded name is the link's token all the same: it is followed.
            ("GET", f"/forums/{forum}?%74oken={tokens['viewer']}", 303),
        ]
        for method, path, status in requests:
            r = server.http(method, path, auth=False)
            assert r.status == status, (method, path, r.status, r.text[:200])
        url = server.ws_url(forum, "").replace("/live", f"/live?%74oken={tokens['participant']}")
        client = await LiveClient.connect(url)  # the handshake's token counts, unlogged
        await client.close()
        await asyncio.sleep(0.3)
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")
    for secret in [*secrets, *tokens.values(), server.admin_token]:
        assert secret not in log, secret
    assert "Traceback" not in log and "Logging error" not in log, log[-4000:]
    for line in (
        '"GET /nope HTTP/1.1" 404',
        '"GET /api/kinds HTTP/1.1" 200',
        '"GET /api/kinds?%2574oken=[hidden] HTTP/1.1" 200',
        f'"GET /forums/{forum}/live HTTP/1.1" 405',
        '"PUT /api/forums?x=1 HTTP/1.1" 405',
        '"GET /static/css/app.css HTTP/1.1" 403',
        '"GET /static/nope.css HTTP/1.1" 403',
        f'"GET /forums/{forum} HTTP/1.1" 303',
    ):
        assert line in log, (line, log[-4000:])
