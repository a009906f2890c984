"""Ownership of forums on SQLite (``ForumLog.claim``, ``renew``, ``release``,
``request_handover``): columns of ``forums`` (``owner``, ``owner_epoch``,
``lease_until``, ``handover``; ``schema.OWNER_COLUMNS``), each change one
``BEGIN IMMEDIATE`` transaction on the writer's thread (between two group commits),
so claims from several connections or processes on one file take turns on its write
lock and end with one owner. Time is the machine's wall clock, which every process on
one SQLite file shares. The fence that uses the epoch is in the writer's transaction
(``engine.py``)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping
from typing import Final, TypeVar

from server.storage.records import Renewal
from server.storage.sqlite.engine import Engine

T = TypeVar("T")

_CLAIM: Final = (
    "UPDATE forums SET owner=?, owner_epoch=owner_epoch+1, lease_until=?, handover=NULL, "
    "present=0 "
    "WHERE id=? AND (owner IS NULL OR owner=? OR lease_until < ?) RETURNING owner_epoch"
)


def _in_transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return result


async def claim(engine: Engine, forum_id: str, owner: str, lease: float) -> int | None:
    def run(conn: sqlite3.Connection) -> int | None:
        now = time.time()
        row = conn.execute(_CLAIM, (owner, now + lease, forum_id, owner, now)).fetchone()
        if row is not None:
            return int(row[0])
        if conn.execute("SELECT 1 FROM forums WHERE id=?", (forum_id,)).fetchone() is None:
            raise LookupError(forum_id)
        return None

    return await engine.on_writer(lambda conn: _in_transaction(conn, run))


async def renew(
    engine: Engine,
    owner: str,
    claims: dict[str, int],
    lease: float,
    present: Mapping[str, int] | None = None,
) -> Renewal:
    if not claims:
        return Renewal(lost=frozenset(), wanted=frozenset())

    def run(conn: sqlite3.Connection) -> Renewal:
        until = time.time() + lease
        held: set[str] = set()
        wanted: set[str] = set()
        for forum_id, epoch in claims.items():
            row = conn.execute(
                "UPDATE forums SET lease_until=?, present=? WHERE id=? AND owner=? "
                "AND owner_epoch=? RETURNING handover IS NOT NULL",
                (until, (present or {}).get(forum_id, 0), forum_id, owner, epoch),
            ).fetchone()
            if row is not None:
                held.add(forum_id)
                if row[0]:
                    wanted.add(forum_id)
        return Renewal(lost=frozenset(claims.keys() - held), wanted=frozenset(wanted))

    return await engine.on_writer(lambda conn: _in_transaction(conn, run))


async def release(engine: Engine, forum_id: str, owner: str, epoch: int) -> None:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE forums SET owner=NULL, lease_until=0, handover=NULL, present=0 "
            "WHERE id=? AND owner=? AND owner_epoch=?",
            (forum_id, owner, epoch),
        )

    await engine.on_writer(lambda conn: _in_transaction(conn, run))


async def request_handover(engine: Engine, forum_id: str) -> None:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE forums SET handover=? WHERE id=? AND owner IS NOT NULL",
            (time.time(), forum_id),
        )

    await engine.on_writer(lambda conn: _in_transaction(conn, run))
