"""``scaleboard migrate``: a live instance on a SQLite file moves to PostgreSQL (the test
database, ``tests/pg.py``) and back, as real processes: the same boards, sessions,
decisions, next steps and network; the old role links, cookies and admin token work;
every table holds the same rows on both sides. A non-empty target is refused without
``--force``, a corrupt source fails the verification (exit 1), bad input is one line."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from board import ops as o
from board.log import Accepted, Item
from server.demo import seed_demo
from server.storage import open_storage
from server.storage.postgres.schema import MIGRATIONS
from server.storage.sqlite.schema import SCHEMA
from tests.pg import Schemas
from tests.support import ROOT, ServerProcess

Rows = dict[str, list[tuple[tuple[str, Any], ...]]]


@pytest.fixture
async def schemas() -> AsyncIterator[Schemas]:
    made = Schemas()
    try:
        yield made
    finally:
        await made.drop()


def migrate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``scaleboard migrate`` as the operator runs it."""
    command = [sys.executable, "-m", "server", "migrate", *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


async def rows_of(where: str | Path) -> tuple[dict[str, int], Rows]:
    """Rows per table, and every row (as column -> value pairs, sorted) of every table."""
    storage = await open_storage(where)
    try:
        counts = await storage.transfer.counts()
        rows: Rows = {table: [] for table in counts}
        async for chunk in storage.transfer.read_all(batch=97):
            rows[chunk.table] += [
                tuple(sorted(zip(chunk.columns, r, strict=True))) for r in chunk.rows
            ]
    finally:
        await storage.close()
    return counts, {t: sorted(r, key=repr) for t, r in rows.items()}


def schema_tables() -> set[str]:
    """Every table the two engines' schemas create (except PostgreSQL's bookkeeping)."""
    found = set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", SCHEMA))
    pg = set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", "\n".join(MIGRATIONS)))
    assert found == pg, (found, pg)
    return found


async def assert_same_rows(a: str | Path, b: str | Path) -> dict[str, int]:
    counts_a, rows_a = await rows_of(a)
    counts_b, rows_b = await rows_of(b)
    assert set(counts_a) == schema_tables()  # nothing in the schema goes unread
    assert counts_a == counts_b
    for table in counts_a:
        assert rows_a[table] == rows_b[table], table
    return counts_a


def api(server: ServerProcess, path: str, body: Any = None, method: str = "GET") -> Any:
    status, out = server.request(method if body is None else "POST", path, body)
    assert status in (200, 201), (path, status, out)
    return out


def activity(server: ServerProcess) -> None:
    """What a network does in a week: cards, a session with a decision and next steps,
    an escalation, a new forum."""
    sos = "sos-commerce"
    for i in range(3):
        api(
            server,
            f"/api/forums/{sos}/ops",
            {"op": {"type": "add_card", "column": "new", "title": f"Blocked {i}"}},
        )
    card = f"c{server.board(sos)['seq']}"
    participant = server.links(sos)["participant"]
    status, _ = server.request(
        "POST",
        f"/api/forums/{sos}/cards/{card}/escalate",
        headers={"authorization": f"Bearer {participant}"},
    )
    assert status == 201
    for op in (
        {"type": "start_session"},
        {"type": "record_decision", "text": "Move to PostgreSQL", "cards": [card]},
        {"type": "add_next_step", "text": "Plan the move", "owner": "Maya", "due": "2030-01-02"},
    ):
        api(server, f"/api/forums/{sos}/ops", {"op": op})
    step = f"s{server.board(sos)['seq']}"
    api(
        server,
        f"/api/forums/{sos}/ops",
        {"op": {"type": "update_next_step", "step": step, "status": "done"}},
    )
    api(server, f"/api/forums/{sos}/ops", {"op": {"type": "end_session"}})
    api(server, "/api/forums", {"name": "Late forum", "kind": "sos"})


def state_of(server: ServerProcess) -> dict[str, Any]:
    """Everything the API says about the network, as the admin."""
    forums = api(server, "/api/forums")
    state: dict[str, Any] = {"forums": forums, "network": api(server, "/api/network")}
    state["teams"] = api(server, "/api/teams")
    state["decisions"] = api(server, "/api/decisions?limit=200")
    state["next_steps"] = api(server, "/api/next-steps?limit=200")
    for forum in forums:
        fid = forum["id"]
        state[fid] = server.board(fid)
        sessions = api(server, f"/api/forums/{fid}/sessions")
        state[f"{fid}/sessions"] = [api(server, f"/api/sessions/{s['id']}") for s in sessions]
        state[f"{fid}/escalates-to"] = server.request("GET", f"/api/forums/{fid}/escalates-to")
    return state


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def link_cookie(server: ServerProcess, page: str, token: str) -> str:
    r = server.http("GET", f"{page}?token={token}", auth=False)
    assert r.status == 303, r.text
    return r.headers["set-cookie"].split(";", 1)[0]


def on(db: str | Path, log: Path, admin: str) -> ServerProcess:
    """A server on ``db`` that brings no admin token of its own: ``admin`` is the one the
    store holds (the source's)."""
    server = ServerProcess(db, log_path=log, configured_admin=False)
    server.admin_token = admin
    return server.start()


async def test_a_live_instance_moves_to_postgresql_and_back(
    tmp_path: Path, schemas: Schemas
) -> None:
    source = tmp_path / "scaleboard.db"
    server = ServerProcess(source, demo=True).start()
    try:
        activity(server)
        before = state_of(server)
        tokens = {f["id"]: server.links(f["id"]) for f in before["forums"]}
        cookie = link_cookie(server, "/forums/retro-q4", tokens["retro-q4"]["viewer"])
        seen = server.http("GET", "/forums/retro-q4", headers={"cookie": cookie}, auth=False)
    finally:
        server.stop()
    latest = before["sos-commerce/sessions"][0]  # the activity is in it
    assert [d["text"] for d in latest["decision_list"]] == ["Move to PostgreSQL"]
    assert [(s["text"], s["status"]) for s in latest["step_list"]] == [("Plan the move", "done")]
    url = await schemas.url(tmp_path / "pg")

    moved = migrate("--from", source, "--to", url)
    assert moved.returncode == 0, moved.stderr
    # the demo's sessions: the SoS's, the EMS's decision (R59), the EAT's standard (R66),
    # the retrospective's vote (R73) and the activity's
    assert re.fullmatch(
        r"Migrated 9 forums, [\d,]+ ops, 5 sessions \([\d,]+ rows\) to postgresql://\S+ in "
        r"[\d.]+ s; every forum replays on the target to the source's board\.\n",
        moved.stdout,
    ), moved.stdout
    assert "copied: forums 9/9" in moved.stderr and "verifying: forums 9/9" in moved.stderr
    assert "Traceback" not in moved.stderr
    counts = await assert_same_rows(source, url)
    assert counts["forums"] == 9 and counts["forum_tokens"] == 36 and counts["decisions"] >= 1

    pg = on(url, tmp_path / "pg.log", server.admin_token)
    try:
        assert state_of(pg) == before  # the admin token works: every call above used it
        for forum_id, links in tokens.items():
            assert pg.links(forum_id) == links
            for role, token in links.items():  # the old role links (the room's: no bearer)
                if role == "room":
                    continue
                status, board = pg.request("GET", f"/api/forums/{forum_id}", headers=bearer(token))
                assert status == 200 and board == before[forum_id]
        again = pg.http("GET", "/forums/retro-q4", headers={"cookie": cookie}, auth=False)
        assert (again.status, again.headers.get("location")) == (
            seen.status,
            seen.headers.get("location"),
        )
        assert link_cookie(pg, "/forums/eat", tokens["eat"]["participant"])
        # The rooms go on from the copied logs.
        column = before["eat"]["columns"][0]["id"]
        added = api(
            pg,
            "/api/forums/eat/ops",
            {"op": {"type": "add_card", "column": column, "title": "On the cluster"}},
        )
        assert added["seq"] == before["eat"]["seq"] + 1
        after = state_of(pg)
    finally:
        pg.stop()
    assert "Traceback" not in pg.log()

    back = tmp_path / "back.db"
    returned = migrate("--from", url, "--to", back)
    assert returned.returncode == 0, returned.stderr
    await assert_same_rows(url, back)
    home = on(back, tmp_path / "back.log", server.admin_token)
    try:
        assert state_of(home) == after
    finally:
        home.stop()


async def seeded(path: Path) -> None:
    storage = await open_storage(path)
    try:
        await seed_demo(storage.forums)
    finally:
        await storage.close()


async def test_a_target_that_is_not_empty_is_refused_without_force(
    tmp_path: Path, schemas: Schemas
) -> None:
    source = tmp_path / "a.db"
    await seeded(source)
    url = await schemas.url(tmp_path / "pg")
    assert migrate("--from", source, "--to", url).returncode == 0
    other = tmp_path / "b.db"
    await seeded(other)  # another instance: other tokens, another secret
    refused = migrate("--from", other, "--to", url)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("The target postgresql://")
    assert "is not empty (" in refused.stderr and "8 forums" in refused.stderr
    assert "--force" in refused.stderr and refused.stderr.count("\n") == 1
    await assert_same_rows(source, url)  # untouched
    forced = migrate("--from", other, "--to", url, "--force")
    assert forced.returncode == 0, forced.stderr
    await assert_same_rows(other, url)  # replaced whole, nothing of the first left


async def test_a_corrupt_source_fails_the_verification(tmp_path: Path, schemas: Schemas) -> None:
    source = tmp_path / "corrupt.db"
    await seeded(source)
    storage = await open_storage(source)
    try:
        for forum_id, snapshot in (("eat", True), ("ems", False)):
            loaded = await storage.log.load(forum_id)
            assert loaded is not None
            seq = loaded.board.seq + 1
            bad = o.MoveCard(card="c9999", column="new", index=0)  # there is no such card
            item = Item(seq=seq, actor="x", at=1.0, op=bad, events=())
            board = msgspec.structs.replace(loaded.board, seq=seq)
            await storage.log.append(forum_id, [Accepted(item, board)], 1.0, snapshot=snapshot)
    finally:
        await storage.close()
    for target in (await schemas.url(tmp_path / "pg"), tmp_path / "copy.db"):
        failed = migrate("--from", source, "--to", target)
        assert failed.returncode == 1, failed.stderr
        assert "Verification failed" in failed.stderr and "Traceback" not in failed.stderr
        assert "forum eat does not replay on the target from its first snapshot" in failed.stderr
        assert "forum ems does not replay on the source" in failed.stderr
        assert "move_card" in failed.stderr and failed.stdout == ""


async def test_bad_input_is_one_line_and_no_traceback(tmp_path: Path, schemas: Schemas) -> None:
    source = tmp_path / "a.db"
    await seeded(source)
    empty = tmp_path / "empty.db"
    await (await open_storage(empty)).close()
    cases: dict[tuple[str | Path, ...], str] = {
        ("--from", tmp_path / "missing.db", "--to", tmp_path / "x.db"): "There is no database at",
        ("--from", empty, "--to", tmp_path / "x.db"): "holds nothing to copy",
        ("--from", source, "--to", source): "the same database",
        ("--from", source, "--to", "mysql://h/db"): "mysql:// is not a database",
        (
            "--from",
            source,
            "--to",
            "postgresql://postgres@127.0.0.1:1/none",
        ): "Could not open the target",
        ("--from", source, "--to", tmp_path / "dir" / ".." / "a.db"): "the same database",
    }
    for args, message in cases.items():
        r = migrate(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)
    not_db = tmp_path / "notes.txt"
    not_db.write_text("not a database\n" * 100)
    r = migrate("--from", not_db, "--to", tmp_path / "y.db")
    assert r.returncode == 2 and "Could not open the source" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
