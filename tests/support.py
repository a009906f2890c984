"""Real parts for tests: a server process on a loopback port, and a live client.

``ServerProcess`` starts ``python -m server serve`` exactly as the README does (real
SQLite file or PostgreSQL database, durability on), waits for ``/healthz``, and can stop
it gently (SIGINT) or kill it (SIGKILL). ``LiveClient`` speaks the live protocol over a
real websocket.

Access is on, as in production (docs/access.md): the server gets a known admin token
(``SCALEBOARD_ADMIN_TOKEN``), ``request`` and ``http`` send it as a bearer token unless
told otherwise (``auth=False``, or an ``Authorization`` header of their own), and
``ws_url`` carries a token in ``?token=`` (the admin's by default, or a forum's). A
test of access itself uses ``links`` for a forum's role tokens.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``scaleboard serve`` in a child process."""

    def __init__(
        self,
        db: Path | str,
        *,
        port: int | None = None,
        demo: bool = False,
        extra_args: Iterable[str] = (),
        configured_admin: bool = True,
        log_path: Path | None = None,
        root: Path = ROOT,
    ) -> None:
        # ``root``: the tree whose ``server`` package runs (the benchmark runs an older
        # one beside this one, ``bench/compare.py``).
        self.root = root
        # A SQLite file, or a ``postgresql://`` URL (then ``log_path`` says where the
        # server's output goes; beside the file by default).
        self.db: Path | str = db if isinstance(db, str) and "://" in db else Path(db)
        self.port = port or free_port()
        self.demo = demo
        self.extra_args = list(extra_args)  # more ``scaleboard serve`` options
        self.proc: subprocess.Popen[bytes] | None = None
        if log_path is None:
            assert isinstance(self.db, Path), "a server on a database URL needs a log_path"
            log_path = self.db.with_suffix(".log")
        self.log_path = log_path
        # The admin token given in the environment (``configured_admin=False``: none, so
        # the server makes one on its first run and prints its link).
        self.admin_token = f"test-admin-{secrets.token_urlsafe(18)}"
        self.configured_admin = configured_admin
        self.browsers: dict[str, dict[str, str]] = {}  # name -> its browser's cookies

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, forum_id: str, token: str | None = None) -> str:
        """The forum's live URL with a token the websocket accepts (default: the admin's;
        ``""``: none at all)."""
        token = self.admin_token if token is None else token
        query = f"?token={urllib.parse.quote(token)}" if token else ""
        return f"ws://127.0.0.1:{self.port}/forums/{forum_id}/live{query}"

    @property
    def auth(self) -> dict[str, str]:
        """The admin's ``Authorization`` header."""
        return {"authorization": f"Bearer {self.admin_token}"}

    def _headers(self, headers: dict[str, str] | None, auth: bool) -> dict[str, str]:
        given = dict(headers or {})
        if auth and not any(k.lower() == "authorization" for k in given):
            given.update(self.auth)
        return given

    def start(self, timeout: float = 20.0) -> ServerProcess:
        args = [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--port",
            str(self.port),
            "--db",
            str(self.db),
        ]
        if not self.demo:
            args.append("--no-demo")
        args += self.extra_args
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        env = {k: v for k, v in os.environ.items() if k != "SCALEBOARD_ADMIN_TOKEN"}
        if self.configured_admin:
            env["SCALEBOARD_ADMIN_TOKEN"] = self.admin_token
        self.proc = subprocess.Popen(
            args, cwd=self.root, stdout=log, stderr=subprocess.STDOUT, env=env
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not start:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """Ctrl-C: a graceful shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """kill -9: no shutdown at all."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    # -- plain HTTP helpers (stdlib only, so they work from any test) ----------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        auth: bool = True,
    ) -> tuple[int, Any]:
        """A JSON API call, as the admin unless ``auth=False`` or ``headers`` say who."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        req.add_header("content-type", "application/json")
        for k, v in self._headers(headers, auth).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def http(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        *,
        auth: bool = True,
    ) -> HttpResponse:
        """One raw HTTP exchange that does not follow redirects (for pages and forms), as
        the admin unless ``auth=False`` or ``headers`` say who."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=self._headers(headers, auth))
            r = conn.getresponse()
            raw = r.read()
            got = r.getheaders()
            jar = [v for k, v in got if k.lower() == "set-cookie"]
            return HttpResponse(r.status, {k.lower(): v for k, v in got}, raw, jar)
        finally:
            conn.close()

    def form(
        self,
        path: str,
        fields: dict[str, str],
        headers: dict[str, str] | None = None,
        *,
        auth: bool = True,
    ) -> HttpResponse:
        """POST a URL-encoded form, as a browser does (a browser brings cookies and the
        form's CSRF field; with ``auth`` the admin's bearer token stands for both)."""
        body = urllib.parse.urlencode(fields)
        h = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.http("POST", path, body, h, auth=auth)

    def links(self, forum_id: str) -> dict[str, str]:
        """The forum's current token per role (``participant``, ``facilitator``,
        ``viewer``), from the admin API."""
        status, links = self.request("GET", f"/api/forums/{forum_id}/links")
        assert status == 200, links
        return {link["role"]: link["token"] for link in links}

    def new_forum(self, kind: str = "sos", name: str = "Test forum") -> dict[str, Any]:
        status, forum = self.request("POST", "/api/forums", {"name": name, "kind": kind})
        assert status == 201, forum
        return dict(forum)

    def board(self, forum_id: str) -> dict[str, Any]:
        status, board = self.request("GET", f"/api/forums/{forum_id}")
        assert status == 200, board
        return dict(board)


class HttpResponse:
    """What ``ServerProcess.http`` got back; header names are lower case."""

    def __init__(
        self, status: int, headers: dict[str, str], raw: bytes, set_cookies: list[str] | None = None
    ) -> None:
        self.status = status
        self.headers = headers
        self.raw = raw
        self.set_cookies = set_cookies or []  # every Set-Cookie (``headers`` keeps the last)

    def cookie(self, name: str) -> str | None:
        """The ``name=value`` pair of the cookie ``name`` this response sets."""
        for header in self.set_cookies:
            pair = header.split(";", 1)[0]
            if pair.startswith(name + "="):
                return pair
        return None

    @property
    def text(self) -> str:
        return self.raw.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.raw)


def column_order(board: dict[str, Any]) -> dict[str, list[str]]:
    """Card ids per column, in order: what everyone must agree on."""
    return {col["id"]: list(col["card_ids"]) for col in board["columns"]}


class LiveClient:
    """A websocket client of one forum that records everything it receives."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        self.seq = 0
        self.epoch: str | None = None
        self._counter = 0
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        hello: bool = True,
        last_seq: int | None = None,
        epoch: str | None = None,
        **kwargs: Any,
    ) -> LiveClient:
        ws = await websockets.connect(url, compression=None, max_size=2**24, **kwargs)
        client = cls(ws)
        if hello:
            await client.hello(last_seq, epoch)
        return client

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                self.received.append(msg)
                if msg["type"] == "welcome":
                    self.seq = msg["seq"]
                    self.epoch = msg["epoch"]
                elif msg["type"] == "batch":
                    for item in msg["items"]:
                        if item["seq"] > self.seq:
                            self.seq = item["seq"]
                await self._inbox.put(msg)
        except websockets.ConnectionClosed:
            pass

    async def hello(self, last_seq: int | None = None, epoch: str | None = None) -> dict[str, Any]:
        await self.send_json({"type": "hello", "last_seq": last_seq, "epoch": epoch})
        return await self.expect("welcome")

    async def send_json(self, msg: Any) -> None:
        await self.ws.send(json.dumps(msg))

    def next_id(self) -> str:
        self._counter += 1
        return f"{id(self):x}-{self._counter}"

    async def op(self, op: dict[str, Any], op_id: str | None = None) -> str:
        """Send an operation; returns its op id (answers arrive through ``expect``)."""
        op_id = op_id or self.next_id()
        await self.send_json({"type": "op", "id": op_id, "op": op})
        return op_id

    async def answer(self, op_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The ack or reject for ``op_id``."""
        return await self.expect(
            ("ack", "reject"), match=lambda m: m.get("id") == op_id, timeout=timeout
        )

    async def answers(self, op_ids: list[str], timeout: float = 15.0) -> list[dict[str, Any]]:
        """The ack or reject of every op id, in the order of ``op_ids``, whatever order
        they arrived in (read from ``received``, so ``expect`` may have passed them)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = {m["id"]: m for m in self.received if m["type"] in ("ack", "reject")}
            if all(i in found for i in op_ids):
                return [found[i] for i in op_ids]
            if asyncio.get_running_loop().time() > deadline:
                missing = [i for i in op_ids if i not in found]
                raise TimeoutError(f"no answer for {len(missing)} ops, e.g. {missing[:3]}")
            await asyncio.sleep(0.01)

    async def call(self, op: dict[str, Any], op_id: str | None = None) -> dict[str, Any]:
        return await self.answer(await self.op(op, op_id))

    async def expect(
        self,
        types: str | Iterable[str],
        *,
        match: Any = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """Wait for the next message of these types (others are kept in ``received``)."""
        wanted = {types} if isinstance(types, str) else set(types)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"no {wanted} within {timeout}s; got {self.received[-5:]}")
            msg = await asyncio.wait_for(self._inbox.get(), left)
            if msg["type"] in wanted and (match is None or match(msg)):
                return msg

    async def wait_seq(self, seq: int, timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while self.seq < seq:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"seq {self.seq} < {seq}")
            await asyncio.sleep(0.01)

    def items(self) -> list[dict[str, Any]]:
        """Every item received (welcome deltas and batches), in arrival order."""
        out: list[dict[str, Any]] = []
        for msg in self.received:
            if msg["type"] in ("welcome", "batch"):
                out.extend(msg["items"])
        return out

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


class EventBoard:
    """A client's copy of a board built only from the events it received (SPEC R5, R17).

    It starts from a board as the API returns it and places cards by ``column`` and
    ``rank`` exactly as a client must, so ``column_order()`` can be compared with the
    server's board.
    """

    def __init__(self, board: dict[str, Any]) -> None:
        self.seq = int(board["seq"])
        self.columns: list[str] = [c["id"] for c in board["columns"]]
        self.cards: dict[str, dict[str, Any]] = {k: dict(v) for k, v in board["cards"].items()}

    def apply(self, items: Iterable[dict[str, Any]]) -> EventBoard:
        for item in items:
            if item["seq"] <= self.seq:
                continue  # already held (a client ignores repeats)
            assert item["seq"] == self.seq + 1, f"gap: {self.seq} then {item['seq']}"
            self.seq = item["seq"]
            for event in item["events"]:
                self._event(event)
        return self

    def _event(self, e: dict[str, Any]) -> None:
        kind = e["type"]
        if kind in ("card_added", "card_edited", "card_archived", "card_restored"):
            self.cards[e["card"]["id"]] = dict(e["card"])
        elif kind == "card_moved":
            card = self.cards[e["card_id"]]
            card["column"], card["rank"] = e["column"], e["rank"]
        elif kind == "column_reranked":
            for card_id, rank in e["ranks"].items():
                self.cards[card_id]["rank"] = rank
        elif kind == "column_added":
            self.columns.insert(e["index"], e["column"]["id"])
        elif kind == "column_moved":
            self.columns.remove(e["column_id"])
            self.columns.insert(e["index"], e["column_id"])
        elif kind == "column_removed":
            self.columns.remove(e["column_id"])
            for card_id in e.get("rehomed", ()):  # its archived cards (SPEC R39)
                self.cards[card_id]["column"] = e["home"]

    def column_order(self) -> dict[str, list[str]]:
        """Card ids per column, ordered by rank: what the page would show."""
        out: dict[str, list[str]] = {c: [] for c in self.columns}
        live = [c for c in self.cards.values() if not c["archived"]]
        for card in sorted(live, key=lambda c: c["rank"]):
            out[card["column"]].append(card["id"])
        return out


# -- live test helpers -------------------------------------------------------------------


async def connect(server: ServerProcess, forum: dict[str, Any], n: int = 1) -> list[LiveClient]:
    """``n`` clients of ``forum``, each welcomed."""
    return [await LiveClient.connect(server.ws_url(forum["id"])) for _ in range(n)]


async def close_all(clients: list[LiveClient]) -> None:
    await asyncio.gather(*(c.close() for c in clients))


async def add_cards(client: LiveClient, n: int, prefix: str = "Card") -> list[str]:
    """Add ``n`` cards one by one to column ``new``; returns their ids (``c<seq>``)."""
    ids = []
    for i in range(n):
        answer = await client.call({"type": "add_card", "column": "new", "title": f"{prefix} {i}"})
        assert answer["type"] == "ack", answer
        ids.append(f"c{answer['seq']}")
    return ids


async def barrier(sender: LiveClient, others: list[LiveClient]) -> dict[str, Any]:
    """A valid op from ``sender`` that every client then holds: everything sent before
    it has been handled, so what the others received up to it is all they will get."""
    answer = await sender.call({"type": "add_column", "title": "Barrier"})
    assert answer["type"] == "ack", answer
    for c in others:
        await c.wait_seq(answer["seq"])
    return answer


async def on_disk(client: LiveClient) -> None:
    """Wait until everything ``client``'s forum accepted so far (all it has seen) is
    committed: the ack of an op of its own comes only then, even of one that changes
    nothing (SPEC R8a). The op is releasing the facilitator's focus, which nobody set."""
    answer = await client.call({"type": "set_focus", "target": None})
    assert answer["type"] == "ack", answer


def name_cookie(server: ServerProcess, name: str) -> dict[str, str]:
    """The cookies of a browser that picked ``name`` at /name, as a request header. One
    browser per name and server (SPEC R40: the person cookie is who someone is), so a
    test's "Ana" is the same person on every call; ``new_browser`` makes another."""
    known = server.browsers.get(name)
    if known is None:
        known = server.browsers[name] = new_browser(server, name)
    return dict(known)


def new_browser(server: ServerProcess, name: str, person: str | None = None) -> dict[str, str]:
    """A browser of its own (a new person, or the one of the ``person`` cookie pair) that
    picked ``name`` at /name: its name and person cookies, as a request header."""
    if person is None:  # a browser's first request gets its person cookie (R40)
        first = server.http("GET", "/healthz", auth=False)
        person = first.cookie("sb_person")
        assert person is not None, first.set_cookies
    r = server.form("/name", {"name": name, "next": "/"})
    assert r.status == 303, r.text
    pair = r.cookie("sb_name")
    assert pair is not None, r.set_cookies
    return {"cookie": f"{pair}; {person}"}


async def live_as(
    server: ServerProcess, forum_id: str, name: str, role: str | None = None
) -> LiveClient:
    """A live client of the forum with a display name (its ops are logged under it),
    through ``role``'s link (``None``: the admin's)."""
    token = server.links(forum_id)[role] if role is not None else None
    return await LiveClient.connect(
        server.ws_url(forum_id, token), additional_headers=name_cookie(server, name)
    )


async def ack(client: LiveClient, op: dict[str, Any]) -> int:
    """Send ``op``, assert it is acknowledged, return its seq."""
    answer = await client.call(op)
    assert answer["type"] == "ack", answer
    return int(answer["seq"])
