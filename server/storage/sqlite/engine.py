"""The SQLite engine: one file, a group-committing writer and a reader connection.

Writes go through one writer task that group-commits: everything queued while the
previous commit ran becomes one transaction (WAL, ``synchronous=FULL``), so an
acknowledged operation is on disk and a burst costs one fsync, not one per move.
Reads use a second connection; WAL lets them run beside the writer.

The writer also guards each forum's seq: a write that logs ops ``first..last`` of a
forum is refused unless ``first`` follows the last seq committed (or loaded) for it,
so a room that failed once cannot commit later operations over a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self

import aiosqlite

from server.storage.records import StoreError
from server.storage.sqlite.rows import Row
from server.storage.sqlite.schema import INSERT_OP, SCHEMA

log = logging.getLogger("scaleboard.store")


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


class Engine:
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
    async def open(cls, path: Path) -> Self:
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
        engine = cls(path, writer, reader)
        engine._task = asyncio.get_running_loop().create_task(engine._writer(), name="store-writer")
        return engine

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

    def forget(self, forum_id: str) -> None:
        """Drop the seq guard of a forum whose room will be reloaded from disk."""
        self._committed.pop(forum_id, None)

    def guard(self, forum_id: str, seq: int) -> None:
        """The forum's log ends at ``seq`` on disk (it was just loaded): the next write
        of its ops must start at ``seq + 1``."""
        self._committed[forum_id] = seq

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
