"""``ForumSync`` (board/sync.py): seq, idempotent op ids, catch-up, replay."""

from __future__ import annotations

import msgspec
import pytest

from board import ops as o
from board.apply import Context, apply
from board.events import CardAdded, CardMoved
from board.log import Item, LoggedOp
from board.model import Board, new_board
from board.sync import (
    REMEMBERED_OPS,
    Accepted,
    Duplicate,
    ForumSync,
    Refused,
    Unchanged,
    replay,
)

EPOCH = "epoch-1"


def fresh() -> ForumSync:
    return ForumSync(new_board("f1", "sos", "SoS"), EPOCH)


def accept(sync: ForumSync, op: o.Op, op_id: str | None = None, actor: str = "Ann") -> Item:
    outcome = sync.submit(op, op_id=op_id, actor=actor, at=float(sync.seq + 1))
    assert isinstance(outcome, Accepted), outcome
    assert outcome.board is sync.board
    return outcome.item


def add(sync: ForumSync, title: str = "Card", op_id: str | None = None) -> Item:
    return accept(sync, o.AddCard(column="new", title=title), op_id)


def test_seq_is_1_2_3_without_gaps() -> None:
    # SPEC R4: each accepted op that changes the board gets the forum's next seq.
    sync = fresh()
    items = [add(sync, f"t{i}", f"op{i}") for i in range(3)]
    assert [i.seq for i in items] == [1, 2, 3] and sync.seq == 3
    assert [i.op_id for i in items] == ["op0", "op1", "op2"]
    assert items[0].events == (CardAdded(card=sync.board.cards["c1"]),)
    assert (items[1].actor, items[1].at, items[1].op) == (
        "Ann",
        2.0,
        o.AddCard(column="new", title="t1"),
    )


def test_refused_ops_get_no_seq() -> None:
    # SPEC R4, R7: a reject changes nothing and spends no seq.
    sync = fresh()
    add(sync)
    board = sync.board
    outcome = sync.submit(
        o.MoveCard(card="c9", column="new", index=0), op_id="x", actor="A", at=2.0
    )
    assert isinstance(outcome, Refused) and outcome.code == "not_found" and outcome.reason
    assert sync.board is board and sync.seq == 1
    assert add(sync).seq == 2


def test_unchanged_ops_get_no_seq() -> None:
    # SPEC R4: a card dropped where it was is acknowledged with the current seq.
    sync = fresh()
    add(sync)
    add(sync)
    board = sync.board
    outcome = sync.submit(
        o.MoveCard(card="c1", column="new", index=0), op_id="u", actor="A", at=3.0
    )
    assert outcome == Unchanged(seq=2)
    assert sync.board is board and sync.catch_up(EPOCH, 0) is not None
    assert [i.seq for i in sync.catch_up(EPOCH, 0) or []] == [1, 2]  # nothing logged
    assert add(sync).seq == 3
    # SPEC R6: resending it later is a duplicate of that ack, and still applies nothing.
    assert sync.submit(
        o.MoveCard(card="c1", column="new", index=5), op_id="u", actor="A", at=4.0
    ) == Duplicate(seq=2)


def test_duplicate_op_ids_apply_nothing() -> None:
    # SPEC R6: an id that was accepted gets its original seq back, duplicate, no change.
    sync = fresh()
    first = add(sync, "once", "client-1")
    add(sync, "other", "client-2")
    board = sync.board
    for op in (o.AddCard(column="new", title="once"), o.RenameForum(name="different op, same id")):
        assert sync.submit(op, op_id="client-1", actor="Ann", at=9.0) == Duplicate(seq=first.seq)
    assert sync.board is board and sync.seq == 2 and len(board.cards) == 2


def test_resent_refusal_is_the_same_refusal() -> None:
    # SPEC R6: an id that was refused gets the same reject, even if it would now apply.
    sync = fresh()
    move = o.MoveCard(card="c1", column="removing", index=0)
    refused = sync.submit(move, op_id="early", actor="Ann", at=1.0)
    assert isinstance(refused, Refused) and refused.code == "not_found"
    add(sync)  # now c1 exists
    assert sync.submit(move, op_id="early", actor="Ann", at=2.0) == refused
    assert sync.board.cards["c1"].column == "new"
    assert isinstance(sync.submit(move, op_id="later", actor="Ann", at=3.0), Accepted)


def test_ops_without_id_are_not_remembered() -> None:
    sync = fresh()
    op = o.AddCard(column="new", title="again")
    assert [accept(sync, op).seq, accept(sync, op).seq] == [1, 2]


def test_known_op_ids_survive_a_restart() -> None:
    # SPEC R6: accepted ids are remembered across restarts (the store hands them back).
    sync = fresh()
    add(sync, op_id="before-restart")
    restarted = ForumSync(sync.board, "epoch-2", known_op_ids={"before-restart": 1})
    op = o.AddCard(column="new", title="Card")
    assert restarted.submit(op, op_id="before-restart", actor="Ann", at=5.0) == Duplicate(seq=1)
    assert restarted.board is sync.board


def test_remembers_at_least_the_last_20000_ids() -> None:
    # SPEC R6: the server remembers at least the last 20 000 ids per forum.
    sync = fresh()
    add(sync, op_id="oldest")
    missing = o.ArchiveCard(card="c404")
    for i in range(REMEMBERED_OPS - 1):
        sync.submit(missing, op_id=f"r{i}", actor="Ann", at=1.0)
    assert REMEMBERED_OPS >= 20_000
    assert sync.submit(o.StartSession(), op_id="oldest", actor="Ann", at=2.0) == Duplicate(seq=1)
    sync.submit(missing, op_id="one-more", actor="Ann", at=3.0)
    assert isinstance(sync.submit(o.StartSession(), op_id="oldest", actor="Ann", at=4.0), Accepted)


def test_submit_passes_teams_to_apply() -> None:
    sync = fresh()
    op = o.AddCard(column="new", title="x", team="green")
    outcome = sync.submit(op, op_id=None, actor="Ann", at=1.0, teams=frozenset({"red"}))
    assert isinstance(outcome, Refused) and outcome.code == "invalid"


# -- catch-up (SPEC R10) ------------------------------------------------------------------


def test_catch_up_returns_exactly_the_missed_items() -> None:
    # SPEC R10: same epoch, history covers the gap: exactly the items after last_seq.
    sync = fresh()
    items = [add(sync, f"t{i}") for i in range(5)]
    assert sync.catch_up(EPOCH, 0) == items
    assert sync.catch_up(EPOCH, 2) == items[2:]
    assert sync.catch_up(EPOCH, 4) == items[4:]
    assert sync.catch_up(EPOCH, 5) == []


@pytest.mark.parametrize(
    ("epoch", "last_seq"),
    [("epoch-0", 2), (None, 2), (EPOCH, None), (None, None), (EPOCH, 4), (EPOCH, 100)],
)
def test_catch_up_sends_the_board_otherwise(epoch: str | None, last_seq: int | None) -> None:
    # SPEC R10: another epoch, no position, or a seq ahead of the board: the whole board.
    sync = fresh()
    for i in range(3):
        add(sync, f"t{i}")
    assert sync.catch_up(epoch, last_seq) is None


def test_catch_up_when_history_no_longer_covers_the_gap() -> None:
    # SPEC R10: if the server no longer holds every item after last_seq, the whole board.
    sync = ForumSync(new_board("f1", "sos", "SoS"), EPOCH, history=3)
    items = [add(sync, f"t{i}") for i in range(6)]
    assert sync.catch_up(EPOCH, 3) == items[3:]
    assert sync.catch_up(EPOCH, 2) is None
    assert sync.catch_up(EPOCH, 0) is None
    assert sync.catch_up(EPOCH, 6) == []


def test_catch_up_after_loading_from_disk() -> None:
    # A loaded board has no history yet: only a client that is up to date gets a delta.
    sync = fresh()
    for i in range(4):
        add(sync, f"t{i}")
    loaded = ForumSync(sync.board, "epoch-2")
    assert loaded.catch_up("epoch-2", 4) == []
    assert loaded.catch_up("epoch-2", 3) is None
    assert loaded.catch_up(EPOCH, 4) is None  # an old epoch never gets a delta
    item = add(loaded)
    assert loaded.catch_up("epoch-2", 4) == [item]


# -- the log and replay -------------------------------------------------------------------


def logged(items: list[Item]) -> list[LoggedOp]:
    return [LoggedOp(seq=i.seq, actor=i.actor, at=i.at, op=i.op, op_id=i.op_id) for i in items]


def test_replay_reproduces_the_board() -> None:
    sync = fresh()
    start = sync.board
    items = [
        add(sync, "a", "1"),
        add(sync, "b", "2"),
        accept(sync, o.MoveCard(card="c1", column="removing", index=0), "3", actor="Bo"),
        accept(sync, o.StartSession(), "4"),
        accept(sync, o.AddNextStep(text="Call EAT"), "5", actor="Cy"),
        accept(sync, o.ArchiveCard(card="c2"), "6"),
        accept(sync, o.EndSession(), "7"),
    ]
    assert isinstance(items[2].events[0], CardMoved)
    again = replay(start, logged(items))
    assert again == sync.board
    assert msgspec.json.encode(again) == msgspec.json.encode(sync.board)
    assert replay(start, logged(items[:3])) == apply_all(start, items[:3])


def apply_all(board: Board, items: list[Item]) -> Board:
    for item in items:
        board, _ = apply(board, item.op, Context(seq=item.seq, at=item.at, actor=item.actor))
    return board


def test_replay_of_an_op_that_changes_nothing_is_an_error() -> None:
    sync = fresh()
    item = add(sync)
    noop = LoggedOp(seq=2, actor="Ann", at=2.0, op=o.MoveCard(card="c1", column="new", index=0))
    with pytest.raises(ValueError):
        replay(sync.board, [noop])
    assert replay(new_board("f1", "sos", "SoS"), logged([item])) == sync.board
