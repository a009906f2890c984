"""Ownership of forums on PostgreSQL (``ForumLog.claim``, ``renew``, ``release``,
``request_handover``): columns of ``forums`` (``owner``, ``owner_epoch``,
``lease_until``, ``handover``), changed by single conditional statements in the
database's own time (``clock_timestamp()``), so racing claims end with one owner: an
``UPDATE`` that waited for another's row lock checks its condition again on the row
that one committed. The fence that uses the epoch is in the writer's transaction
(``engine.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import asyncpg

from server.storage.postgres.engine import Engine
from server.storage.records import Renewal

NOW: Final = "extract(epoch FROM clock_timestamp())"

_CLAIM: Final = (
    f"UPDATE forums SET owner=$2, owner_epoch=owner_epoch+1, lease_until={NOW}+$3, "
    f"handover=NULL, present=0 WHERE id=$1 AND (owner IS NULL OR owner=$2 OR lease_until < {NOW}) "
    "RETURNING owner_epoch"
)
_RENEW: Final = (
    f"UPDATE forums AS f SET lease_until={NOW}+$4, present=c.present "
    "FROM unnest($2::text[], $3::bigint[], $5::integer[]) AS c(id, epoch, present) "
    "WHERE f.id=c.id AND f.owner_epoch=c.epoch AND f.owner=$1 "
    "RETURNING f.id, f.handover IS NOT NULL"
)
_RELEASE: Final = (
    "UPDATE forums SET owner=NULL, lease_until=0, handover=NULL, present=0 "
    "WHERE id=$1 AND owner=$2 AND owner_epoch=$3"
)
_ASK: Final = f"UPDATE forums SET handover={NOW} WHERE id=$1 AND owner IS NOT NULL"


async def claim(engine: Engine, forum_id: str, owner: str, lease: float) -> int | None:
    async with engine.connection() as conn:
        try:
            async with conn.transaction():
                # A row lock held by a paused writer must not hang the claim: give up
                # (None, try again later) rather than wait for it.
                await conn.execute("SET LOCAL lock_timeout = '500ms'")
                epoch = await conn.fetchval(_CLAIM, forum_id, owner, lease)
        except asyncpg.LockNotAvailableError:
            return None
        if epoch is not None:
            return int(epoch)
        if await conn.fetchval("SELECT 1 FROM forums WHERE id=$1", forum_id) is None:
            raise LookupError(forum_id)
        return None


async def renew(
    engine: Engine,
    owner: str,
    claims: dict[str, int],
    lease: float,
    present: Mapping[str, int] | None = None,
) -> Renewal:
    if not claims:
        return Renewal(lost=frozenset(), wanted=frozenset())
    ids = sorted(claims)
    async with engine.connection() as conn, conn.transaction():
        # The rows locked in id order first, as the writer's fence locks them: a
        # renewal and a commit of the same forums never deadlock.
        await conn.execute(
            "SELECT 1 FROM forums WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE", ids
        )
        people = [(present or {}).get(i, 0) for i in ids]
        rows = await conn.fetch(_RENEW, owner, ids, [claims[i] for i in ids], lease, people)
    held = {r[0] for r in rows}
    return Renewal(
        lost=frozenset(claims.keys() - held), wanted=frozenset(r[0] for r in rows if r[1])
    )


async def release(engine: Engine, forum_id: str, owner: str, epoch: int) -> None:
    async with engine.connection() as conn:
        await conn.execute(_RELEASE, forum_id, owner, epoch)


async def request_handover(engine: Engine, forum_id: str) -> None:
    async with engine.connection() as conn:
        await conn.execute(_ASK, forum_id)
