"""The PostgreSQL side of ``server.storage.transfer.Transfer``: every table of the
schema (its ``search_path``) read in one read-only ``REPEATABLE READ`` transaction by
server-side cursors, in key order (``pos`` order for ``decisions`` and ``next_steps``,
whose ``pos`` stays behind: it is given again in the order the rows are written), and
chunks written with ``COPY`` in one transaction, on connections of its own."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Final

import asyncpg

from board.model import Board
from server.storage.postgres.engine import SETTINGS, Engine
from server.storage.records import StoreError
from server.storage.transfer import BATCH, Chunk, chunks, in_order
from server.storage.where import shown
from server.storage.writes import decode_board

BOOKKEEPING: Final = frozenset({"schema_version"})  # the engine's own, never copied
ORDER_COLUMN: Final = "pos"  # stands for SQLite's rowid: read in its order, not copied

_COLUMNS: Final = """
SELECT c.table_name, c.column_name FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
ORDER BY c.table_name, c.ordinal_position
"""
_KEYS: Final = """
SELECT a.attname FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = $1::regclass AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Table:
    """A table as the schema's catalog describes it (its copied columns, its order)."""

    def __init__(self, name: str, columns: tuple[str, ...], order: str) -> None:
        self.name = name
        self.columns = columns
        self.order = order

    def select(self) -> str:
        cols = ", ".join(_quote(c) for c in self.columns)
        return f"SELECT {cols} FROM {_quote(self.name)} ORDER BY {self.order}"


async def _tables(conn: asyncpg.Connection) -> dict[str, Table]:
    found: dict[str, list[str]] = {}
    for name, column in await conn.fetch(_COLUMNS):
        if name not in BOOKKEEPING:
            found.setdefault(name, []).append(column)
    out: dict[str, Table] = {}
    for name in in_order(list(found)):
        columns = found[name]
        if ORDER_COLUMN in columns:
            order = _quote(ORDER_COLUMN)
            columns = [c for c in columns if c != ORDER_COLUMN]
        else:
            keys = [r[0] for r in await conn.fetch(_KEYS, _quote(name))]
            order = ", ".join(_quote(k) for k in (keys or columns))
        out[name] = Table(name, tuple(columns), order)
    return out


async def _advance_sequences(conn: asyncpg.Connection, tables: dict[str, Table]) -> None:
    """Rows copied with their ids (``mail.id``) leave the column's sequence behind:
    set it to the highest id copied, so the next row gets the next id (a ``pos`` is
    not copied, it is given again)."""
    for table in tables.values():
        for column in table.columns:
            sequence = await conn.fetchval(
                "SELECT pg_get_serial_sequence($1, $2)", _quote(table.name), column
            )
            if sequence is not None:
                top = await conn.fetchval(f"SELECT max({_quote(column)}) FROM {_quote(table.name)}")
                await conn.execute(
                    "SELECT setval($1::regclass, $2, $3)", sequence, top or 1, top is not None
                )


class PostgresTransfer:
    """``Transfer`` on one PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def _connect(self) -> asyncpg.Connection:
        try:
            return await asyncpg.connect(self.engine.url, server_settings=SETTINGS)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise StoreError(
                f"cannot connect to PostgreSQL at {shown(self.engine.url)}: {e}"
            ) from e

    async def counts(self) -> dict[str, int]:
        conn = await self._connect()
        try:
            out: dict[str, int] = {}
            for name in await _tables(conn):
                out[name] = int(await conn.fetchval(f"SELECT count(*) FROM {_quote(name)}"))
            return out
        finally:
            await conn.close()

    async def read_all(self, batch: int = BATCH) -> AsyncIterator[Chunk]:
        conn = await self._connect()
        try:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                for table in (await _tables(conn)).values():
                    cursor = await conn.cursor(table.select())
                    async for chunk in chunks(table.name, table.columns, cursor.fetch, batch):
                        yield chunk
        finally:
            await conn.close()

    async def write_all(self, chunks: AsyncIterable[Chunk], *, replace: bool = False) -> int:
        conn = await self._connect()
        written = 0
        try:
            async with conn.transaction():
                tables = await _tables(conn)
                if replace and tables:
                    names = ", ".join(_quote(t) for t in tables)
                    await conn.execute(f"TRUNCATE {names} RESTART IDENTITY")
                async for chunk in chunks:
                    table = tables.get(chunk.table)
                    missing = [c for c in chunk.columns if table is None or c not in table.columns]
                    if table is None or missing:
                        what = (
                            f"no table {chunk.table}" if table is None else f"no column {missing}"
                        )
                        raise StoreError(f"the target has {what} in {chunk.table}: upgrade it")
                    await conn.copy_records_to_table(
                        chunk.table, records=chunk.rows, columns=list(chunk.columns)
                    )
                    written += len(chunk.rows)
                await _advance_sequences(conn, tables)
        except asyncpg.PostgresError as e:
            raise StoreError(f"could not write to {shown(self.engine.url)}: {e}") from e
        finally:
            await conn.close()
        return written

    async def first_snapshot(self, forum_id: str) -> Board | None:
        rows = await self.engine.fetch(
            "SELECT board FROM snapshots WHERE forum_id=$1 ORDER BY seq LIMIT 1", (forum_id,)
        )
        return decode_board(rows[0][0]) if rows else None
