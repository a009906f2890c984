"""The contract of ``ForumDirectory``: forums made whole, teams in order, links, which
teams a Scrum of Scrums serves, and the instance's secret and seeded mark."""

from __future__ import annotations

from pathlib import Path

import pytest

from board import ops as o
from board.model import Team, new_board
from server.storage import Storage, StoreError
from tests.storage.conftest import Open
from tests.storage.plays import Play

TEAMS = [Team("checkout", "Checkout", "#1f77b4"), Team("alpha", "Alpha", "#d62728")]


async def test_a_new_forum_is_listed_and_loads(storage: Storage) -> None:
    board = new_board("sos-1", "sos", "Scrum of Scrums")
    await storage.forums.create(board, 5.0)
    row = await storage.forums.forum("sos-1")
    assert row is not None
    assert (row.id, row.kind, row.name, row.seq, row.created_at) == (
        "sos-1",
        "sos",
        "Scrum of Scrums",
        0,
        5.0,
    )
    assert [r.id for r in await storage.forums.forums()] == ["sos-1"]
    loaded = await storage.log.load("sos-1")
    assert loaded is not None and loaded.board == board
    assert await storage.forums.forum("nobody") is None


async def test_forums_are_listed_oldest_first(storage: Storage) -> None:
    await storage.forums.create(new_board("b", "eat", "Later"), 20.0)
    await storage.forums.create(new_board("a", "sos", "Earlier"), 10.0)
    assert [r.id for r in await storage.forums.forums()] == ["a", "b"]


async def test_a_taken_id_is_refused(storage: Storage) -> None:
    await storage.forums.create(new_board("x", "sos", "One"), 1.0)
    with pytest.raises(StoreError):
        await storage.forums.create(new_board("x", "eat", "Two"), 2.0)
    row = await storage.forums.forum("x")
    assert row is not None and row.name == "One"


async def test_a_forum_made_with_its_history(storage: Storage) -> None:
    play = Play("hist", "sos", "With a past")
    play.cards(3)
    play.do(o.StartSession())
    play.do(o.RecordDecision(text="Ship it"))
    play.do(o.EndSession())
    await storage.forums.create(play.first, 50.0, history=play.accepted)
    loaded = await storage.log.load("hist")
    assert loaded is not None and loaded.board == play.board
    assert await storage.log.op_count("hist") == 6
    assert await storage.log.board_at("hist", 2) == play.accepted[1].board
    row = await storage.forums.forum("hist")
    assert row is not None and (row.seq, row.live_cards, row.updated_at) == (6, 3, 50.0)
    assert loaded.known_op_ids == {"Card-0": 1, "Card-1": 2, "Card-2": 3}


async def test_teams_in_their_order(storage: Storage) -> None:
    assert await storage.forums.teams() == []
    await storage.forums.save_teams(TEAMS)
    assert await storage.forums.teams() == TEAMS
    renamed = Team("alpha", "Alpha team", "#000000")
    await storage.forums.save_teams([TEAMS[0], renamed])
    assert await storage.forums.teams() == [TEAMS[0], renamed]


async def test_links_set_changed_and_cleared(storage: Storage) -> None:
    await storage.forums.create(new_board("sos", "sos", "SoS"), 1.0)
    await storage.forums.create(new_board("eat", "eat", "EAT"), 1.0)
    assert await storage.forums.link("sos", "escalates_to") is None
    await storage.forums.set_link("sos", "escalates_to", "eat")
    await storage.forums.set_link("sos", "product_to", "sos")
    assert await storage.forums.link("sos", "escalates_to") == "eat"
    assert await storage.forums.link("sos", "product_to") == "sos"
    await storage.forums.set_link("sos", "escalates_to", None)
    assert await storage.forums.link("sos", "escalates_to") is None
    assert await storage.forums.link("sos", "product_to") == "sos"


async def test_served_teams_in_the_teams_order(storage: Storage) -> None:
    await storage.forums.save_teams(TEAMS)
    await storage.forums.create(new_board("sos", "sos", "SoS"), 1.0)
    assert await storage.forums.served() == {}
    await storage.forums.set_served("sos", ["alpha", "checkout", "alpha"])
    assert await storage.forums.served() == {"sos": ("checkout", "alpha")}
    await storage.forums.set_served("sos", ["alpha"])
    assert await storage.forums.served() == {"sos": ("alpha",)}
    await storage.forums.set_served("sos", [])
    assert await storage.forums.served() == {}


async def test_the_secret_is_made_once(storage: Storage, engine: Open, tmp_path: Path) -> None:
    secret = await storage.forums.secret()
    assert len(secret) >= 32
    assert await storage.forums.secret() == secret
    await storage.close()
    again = await engine(tmp_path)
    try:
        assert await again.forums.secret() == secret
    finally:
        await again.close()


async def test_is_new_until_a_forum_or_a_seed(
    storage: Storage, engine: Open, tmp_path: Path
) -> None:
    assert await storage.forums.is_new()
    await storage.forums.mark_seeded("demo")
    assert not await storage.forums.is_new()
    other = tmp_path / "other"
    other.mkdir()
    fresh = await engine(other)
    try:
        assert await fresh.forums.is_new()
        await fresh.forums.create(new_board("f", "sos", "F"), 1.0)
        assert not await fresh.forums.is_new()
    finally:
        await fresh.close()


async def test_a_parent_sos_is_kept_and_carried_by_the_transfer(
    storage: Storage, tmp_path: Path
) -> None:  # SPEC R72: a Scrum of Scrums' parent, on both engines and across a migrate
    from server.network.parents import parents, set_parent
    from server.storage.sqlite import SqliteStorage

    for fid in ("sos-a", "sos-b", "sosos"):
        await storage.forums.create(new_board(fid, "sos", fid), 1.0)
    await storage.forums.create(new_board("eat", "eat", "EAT"), 1.0)
    assert await set_parent(storage.forums, "sos-a", "sosos") is None
    assert await set_parent(storage.forums, "sos-b", "sosos") is None
    refused = await set_parent(storage.forums, "sosos", "sos-a")
    assert refused is not None and refused[0] == 400 and "circle" in refused[2]
    assert await set_parent(storage.forums, "sos-a", "eat") is not None
    assert await parents(storage.forums) == {"sos-a": "sosos", "sos-b": "sosos"}
    other = await SqliteStorage.open(tmp_path / "copy.db")
    try:
        await other.transfer.write_all(storage.transfer.read_all())
        assert await parents(other.forums) == {"sos-a": "sosos", "sos-b": "sosos"}
    finally:
        await other.close()
    assert await set_parent(storage.forums, "sos-b", None) is None
    assert await parents(storage.forums) == {"sos-a": "sosos"}
