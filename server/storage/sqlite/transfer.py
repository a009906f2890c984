"""The SQLite side of ``server.storage.transfer.Transfer``: every table of the file read
in one read transaction (rowid order, or key order for a ``WITHOUT ROWID`` table), and
chunks written in one ``BEGIN IMMEDIATE`` transaction, with connections of its own
beside the engine's (nothing else writes during a migration)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterable, AsyncIterator
from typing import Final

import aiosqlite

from board.model import Board
from server.storage.records import StoreError
from server.storage.sqlite.engine import Engine
from server.storage.transfer import BATCH, Chunk, chunks, in_order
from server.storage.writes import decode_board

_TABLES: Final = (
    "SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Table:
    """A table as the file's catalog describes it."""

    def __init__(self, name: str, columns: tuple[str, ...], order: str) -> None:
        self.name = name
        self.columns = columns
        self.order = order  # the ORDER BY that reads its rows in their order

    def select(self) -> str:
        cols = ", ".join(_quote(c) for c in self.columns)
        return f"SELECT {cols} FROM {_quote(self.name)} ORDER BY {self.order}"


async def _tables(conn: aiosqlite.Connection) -> dict[str, Table]:
    out: dict[str, Table] = {}
    for name, sql in await conn.execute_fetchall(_TABLES):
        info = list(await conn.execute_fetchall(f"PRAGMA table_info({_quote(name)})"))
        columns = tuple(str(r[1]) for r in info)
        if "WITHOUT ROWID" in str(sql).upper():
            keys = sorted((r[5], str(r[1])) for r in info if r[5])
            order = ", ".join(_quote(k) for _, k in keys)
        else:
            order = "rowid"
        out[name] = Table(name, columns, order)
    return {name: out[name] for name in in_order(list(out))}


class SqliteTransfer:
    """``Transfer`` on one SQLite file."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.engine.path)
        await conn.execute("PRAGMA busy_timeout=5000")
        return conn

    async def counts(self) -> dict[str, int]:
        conn = await self._connect()
        try:
            out: dict[str, int] = {}
            for name in await _tables(conn):
                rows = await conn.execute_fetchall(f"SELECT count(*) FROM {_quote(name)}")
                out[name] = int(next(iter(rows))[0])
            return out
        finally:
            await conn.close()

    async def read_all(self, batch: int = BATCH) -> AsyncIterator[Chunk]:
        conn = await self._connect()
        try:
            await conn.execute("BEGIN")  # one snapshot of the file for every table
            for table in (await _tables(conn)).values():
                cursor = await conn.execute(table.select())
                async for chunk in chunks(table.name, table.columns, cursor.fetchmany, batch):
                    yield chunk
                await cursor.close()
            await conn.rollback()
        finally:
            await conn.close()

    async def write_all(self, chunks: AsyncIterable[Chunk], *, replace: bool = False) -> int:
        conn = await self._connect()
        written = 0
        try:
            await conn.execute("PRAGMA synchronous=FULL")
            await conn.execute("BEGIN IMMEDIATE")
            tables = await _tables(conn)
            if replace:
                for name in tables:
                    await conn.execute(f"DELETE FROM {_quote(name)}")
            async for chunk in chunks:
                table = tables.get(chunk.table)
                missing = [c for c in chunk.columns if table is None or c not in table.columns]
                if table is None or missing:
                    what = f"no table {chunk.table}" if table is None else f"no column {missing}"
                    raise StoreError(f"the target has {what} in {chunk.table}: upgrade it")
                cols = ", ".join(_quote(c) for c in chunk.columns)
                marks = ", ".join("?" for _ in chunk.columns)
                await conn.executemany(
                    f"INSERT INTO {_quote(chunk.table)}({cols}) VALUES ({marks})", chunk.rows
                )
                written += len(chunk.rows)
            await conn.commit()
        except sqlite3.Error as e:
            await conn.rollback()
            raise StoreError(f"could not write to {self.engine.path}: {e}") from e
        except BaseException:
            await conn.rollback()
            raise
        finally:
            await conn.close()
        return written

    async def first_snapshot(self, forum_id: str) -> Board | None:
        rows = await self.engine.fetch(
            "SELECT board FROM snapshots WHERE forum_id=? ORDER BY seq LIMIT 1", (forum_id,)
        )
        return decode_board(rows[0][0]) if rows else None
