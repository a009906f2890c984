"""The PostgreSQL side of ``server.storage.hooks.HookStore``: the reads, and the claim of
due deliveries (``FOR UPDATE SKIP LOCKED`` in one statement, so processes of a cluster
never take one delivery twice while its lease runs); the writes are shared
(``HookWrites``)."""

from __future__ import annotations

import datetime as dt
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
from server.storage.postgres.engine import Engine

_CLAIM: Final = (
    "WITH c AS (UPDATE hook_deliveries AS u SET lease_until=$1 FROM ("
    "SELECT d.sub_id, d.event_key FROM hook_deliveries AS d "
    "JOIN hook_subscriptions AS s ON s.id=d.sub_id "
    "WHERE d.status='pending' AND d.next_at<=$2 AND d.lease_until<$2 AND s.paused=0 "
    "ORDER BY d.next_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED) AS t "
    "WHERE u.sub_id=t.sub_id AND u.event_key=t.event_key "
    "RETURNING u.sub_id, u.event_key, u.attempts) "
    f"SELECT {CLAIM_COLUMNS} FROM c AS d "
    "JOIN events AS e ON e.key=d.event_key JOIN hook_subscriptions AS s ON s.id=d.sub_id"
)
_DUE: Final = (
    "SELECT n.forum_id, f.name, f.kind, n.id, n.session_id, n.text, n.owner, n.due "
    "FROM next_steps AS n JOIN forums AS f ON f.id=n.forum_id "
    "WHERE n.status='open' AND n.due IS NOT NULL AND n.due<=$1 ORDER BY n.due, n.forum_id, n.id"
)

_event = msgspec.json.Decoder(Outgoing)


class PostgresHooks(HookWrites):
    """``HookStore`` on one PostgreSQL database."""

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
                f"SELECT {SUB_COLUMNS} FROM hook_subscriptions WHERE forum_id=$1 "
                "ORDER BY created_at, id",
                (forum_id,),
            )
        return [subscription(r) for r in rows]

    async def get(self, sub_id: str) -> Subscription | None:
        rows = await self.engine.fetch(
            f"SELECT {SUB_COLUMNS} FROM hook_subscriptions WHERE id=$1", (sub_id,)
        )
        return subscription(rows[0]) if rows else None

    async def deliveries(self, sub_id: str, limit: int = 50) -> list[Delivery]:
        rows = await self.engine.fetch(
            f"SELECT {DELIVERY_COLUMNS} FROM hook_deliveries AS d "
            "JOIN events AS e ON e.key=d.event_key WHERE d.sub_id=$1 "
            "ORDER BY d.created_at DESC, d.event_key DESC LIMIT $2",
            (sub_id, limit),
        )
        return [delivery(r) for r in rows]

    async def events(self, forum_id: str | None = None, limit: int = 1000) -> list[Outgoing]:
        if forum_id is None:
            rows = await self.engine.fetch(
                "SELECT body FROM events ORDER BY at, key LIMIT $1", (limit,)
            )
        else:
            rows = await self.engine.fetch(
                "SELECT body FROM events WHERE forum_id=$1 ORDER BY at, key LIMIT $2",
                (forum_id, limit),
            )
        return [_event.decode(r[0]) for r in rows]

    async def claim(self, now: float, lease: float, limit: int) -> list[Claimed]:
        async with self.engine.connection() as conn:
            rows = await conn.fetch(_CLAIM, now + lease, now, limit)
        return [claimed(tuple(r)) for r in rows]

    async def due_steps(self, today: dt.date) -> list[DueStep]:
        rows = await self.engine.fetch(_DUE, (today.isoformat(),))
        return [
            DueStep(f, name, kind, id_, sid, text, owner, dt.date.fromisoformat(due))
            for f, name, kind, id_, sid, text, owner, due in rows
        ]
