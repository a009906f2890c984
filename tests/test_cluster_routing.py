"""Routing of a cluster: three real ``scaleboard serve`` processes on one PostgreSQL
database (``tests/pg.py``: a schema of their own) behind a real nginx running
``deploy/nginx/scaleboard.conf`` (``tests/nginx.py``). Each process names itself in
``X-Scaleboard-Process``, so a test sees which one answered: every request and socket
of a forum reaches one process, forums spread over all three, the live protocol, pages,
API, link flow and security headers work through the proxy, and a killed process's
forums go to the others. ``scaleboard cluster`` itself is started and stopped.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.nginx import Nginx
from tests.pg import Schemas
from tests.support import ROOT, LiveClient, ServerProcess, free_port

HEADER = "x-scaleboard-process"


@dataclass
class Cluster:
    processes: dict[str, ServerProcess]  # by process name
    nginx: Nginx
    via: ServerProcess  # the client helpers of tests/support.py, pointed at nginx

    def answered(self, path: str) -> str:
        r = self.via.http("GET", path)
        assert r.status in (200, 303), (path, r.status, r.text[:300])  # 303: name first
        return r.headers[HEADER]


def start_cluster(db_url: str, rundir: Path, k: int = 3, extra_args: Iterable[str] = ()) -> Cluster:
    """``k`` processes (each ``scaleboard serve`` with ``extra_args`` too) behind nginx."""
    rundir.mkdir(parents=True, exist_ok=True)
    token = ServerProcess(db_url, log_path=rundir / "unused.log").admin_token
    processes: dict[str, ServerProcess] = {}
    for i in range(1, k + 1):
        name = f"p{i}"
        proc = ServerProcess(
            db_url,
            log_path=rundir / f"{name}.log",
            extra_args=["--process-name", name, *extra_args],
        )
        proc.admin_token = token  # one database, one admin
        processes[name] = proc.start()  # one by one: the first makes the schema
    nginx = Nginx(rundir, [p.port for p in processes.values()]).start()
    via = ServerProcess(db_url, port=nginx.port, log_path=rundir / "via.log")
    via.admin_token = token
    return Cluster(processes, nginx, via)


def stop_cluster(cluster: Cluster) -> None:
    cluster.nginx.stop()
    for proc in cluster.processes.values():
        proc.kill()


@pytest.fixture(scope="module")
async def db_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    schemas = Schemas()
    try:
        yield await schemas.url(tmp_path_factory.mktemp("cluster-db"))
    finally:
        await schemas.drop()


@pytest.fixture(scope="module")
def cluster(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = start_cluster(db_url, tmp_path_factory.mktemp("cluster"))
    try:
        yield started
    finally:
        stop_cluster(started)


async def test_every_request_and_socket_of_a_forum_reaches_one_process(cluster: Cluster) -> None:
    forum_id = cluster.via.new_forum("sos", "Routed")["id"]
    client = await LiveClient.connect(cluster.via.ws_url(forum_id))
    assert (await client.call({"type": "start_session"}))["type"] == "ack"
    session_id = cluster.via.board(forum_id)["session"]["id"]
    assert session_id.startswith(f"{forum_id}-")
    paths = [
        f"/forums/{forum_id}",
        f"/forums/{forum_id}/sessions",
        f"/forums/{forum_id}/metrics",
        f"/api/forums/{forum_id}",
        f"/api/forums/{forum_id}/cards",
        f"/api/forums/{forum_id}/sessions",
        f"/sessions/{session_id}",
        f"/api/sessions/{session_id}",
    ]
    named = {path: cluster.answered(path) for path in paths * 2}
    sockets = [await LiveClient.connect(cluster.via.ws_url(forum_id)) for _ in range(4)]
    named |= {f"socket {i}": c.ws.response.headers[HEADER] for i, c in enumerate(sockets)}  # type: ignore[union-attr]
    named["first socket"] = client.ws.response.headers[HEADER]  # type: ignore[union-attr]
    assert len(set(named.values())) == 1, named
    assert set(named.values()) <= set(cluster.processes)
    for c in [client, *sockets]:
        await c.close()


def test_forums_spread_over_every_process(cluster: Cluster) -> None:
    ids = [cluster.via.new_forum("eat", f"Spread {i}")["id"] for i in range(24)]
    owners = {forum_id: cluster.answered(f"/api/forums/{forum_id}") for forum_id in ids}
    assert set(owners.values()) == set(cluster.processes), owners
    # The same answer again: the hash, not a round-robin, decides.
    assert {f: cluster.answered(f"/forums/{f}") for f in ids} == owners
    # Requests about no forum are spread too (an empty hash key: round-robin).
    assert len({cluster.answered("/healthz") for _ in range(9)}) > 1


async def test_a_live_forum_works_end_to_end_through_nginx(cluster: Cluster) -> None:
    forum_id = cluster.via.new_forum("sos", "Live through nginx")["id"]
    a = await LiveClient.connect(cluster.via.ws_url(forum_id))
    b = await LiveClient.connect(cluster.via.ws_url(forum_id))
    assert a.received[0]["type"] == "welcome" and b.received[0]["type"] == "welcome"
    answer = await a.call({"type": "add_card", "column": "new", "title": "Via nginx"})
    assert answer["type"] == "ack"
    await b.wait_seq(answer["seq"])
    added = [i for i in b.items() if i["seq"] == answer["seq"]]
    assert added and "Via nginx" in json.dumps(added), b.received
    owner = a.ws.response.headers[HEADER]  # type: ignore[union-attr]
    direct = cluster.processes[owner].board(forum_id)  # the process that holds the room
    assert [c["title"] for c in direct["cards"].values()] == ["Via nginx"]
    await a.close()
    await b.close()


def test_pages_and_api_through_nginx_keep_the_apps_headers(cluster: Cluster) -> None:
    forum_id = cluster.via.new_forum("sos", "Pages via nginx")["id"]
    pages = ("/", f"/forums/{forum_id}/sessions", "/sessions", "/network", "/static/js/live.js")
    for path in pages:
        r = cluster.via.http("GET", path)
        assert r.status == 200, (path, r.status)
        assert "default-src 'self'" in r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY", path
        assert r.headers["server"] == "nginx", r.headers  # server_tokens off: no version
    status, forums = cluster.via.request("GET", "/api/forums")
    assert status == 200 and forum_id in {f["id"] for f in forums}
    status, health = cluster.via.request("GET", "/healthz")
    assert status == 200 and health["status"] == "ok"
    # The app's body limit (256 KiB) holds at nginx: refused before any process.
    big = cluster.via.http("POST", f"/api/forums/{forum_id}/cards", b"x" * (300 * 1024))
    assert big.status == 413


def test_a_role_link_through_nginx_leaves_no_token_in_any_url_or_log(cluster: Cluster) -> None:
    forum_id = cluster.via.new_forum("sos", "Linked")["id"]
    token = cluster.via.links(forum_id)["viewer"]
    followed = cluster.via.http("GET", f"/forums/{forum_id}?token={token}", auth=False)
    assert followed.status == 303
    assert followed.headers["location"] == f"/forums/{forum_id}"
    cookie = followed.headers["set-cookie"].split(";")[0]
    assert "secure" not in followed.headers["set-cookie"].lower()  # reached over http
    sessions = f"/forums/{forum_id}/sessions"
    assert cluster.via.http("GET", sessions, auth=False).status in (401, 403)
    page = cluster.via.http("GET", sessions, headers={"cookie": cookie}, auth=False)
    assert page.status == 200 and "Linked" in page.text
    time.sleep(0.2)  # nginx writes its access log line after the answer
    logged = cluster.nginx.access_log.read_text()
    assert f"/forums/{forum_id}" in logged and token not in logged


def test_forwarded_headers_are_nginxs_not_the_browsers(cluster: Cluster) -> None:
    """nginx replaces X-Forwarded-Proto with the scheme it was reached by; a process
    believes it from nginx's address (loopback), so a spoofed ``https`` through nginx
    gives no Secure cookie, while the same header from a trusted address does."""
    forum_id = cluster.via.new_forum("sos", "Forwarded")["id"]
    token = cluster.via.links(forum_id)["viewer"]
    spoofed = {"x-forwarded-proto": "https"}
    path = f"/forums/{forum_id}?token={token}"
    via = cluster.via.http("GET", path, headers=spoofed, auth=False)
    assert via.status == 303 and "secure" not in via.headers["set-cookie"].lower()
    owner = cluster.processes[via.headers[HEADER]]
    trusted = owner.http("GET", path, headers=spoofed, auth=False)
    assert trusted.status == 303 and "secure" in trusted.headers["set-cookie"].lower()


def test_a_process_believes_forwarded_headers_only_from_its_proxies(tmp_path: Path) -> None:
    """``--forwarded-allow-ips`` names nginx's address: the same header from anyone
    else (here loopback, when nginx is said to be elsewhere) is ignored."""
    server = ServerProcess(tmp_path / "p.db", extra_args=["--forwarded-allow-ips", "10.9.8.7"])
    server.start()
    try:
        forum_id = server.new_forum("sos", "Elsewhere")["id"]
        token = server.links(forum_id)["viewer"]
        r = server.http(
            "GET",
            f"/forums/{forum_id}?token={token}",
            headers={"x-forwarded-proto": "https"},
            auth=False,
        )
        assert r.status == 303 and "secure" not in r.headers["set-cookie"].lower()
    finally:
        server.stop()


async def test_a_killed_process_forums_go_to_the_others(db_url: str, tmp_path: Path) -> None:
    cluster = start_cluster(db_url, tmp_path / "failover")
    try:
        ids = [cluster.via.new_forum("sos", f"Failover {i}")["id"] for i in range(12)]
        before = {f: cluster.answered(f"/api/forums/{f}") for f in ids}
        victim = before[ids[0]]
        moved = [f for f in ids if before[f] == victim]
        stayed = [f for f in ids if before[f] != victim]
        cluster.processes[victim].kill()  # SIGKILL: no goodbye
        deadline = time.monotonic() + 20  # a short retry window, at most
        after: dict[str, str] = {}
        while time.monotonic() < deadline and len(after) < len(ids):
            for f in ids:
                r = cluster.via.http("GET", f"/api/forums/{f}")
                if r.status == 200:
                    after[f] = r.headers[HEADER]
            await asyncio.sleep(0.2)
        assert set(after) == set(ids), (after, cluster.nginx.log())
        assert all(after[f] != victim for f in moved), after
        assert all(after[f] == before[f] for f in stayed), (before, after)  # consistent
        # A write to a moved forum lands once on its new process (a POST is retried
        # only when the dead process refused the connection: it never saw it).
        status, card = cluster.via.request(
            "POST", f"/api/forums/{moved[0]}/cards", {"column": "new", "title": "Moved"}
        )
        assert status == 201, card
        client = await LiveClient.connect(cluster.via.ws_url(moved[0]))
        assert client.ws.response.headers[HEADER] == after[moved[0]]  # type: ignore[union-attr]
        answer = await client.call({"type": "add_card", "column": "new", "title": "Live"})
        assert answer["type"] == "ack", answer
        titles = [c["title"] for c in cluster.via.board(moved[0])["cards"].values()]
        assert titles == ["Moved", "Live"]
        await client.close()
    finally:
        stop_cluster(cluster)


def test_the_cluster_command_runs_and_stops_everything(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    rundir = tmp_path / "run"
    args = [sys.executable, "-m", "server", "cluster", "--processes", "2", "--port", str(port)]
    args += ["--db", db_url, "--run-dir", str(rundir), "--no-demo"]
    env = {k: v for k, v in os.environ.items() if k != "SCALEBOARD_ADMIN_TOKEN"}
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert lines[0].startswith(f"Scaleboard cluster: http://127.0.0.1:{port}/"), lines
        assert lines[1].startswith(f"Admin: http://127.0.0.1:{port}/admin/enter?token="), lines
        token = lines[1].split("token=", 1)[1].strip()
        via = ServerProcess(db_url, port=port, log_path=tmp_path / "via.log")
        via.admin_token = token
        entered = via.http("GET", f"/admin/enter?token={token}", auth=False)
        assert entered.status == 303, entered.status
        status, _ = via.request("GET", "/api/forums")
        assert status == 200
        names = {via.http("GET", "/healthz").headers[HEADER] for _ in range(6)}
        assert len(names) == 2 and all(n.startswith(("p1-", "p2-")) for n in names), names
        assert (rundir / "nginx.conf").read_text().count("server 127.0.0.1:") == 2
        children = [int(n.split("-")[1]) for n in names]  # the processes' ports
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        for child_port in [port, *children]:
            with pytest.raises(OSError):
                ServerProcess(db_url, port=child_port, log_path=tmp_path / "x.log").http(
                    "GET", "/healthz"
                )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_cluster_command_refuses_sqlite(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "server", "cluster", "--db", str(tmp_path / "x.db")]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "SQLite" in done.stderr and "postgresql://" in done.stderr
    assert not (tmp_path / "x.db").exists()
