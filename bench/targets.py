"""What the scale-out case runs against: a configuration's server processes and its forums.

``SQLite K=1`` is one ``scaleboard serve`` on a SQLite file; ``PostgreSQL K=1`` one on a
PostgreSQL database of the bench's own; ``PostgreSQL K=2`` two on another database of its
own. Each configuration's processes run only during its turn (stopped gracefully
between turns, so an idle configuration costs the others nothing); the database keeps
its forums, links and names, so every turn uses the same forums.

Routing of K=2: the forums are created, and their cards added, through nginx running
``deploy/nginx/scaleboard.conf`` (``tests/nginx.py``, as ``scaleboard cluster`` runs it);
then each forum is asked for once through nginx and the process that answered
(``X-Scaleboard-Process``) is the one its consistent hash picks. The people of a forum
then connect straight to that process, so nginx is not on the measured path and costs
no CPU there (its hop is measured by the fan-out case ``--only nginx``).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from tests.nginx import Nginx
from tests.support import ServerProcess

# People send up to 10,000 moves/s across 100 sockets with random gaps: the per-socket
# rate limit (50/s, bursts of 200) is raised so it does not set the pace; nothing else
# differs from ``scaleboard serve``.
SERVE_ARGS = ["--ops-per-second", "2000", "--ops-burst", "2000"]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


class BenchSetupError(RuntimeError):
    """The bench cannot run as asked (PostgreSQL unreachable, a server that did not
    start): the run stops with this message."""


def api(
    port: int, token: str, method: str, path: str, body: Any = None, form: bool = False
) -> tuple[int, Any, dict[str, str]]:
    """One HTTP call as the admin (bearer token): status, decoded JSON, headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"authorization": f"Bearer {token}"}
    data: str | None = None
    if form:
        data = urllib.parse.urlencode(body)
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body)
        headers["content-type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        got = {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()
    try:
        return r.status, json.loads(raw) if raw else None, got
    except ValueError:
        return r.status, raw.decode(errors="replace"), got


NAME_COOKIE = re.compile(r"sb_name=([^;]+)")


def name_cookie(port: int, token: str, name: str) -> str:
    """The signed ``sb_name`` cookie of ``name``, from the ``/name`` form as a browser gets it."""
    status, _, headers = api(port, token, "POST", "/name", {"name": name, "next": "/"}, form=True)
    m = NAME_COOKIE.search(headers.get("set-cookie", ""))
    if status != 303 or m is None:
        raise BenchSetupError(f"/name answered {status} without a name cookie")
    return m.group(1)


def in_database(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def name_of(url: str) -> str:
    """The database ``url`` names."""
    return urllib.parse.urlsplit(url).path.lstrip("/")


class Databases:
    """PostgreSQL databases of the bench's own, made on the server of ``--pg``, dropped
    at the end with everything in them."""

    def __init__(self, url: str, run: str) -> None:
        self.url = url
        self.run = run
        self.made: list[str] = []

    async def _admin(self) -> asyncpg.Connection:
        try:
            return await asyncpg.connect(self.url, timeout=10)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise BenchSetupError(
                f"the scale-out case needs PostgreSQL and cannot connect to {self.url} ({e}); "
                "start it, or give another server with --pg postgresql://user@host/db"
            ) from e

    def make(self, suffix: str) -> str:
        """A new empty database; its URL."""
        name = f"sbbench_{self.run}_{suffix}"

        async def go() -> None:
            conn = await self._admin()
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.PostgresError as e:
                raise BenchSetupError(f"cannot create the database {name}: {e}") from e
            finally:
                await conn.close()

        asyncio.run(go())
        self.made.append(name)
        return in_database(self.url, name)

    def commits(self, name: str) -> int:
        """Transactions committed in the database ``name`` so far (PostgreSQL's
        ``pg_stat_database``: backends report theirs at most once a second, so over a
        window of a few seconds it is a close count, not an exact one)."""

        async def go() -> int:
            conn = await self._admin()
            try:
                sql = "SELECT xact_commit FROM pg_stat_database WHERE datname = $1"
                return int(await conn.fetchval(sql, name) or 0)
            finally:
                await conn.close()

        return asyncio.run(go())

    def drop(self) -> None:
        async def go() -> None:
            conn = await self._admin()
            try:
                for name in self.made:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        if self.made:
            asyncio.run(go())
            self.made.clear()


@dataclass
class Target:
    """One configuration: its processes (started for its turns only) and its forums."""

    name: str
    processes: list[ServerProcess]
    database: str | None  # the PostgreSQL database (None: SQLite)
    databases: Databases | None = None
    forums: list[dict[str, Any]] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [p.proc.pid for p in self.processes if p.proc is not None]

    def commits(self) -> int | None:
        """Transactions committed so far in the database (None: not PostgreSQL)."""
        if self.databases is None or self.database is None:
            return None
        return self.databases.commits(self.database)

    def start(self) -> None:
        for p in self.processes:  # in turn: the first creates the schema
            try:
                p.start(timeout=60)
            except RuntimeError as e:
                raise BenchSetupError(f"{self.name}: {e}") from e

    def stop(self) -> None:
        for p in self.processes:
            p.stop()

    def prepare(self, forums: int, people: int) -> None:
        """The forums (``people`` cards each), their participant links, the people's
        names and which process each forum is on: made on the first turn only."""
        if self.forums:
            return
        first = self.processes[0]
        token = first.admin_token
        nginx: Nginx | None = None
        rundir = tempfile.TemporaryDirectory()
        port = first.port
        if len(self.processes) > 1:
            nginx = Nginx(Path(rundir.name), [p.port for p in self.processes]).start()
            port = nginx.port
        try:
            by_name = {f"p{i + 1}": p.port for i, p in enumerate(self.processes)}
            for f in range(forums):
                new = {"name": f"Scale-out {f + 1}", "kind": "sos"}
                status, forum, _ = api(port, token, "POST", "/api/forums", new)
                if status != 201:
                    raise BenchSetupError(f"{self.name}: creating a forum: {status} {forum}")
                fid = str(forum["id"])
                cards = []
                for i in range(people):
                    path = f"/api/forums/{fid}/cards"
                    new = {"column": "new", "title": f"Card {i + 1}"}
                    status, card, _ = api(port, token, "POST", path, new)
                    if status != 201:
                        raise BenchSetupError(f"{self.name}: adding a card: {status} {card}")
                    cards.append(str(card["id"]))
                status, links, _ = api(port, token, "GET", f"/api/forums/{fid}/links")
                if status != 200:
                    raise BenchSetupError(f"{self.name}: links: {status} {links}")
                participant = next(x["token"] for x in links if x["role"] == "participant")
                status, _, headers = api(port, token, "GET", f"/api/forums/{fid}")
                owner = headers.get("x-scaleboard-process", "p1")
                if status != 200 or owner not in by_name:
                    raise BenchSetupError(f"{self.name}: {fid} answered {status} from {owner!r}")
                self.forums.append(
                    {
                        "id": fid,
                        "port": by_name[owner],
                        "process": owner,
                        "token": participant,
                        "cards": cards,
                    }
                )
            self.cookies = [
                name_cookie(first.port, token, f"Person {i + 1}") for i in range(forums * people)
            ]
        finally:
            if nginx is not None:
                nginx.stop()
            rundir.cleanup()

    def setup(self) -> dict[str, Any]:
        """What the load process (``bench/crowd.py``) reads."""
        return {"forums": self.forums, "cookies": self.cookies}

    def split(self) -> str:
        """How many forums each process has, e.g. ``11+9``."""
        counts = [
            sum(1 for f in self.forums if f["process"] == f"p{i + 1}")
            for i in range(len(self.processes))
        ]
        return "+".join(str(c) for c in counts)


def targets(tmp: Path, databases: Databases) -> list[Target]:
    """SQLite K=1, PostgreSQL K=1 and PostgreSQL K=2, each on a database of its own."""
    sqlite = ServerProcess(tmp / "scaleout.db", extra_args=[*SERVE_ARGS, "--process-name", "p1"])
    pg1 = databases.make("k1")
    pg2 = databases.make("k2")

    def on(url: str, label: str, name: str) -> ServerProcess:
        log = tmp / f"scaleout-{label}-{name}.log"
        return ServerProcess(url, extra_args=[*SERVE_ARGS, "--process-name", name], log_path=log)

    token = sqlite.admin_token
    k2 = [on(pg2, "k2", "p1"), on(pg2, "k2", "p2")]
    for p in k2:
        p.admin_token = token  # one admin token for the processes of one cluster
    return [
        Target("SQLite K=1", [sqlite], None),
        Target("PostgreSQL K=1", [on(pg1, "k1", "p1")], name_of(pg1), databases),
        Target("PostgreSQL K=2", k2, name_of(pg2), databases),
    ]
