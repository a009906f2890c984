"""The admin token and the cookies, against a real server (docs/access.md):

- behind TLS every cookie is ``Secure``, the name cookie as much as the access and CSRF
  cookies (uvicorn takes ``X-Forwarded-Proto`` from a proxy on loopback);
- replacing the admin token (``scaleboard admin-link``, from another process) closes
  the admin's open websockets with 4403 within a second, as a rotated link does;
- the stored admin token is an HMAC keyed by the instance's secret, not a bare sha256;
  a bare sha256 written by an older version still opens, once, and is upgraded.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest
import websockets

from tests.support import ROOT, HttpResponse, LiveClient, ServerProcess

TLS = {"x-forwarded-proto": "https"}


def set_cookies(r: HttpResponse) -> dict[str, str]:
    """Each cookie the response sets, by name: its whole ``Set-Cookie`` value."""
    raw = ", ".join(r.set_cookies)  # every Set-Cookie header (R40 added one)
    # http.client joins repeated headers with ", "; cookie values and flags hold none.
    found = re.findall(r"(?:^|, )(sb_\w+)=([^,]*(?:, \d\d[^,]*)?)", raw)
    return {name: value for name, value in found}


def cookies_of_a_visit(
    server: ServerProcess, forum_id: str, headers: dict[str, str]
) -> dict[str, str]:
    """The access, CSRF and name cookies a browser gets: open a link, load a page with a
    form, send the name form."""
    token = server.links(forum_id)["participant"]
    got: dict[str, str] = {}
    r = server.http("GET", f"/forums/{forum_id}?token={token}", headers=headers, auth=False)
    assert r.status == 303, r.status
    got.update(set_cookies(r))
    r = server.http("GET", "/name", headers=headers, auth=False)
    assert r.status == 200
    got.update(set_cookies(r))
    csrf = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert csrf, r.text
    cookie = "; ".join(f"{k}={v.split(';', 1)[0]}" for k, v in got.items())
    r = server.form(
        "/name",
        {"name": "Ann", "next": "/", "csrf": csrf.group(1)},
        {**headers, "cookie": cookie},
        auth=False,
    )
    assert r.status == 303, r.text
    got.update(set_cookies(r))
    return got


def test_behind_tls_every_cookie_is_secure(server: ServerProcess) -> None:
    fid = server.new_forum("sos", "Cookies")["id"]
    secure = cookies_of_a_visit(server, fid, TLS)
    # R40; sb_names: the names this browser went by (/my/steps, R52)
    assert sorted(secure) == ["sb_access", "sb_csrf", "sb_name", "sb_names", "sb_person"], secure
    for name, value in secure.items():
        flags = [f.strip().lower() for f in value.split(";")[1:]]
        assert "secure" in flags and "httponly" in flags, (name, value)
    plain = cookies_of_a_visit(server, fid, {})
    assert sorted(plain) == ["sb_access", "sb_csrf", "sb_name", "sb_names", "sb_person"], (
        plain
    )  # R40
    for name, value in plain.items():
        assert "secure" not in value.lower(), (name, value)  # over plain http it would be lost


def admin_link(db: Path | str, port: int | None = None) -> str:
    """A new admin token made by ``scaleboard admin-link`` (another process)."""
    more = ["--port", str(port)] if port is not None else []
    out = subprocess.run(
        [sys.executable, "-m", "server", "admin-link", "--db", str(db), *more],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = re.search(r"token=(\S+)", out.stdout)
    assert found, out.stdout
    return found.group(1)


def stored_admin(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        (value,) = conn.execute("SELECT value FROM meta WHERE key='admin_token_sha256'").fetchone()
    return str(value)


@pytest.fixture
def own_server(tmp_path: Path) -> ServerProcess:
    return ServerProcess(tmp_path / "admin.db", configured_admin=False)


async def test_a_new_admin_token_closes_the_admins_open_sockets(own_server: ServerProcess) -> None:
    server = own_server.start()
    try:
        token = re.findall(r"Admin: \S+token=(\S+)", server.log())[0]
        server.admin_token = token
        fid = server.new_forum("sos", "Admin sockets")["id"]
        participant = server.links(fid)["participant"]
        admin = await LiveClient.connect(server.ws_url(fid, token))
        other = await LiveClient.connect(server.ws_url(fid, participant))
        new = await asyncio.to_thread(admin_link, server.db, server.port)
        replaced = time.monotonic()
        error = await admin.expect("error", timeout=2)
        assert error["code"] == "forbidden" and "admin link" in error["reason"], error
        while admin.ws.close_code is None and time.monotonic() - replaced < 2:
            await asyncio.sleep(0.02)
        assert admin.ws.close_code == 4403
        assert time.monotonic() - replaced < 1.0
        # Everyone else stays; the old token opens nothing, the new one does.
        answer = await other.call({"type": "add_column", "title": "Still here"})
        assert answer["type"] == "ack", answer
        again = await websockets.connect(server.ws_url(fid, token))
        assert msgspec.json.decode(await again.recv())["code"] == "forbidden"
        with pytest.raises(websockets.ConnectionClosed):
            await again.recv()
        assert again.close_code == 4403
        fresh = await LiveClient.connect(server.ws_url(fid, new))
        assert (await fresh.call({"type": "add_column", "title": "Admin"}))["type"] == "ack"
        await fresh.close()
        await other.close()
        await admin.close()
    finally:
        server.stop()


def test_the_admin_token_is_stored_as_an_hmac_and_old_hashes_are_upgraded(
    own_server: ServerProcess,
) -> None:
    server = own_server.start()
    try:
        token = re.findall(r"Admin: \S+token=(\S+)", server.log())[0]
        stored = stored_admin(server.db)
        plain = hashlib.sha256(token.encode()).hexdigest()
        assert stored.startswith("hmac-sha256$") and plain not in stored, stored
        # Keyed by this instance's secret: the token alone does not give the record.
        with sqlite3.connect(server.db) as conn:
            (secret,) = conn.execute("SELECT value FROM meta WHERE key='secret'").fetchone()
        mac = hmac.new(secret.encode(), b"scaleboard-admin\0" + token.encode(), hashlib.sha256)
        assert stored.split("$")[1] == mac.hexdigest()
        # A database of an older version: a bare sha256 of the token.
        old = "an-older-admin-token-" + "x" * 20
        legacy = hashlib.sha256(old.encode()).hexdigest()
    finally:
        server.stop()
    with sqlite3.connect(server.db) as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='admin_token_sha256'", (legacy,))
    server.start()
    try:
        r = server.http("GET", f"/admin/enter?token={old}", auth=False)
        assert r.status == 303  # accepted once...
        cookie = r.headers["set-cookie"].split(";", 1)[0]
        upgraded = stored_admin(server.db)
        assert upgraded.startswith("hmac-sha256$") and legacy not in upgraded  # ...and upgraded
        assert server.http("GET", "/admin", headers={"cookie": cookie}, auth=False).status == 200
        status, _ = server.request("GET", "/api/teams", headers={"authorization": f"Bearer {old}"})
        assert status == 200
        wrong = {"authorization": f"Bearer {old}x"}
        assert server.request("GET", "/api/teams", headers=wrong)[0] == 401
    finally:
        server.stop()
