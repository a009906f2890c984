"""What the PostgreSQL engine does beside the contract: its schema is made and
migrated by the app under a lock (two processes opening at once take turns), it
commits with ``synchronous_commit=on`` whatever the URL asks, and a turn with its
projections is one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from board import ops as o
from server.storage import StoreError, open_storage
from server.storage.postgres import PostgresStorage
from server.storage.postgres.schema import VERSION
from tests.pg import Schemas, admin
from tests.storage.plays import Play


@pytest.fixture
async def url(tmp_path: object) -> AsyncIterator[str]:
    """An empty schema on the test server."""
    schemas = Schemas()
    try:
        yield await schemas.url(str(tmp_path))
    finally:
        await schemas.drop()


async def versions(url: str) -> list[int]:
    storage = await PostgresStorage.open(url)
    try:
        rows = await storage.engine.fetch("SELECT version FROM schema_version ORDER BY version")
        return [r[0] for r in rows]
    finally:
        await storage.close()


async def test_two_processes_opening_at_once_make_the_schema_once(url: str) -> None:
    opened = await asyncio.gather(*(open_storage(url) for _ in range(4)))
    try:
        assert all(isinstance(s, PostgresStorage) for s in opened)
        await opened[0].forums.mark_seeded("test")
        assert not await opened[3].forums.is_new()
    finally:
        await asyncio.gather(*(s.close() for s in opened))
    assert await versions(url) == list(range(1, VERSION + 1))  # each step recorded once


async def test_a_newer_schema_is_refused(url: str) -> None:
    await versions(url)  # made at the current version
    schema = url.rsplit("search_path=", 1)[1]
    conn = await admin()
    try:
        await conn.execute(
            f'INSERT INTO "{schema}".schema_version(version, applied_at) VALUES ($1, 0)',
            VERSION + 1,
        )
    finally:
        await conn.close()
    with pytest.raises(StoreError, match="newer"):
        await open_storage(url)


async def test_commits_are_durable_whatever_the_url_asks(url: str) -> None:
    storage = await PostgresStorage.open(url + "&synchronous_commit=off")
    try:
        # the writer's own connection (the test reads it while the writer is idle)
        assert await storage.engine._conn.fetchval("SHOW synchronous_commit") == "on"
    finally:
        await storage.close()


async def test_an_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot connect"):
        await open_storage("postgresql://nobody:secret@127.0.0.1:1/none")


async def test_a_turn_and_its_projections_are_one_transaction(url: str) -> None:
    storage = await PostgresStorage.open(url)
    try:
        play = Play()
        await storage.forums.create(play.first, 1.0)
        await storage.log.load(play.forum_id)
        play.do(o.StartSession())
        play.do(o.RecordDecision(text="One"))
        commits = storage.engine.commits
        await storage.log.append(play.forum_id, play.accepted, play.at)
        assert storage.engine.commits == commits + 1
        count = "SELECT (SELECT count(*) FROM ops), (SELECT count(*) FROM sessions), "
        count += "(SELECT count(*) FROM decisions)"
        assert (await storage.engine.fetch(count))[0] == (2, 1, 1)
        play.accepted.clear()
        play.do(o.RecordDecision(text="Lost"))
        play.do(o.RecordDecision(text="Refused"))
        with pytest.raises(StoreError):
            await storage.log.append(play.forum_id, play.accepted[1:], play.at)
        assert (await storage.engine.fetch(count))[0] == (2, 1, 1)
    finally:
        await storage.close()


async def test_the_writer_survives_a_lost_connection(url: str) -> None:
    storage = await PostgresStorage.open(url)
    try:
        play = Play()
        await storage.forums.create(play.first, 1.0)
        await storage.log.load(play.forum_id)
        conn = await admin()  # PostgreSQL restarts, or an admin ends the writer's session
        try:
            pid = storage.engine._conn.get_server_pid()
            await conn.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await conn.close()
        turn = play.cards(2)
        try:
            await storage.log.append(play.forum_id, turn, play.at)
        except StoreError:  # the commit that met the broken connection: nothing written
            assert await storage.log.op_count(play.forum_id) == 0
            await storage.log.load(play.forum_id)  # as the room does after a failed write
            await storage.log.append(play.forum_id, turn, play.at)
        await storage.log.append(play.forum_id, play.cards(1, "Next"), play.at)
        loaded = await storage.log.load(play.forum_id)
        assert loaded is not None and loaded.board == play.board
    finally:
        await storage.close()
