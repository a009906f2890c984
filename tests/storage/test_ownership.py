"""The contract of forum ownership (``ForumLog.claim``, ``renew``, ``release``,
``request_handover``) and of the fence: a write made under an owner epoch that is no
longer the forum's is refused inside the transaction, and nothing of it is written
(docs/scale-out.md#one-writer-per-forum). Two ``Storage`` objects on one database
stand for two processes."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from server.storage import NotOwner, Storage
from server.storage.postgres import PostgresStorage
from server.storage.postgres.schema import MIGRATIONS
from server.storage.sqlite import SqliteStorage
from server.storage.sqlite.schema import SCHEMA
from tests.pg import Schemas
from tests.storage.conftest import Open
from tests.storage.plays import Play

LEASE = 30.0  # long: nothing expires unless a test says so
SHORT = 0.3


async def created(storage: Storage, play: Play) -> None:
    await storage.forums.create(play.first, play.at)


async def test_claim_renew_release(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    first = await storage.log.claim(play.forum_id, "A", LEASE)
    assert first == 1
    assert await storage.log.claim(play.forum_id, "B", LEASE) is None  # A's lease runs
    renewal = await storage.log.renew("A", {play.forum_id: first}, LEASE)
    assert renewal.lost == frozenset() and renewal.wanted == frozenset()
    await storage.log.release(play.forum_id, "A", first)
    second = await storage.log.claim(play.forum_id, "B", LEASE)
    assert second == 2  # one more at every change of owner
    renewal = await storage.log.renew("A", {play.forum_id: first}, LEASE)
    assert renewal.lost == {play.forum_id}
    # A release by a former owner, with its old epoch, changes nothing.
    await storage.log.release(play.forum_id, "A", first)
    assert await storage.log.claim(play.forum_id, "C", LEASE) is None


async def test_an_expired_lease_can_be_taken(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    a = await storage.log.claim(play.forum_id, "A", SHORT)
    assert await storage.log.claim(play.forum_id, "B", LEASE) is None
    await asyncio.sleep(SHORT + 0.2)
    b = await storage.log.claim(play.forum_id, "B", LEASE)
    assert a is not None and b == a + 1
    assert (await storage.log.renew("A", {play.forum_id: a}, LEASE)).lost == {play.forum_id}


async def test_a_handover_is_asked_for_and_seen_at_renewal(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    a = await storage.log.claim(play.forum_id, "A", LEASE)
    assert a is not None
    await storage.log.request_handover(play.forum_id)
    renewal = await storage.log.renew("A", {play.forum_id: a}, LEASE)
    assert renewal.wanted == {play.forum_id} and renewal.lost == frozenset()
    await storage.log.release(play.forum_id, "A", a)
    b = await storage.log.claim(play.forum_id, "B", LEASE)
    assert b == a + 1
    # The request was answered: B's renewals do not see it again.
    assert (await storage.log.renew("B", {play.forum_id: b}, LEASE)).wanted == frozenset()


async def test_claiming_an_unknown_forum_is_a_lookup_error(storage: Storage) -> None:
    with pytest.raises(LookupError):
        await storage.log.claim("nobody", "A", LEASE)


async def test_the_fence_refuses_a_stale_owner_and_writes_nothing(
    storage: Storage, engine: Open, tmp_path: Path
) -> None:
    """A claims; its lease runs out (a pause); B takes over; A's append with its old
    epoch is refused and writes nothing; B's goes through."""
    play = Play()
    await created(storage, play)
    other = await engine(tmp_path)  # a second process on the same database
    try:
        a = await storage.log.claim(play.forum_id, "A", SHORT)
        assert a is not None
        await storage.log.load(play.forum_id)
        await storage.log.append(play.forum_id, play.cards(2, "A"), play.at, epoch=a)
        await asyncio.sleep(SHORT + 0.2)
        b = await other.log.claim(play.forum_id, "B", LEASE)
        assert b == a + 1
        loaded = await other.log.load(play.forum_id)  # after the claim: A's two ops
        assert loaded is not None and loaded.board.seq == 2
        late = Play()  # A, resumed, goes on from its own memory
        late.sync = play.sync.__class__(loaded.board, "a")
        stale_turn = late.cards(2, "Stale")
        with pytest.raises(NotOwner, match="no longer owns the forum"):
            await storage.log.append(play.forum_id, stale_turn, play.at, epoch=a)
        with pytest.raises(NotOwner):
            await storage.log.snapshot(stale_turn[-1].board, epoch=a)
        assert await other.log.op_count(play.forum_id) == 2
        row = await other.forums.forum(play.forum_id)
        assert row is not None and row.seq == 2
        fresh = play.cards(3, "B")
        await other.log.append(play.forum_id, fresh, play.at, epoch=b)
        assert await storage.log.op_count(play.forum_id) == 5
        stored = await storage.log.ops(play.forum_id, 1, 5)
        assert [op.op_id for op in stored] == ["A-0", "A-1", "B-0", "B-1", "B-2"]
    finally:
        await other.close()


async def test_a_stale_job_fails_alone_in_its_commit(storage: Storage) -> None:
    """Jobs queued together: the stale forum's fails, the other forum's is written."""
    mine, lost = Play("f1"), Play("f2")
    await created(storage, mine)
    await created(storage, lost)
    m = await storage.log.claim("f1", "A", LEASE)
    old = await storage.log.claim("f2", "A", LEASE)
    assert m is not None and old is not None
    await storage.log.release("f2", "A", old)
    assert await storage.log.claim("f2", "B", LEASE) == old + 1
    await storage.log.load("f1")
    await storage.log.load("f2")
    refused = storage.log.append("f2", lost.cards(1), lost.at, epoch=old)
    written = storage.log.append("f1", mine.cards(2), mine.at, epoch=m)
    await written
    with pytest.raises(NotOwner):
        await refused
    assert await storage.log.op_count("f1") == 2
    assert await storage.log.op_count("f2") == 0


async def test_racing_claims_end_with_one_owner(engine: Open, tmp_path: Path) -> None:
    """N stores on one database (separate connections) claim one forum at once:
    exactly one gets it, at epoch 1."""
    play = Play()
    stores = [await engine(tmp_path) for _ in range(6)]
    try:
        await created(stores[0], play)
        got = await asyncio.gather(
            *(s.log.claim(play.forum_id, f"P{i}", LEASE) for i, s in enumerate(stores))
        )
        winners = [i for i, epoch in enumerate(got) if epoch is not None]
        assert len(winners) == 1, got
        assert got[winners[0]] == 1
        w = winners[0]
        assert (await stores[w].log.renew(f"P{w}", {play.forum_id: 1}, LEASE)).lost == frozenset()
    finally:
        for s in stores:
            await s.close()


async def test_a_postgresql_database_of_version_1_gets_the_ownership_columns(
    tmp_path: Path,
) -> None:
    """A database made before ownership (schema version 1) is migrated on open; its
    forums can be claimed."""
    schemas = Schemas()
    try:
        url = await schemas.url(tmp_path)
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(MIGRATIONS[0])
            await conn.execute(
                "CREATE TABLE schema_version(version integer PRIMARY KEY, "
                "applied_at double precision NOT NULL);"
                "INSERT INTO schema_version VALUES (1, 0);"
                "INSERT INTO forums(id, kind, name, created_at, updated_at) "
                "VALUES ('old', 'sos', 'Old', 0, 0)"
            )
        finally:
            await conn.close()
        storage = await PostgresStorage.open(url)
        try:
            assert await storage.log.claim("old", "A", LEASE) == 1
        finally:
            await storage.close()
    finally:
        await schemas.drop()


async def test_a_sqlite_file_made_before_ownership_gets_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:  # the tables as they were
        conn.executescript(SCHEMA)
        conn.execute(
            "INSERT INTO forums(id, kind, name, created_at, updated_at) "
            "VALUES ('old', 'sos', 'Old', 0, 0)"
        )
    with contextlib.closing(sqlite3.connect(path)) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(forums)")}
    assert "owner_epoch" not in columns
    for _ in range(2):  # and opening it again changes nothing
        storage = await SqliteStorage.open(path)
        try:
            assert await storage.log.claim("old", "A", LEASE) is not None
        finally:
            await storage.close()


async def test_renewals_record_who_is_present_while_the_lease_runs(storage: Storage) -> None:
    """Any process can show how many people a forum's room has, wherever it runs: the
    owner records it at each renewal; once nobody holds the forum it reads 0."""
    play = Play()
    await created(storage, play)
    epoch = await storage.log.claim(play.forum_id, "A", SHORT)
    assert epoch is not None
    row = await storage.forums.forum(play.forum_id)
    assert row is not None and row.present == 0
    await storage.log.renew("A", {play.forum_id: epoch}, LEASE, {play.forum_id: 3})
    rows = {r.id: r for r in await storage.forums.forums()}
    assert rows[play.forum_id].present == 3
    await storage.log.renew("A", {play.forum_id: epoch}, LEASE, {})
    assert (await storage.forums.forum(play.forum_id)).present == 0  # type: ignore[union-attr]
    await storage.log.renew("A", {play.forum_id: epoch}, SHORT, {play.forum_id: 2})
    assert (await storage.forums.forum(play.forum_id)).present == 2  # type: ignore[union-attr]
    await asyncio.sleep(SHORT + 0.1)  # the lease ran out: its owner may be gone
    assert (await storage.forums.forum(play.forum_id)).present == 0  # type: ignore[union-attr]
    # A renewal by a former owner records nothing.
    again = await storage.log.claim(play.forum_id, "B", LEASE)
    assert again is not None
    await storage.log.renew("A", {play.forum_id: epoch}, LEASE, {play.forum_id: 9})
    assert (await storage.forums.forum(play.forum_id)).present == 0  # type: ignore[union-attr]
    await storage.log.renew("B", {play.forum_id: again}, LEASE, {play.forum_id: 1})
    await storage.log.release(play.forum_id, "B", again)
    assert (await storage.forums.forum(play.forum_id)).present == 0  # type: ignore[union-attr]
