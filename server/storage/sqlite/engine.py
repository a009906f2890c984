"""The SQLite engine: one file, a group-committing writer and a reader connection.

Writes go through the shared writer task (``server/storage/group.py``: group commit
and the per-forum seq guard); here each group becomes one SQLite transaction (WAL,
``synchronous=FULL``), so an acknowledged operation is on disk and a burst costs one
fsync, not one per move. Reads use a second connection; WAL lets them run beside the
writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import aiosqlite

from server.storage.group import GroupCommit, ops_first, runs
from server.storage.sqlite.rows import SQL
from server.storage.sqlite.schema import INSERT_OP, SCHEMA
from server.storage.stmt import Write


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

    async def _transaction(self, writes: list[Write]) -> None:
        """One transaction: the op rows, then the other rows, then ``COMMIT``.

        Each aiosqlite call is a round trip between the loop and the connection's
        thread (~60 µs of CPU), and a commit made of separate calls paid it three or
        four times. aiosqlite runs every call through ``Connection._execute``; when it
        has one, the whole transaction goes to the thread as one call.
        """
        db = self._db
        op_rows, other = ops_first(writes)
        groups = [(SQL[stmt], group) for stmt, group in runs(other)]
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

    # -- reading ------------------------------------------------------------------

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows = await self._read.execute_fetchall(sql, params)
        return [tuple(r) for r in rows]

    async def meta(self, key: str) -> str | None:
        rows = await self.fetch("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0][0] if rows else None


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
