"""Signals between processes on PostgreSQL: ``NOTIFY`` to send, one ``LISTEN``ing
connection per process to hear (``server/storage/signals.py`` says what a signal is).

The listening connection is watched: when it breaks (the database restarted, the
network dropped it, or a check every ``CHECK_EVERY`` seconds goes unanswered) it is
opened again, with a growing pause between tries, and every ``on_gap`` handler runs
once it listens again: whatever was signalled meanwhile is re-read from the durable
record. ``NOTIFY`` is sent on a pooled connection outside any transaction, after the
change it announces has committed. Channels are database-wide, so each carries the
schema's name: two Scaleboards in two schemas of one database do not hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any, Final

import asyncpg

from server.storage.postgres.engine import SETTINGS, Engine
from server.storage.signals import CHANNELS, Listeners, check

log = logging.getLogger("scaleboard.signals")

CHECK_EVERY: Final = 5.0  # seconds between two checks that the listener still answers
CHECK_TIMEOUT: Final = 3.0
RETRY_FIRST: Final = 0.1
RETRY_MAX: Final = 2.0


class PostgresSignals(Listeners):
    """``Signals`` over ``LISTEN``/``NOTIFY`` on the engine's database."""

    shared = True

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self._conn: asyncpg.Connection | None = None
        self._broken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.gaps = 0  # how many times the listener was lost and opened again
        self._schema: str | None = None

    async def _channel(self, channel: str) -> str:
        """``channel`` in this store's schema (a PostgreSQL identifier: at most 63 bytes)."""
        if self._schema is None:
            rows = await self.engine.fetch("SELECT current_schema()")
            schema = str(rows[0][0] or "")
            if len(schema.encode()) > 40:
                schema = hashlib.sha256(schema.encode()).hexdigest()[:16]
            self._schema = schema
        return f"{channel}.{self._schema}"

    async def start(self) -> None:
        """Listen on every channel (a first connection must succeed), then watch it."""
        await self._connect()
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="signals")

    async def publish(self, channel: str, payload: str = "") -> None:
        check(channel, payload)
        try:
            async with self.engine.connection() as conn:
                await conn.execute(
                    "SELECT pg_notify($1, $2)", await self._channel(channel), payload
                )
        except Exception:  # durable already; receivers catch up after a gap
            log.warning("could not signal %s %r", channel, payload, exc_info=True)

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self.engine.url, server_settings=SETTINGS)
        try:
            for channel in CHANNELS:
                await conn.add_listener(await self._channel(channel), self._heard)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(self._lost)
        self._conn = conn
        self._broken.clear()

    def _heard(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        self.dispatch(channel.rsplit(".", 1)[0], payload)

    def _lost(self, conn: Any) -> None:
        if conn is self._conn:
            self._broken.set()

    async def _watch(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._broken.wait(), CHECK_EVERY)
            if not self._broken.is_set() and not await self._answers():
                self._broken.set()
            if self._broken.is_set():
                await self._reopen()

    async def _answers(self) -> bool:
        conn = self._conn
        if conn is None or conn.is_closed():
            return False
        try:
            await asyncio.wait_for(conn.fetchval("SELECT 1"), CHECK_TIMEOUT)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return True

    async def _reopen(self) -> None:
        old, self._conn = self._conn, None
        if old is not None and not old.is_closed():
            old.terminate()
        pause = RETRY_FIRST
        while True:
            try:
                await self._connect()
                break
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                log.warning(
                    "signals: cannot listen on the database (%s); again in %.1f s", e, pause
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX)
        self.gaps += 1
        log.info("signals: listening again; re-reading what may have changed meanwhile")
        self.gap()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
            if not conn.is_closed():
                conn.terminate()
