"""The SQLite side of ``server.storage.hooks.HookStore``: the reads, and the claim of
due deliveries as one ``BEGIN IMMEDIATE`` transaction on the writer's thread (between two
group commits), so two claims never take one delivery; the writes are shared
(``HookWrites``)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Final

import msgspec

from board.outgoing import Outgoing
from server.storage.hooks import (
    CLAIM_COLUMNS,
    DELIVERY_COLUMNS,
    SUB_COLUMNS,
    Claimed,
    Delivery,
    DueStep,
    HookWrites,
    Subscription,
    claimed,
    delivery,
    subscription,
)
from server.storage.sqlite.engine import Engine

_CLAIM: Final = (
    "UPDATE hook_deliveries SET lease_until=?1 WHERE rowid IN ("
    "SELECT d.rowid FROM hook_deliveries AS d JOIN hook_subscriptions AS s ON s.id=d.sub_id "
    "WHERE d.status='pending' AND d.next_at<=?2 AND d.lease_until<?2 AND s.paused=0 "
    "ORDER BY d.next_at LIMIT ?3) RETURNING sub_id, event_key"
)
_CLAIMED: Final = (
    f"SELECT {CLAIM_COLUMNS} FROM hook_deliveries AS d "
    "JOIN events AS e ON e.key=d.event_key JOIN hook_subscriptions AS s ON s.id=d.sub_id "
    "WHERE d.sub_id=? AND d.event_key=?"
)
_DUE: Final = (
    "SELECT n.forum_id, f.name, f.kind, n.id, n.session_id, n.text, n.owner, n.due "
    "FROM next_steps AS n JOIN forums AS f ON f.id=n.forum_id "
    "WHERE n.status='open' AND n.due IS NOT NULL AND n.due<=? ORDER BY n.due, n.forum_id, n.id"
)

_event = msgspec.json.Decoder(Outgoing)


class SqliteHooks(HookWrites):
    """``HookStore`` on one SQLite file."""

    engine: Engine

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)

    async def subscriptions(self, forum_id: str | None = None) -> list[Subscription]:
        if forum_id is None:
            rows = await self.engine.fetch(
                f"SELECT {SUB_COLUMNS} FROM hook_subscriptions ORDER BY created_at, id"
            )
        else:
            rows = await self.engine.fetch(
                f"SELECT {SUB_COLUMNS} FROM hook_subscriptions WHERE forum_id=? "
                "ORDER BY created_at, id",
                (forum_id,),
            )
        return [subscription(r) for r in rows]

    async def get(self, sub_id: str) -> Subscription | None:
        rows = await self.engine.fetch(
            f"SELECT {SUB_COLUMNS} FROM hook_subscriptions WHERE id=?", (sub_id,)
        )
        return subscription(rows[0]) if rows else None

    async def deliveries(self, sub_id: str, limit: int = 50) -> list[Delivery]:
        rows = await self.engine.fetch(
            f"SELECT {DELIVERY_COLUMNS} FROM hook_deliveries AS d "
            "JOIN events AS e ON e.key=d.event_key WHERE d.sub_id=? "
            "ORDER BY d.created_at DESC, d.rowid DESC LIMIT ?",
            (sub_id, limit),
        )
        return [delivery(r) for r in rows]

    async def events(self, forum_id: str | None = None, limit: int = 1000) -> list[Outgoing]:
        if forum_id is None:
            rows = await self.engine.fetch(
                "SELECT body FROM events ORDER BY at, rowid LIMIT ?", (limit,)
            )
        else:
            rows = await self.engine.fetch(
                "SELECT body FROM events WHERE forum_id=? ORDER BY at, rowid LIMIT ?",
                (forum_id, limit),
            )
        return [_event.decode(r[0]) for r in rows]

    async def claim(self, now: float, lease: float, limit: int) -> list[Claimed]:
        def run(conn: sqlite3.Connection) -> list[Claimed]:
            conn.execute("BEGIN IMMEDIATE")
            try:
                keys = conn.execute(_CLAIM, (now + lease, now, limit)).fetchall()
                rows = [conn.execute(_CLAIMED, tuple(k)).fetchone() for k in keys]
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            return [claimed(r) for r in rows if r is not None]

        return await self.engine.on_writer(run)

    async def due_steps(self, today: dt.date) -> list[DueStep]:
        rows = await self.engine.fetch(_DUE, (today.isoformat(),))
        return [
            DueStep(f, name, kind, id_, sid, text, owner, dt.date.fromisoformat(due))
            for f, name, kind, id_, sid, text, owner, due in rows
        ]
