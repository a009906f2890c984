"""``board.replay``: the one loop that re-applies a log. It yields each op with its events
and the board after it, exactly as ``apply`` one op at a time gives them; it checks the
seqs once and says what is wrong (a gap, a refused op, an op that changes nothing); and
every replay path (a room's load, the metrics' history, a session's timeline, an export)
reports its problems through it."""

from __future__ import annotations

import msgspec
import pytest

from board import ops as o
from board.apply import Context, apply
from board.export import ImportProblem, replay_session
from board.history import Timeline
from board.log import Accepted, Item, LoggedOp
from board.metrics_history import HistoryBuilder
from board.model import Board, new_board
from board.replay import ReplayError, board_after, replay
from board.sync import ForumSync
from board.sync import replay as sync_replay

T0 = 1_700_000_000.0

OPS: list[tuple[str, o.Op]] = [
    ("Ana", o.AddCard(column="new", title="Build is red")),
    ("Bo", o.AddCard(column="new", title="Flaky login", kind="impediment")),
    ("Ana", o.MoveCard(card="c1", column="removing", index=0)),
    ("Cy", o.StartSession()),
    ("Bo", o.RecordDecision(text="Fix the build first", cards=("c1",))),
    ("Ana", o.ArchiveCard(card="c2")),
    ("Cy", o.EndSession()),
]


def start() -> Board:
    return new_board("f1", "sos", "SoS")  # columns new, removing, needs-eat, removed


def log_of(board: Board, ops: list[tuple[str, o.Op]]) -> list[LoggedOp]:
    """What a room would have logged for ``ops`` (op ids on every other one)."""
    sync = ForumSync(board, "e1")
    out: list[LoggedOp] = []
    for i, (actor, op) in enumerate(ops):
        op_id = f"op{i}" if i % 2 else None
        outcome = sync.submit(op, op_id=op_id, actor=actor, at=T0 + i)
        assert isinstance(outcome, Accepted), outcome
        out.append(LoggedOp(outcome.item.seq, actor, T0 + i, op, op_id))
    return out


def test_each_step_is_what_apply_gives_one_op_at_a_time() -> None:
    board = start()
    logged = log_of(board, OPS)
    steps = list(replay(board, logged))
    assert len(steps) == len(logged)
    for entry, step in zip(logged, steps, strict=True):
        expected, events = apply(board, entry.op, Context(entry.seq, entry.at, entry.actor))
        assert step.board == expected
        assert step.item == Item(
            seq=entry.seq,
            actor=entry.actor,
            at=entry.at,
            op=entry.op,
            op_id=entry.op_id,
            events=tuple(events),
        )
        board = expected
    assert board_after(start(), logged) == board == sync_replay(start(), logged)


def test_an_item_is_a_logged_op_with_its_events() -> None:
    logged = log_of(start(), OPS[:2])
    item = next(replay(start(), logged)).item
    assert isinstance(item, LoggedOp) and item.events
    # Its log fields are the logged op's, in the log's order (the export's JSON shape).
    assert msgspec.json.encode(logged[0])[:-1] in msgspec.json.encode(item)


def test_an_empty_log_yields_nothing_and_leaves_the_board() -> None:
    board = start()
    assert list(replay(board, [])) == []
    assert board_after(board, []) is board
    assert board_after(board, [], end=board.seq) is board


def test_a_gap_names_the_op_and_the_seq_expected() -> None:
    logged = log_of(start(), OPS)
    gappy = logged[:3] + logged[4:]  # seq 4 missing
    seen: list[int] = []
    with pytest.raises(ReplayError) as caught:
        for step in replay(start(), gappy):
            seen.append(step.item.seq)
    e = caught.value
    assert seen == [1, 2, 3]  # the steps before the gap were yielded
    assert (e.problem, e.index, e.expected) == ("gap", 3, 4)
    assert e.entry is not None and e.entry.seq == 5
    assert "op 5" in str(e) and "op 4" in str(e)


def test_a_log_that_does_not_start_after_the_board_is_a_gap() -> None:
    logged = log_of(start(), OPS)
    with pytest.raises(ReplayError) as caught:
        list(replay(start(), logged[1:]))
    assert (caught.value.problem, caught.value.index, caught.value.expected) == ("gap", 0, 1)


def test_a_log_that_stops_before_its_end_is_a_gap() -> None:
    logged = log_of(start(), OPS)
    with pytest.raises(ReplayError) as caught:
        board_after(start(), logged[:4], end=len(logged))
    e = caught.value
    assert (e.problem, e.index, e.expected, e.entry) == ("gap", 4, 5, None)
    assert "stops before op 5" in str(e)
    assert board_after(start(), logged, end=len(logged)).seq == len(logged)


def test_an_op_the_board_refuses_says_why() -> None:
    logged = log_of(start(), OPS[:2])
    bad = LoggedOp(3, "Ana", T0, o.MoveCard(card="c99", column="removing", index=0))
    with pytest.raises(ReplayError) as caught:
        list(replay(start(), [*logged, bad]))
    e = caught.value
    assert (e.problem, e.index, e.code, e.entry) == ("refused", 2, "not_found", bad)
    assert "c99" in e.reason and "move_card" in str(e) and "op 3" in str(e)


def test_an_op_that_changes_nothing_is_not_a_logged_op() -> None:
    logged = log_of(start(), OPS[:1])
    idle = LoggedOp(2, "Ana", T0, o.MoveCard(card="c1", column="new", index=0))
    with pytest.raises(ReplayError) as caught:
        list(replay(start(), [*logged, idle]))
    assert (caught.value.problem, caught.value.index) == ("unchanged", 1)
    assert "changed nothing" in str(caught.value)


def test_every_replay_path_reports_through_it() -> None:
    logged = log_of(start(), OPS)
    gappy = logged[:3] + logged[4:]
    with pytest.raises(ReplayError):
        sync_replay(start(), gappy)
    with pytest.raises(ReplayError):
        Timeline(start(), gappy)
    with pytest.raises(ReplayError):
        Timeline(start(), logged[:3], end=len(logged))
    builder = HistoryBuilder(start())
    with pytest.raises(ReplayError):
        builder.feed(gappy)
    assert builder.seq == 3  # the ops before the gap are recorded
    with pytest.raises(ImportProblem, match=r"operations\[3\] has seq 5, expected 4"):
        replay_session(start(), gappy)


def test_the_timeline_and_the_history_follow_the_replay() -> None:
    logged = log_of(start(), OPS)
    steps = list(replay(start(), logged))
    timeline = Timeline(start(), logged, every=3, end=len(logged))
    for k in range(len(logged) + 1):
        assert timeline.board_at(k) == (steps[k - 1].board if k else start())
    builder = HistoryBuilder(start())
    builder.feed(logged[:4])
    builder.feed(logged[4:])
    assert builder.board == steps[-1].board
