"""Follow the facilitator (issue 5) in ``board``: what ``set_focus`` accepts and refuses,
who may send it, that the focus never names something gone, that it replays, and the
``hold`` message's schema (SPEC R29, R30)."""

from __future__ import annotations

import msgspec
import pytest

from board import ops as o
from board.access import can, needed
from board.apply import Context, Rejected, apply
from board.events import CardArchived, ColumnRemoved, FocusChanged
from board.log import LoggedOp
from board.model import Board, check, new_board
from board.protocol import BadMessage, Batch, Hold, decode_client, decode_server, encode
from board.sync import replay


def at(board: Board, op: o.Op, actor: str = "Fay") -> tuple[Board, list[object]]:
    before = msgspec.json.encode(board)
    new, events = apply(board, op, Context(seq=board.seq + 1, at=1000.0 + board.seq, actor=actor))
    assert msgspec.json.encode(board) == before  # apply never mutates its input
    assert check(new) == []
    return new, list(events)


@pytest.fixture
def board() -> Board:
    b = new_board("f1", "sos", "SoS")  # columns new, removing, needs-eat, removed
    b, _ = at(b, o.AddCard(column="new", title="Build is red"))  # c1
    b, _ = at(b, o.AddCard(column="new", title="Flaky login"))  # c2
    return b


def test_focus_on_a_card_then_a_column_then_released(board: Board) -> None:  # SPEC R30
    assert board.focus is None
    board, events = at(board, o.SetFocus(target="c1"))
    assert board.focus == "c1" and events == [FocusChanged(target="c1")]
    board, events = at(board, o.SetFocus(target="removing"))
    assert board.focus == "removing" and events == [FocusChanged(target="removing")]
    board, events = at(board, o.SetFocus(target=None))
    assert board.focus is None and events == [FocusChanged(target=None)]


def test_the_same_target_again_changes_nothing(board: Board) -> None:  # SPEC R30, R4
    board, _ = at(board, o.SetFocus(target="c2"))
    seq = board.seq
    same, events = at(board, o.SetFocus(target="c2"))
    assert events == [] and same is board and same.seq == seq
    board, _ = at(board, o.SetFocus(target=None))
    again, events = at(board, o.SetFocus())  # target defaults to None: already released
    assert events == [] and again is board


@pytest.mark.parametrize(
    ("target", "code"), [("c99", "not_found"), ("nowhere", "not_found"), ("c1", "conflict")]
)
def test_a_target_not_on_the_board_is_refused(board: Board, target: str, code: str) -> None:
    board, _ = at(board, o.ArchiveCard(card="c1"))
    board, _ = at(board, o.SetFocus(target="c2"))
    with pytest.raises(Rejected) as refused:
        at(board, o.SetFocus(target=target))
    assert refused.value.code == code and refused.value.reason
    assert board.focus == "c2"  # unchanged


def test_archiving_the_focused_card_releases_everyone(board: Board) -> None:  # SPEC R30
    board, _ = at(board, o.SetFocus(target="c1"))
    board, events = at(board, o.ArchiveCard(card="c1"))
    assert board.focus is None
    assert isinstance(events[0], CardArchived)
    assert events[-1] == FocusChanged(target=None)
    # Archiving another card leaves a focus alone.
    board, _ = at(board, o.SetFocus(target="c2"))
    board, _ = at(board, o.AddCard(column="new", title="Third"))
    board, events = at(board, o.ArchiveCard(card=f"c{board.seq}"))
    assert board.focus == "c2" and not any(isinstance(e, FocusChanged) for e in events)


def test_removing_the_focused_column_releases_everyone(board: Board) -> None:  # SPEC R30
    board, _ = at(board, o.SetFocus(target="needs-eat"))
    board, events = at(board, o.RemoveColumn(column="needs-eat"))
    assert board.focus is None
    assert isinstance(events[0], ColumnRemoved) and events[-1] == FocusChanged(target=None)


def test_only_a_facilitator_sets_the_focus() -> None:  # SPEC R30
    op = o.SetFocus(target="c1")
    assert needed(op) == "facilitator"
    assert can("facilitator", op)
    assert not can("participant", op) and not can("viewer", op) and not can(None, op)


def test_the_focus_replays_from_the_log() -> None:  # SPEC R30: board state
    start = new_board("f1", "sos", "SoS")
    ops: list[o.Op] = [
        o.AddCard(column="new", title="Build is red"),
        o.SetFocus(target="c1"),
        o.SetFocus(target="removing"),
    ]
    live = start
    logged: list[LoggedOp] = []
    for op in ops:
        ctx = Context(seq=live.seq + 1, at=1.0, actor="Fay")
        live, _ = apply(live, op, ctx)
        logged.append(LoggedOp(seq=ctx.seq, actor=ctx.actor, at=ctx.at, op=op))
    again = replay(start, logged)
    assert again.focus == "removing" == live.focus
    # A snapshot keeps it too.
    assert msgspec.json.decode(msgspec.json.encode(live), type=Board).focus == "removing"


def test_set_focus_and_hold_on_the_wire() -> None:  # SPEC R29, R30
    msg = decode_client(b'{"type":"op","id":"a-1","op":{"type":"set_focus","target":"c1"}}')
    assert msg.op == o.SetFocus(target="c1")  # type: ignore[union-attr]
    release = decode_client(b'{"type":"op","id":"a-2","op":{"type":"set_focus","target":null}}')
    assert release.op == o.SetFocus(target=None)  # type: ignore[union-attr]
    assert decode_client(b'{"type":"hold","card":"c7"}') == Hold(card="c7")
    assert decode_client(b'{"type":"hold","card":null}') == Hold(card=None)
    for bad in (
        b'{"type":"hold","card":""}',  # ids are not empty
        b'{"type":"hold","card":7}',
        b'{"type":"hold","card":"c1","why":"x"}',  # unknown field
        b'{"type":"hold","card":"' + b"x" * 65 + b'"}',  # too long
    ):
        with pytest.raises(BadMessage):
            decode_client(bad)
    # An ordinary batch carries no holds; one that does round-trips.
    empty = decode_server(encode(Batch(items=[], html={})))
    assert isinstance(empty, Batch) and empty.holds == []
