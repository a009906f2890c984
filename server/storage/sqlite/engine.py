"""The SQLite engine: one file, a group-committing writer and a reader connection.

Writes go through the shared writer task (``server/storage/group.py``: group commit
and the per-forum seq guard); here each group becomes one SQLite transaction (WAL,
``synchronous=FULL``), so an acknowledged operation is on disk and a burst costs one
fsync, not one per move. Reads use a second connection; WAL lets them run beside the
writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from server.storage.group import GroupCommit, Job, fences, ops_first, runs, split
from server.storage.sqlite.rows import SQL
from server.storage.sqlite.schema import INSERT_OP, SCHEMA, missing_columns
from server.storage.stmt import Write

T = TypeVar("T")


class Engine(GroupCommit):
    """One SQLite file: a group-committing writer and a reader connection."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        super().__init__()
        self.path = path
        self._db = writer
        self._read = reader

    @classmethod
    async def open(cls, path: Path) -> Self:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await aiosqlite.connect(path)
        try:  # not a database, a disk error: its thread must end, or the process hangs
            await writer.execute("PRAGMA journal_mode=WAL")
            await writer.execute("PRAGMA synchronous=FULL")
            await writer.execute("PRAGMA busy_timeout=5000")
            await writer.executescript(SCHEMA)
            present = {r[1] for r in await writer.execute_fetchall("PRAGMA table_info(forums)")}
            for alter in missing_columns(present):
                await writer.execute(alter)
            in_ops = {r[1] for r in await writer.execute_fetchall("PRAGMA table_info(ops)")}
            for alter in missing_columns(in_ops, "ops"):
                await writer.execute(alter)
            await writer.commit()
            reader = await aiosqlite.connect(path)
        except BaseException:
            await writer.close()
            raise
        await reader.execute("PRAGMA busy_timeout=5000")
        await reader.execute("PRAGMA query_only=1")
        engine = cls(path, writer, reader)
        engine.start()
        return engine

    async def close(self) -> None:
        await self.stop()
        await self._read.close()
        await self._db.close()

    # -- writing ------------------------------------------------------------------

    async def _transaction(self, jobs: list[Job]) -> list[Job]:
        """One transaction: the fence (owner epochs), the op rows, then the other rows,
        then ``COMMIT``.

        Each aiosqlite call is a round trip between the loop and the connection's
        thread (~60 µs of CPU), and a commit made of separate calls paid it three or
        four times. aiosqlite runs every call through ``Connection._execute``, and the
        whole transaction goes to the thread as one call.
        """
        return await self.on_writer(lambda conn: _write_all(conn, jobs))

    async def on_writer(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the writer's thread, between two commits (it commits itself)."""
        db = self._db
        result: T = await db._execute(fn, db._conn)
        return result

    # -- reading ------------------------------------------------------------------

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows = await self._read.execute_fetchall(sql, params)
        return [tuple(r) for r in rows]

    async def meta(self, key: str) -> str | None:
        rows = await self.fetch("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0][0] if rows else None


def _write_all(conn: sqlite3.Connection, jobs: list[Job]) -> list[Job]:
    """One transaction, on the writer's thread: the owner epochs of the fenced forums
    (read after ``BEGIN IMMEDIATE`` took the file's write lock, so no claim comes in
    between), then the op rows, then the other rows. Returns the jobs fenced off."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        stale: list[Job] = []
        writes: list[Write] = [w for j in jobs for w in j.writes]
        fenced = fences(jobs)
        if fenced:
            marks = ",".join("?" * len(fenced))
            rows = conn.execute(
                f"SELECT id, owner_epoch FROM forums WHERE id IN ({marks})", fenced
            ).fetchall()
            stale, writes = split(jobs, {r[0]: r[1] for r in rows})
        op_rows, other = ops_first(writes)
        if op_rows:
            conn.executemany(INSERT_OP, op_rows)
        for stmt, group in runs(other):
            conn.executemany(SQL[stmt], group)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return stale
