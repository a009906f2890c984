"""What the SQLite engine writes beside the contract: a forum's role tokens, and the
review tables (sessions, decisions) in the same transaction as the ops they come
from; a refused append writes none of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from board import ops as o
from board.access import LINK_KINDS
from server.storage import StoreError
from server.storage.sqlite import SqliteStorage
from tests.storage.plays import Play


async def counts(storage: SqliteStorage, forum_id: str) -> tuple[int, int, int]:
    fetch = storage.engine.fetch
    ops = await fetch("SELECT count(*) FROM ops WHERE forum_id=?", (forum_id,))
    sessions = await fetch("SELECT count(*) FROM sessions WHERE forum_id=?", (forum_id,))
    decisions = await fetch("SELECT count(*) FROM decisions WHERE forum_id=?", (forum_id,))
    return ops[0][0], sessions[0][0], decisions[0][0]


async def test_a_turn_and_its_projections_are_one_transaction(tmp_path: Path) -> None:
    storage = await SqliteStorage.open(tmp_path / "s.db")
    try:
        play = Play()
        await storage.forums.create(play.first, 1.0)
        tokens = await storage.engine.fetch(
            "SELECT role FROM forum_tokens WHERE forum_id=?", (play.forum_id,)
        )
        assert sorted(r[0] for r in tokens) == sorted(LINK_KINDS)
        await storage.log.load(play.forum_id)
        play.do(o.StartSession())
        play.do(o.RecordDecision(text="One"))
        commits = storage.engine.commits
        await storage.log.append(play.forum_id, play.accepted, play.at)
        assert storage.engine.commits == commits + 1
        assert await counts(storage, play.forum_id) == (2, 1, 1)
        play.accepted.clear()
        play.do(o.RecordDecision(text="Lost"))
        play.do(o.RecordDecision(text="Refused"))
        with pytest.raises(StoreError):
            await storage.log.append(play.forum_id, play.accepted[1:], play.at)
        assert await counts(storage, play.forum_id) == (2, 1, 1)
    finally:
        await storage.close()
