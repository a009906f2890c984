"""WIP limits (board/wip.py, SPEC R38): setting one, going over recorded (never blocked)
on add, move, restore and a received escalation, and a session's record of it."""

from __future__ import annotations

import msgspec
import pytest

from board import events as ev
from board import ops as o
from board.access import can
from board.guardrails import check_forum
from board.metrics_history import forum_history
from board.model import new_board
from board.wip import over_limit
from tests.test_backlog import Log


def sos() -> tuple[Log, list[str]]:
    log = Log(new_board("sos", "sos", "SoS"))
    ids = [log.card("new", t) for t in ("A", "B", "C")]
    return log, ids


def exceeded(events: list[ev.Event]) -> list[ev.WipExceeded]:
    return [e for e in events if isinstance(e, ev.WipExceeded)]


def test_set_and_clear_a_limit() -> None:
    log, _ = sos()
    [set_] = log.do(o.SetWipLimit(column="removing", limit=2))
    assert set_ == ev.WipLimitSet(column="removing", limit=2)
    assert log.board.column("removing").wip_limit == 2  # type: ignore[union-attr]
    assert log.do(o.SetWipLimit(column="removing", limit=2)) == []  # unchanged: no seq
    [cleared] = log.do(o.SetWipLimit(column="removing", limit=None))
    assert cleared == ev.WipLimitSet(column="removing", limit=None)
    for bad in (0, -3, 1000):
        assert "1 to 999" in log.refused(o.SetWipLimit(column="removing", limit=bad), "invalid")
    assert "no column" in log.refused(o.SetWipLimit(column="nope", limit=3), "not_found")
    assert can("participant", "set_wip_limit") and not can("viewer", "set_wip_limit")
    op = msgspec.json.decode(b'{"type":"set_wip_limit","column":"new","limit":4}', type=o.ClientOp)
    assert op == o.SetWipLimit(column="new", limit=4)


def test_an_add_over_the_limit_is_recorded_not_blocked() -> None:
    log, _ = sos()
    log.do(o.SetWipLimit(column="new", limit=4))
    events = log.do(o.AddCard(column="new", title="D"))  # 4 of 4: fine
    assert exceeded(events) == []
    events = log.do(o.AddCard(column="new", title="E"))  # 5 of 4
    [over] = exceeded(events)
    added = next(e for e in events if isinstance(e, ev.CardAdded))
    assert over == ev.WipExceeded(
        column="new", count=5, limit=4, title="New", card_id=added.card.id
    )
    assert isinstance(events[0], ev.CardAdded)  # the add happened, then the record
    [again] = exceeded(log.do(o.AddCard(column="new", title="F")))  # every entry over counts
    assert (again.count, again.limit) == (6, 4)
    assert over_limit(log.board) == [("new", 6, 4)]


def test_a_move_over_the_limit_and_a_move_within() -> None:
    log, (a, b, c) = sos()
    log.do(o.SetWipLimit(column="removing", limit=1))
    assert exceeded(log.do(o.MoveCard(card=a, column="removing", index=0))) == []
    events = log.do(o.MoveCard(card=b, column="removing", index=0))
    assert [type(e) for e in events] == [ev.CardMoved, ev.WipExceeded]
    assert exceeded(events)[0].count == 2 and exceeded(events)[0].card_id == b
    # A re-order inside a column already over its limit adds no card to it.
    assert exceeded(log.do(o.MoveCard(card=a, column="removing", index=0))) == []
    # Leaving a column is never an overrun, whatever the source's limit.
    log.do(o.SetWipLimit(column="new", limit=1))
    assert exceeded(log.do(o.MoveCard(card=c, column="removed", index=0))) == []


def test_restore_and_received_escalations_count_too() -> None:
    log, (a, _, _) = sos()
    log.do(o.ArchiveCard(card=a))
    log.do(o.SetWipLimit(column="new", limit=2))
    [over] = exceeded(log.do(o.RestoreCard(card=a)))
    assert (over.column, over.count, over.limit, over.card_id) == ("new", 3, 2, a)
    eat = Log(new_board("eat", "eat", "EAT"))
    eat.do(o.SetWipLimit(column="escalated", limit=1))
    eat.card("escalated", "Old")
    received = o.ReceiveEscalation(
        from_forum="sos", from_name="SoS", from_kind="sos", from_card="c9",
        column="escalated", kind="impediment", title="Approvals",
    )  # fmt: skip
    [over] = exceeded(eat.do(received))
    assert (over.column, over.count, over.limit) == ("escalated", 2, 1)


@pytest.mark.parametrize("limit", [1, 999])
def test_limits_at_the_edges(limit: int) -> None:
    log, _ = sos()
    log.do(o.SetWipLimit(column="new", limit=limit))
    assert log.board.column("new").wip_limit == limit  # type: ignore[union-attr]


def test_a_session_keeps_its_overruns_and_is_flagged() -> None:
    log, (a, b, _) = sos()
    log.do(o.SetWipLimit(column="removing", limit=1))
    log.do(o.MoveCard(card=a, column="removing", index=0))
    log.do(o.MoveCard(card=b, column="removing", index=0))  # over, outside a session
    log.do(o.MoveCard(card=b, column="new", index=0))
    log.do(o.StartSession())
    log.do(o.MoveCard(card=b, column="removing", index=1))  # over, in session 1
    log.do(o.RecordDecision(text="Two at once this week"))
    log.do(o.EndSession())
    history = forum_history(log.start, log.entries)
    [session] = history.sessions
    [over] = session.wip_overruns
    assert (over.column, over.title, over.count, over.limit, over.card_id) == (
        "removing", "Being removed", 2, 1, b,
    )  # fmt: skip
    assert over.session_id == session.id and over.label == "Being removed (2/1)"
    flags = check_forum(history).flags
    assert [f.rule for f in flags] == ["wip_exceeded"]
    assert "once: Being removed (2/1)" in flags[0].reason
