"""The PostgreSQL engine: a writer connection that group-commits, and a pool of readers.

Writes go through the shared writer task (``server/storage/group.py``: group commit
and the per-forum seq guard): everything queued while the previous commit ran becomes
one transaction on the writer's own connection, with ``synchronous_commit=on``, so the
commit returns once the server has flushed it to its WAL and an acknowledged
operation survives a crash of either process. Rows of one statement go in one
``executemany`` (asyncpg pipelines them). A commit that fails is rolled back whole and
fails every job in it; a writer connection that broke is opened again for the next
commit. Reads use a small pool beside the writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Self

import asyncpg

from server.storage.group import GroupCommit, Job, fences, ops_first, runs, split
from server.storage.postgres.schema import migrate
from server.storage.postgres.statements import SQL
from server.storage.records import StoreError
from server.storage.stmt import Stmt, Write
from server.storage.where import shown

# ``synchronous_commit`` is asked for on every connection, whatever the server's,
# database's or role's default: an ack means the commit is flushed (docs/scale-out.md).
SETTINGS: Final = {"synchronous_commit": "on", "application_name": "scaleboard"}
DURABLE: Final = frozenset({"on", "remote_write", "remote_apply"})
# The writer's transactions are pipelined, never idle: one that is (its process was
# paused, SIGSTOP, mid-commit) is ended by the server, so the row locks it holds cannot
# keep another process from taking its forums over (docs/scale-out.md).
WRITER: Final = {**SETTINGS, "idle_in_transaction_session_timeout": "1000"}


class Engine(GroupCommit):
    """One PostgreSQL database: a group-committing writer connection and a reader pool."""

    def __init__(self, url: str, writer: asyncpg.Connection, pool: asyncpg.Pool) -> None:
        super().__init__()
        self.url = url
        self._conn = writer
        self._pool = pool

    @classmethod
    async def open(cls, url: str) -> Self:
        """Connect, create or migrate the schema, start the writer. ``StoreError`` if the
        database cannot be reached or does not commit durably."""
        try:
            writer = await asyncpg.connect(url, server_settings=WRITER)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise StoreError(f"cannot connect to PostgreSQL at {shown(url)}: {e}") from e
        try:
            await migrate(writer)
            sync = await writer.fetchval("SHOW synchronous_commit")
            if sync not in DURABLE:
                raise StoreError(f"synchronous_commit is {sync!r} on {shown(url)}")
            pool = await asyncpg.create_pool(url, min_size=1, max_size=4, server_settings=SETTINGS)
        except BaseException:
            await writer.close()
            raise
        engine = cls(url, writer, pool)
        engine.start()
        return engine

    async def close(self) -> None:
        await self.stop()
        await self._pool.close()
        await self._conn.close()

    # -- writing ------------------------------------------------------------------

    async def _transaction(self, jobs: list[Job]) -> list[Job]:
        if self._conn.is_closed():  # broken by an earlier failure: a new one
            self._conn = await asyncpg.connect(self.url, server_settings=WRITER)
        conn = self._conn
        stale: list[Job] = []
        writes: list[Write] = [w for j in jobs for w in j.writes]
        try:
            async with conn.transaction():
                fenced = fences(jobs)
                if fenced:  # the fence: the owner epochs, locked until the commit
                    rows = await conn.fetch(
                        "SELECT id, owner_epoch FROM forums WHERE id = ANY($1::text[]) "
                        "ORDER BY id FOR UPDATE",
                        fenced,
                    )
                    stale, writes = split(jobs, {r[0]: r[1] for r in rows})
                op_rows, other = ops_first(writes)
                if op_rows:
                    await conn.executemany(SQL[Stmt.OP], op_rows)
                for stmt, group in runs(other):
                    if len(group) == 1:
                        await conn.execute(SQL[stmt], *group[0])
                    else:
                        await conn.executemany(SQL[stmt], group)
        except asyncpg.PostgresError:
            raise  # the server refused and rolled back; the connection is as good as before
        except BaseException:
            conn.terminate()  # lost or in an unknown state: the next commit opens a new one
            raise
        return stale

    def connection(self) -> Any:
        """A pooled connection (``async with``) for a statement of its own."""
        return self._pool.acquire()

    # -- reading ------------------------------------------------------------------

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        rows = await self._pool.fetch(sql, *params)
        return [tuple(r) for r in rows]

    async def meta(self, key: str) -> str | None:
        rows = await self.fetch("SELECT value FROM meta WHERE key=$1", (key,))
        return rows[0][0] if rows else None


class Params:
    """The parameters of a query being built: ``add`` one, get its ``$n``."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def prefix_is(column: str, prefix: bytes) -> str:
    """SQL: the ``bytea`` ``column`` starts with ``prefix`` (a range scan parses nothing)."""
    return f"substr({column}, 1, {len(prefix)}) = '\\x{prefix.hex()}'::bytea"
