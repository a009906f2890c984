"""The SQLite store: an operation log per forum, snapshots, and tables for review.

Writes go through one writer task that group-commits: everything queued while the
previous commit ran becomes one transaction (WAL, ``synchronous=FULL``), so an
acknowledged operation is on disk and a burst costs one fsync, not one per move.
Reads use a second connection; WAL lets them run beside the writer.

A forum's board is rebuilt from its latest snapshot plus the operations after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import aiosqlite
import msgspec

from board.access import ROLES
from board.log import LoggedOp
from board.model import Board, Team
from board.ops import Op
from board.sync import REMEMBERED_OPS
from server.storage.records import ForumRow, Loaded, StoreError

log = logging.getLogger("scaleboard.store")

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS teams(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, colour TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS forums(
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0, live_cards INTEGER NOT NULL DEFAULT 0,
    session_id TEXT);
CREATE TABLE IF NOT EXISTS ops(
    forum_id TEXT NOT NULL, seq INTEGER NOT NULL, op_id TEXT, actor TEXT NOT NULL,
    at REAL NOT NULL, op BLOB NOT NULL,
    PRIMARY KEY(forum_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots(
    forum_id TEXT NOT NULL, seq INTEGER NOT NULL, board BLOB NOT NULL,
    PRIMARY KEY(forum_id, seq));
CREATE TABLE IF NOT EXISTS sessions(
    id TEXT PRIMARY KEY, forum_id TEXT NOT NULL, number INTEGER NOT NULL,
    started_at REAL NOT NULL, started_by TEXT NOT NULL, start_seq INTEGER NOT NULL,
    ended_at REAL, ended_by TEXT, end_seq INTEGER,
    participants TEXT NOT NULL DEFAULT '[]',
    decisions INTEGER NOT NULL DEFAULT 0, next_steps INTEGER NOT NULL DEFAULT 0,
    board BLOB);
CREATE INDEX IF NOT EXISTS sessions_by_forum ON sessions(forum_id, number);
CREATE TABLE IF NOT EXISTS decisions(
    forum_id TEXT NOT NULL, id TEXT NOT NULL, session_id TEXT NOT NULL,
    text TEXT NOT NULL, at REAL NOT NULL, by TEXT NOT NULL, card_ids TEXT NOT NULL,
    PRIMARY KEY(forum_id, id));
CREATE INDEX IF NOT EXISTS decisions_by_session ON decisions(session_id);
CREATE TABLE IF NOT EXISTS next_steps(
    forum_id TEXT NOT NULL, id TEXT NOT NULL, session_id TEXT NOT NULL,
    text TEXT NOT NULL, owner TEXT NOT NULL, due TEXT, status TEXT NOT NULL,
    created_at REAL NOT NULL, created_by TEXT NOT NULL,
    updated_at REAL NOT NULL, updated_by TEXT NOT NULL, card_ids TEXT NOT NULL,
    PRIMARY KEY(forum_id, id));
CREATE INDEX IF NOT EXISTS next_steps_by_session ON next_steps(session_id);
CREATE TABLE IF NOT EXISTS forum_tokens(
    forum_id TEXT NOT NULL, role TEXT NOT NULL, token TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY(forum_id, role));
CREATE UNIQUE INDEX IF NOT EXISTS forum_tokens_by_token ON forum_tokens(token);
CREATE TABLE IF NOT EXISTS forum_links(
    forum_id TEXT NOT NULL, relation TEXT NOT NULL, target_id TEXT NOT NULL,
    PRIMARY KEY(forum_id, relation));
-- Which teams a Scrum of Scrums serves (many per forum, so not in forum_links, which
-- holds one target per relation): server/network_queries.py.
CREATE TABLE IF NOT EXISTS forum_teams(
    forum_id TEXT NOT NULL, team_id TEXT NOT NULL, PRIMARY KEY(forum_id, team_id));
"""

INSERT_OP: Final = "INSERT INTO ops(forum_id, seq, op_id, actor, at, op) VALUES (?,?,?,?,?,?)"

Row = tuple[str, Sequence[Any]]

_op_decoder = msgspec.json.Decoder(Op)
_board_decoder = msgspec.json.Decoder(Board)
_encoder = msgspec.json.Encoder()


class _Job:
    __slots__ = ("first_seq", "forum_id", "future", "last_seq", "rows")

    def __init__(
        self,
        rows: list[Row],
        future: asyncio.Future[None],
        forum_id: str | None,
        first_seq: int,
        last_seq: int,
    ) -> None:
        self.rows = rows
        self.future = future
        self.forum_id = forum_id
        self.first_seq = first_seq
        self.last_seq = last_seq


def encode(value: Any) -> bytes:
    return _encoder.encode(value)


def op_row(forum_id: str, entry: LoggedOp) -> Row:
    return INSERT_OP, (forum_id, entry.seq, entry.op_id, entry.actor, entry.at, encode(entry.op))


def snapshot_row(board: Board) -> Row:
    return (
        "INSERT OR REPLACE INTO snapshots(forum_id, seq, board) VALUES (?,?,?)",
        (board.forum_id, board.seq, encode(board)),
    )


def forum_summary_row(board: Board, at: float) -> Row:
    live = sum(len(c.card_ids) for c in board.columns)
    session_id = board.session.id if board.session else None
    return (
        "UPDATE forums SET name=?, seq=?, updated_at=?, live_cards=?, session_id=? WHERE id=?",
        (board.name, board.seq, at, live, session_id, board.forum_id),
    )


def forum_token_rows(forum_id: str, at: float) -> list[Row]:
    """A new, unguessable token for each role of a new forum (see ``server/access.py``)."""
    return [
        (
            "INSERT INTO forum_tokens(forum_id, role, token, created_at) VALUES (?,?,?,?)",
            (forum_id, role, secrets.token_urlsafe(24), at),
        )
        for role in ROLES
    ]


def new_forum_rows(board: Board, at: float) -> list[Row]:
    """Every row of a new forum: the forum, its first snapshot, its role tokens."""
    return [
        (
            "INSERT INTO forums(id, kind, name, created_at, updated_at, seq) VALUES (?,?,?,?,?,?)",
            (board.forum_id, board.kind, board.name, at, at, board.seq),
        ),
        snapshot_row(board),
        forum_summary_row(board, at),
        *forum_token_rows(board.forum_id, at),
    ]


def forum_link_row(forum_id: str, relation: str, target_id: str | None) -> Row:
    """Set (or, with ``None``, clear) one relation of a forum."""
    if target_id is None:
        return "DELETE FROM forum_links WHERE forum_id=? AND relation=?", (forum_id, relation)
    return (
        "INSERT OR REPLACE INTO forum_links(forum_id, relation, target_id) VALUES (?,?,?)",
        (forum_id, relation, target_id),
    )


def team_row(team: Team, position: int) -> Row:
    return (
        "INSERT OR REPLACE INTO teams(id, name, colour, position) VALUES (?,?,?,?)",
        (team.id, team.name, team.colour, position),
    )


class Store:
    """One SQLite file: a group-committing writer and a reader connection."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._db = writer
        self._read = reader
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._committed: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self.commits = 0  # transactions committed (for tests and the benchmark)

    @classmethod
    async def open(cls, path: Path) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await aiosqlite.connect(path)
        await writer.execute("PRAGMA journal_mode=WAL")
        await writer.execute("PRAGMA synchronous=FULL")
        await writer.execute("PRAGMA busy_timeout=5000")
        await writer.executescript(SCHEMA)
        await writer.commit()
        reader = await aiosqlite.connect(path)
        await reader.execute("PRAGMA busy_timeout=5000")
        await reader.execute("PRAGMA query_only=1")
        store = cls(path, writer, reader)
        store._task = asyncio.get_running_loop().create_task(store._writer(), name="store-writer")
        return store

    async def close(self) -> None:
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
            self._task = None
        await self._read.close()
        await self._db.close()

    # -- writing ------------------------------------------------------------------

    def write(
        self, rows: list[Row], *, forum_id: str | None = None, seqs: tuple[int, int] = (0, 0)
    ) -> asyncio.Future[None]:
        """Queue rows for the next transaction; the future resolves once they are durable.

        ``seqs`` is the range of op seqs these rows log for ``forum_id``; the writer
        refuses a range that does not follow the last one it committed, so a room
        that failed once cannot commit later operations over a gap.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(rows, future, forum_id, seqs[0], seqs[1]))
        return future

    async def _writer(self) -> None:
        queue = self._queue
        stopping = False
        while not stopping:
            job = await queue.get()
            jobs: list[_Job] = []
            while True:
                if job is None:
                    stopping = True
                else:
                    jobs.append(job)
                if queue.empty():
                    break
                job = queue.get_nowait()
            if jobs:
                await self._commit(jobs)

    async def _commit(self, jobs: list[_Job]) -> None:
        committed = dict(self._committed)
        accepted: list[_Job] = []
        for job in jobs:
            if job.forum_id is not None and job.first_seq:
                last = committed.get(job.forum_id)
                if last is not None and job.first_seq != last + 1:
                    _fail(
                        job, StoreError(f"seq gap in {job.forum_id}: {last} then {job.first_seq}")
                    )
                    continue
                committed[job.forum_id] = job.last_seq
            accepted.append(job)
        if not accepted:
            return
        op_rows = [params for job in accepted for sql, params in job.rows if sql is INSERT_OP]
        other = [row for job in accepted for row in job.rows if row[0] is not INSERT_OP]
        try:
            await self._write(op_rows, other)
        except Exception as e:
            log.exception("commit failed")
            with contextlib.suppress(Exception):
                await self._db.rollback()
            for job in accepted:
                _fail(job, StoreError(f"could not write to the database: {e}"))
            return
        self._committed = committed
        self.commits += 1
        for job in accepted:
            if not job.future.done():
                job.future.set_result(None)

    async def _write(self, op_rows: list[Sequence[Any]], other: list[Row]) -> None:
        """One transaction: the op rows, then the other rows, then ``COMMIT``.

        Each aiosqlite call is a round trip between the loop and the connection's
        thread (~60 µs of CPU), and a commit made of separate calls paid it three or
        four times. aiosqlite runs every call through ``Connection._execute``; when it
        has one, the whole transaction goes to the thread as one call.
        """
        db = self._db
        groups = list(_runs(other))
        execute = getattr(db, "_execute", None)
        if execute is not None:
            await execute(lambda: _write_all(db._conn, op_rows, groups))
            return
        try:  # pragma: no cover - an aiosqlite without _execute: public calls
            if op_rows:
                await db.executemany(INSERT_OP, op_rows)
            for sql, group in groups:
                await db.executemany(sql, group)
            await db.commit()
        except BaseException:  # pragma: no cover
            await db.rollback()
            raise

    def forget(self, forum_id: str) -> None:
        """Drop the seq guard of a forum whose room will be reloaded from disk."""
        self._committed.pop(forum_id, None)

    # -- reading ------------------------------------------------------------------

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows = await self._read.execute_fetchall(sql, params)
        return [tuple(r) for r in rows]

    async def meta(self, key: str) -> str | None:
        rows = await self.fetch("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0][0] if rows else None

    async def secret(self) -> str:
        """The instance's signing secret, made on first use."""
        value = await self.meta("secret")
        if value is None:
            value = secrets.token_urlsafe(32)
            await self.write(
                [("INSERT OR IGNORE INTO meta(key, value) VALUES (?,?)", ("secret", value))]
            )
            value = await self.meta("secret")
            assert value is not None
        return value

    async def is_new(self) -> bool:
        rows = await self.fetch("SELECT count(*) FROM forums")
        return bool(rows[0][0] == 0 and await self.meta("seeded") is None)

    async def teams(self) -> list[Team]:
        rows = await self.fetch("SELECT id, name, colour FROM teams ORDER BY position, name")
        return [Team(id=r[0], name=r[1], colour=r[2]) for r in rows]

    async def forums(self) -> list[ForumRow]:
        rows = await self.fetch(
            "SELECT id, kind, name, created_at, updated_at, seq, live_cards, session_id "
            "FROM forums ORDER BY created_at, name"
        )
        return [ForumRow(*r) for r in rows]

    async def forum_link(self, forum_id: str, relation: str) -> str | None:
        """The forum ``forum_id`` is linked to by ``relation`` (``escalates_to``), if set."""
        rows = await self.fetch(
            "SELECT target_id FROM forum_links WHERE forum_id=? AND relation=?",
            (forum_id, relation),
        )
        return rows[0][0] if rows else None

    async def forum(self, forum_id: str) -> ForumRow | None:
        rows = await self.fetch(
            "SELECT id, kind, name, created_at, updated_at, seq, live_cards, session_id "
            "FROM forums WHERE id=?",
            (forum_id,),
        )
        return ForumRow(*rows[0]) if rows else None

    async def load(self, forum_id: str) -> Loaded | None:
        """The forum's board (latest snapshot + later ops), or ``None`` if unknown."""
        from board.replay import board_after  # local: keeps the import graph one-way

        snap = await self.fetch(
            "SELECT seq, board FROM snapshots WHERE forum_id=? ORDER BY seq DESC LIMIT 1",
            (forum_id,),
        )
        if not snap:
            return None
        board = _board_decoder.decode(snap[0][1])
        rows = await self.fetch(
            "SELECT seq, op_id, actor, at, op FROM ops WHERE forum_id=? AND seq>? ORDER BY seq",
            (forum_id, board.seq),
        )
        board = board_after(board, [_logged(r) for r in rows])
        recent = await self.fetch(
            "SELECT op_id, seq FROM ops WHERE forum_id=? AND op_id IS NOT NULL "
            "ORDER BY seq DESC LIMIT ?",
            (forum_id, REMEMBERED_OPS),
        )
        self._committed[forum_id] = board.seq
        return Loaded(board=board, known_op_ids={r[0]: r[1] for r in reversed(recent)})

    async def board_at(self, forum_id: str, seq: int) -> Board:
        """The forum's board right after op ``seq``: the latest snapshot at or before it,
        then the logged ops after that snapshot. ``LookupError`` says why it cannot."""
        from board.replay import ReplayError, board_after  # local: keeps the graph one-way

        snap = await self.fetch(
            "SELECT board FROM snapshots WHERE forum_id=? AND seq<=? ORDER BY seq DESC LIMIT 1",
            (forum_id, seq),
        )
        if not snap:
            raise LookupError(f"No stored board of this forum goes back to operation {seq}.")
        board = _board_decoder.decode(snap[0][0])
        ops = await self.ops(forum_id, board.seq + 1, seq)
        try:
            return board_after(board, ops, end=seq)
        except ReplayError as e:
            if e.problem == "gap":
                raise LookupError(f"The operations before {seq} are not all stored here.") from None
            raise LookupError(f"The log of this forum does not replay: {e}") from None

    async def ops(self, forum_id: str, first: int, last: int) -> list[LoggedOp]:
        rows = await self.fetch(
            "SELECT seq, op_id, actor, at, op FROM ops "
            "WHERE forum_id=? AND seq BETWEEN ? AND ? ORDER BY seq",
            (forum_id, first, last),
        )
        return [_logged(r) for r in rows]

    async def op_count(self, forum_id: str) -> int:
        rows = await self.fetch("SELECT count(*) FROM ops WHERE forum_id=?", (forum_id,))
        return int(rows[0][0])


def decode_board(data: bytes) -> Board:
    return _board_decoder.decode(data)


def _logged(row: tuple[Any, ...]) -> LoggedOp:
    seq, op_id, actor, at, op = row
    return LoggedOp(seq=seq, op_id=op_id, actor=actor, at=at, op=_op_decoder.decode(op))


def _write_all(
    conn: sqlite3.Connection,
    op_rows: list[Sequence[Any]],
    groups: list[tuple[str, list[Sequence[Any]]]],
) -> None:
    """One transaction, on the writer's thread: the op rows, then the other rows."""
    try:
        if op_rows:
            conn.executemany(INSERT_OP, op_rows)
        for sql, group in groups:
            conn.executemany(sql, group)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _fail(job: _Job, error: Exception) -> None:
    if not job.future.done():
        job.future.set_exception(error)


def _runs(rows: Iterable[Row]) -> Iterable[tuple[str, list[Sequence[Any]]]]:
    """Consecutive rows with the same statement, grouped for ``executemany``."""
    current: str | None = None
    group: list[Sequence[Any]] = []
    for sql, params in rows:
        if sql != current and group:
            assert current is not None
            yield current, group
            group = []
        current = sql
        group.append(params)
    if group and current is not None:
        yield current, group
