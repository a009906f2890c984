"""What every engine guarantees beyond the plain reads: the seq guard outlives a reopen,
a commit that fails writes none of its jobs, tokens stay unique, and a history search
takes ``%``, ``_`` and ``\\`` literally while it pages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from board import ops as o
from board.model import new_board
from server.storage import Storage, StoreError
from server.storage.access import ForumToken
from tests.storage.conftest import Open
from tests.storage.engines import Seeder
from tests.storage.plays import Play


async def test_the_seq_guard_holds_across_a_reopen(
    storage: Storage, engine: Open, tmp_path: Path
) -> None:
    play = Play()
    await storage.forums.create(play.first, play.at)
    await storage.log.load(play.forum_id)
    await storage.log.append(play.forum_id, play.cards(2), play.at)
    await storage.close()
    again = await engine(tmp_path)
    try:
        loaded = await again.log.load(play.forum_id)
        assert loaded is not None and loaded.board.seq == 2
        play.cards(1, "Lost")  # seq 3, never written
        with pytest.raises(StoreError):
            await again.log.append(play.forum_id, play.cards(1, "Gap"), play.at)
        assert await again.log.op_count(play.forum_id) == 2
        follows = Play()
        follows.cards(2)
        await again.log.append(play.forum_id, follows.cards(1, "Next"), follows.at)
        assert [e.seq for e in await again.log.ops(play.forum_id, 1, 9)] == [1, 2, 3]
    finally:
        await again.close()


async def test_a_failed_commit_writes_none_of_its_jobs(
    storage: Storage, engine: Open, tmp_path: Path
) -> None:
    play = Play()
    await storage.forums.create(play.first, 1.0)
    await storage.log.load(play.forum_id)
    await storage.log.append(play.forum_id, play.cards(2), play.at)
    other = await engine(tmp_path)  # a second writer of the same store, that never loaded
    try:
        bystander = Play("g1")
        await other.forums.create(bystander.first, 1.0)
        clash = Play()  # the same forum, another history: its seq 2 is already logged
        clash.cards(1, "Mine")
        late = clash.cards(2, "Clash")
        good = bystander.cards(2)
        refused = other.log.append(play.forum_id, late, 9.0)  # queued together:
        innocent = other.log.append(bystander.forum_id, good, 9.0)  # one transaction
        results = await asyncio.gather(refused, innocent, return_exceptions=True)
        assert all(isinstance(r, StoreError) for r in results), results
        assert await other.log.op_count(bystander.forum_id) == 0
        row = await other.forums.forum(bystander.forum_id)
        assert row is not None and row.seq == 0 and row.updated_at == 1.0
        assert [e.op_id for e in await other.log.ops(play.forum_id, 1, 9)] == ["Card-0", "Card-1"]
        # The store goes on: the bystander's room reloads and writes its turn again.
        await other.log.load(bystander.forum_id)
        await other.log.append(bystander.forum_id, good, 10.0)
        assert await other.log.op_count(bystander.forum_id) == 2
    finally:
        await other.close()


async def test_a_token_taken_by_another_forum_is_not_added(storage: Storage) -> None:
    await storage.forums.create(new_board("a", "sos", "A"), 1.0)
    await storage.forums.create(new_board("b", "sos", "B"), 1.0)
    taken = (await storage.access.tokens_of("a"))[0].token
    await storage.access.add_tokens([ForumToken("b", "auditor", taken, 2.0)])
    assert await storage.access.forum_of_token(taken) == "a"
    assert "auditor" not in {t.role for t in await storage.access.tokens_of("b")}


async def test_decisions_searched_literally_and_paged(storage: Storage) -> None:
    seed = Seeder(storage)
    await seed.forum("f", "sos", "F")
    await seed.do("f", "Ann", o.StartSession())
    texts = ["50% done", "500 done", "a_b", "axb", "back\\slash", "backslash", "Ünïcode"]
    for text in texts:
        await seed.do("f", "Ann", o.RecordDecision(text=text))
    history = storage.history
    for q, want in [
        ("50%", ["50% done"]),
        ("0%", ["50% done"]),
        ("a_b", ["a_b"]),
        ("_", ["a_b"]),
        ("k\\s", ["back\\slash"]),
        ("\\", ["back\\slash"]),
        ("done", ["500 done", "50% done"]),
        ("DONE", ["500 done", "50% done"]),
    ]:
        total, found = await history.decisions(q=q, limit=10)
        assert (total, [d.text for d in found]) == (len(want), want), q
    total, first = await history.decisions(limit=3)
    _, second = await history.decisions(limit=3, offset=3)
    _, last = await history.decisions(limit=3, offset=6)
    assert total == len(texts)
    assert [d.text for d in first + second + last] == texts[::-1]  # newest first
