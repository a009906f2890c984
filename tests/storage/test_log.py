"""The contract of ``ForumLog``: append a room's turn durably and in one piece, refuse a
gap in seq, and give back the board (whole, or at any seq) and the ops as logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from board import ops as o
from server.storage import Storage, StoreError
from tests.storage.conftest import Open
from tests.storage.plays import Play


async def created(storage: Storage, play: Play) -> None:
    await storage.forums.create(play.first, play.at)


async def test_append_then_load_gives_the_board_back(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    await storage.log.append(play.forum_id, play.cards(3), play.at)
    await storage.log.append(play.forum_id, play.cards(2, "More"), play.at)
    loaded = await storage.log.load(play.forum_id)
    assert loaded is not None
    assert loaded.board == play.board
    assert loaded.board.seq == 5
    assert await storage.log.op_count(play.forum_id) == 5


async def test_an_unknown_forum_loads_as_none(storage: Storage) -> None:
    assert await storage.log.load("nobody") is None


async def test_op_ids_are_known_after_a_reload(
    storage: Storage, engine: Open, tmp_path: Path
) -> None:
    play = Play()
    await created(storage, play)
    await storage.log.append(play.forum_id, play.cards(2), play.at)
    play.do(o.AddCard(column="new", title="anonymous"))  # no op id
    await storage.log.append(play.forum_id, play.accepted[-1:], play.at)
    await storage.close()
    again = await engine(tmp_path)
    try:
        loaded = await again.log.load(play.forum_id)
        assert loaded is not None
        assert loaded.known_op_ids == {"Card-0": 1, "Card-1": 2}
        assert loaded.board == play.board
    finally:
        await again.close()


async def test_a_seq_gap_is_refused_and_nothing_of_it_is_written(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    first = play.cards(2)
    written_at = play.at
    await storage.log.append(play.forum_id, first, written_at)
    lost = play.cards(1, "Lost")  # never appended: the next turn leaves a gap
    after_gap = play.cards(2, "After")
    with pytest.raises(StoreError):
        await storage.log.append(play.forum_id, after_gap, play.at + 5)
    assert await storage.log.op_count(play.forum_id) == 2
    row = await storage.forums.forum(play.forum_id)
    assert row is not None and row.seq == 2 and row.updated_at == written_at
    # The forum goes on from where the store is, once the room reloads.
    loaded = await storage.log.load(play.forum_id)
    assert loaded is not None and loaded.board == first[-1].board
    assert lost[0].item.seq == 3


async def test_a_refused_append_leaves_the_next_good_one_alone(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    await storage.log.load(play.forum_id)  # as a room does before it appends
    good = play.cards(2)
    gap = Play()  # the same forum id, another history: seq 4 onwards
    gap.cards(3)
    late = gap.cards(1, "Late")
    refused = storage.log.append(play.forum_id, late, 0)
    accepted = storage.log.append(play.forum_id, good, play.at)  # queued together
    with pytest.raises(StoreError):
        await refused
    await accepted
    assert [e.seq for e in await storage.log.ops(play.forum_id, 1, 10)] == [1, 2]


async def test_append_writes_the_summary_with_the_ops(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    play.cards(2)
    play.do(o.StartSession())
    await storage.log.append(play.forum_id, play.accepted, 2_000.0)
    row = await storage.forums.forum(play.forum_id)
    assert row is not None
    assert (row.seq, row.live_cards, row.updated_at) == (3, 2, 2_000.0)
    assert play.board.session is not None and row.session_id == play.board.session.id


async def test_board_at_any_seq(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    await storage.log.append(play.forum_id, play.cards(3), play.at)
    await storage.log.append(play.forum_id, play.cards(3, "Snap"), play.at, snapshot=True)
    await storage.log.append(play.forum_id, play.cards(2, "Late"), play.at)
    assert await storage.log.board_at(play.forum_id, 0) == play.first
    for a in play.accepted:
        assert await storage.log.board_at(play.forum_id, a.item.seq) == a.board
    with pytest.raises(LookupError):
        await storage.log.board_at(play.forum_id, 99)
    with pytest.raises(LookupError):
        await storage.log.board_at("nobody", 1)


async def test_a_snapshot_alone_keeps_the_board(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    await storage.log.append(play.forum_id, play.cards(4), play.at)
    await storage.log.snapshot(play.board)
    loaded = await storage.log.load(play.forum_id)
    assert loaded is not None and loaded.board == play.board


async def test_ops_in_a_range(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    await storage.log.append(play.forum_id, play.cards(5), play.at)
    ops = await storage.log.ops(play.forum_id, 2, 4)
    assert [e.seq for e in ops] == [2, 3, 4]
    for e, a in zip(ops, play.accepted[1:4], strict=True):
        assert (e.op, e.op_id, e.actor, e.at) == (a.item.op, a.item.op_id, a.item.actor, a.item.at)
    assert await storage.log.ops(play.forum_id, 6, 9) == []
    assert [e.seq for e in await storage.log.ops(play.forum_id, 4, 99)] == [4, 5]


async def test_phase_changes_of_a_retrospective(storage: Storage) -> None:
    play = Play("r1", "retro", "Retro")
    await created(storage, play)
    play.do(o.StartSession())
    play.do(o.SetPhase(phase="write"))
    play.do(o.AddCard(column="went-well", title="Pairing"))
    play.do(o.SetPhase(phase="reveal"))
    await storage.log.append(play.forum_id, play.accepted, play.at)
    changes = await storage.log.phase_changes(play.forum_id, 1, None)
    assert [(at, op.phase) for at, op in changes] == [
        (play.accepted[1].item.at, "write"),
        (play.accepted[3].item.at, "reveal"),
    ]
    assert await storage.log.phase_changes(play.forum_id, 1, 3) == changes[:1]


async def test_forget_lets_a_reloaded_room_go_on(storage: Storage) -> None:
    play = Play()
    await created(storage, play)
    await storage.log.append(play.forum_id, play.cards(2), play.at)
    storage.log.forget(play.forum_id)
    loaded = await storage.log.load(play.forum_id)
    assert loaded is not None and loaded.board.seq == 2
    await storage.log.append(play.forum_id, play.cards(1, "Next"), play.at)
    assert await storage.log.op_count(play.forum_id) == 3
