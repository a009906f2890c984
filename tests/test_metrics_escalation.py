"""Escalation metrics on hand-built histories with known answers, and from replayed logs.

Times are in days from ``T0``: an impediment escalated on day 1 and accepted on day 3
took 2 days to accept.
"""

from __future__ import annotations

from board import ops as o
from board.apply import Context, apply
from board.log import LoggedOp
from board.metrics import DAY, Period, escalations, forum_metrics, network_metrics
from board.metrics_facts import (
    EscalationChange,
    EscalationFact,
    ForumHistory,
    escalation_outcome,
)
from board.metrics_history import forum_history
from board.model import Board, new_board

T0 = 1_700_000_000.0


def day(n: float) -> float:
    return T0 + n * DAY


def period(start: float, end: float) -> Period:
    return Period(day(start), day(end))


def fact(
    card: str,
    at: float,
    *changes: tuple[float, str],
    direction: str = "sent",
    other: str = "eat",
    other_card: str = "",
    route: str = "escalate",
) -> EscalationFact:
    """An escalation on day ``at``; ``changes`` are (day, status) after the landing one."""
    landing = "escalated"
    return EscalationFact(
        direction=direction,  # type: ignore[arg-type]
        card_id=card,
        title=f"Card {card}",
        kind="impediment",
        route=route,
        other_forum=other,
        other_name=other.upper(),
        other_card=other_card,
        escalated_at=day(at),
        changes=(
            EscalationChange(day(at), landing, "open"),
            *(EscalationChange(day(d), s, escalation_outcome(s)) for d, s in changes),
        ),
    )


def history(forum_id: str, kind: str, *facts: EscalationFact) -> ForumHistory:
    return ForumHistory(forum_id=forum_id, kind=kind, name=forum_id, escalations=facts)


def test_outcomes_of_statuses() -> None:
    assert escalation_outcome("escalated") == "open"
    assert escalation_outcome("raised") == "open"
    assert escalation_outcome("") == "open"
    assert escalation_outcome("accepted") == "accepted"
    assert escalation_outcome("decided") == "accepted"
    assert escalation_outcome("in-progress") == "in_progress"
    assert escalation_outcome("deferred") == "in_progress"
    assert escalation_outcome("removed") == "removed"
    assert escalation_outcome("archived") == "removed"
    assert escalation_outcome("x1", "Done") == "removed"
    assert escalation_outcome("returned") == "returned"
    assert escalation_outcome("failed") == "failed"


def sos_history() -> ForumHistory:
    """a: day 1 → accepted day 3 → removed day 6. b: day 2 → returned day 2.5.
    c: day 4, still waiting. d: day 5 → in progress day 9 (no accept column first).
    e: day 8, failed. f: day 20, after the period. g: a product route, not counted.
    h: day -3 (before the period) → accepted day 1."""
    return history(
        "sos",
        "sos",
        fact("a", 1, (3, "accepted"), (6, "removed")),
        fact("b", 2, (2.5, "returned")),
        fact("c", 4),
        fact("d", 5, (9, "in-progress")),
        fact("e", 8, (8, "failed")),
        fact("f", 20, (21, "accepted")),
        fact("g", 3, (4, "accepted"), route="product"),
        fact("h", -3, (1, "accepted")),
    )


def test_a_forums_escalations_over_a_period() -> None:
    e = escalations(sos_history(), period(0, 14))
    assert e.available and e.reason == ""
    assert (e.sent, e.received) == (5, 0)  # a b c d e
    o_ = e.outcomes
    assert (o_.open, o_.accepted, o_.in_progress, o_.removed, o_.returned, o_.failed) == (
        1, 0, 1, 1, 1, 1,
    )  # fmt: skip
    # To accept: a 2 days, d 4 days (straight to in progress), h 4 days (accepted in it).
    assert e.time_to_accept.count == 3
    assert e.time_to_accept.median == 4 * DAY and e.time_to_accept.max == 4 * DAY
    # To close: a 5 days (removed), b half a day (returned).
    assert (e.time_to_close.count, e.time_to_close.median) == (2, 2.75 * DAY)
    assert e.time_to_close.p90 == 5 * DAY and e.time_to_close.max == 5 * DAY
    assert [i.card_id for i in e.items] == ["e", "d", "c", "b", "a", "h"]  # most recent first
    a = next(i for i in e.items if i.card_id == "a")
    assert (a.outcome, a.status, a.closed_how) == ("removed", "removed", "removed")
    assert (a.to_accept, a.to_close) == (2 * DAY, 5 * DAY)
    h = next(i for i in e.items if i.card_id == "h")
    assert (h.outcome, h.to_accept, h.to_close) == ("accepted", 4 * DAY, None)


def test_outcomes_are_as_of_the_period_end() -> None:
    e = escalations(sos_history(), period(0, 4))  # a accepted, not yet removed; b returned
    assert (e.sent, e.outcomes.accepted, e.outcomes.returned, e.outcomes.removed) == (2, 1, 1, 0)
    assert e.time_to_close.count == 1 and e.time_to_close.median == 0.5 * DAY
    # A later period: only what happened in it counts.
    later = escalations(sos_history(), period(7, 14))
    assert (later.sent, later.outcomes.failed) == (1, 1)
    assert [i.card_id for i in later.items] == ["e", "d"]  # d was taken on in it
    assert later.time_to_accept.count == 1 and later.time_to_accept.median == 4 * DAY
    assert later.time_to_close.count == 0 and later.time_to_close.median is None


def test_the_network_counts_each_escalation_once() -> None:
    p = period(0, 14)
    sos = history(
        "sos",
        "sos",
        fact("a", 1, (3, "accepted"), (6, "removed"), other="eat", other_card="x"),
        fact("b", 2, (2, "failed"), other="eat"),
        fact("c", 4, (5, "accepted"), other="eat-elsewhere", other_card="y"),
    )
    # The EAT's own record of a: received a bit later, its times are the EAT's.
    eat = history(
        "eat",
        "eat",
        fact("x", 1.5, (3, "accepted"), (6, "removed"), direction="received", other="sos",
             other_card="a"),
    )  # fmt: skip
    net = network_metrics([forum_metrics(sos, p), forum_metrics(eat, p)], p).escalations
    assert (net.sent, net.received) == (3, 1)
    assert sorted((i.forum_id, i.card_id) for i in net.items) == [
        ("eat", "x"), ("sos", "b"), ("sos", "c"),
    ]  # fmt: skip
    assert (net.outcomes.removed, net.outcomes.failed, net.outcomes.accepted) == (1, 1, 1)
    assert net.time_to_accept.count == 2  # x: 1.5 days, c: 1 day
    assert net.time_to_accept.median == 1.25 * DAY
    assert (net.time_to_close.count, net.time_to_close.median) == (1, 4.5 * DAY)


# -- from the operation logs -------------------------------------------------------------


class Log:
    def __init__(self, board: Board) -> None:
        self.start = board
        self.board = board
        self.entries: list[LoggedOp] = []

    def do(self, at_day: float, op: o.Op) -> int:
        seq = self.board.seq + 1
        self.board, events = apply(self.board, op, Context(seq=seq, at=day(at_day), actor="A"))
        assert events, op
        self.entries.append(LoggedOp(seq=seq, actor="A", at=day(at_day), op=op))
        return seq


def test_escalations_replay_from_both_logs() -> None:
    sos = Log(new_board("sos", "sos", "SoS"))
    eat = Log(new_board("eat", "eat", "EAT"))
    a = f"c{sos.do(0, o.AddCard(column='new', title='No test env'))}"
    b = f"c{sos.do(0, o.AddCard(column='new', title='Licences'))}"
    c = f"c{sos.do(0, o.AddCard(column='new', title='Refused'))}"

    def escalate(at: float, card: str, title: str) -> str:
        sos.do(at, o.EscalateCard(card=card, to_forum="eat", to_name="EAT", to_kind="eat"))
        seq = eat.do(
            at,
            o.ReceiveEscalation(
                from_forum="sos", from_name="SoS", from_kind="sos", from_card=card,
                column="escalated", kind="impediment", title=title,
            ),
        )  # fmt: skip
        target = f"c{seq}"
        sos.do(at, o.EscalationStatus(card=card, status="escalated", label="Escalated",
                                      target_card=target))  # fmt: skip
        return target

    def status(at: float, card: str, st: str, label: str, note: str = "") -> None:
        sos.do(at, o.EscalationStatus(card=card, status=st, label=label, note=note))

    x = escalate(1, a, "No test env")
    eat.do(2, o.MoveCard(card=x, column="accepted", index=0))
    status(2, a, "accepted", "Accepted")
    eat.do(4, o.MoveCard(card=x, column="removed", index=0))
    status(4, a, "removed", "Removed")
    y = escalate(2, b, "Licences")
    eat.do(3, o.ReturnEscalation(card=y, note="Teams own licences"))
    status(3, b, "returned", "Returned", "Teams own licences")
    sos.do(5, o.EscalateCard(card=c, to_forum="eat", to_name="EAT", to_kind="eat"))
    status(5, c, "failed", "Not escalated", "full")

    hs = forum_history(sos.start, sos.entries)
    he = forum_history(eat.start, eat.entries)
    assert [(f.direction, f.card_id, f.other_card) for f in hs.escalations] == [
        ("sent", a, x), ("sent", b, y), ("sent", c, ""),
    ]  # fmt: skip
    assert [c_.status for c_ in hs.escalations[0].changes] == ["escalated", "accepted", "removed"]
    assert [(f.direction, f.card_id, f.other_card) for f in he.escalations] == [
        ("received", x, a), ("received", y, b),
    ]  # fmt: skip
    assert [c_.outcome for c_ in he.escalations[1].changes] == ["open", "returned"]

    p = period(0, 14)
    ms, me = forum_metrics(hs, p), forum_metrics(he, p)
    es = ms.escalations
    assert (es.sent, es.received) == (3, 0)
    assert (es.outcomes.removed, es.outcomes.returned, es.outcomes.failed) == (1, 1, 1)
    assert (es.time_to_accept.count, es.time_to_accept.median) == (1, 1 * DAY)
    # a: day 1 → removed day 4; b: day 2 → returned day 3.
    close = es.time_to_close
    assert (close.count, close.median, close.max) == (2, 2 * DAY, 3 * DAY)
    ee = me.escalations
    assert (ee.sent, ee.received, ee.outcomes.removed, ee.outcomes.returned) == (0, 2, 1, 1)
    net = network_metrics([ms, me], p).escalations
    assert (net.sent, net.received) == (3, 2)
    assert len(net.items) == 3  # x and y as the EAT has them, c (failed) as the SoS has it
    assert (net.outcomes.removed, net.outcomes.returned, net.outcomes.failed) == (1, 1, 1)

    # A refused escalation sent again is a new one.
    sos.do(6, o.EscalateCard(card=c, to_forum="eat", to_name="EAT", to_kind="eat"))
    again = forum_history(sos.start, sos.entries)
    assert [(f.card_id, f.escalated_at) for f in again.escalations][-2:] == [
        (c, day(5)), (c, day(6)),
    ]  # fmt: skip
