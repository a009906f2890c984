"""The read contract of ``AccessRecords`` (role tokens, the admin's hash) and of
``MetricsQueries``."""

from __future__ import annotations

from board.access import LINK_KINDS
from server.storage import Storage
from server.storage.access import ForumToken
from tests.storage.engines import Seeder


async def test_a_new_forum_has_a_token_per_role(storage: Storage) -> None:
    await Seeder(storage).forum("sos-a")
    tokens = await storage.access.tokens_of("sos-a")
    assert sorted(t.role for t in tokens) == sorted(LINK_KINDS)
    assert len({t.token for t in tokens}) == len(LINK_KINDS)
    assert await storage.access.missing_roles(LINK_KINDS) == []
    assert sorted(await storage.access.all_tokens(), key=lambda t: t.role) == sorted(
        tokens, key=lambda t: t.role
    )
    for t in tokens:
        assert await storage.access.forum_of_token(t.token) == "sos-a"
    assert await storage.access.forum_of_token("nope") is None
    assert await storage.access.tokens_of("nope") == []


async def test_missing_tokens_are_added_and_existing_ones_kept(storage: Storage) -> None:
    await Seeder(storage).forum("sos-a")
    kept = {t.role: t.token for t in await storage.access.tokens_of("sos-a")}
    assert await storage.access.missing_roles([*LINK_KINDS, "auditor"]) == [("sos-a", "auditor")]
    await storage.access.add_tokens(
        [ForumToken("sos-a", "auditor", "tok-new", 1.0), ForumToken("sos-a", "viewer", "x", 1.0)]
    )
    now = {t.role: t.token for t in await storage.access.tokens_of("sos-a")}
    assert now == {**kept, "auditor": "tok-new"}  # the viewer's token stayed
    await storage.access.add_tokens([])


async def test_a_rotated_token_replaces_the_old_one(storage: Storage) -> None:
    await Seeder(storage).forum("sos-a")
    old = {t.role: t.token for t in await storage.access.tokens_of("sos-a")}
    await storage.access.replace_token("sos-a", "viewer", "tok-rotated", 2.0)
    now = {t.role: t for t in await storage.access.tokens_of("sos-a")}
    assert now["viewer"].token == "tok-rotated" and now["viewer"].created_at == 2.0
    assert now["participant"].token == old["participant"]
    assert await storage.access.forum_of_token(old["viewer"]) is None
    assert await storage.access.forum_of_token("tok-rotated") == "sos-a"


async def test_the_admin_hash_is_set_and_replaced(storage: Storage) -> None:
    assert await storage.access.admin_hash() is None
    await storage.access.set_admin_hash("a" * 64)
    assert await storage.access.admin_hash() == "a" * 64
    await storage.access.set_admin_hash("b" * 64)
    assert await storage.access.admin_hash() == "b" * 64


async def test_metrics_start_from_a_forums_first_board(storage: Storage) -> None:
    seed = Seeder(storage)
    sync = await seed.forum("sos-a", "sos", "Alpha")
    first = sync.board
    assert await storage.metrics.first_board("nope") is None
    assert await storage.metrics.first_board("sos-a") == first
    await seed.snapshot("sos-a")  # a later snapshot does not change where history starts
    assert await storage.metrics.first_board("sos-a") == first
