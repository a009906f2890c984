"""Metrics on hand-built histories with known answers, and the replay that builds them.

Times are in days from an arbitrary origin (``T0``), so every expected number can be
read off the history: an impediment raised on day 2 and removed on day 5 took 3 days.
"""

from __future__ import annotations

from typing import Any

import pytest

from board import ops as o
from board.apply import Context, apply
from board.log import LoggedOp
from board.metrics import (
    AGE_BUCKETS,
    DAY,
    WEEK,
    Period,
    age_buckets,
    forum_metrics,
    network_metrics,
    stats,
    week_bounds,
)
from board.metrics_facts import (
    CardEvent,
    DecisionFact,
    ForumHistory,
    SessionFact,
    StatusChange,
    StepFact,
)
from board.metrics_history import HistoryBuilder, forum_history
from board.model import Board, new_board

T0 = 1_700_000_000.0


def day(n: float) -> float:
    return T0 + n * DAY


def ev(
    card: str,
    at: float,
    change: str = "added",
    *,
    state: str = "open",
    kind: str = "impediment",
    created: float | None = None,
    column: str | None = None,
    title: str | None = None,
) -> CardEvent:
    """A card event at day ``at``; ``created`` defaults to ``at`` (for "added")."""
    return CardEvent(
        at=day(at),
        card_id=card,
        change=change,  # type: ignore[arg-type]
        kind=kind,
        title=title or f"Card {card}",
        column=column or {"open": "new", "removed": "removed", "archived": "new"}[state],
        state=state,  # type: ignore[arg-type]
        created_at=day(created if created is not None else at),
    )


def history(forum_id: str = "f", **parts: Any) -> ForumHistory:
    return ForumHistory(forum_id=forum_id, kind="sos", name="SoS", **parts)


def period(start: float, end: float) -> Period:
    return Period(day(start), day(end))


# -- summary statistics -----------------------------------------------------------------


def test_stats_median_p90_and_max() -> None:
    assert stats([]).count == 0 and stats([]).median is None and stats([]).max is None
    one = stats([5.0])
    assert (one.count, one.median, one.p90, one.max) == (1, 5.0, 5.0, 5.0)
    odd = stats([3.0, 1.0, 2.0])
    assert (odd.median, odd.p90, odd.max) == (2.0, 3.0, 3.0)
    even = stats([4.0, 1.0, 3.0, 2.0])
    assert even.median == 2.5
    # Nearest rank: the ceil(0.9 n)-th smallest.
    assert stats([float(i) for i in range(1, 11)]).p90 == 9.0
    assert stats([float(i) for i in range(1, 71)]).p90 == 63.0  # 0.9 * 70 is 63.000…01
    assert stats([float(i) for i in range(1, 12)]).p90 == 10.0


def test_age_buckets_cover_every_age_once() -> None:
    ages = [0.0, DAY - 1, DAY, 3 * DAY, 6.9 * DAY, WEEK, 13 * DAY, 20 * DAY, 28 * DAY, 400 * DAY]
    buckets = age_buckets(ages)
    assert [b.label for b in buckets] == [label for label, _, _ in AGE_BUCKETS]
    assert [b.count for b in buckets] == [2, 1, 2, 2, 1, 2]
    assert sum(b.count for b in buckets) == len(ages)


def test_week_bounds_cut_the_period_into_weeks_and_a_rest() -> None:
    assert week_bounds(period(0, 7)) == [day(0), day(7)]
    assert week_bounds(period(0, 10)) == [day(0), day(7), day(10)]
    assert week_bounds(period(0, 14)) == [day(0), day(7), day(14)]
    assert len(week_bounds(period(0, 365))) == 54  # 52 whole weeks, a day, and the end


# -- impediments: age and time to removal ------------------------------------------------


def test_an_empty_history_gives_zeros_and_no_made_up_numbers() -> None:
    m = forum_metrics(history(), period(0, 14))
    assert m.open_impediments == [] and m.removals == [] and m.latencies == []
    assert m.impediment_age.count == 0 and m.impediment_age.median is None
    assert m.time_to_removal.count == 0 and m.decision_latency.count == 0
    assert m.follow_through.rate is None and m.sessions == []
    assert [(w.raised, w.removed, w.decisions) for w in m.weeks] == [(0, 0, 0), (0, 0, 0)]
    assert m.escalations.available and m.escalations.items == []
    assert (m.escalations.sent, m.escalations.received) == (0, 0)
    assert m.escalations.time_to_accept.count == 0


def test_open_impediments_age_at_the_end_and_removals_take_created_to_removed() -> None:
    h = history(
        cards=(
            ev("a", 0),  # open all along
            ev("b", 2),
            ev("b", 5, "moved", state="removed", created=2),  # took 3 days
            ev("c", 1, kind="note"),  # not an impediment
            ev("d", 4),
            ev("d", 8, "archived", state="archived", created=4),  # archived: removed too
        )
    )
    m = forum_metrics(h, period(0, 10))
    assert [(i.card_id, i.age) for i in m.open_impediments] == [("a", 10 * DAY)]
    assert m.impediment_age.count == 1 and m.impediment_age.median == 10 * DAY
    assert [(r.card_id, r.took, r.how) for r in m.removals] == [
        ("d", 4 * DAY, "archived"),  # most recent first
        ("b", 3 * DAY, "removed"),
    ]
    assert m.time_to_removal.median == 3.5 * DAY and m.time_to_removal.max == 4 * DAY
    assert m.raised == 3  # a, b and d; c is a note
    assert [(w.raised, w.removed) for w in m.weeks] == [(3, 1), (0, 1)]
    # A week earlier, b and d were both still open: ages at that end.
    earlier = forum_metrics(h, period(0, 4.5))
    assert [(i.card_id, i.age) for i in earlier.open_impediments] == [
        ("a", 4.5 * DAY),
        ("b", 2.5 * DAY),
        ("d", 0.5 * DAY),
    ]
    assert earlier.removals == []


def test_nothing_in_the_period() -> None:
    h = history(cards=(ev("a", 0), ev("a", 1, "moved", state="removed", created=0)))
    later = forum_metrics(h, period(10, 20))
    assert later.open_impediments == [] and later.removals == [] and later.raised == 0
    before = forum_metrics(h, period(-10, -5))  # before the card existed
    assert before.open_impediments == [] and before.removals == [] and before.raised == 0


def test_removed_after_the_period_is_still_open_at_its_end() -> None:
    h = history(cards=(ev("a", 0), ev("a", 20, "moved", state="removed", created=0)))
    m = forum_metrics(h, period(0, 10))
    assert [(i.card_id, i.age) for i in m.open_impediments] == [("a", 10 * DAY)]
    assert m.removals == []


def test_a_change_exactly_at_the_end_belongs_to_the_next_period() -> None:
    h = history(cards=(ev("a", 0), ev("a", 10, "moved", state="removed", created=0)))
    assert [i.card_id for i in forum_metrics(h, period(0, 10)).open_impediments] == ["a"]
    assert [r.card_id for r in forum_metrics(h, period(10, 11)).removals] == ["a"]


def test_a_reopened_impediment_keeps_its_age_and_counts_its_last_removal() -> None:
    h = history(
        cards=(
            ev("a", 0),
            ev("a", 2, "moved", state="removed", created=0),
            ev("a", 3, "moved", state="open", created=0),  # back to New: reopened
            ev("b", 1),
            ev("b", 2, "archived", state="archived", created=1),
            ev("b", 4, "restored", state="open", created=1),
            ev("b", 6, "moved", state="removed", created=1),
        )
    )
    m = forum_metrics(h, period(0, 8))
    # a: removed on day 2 (counted), reopened, open at the end with its whole age.
    assert [(i.card_id, i.age, i.reopened) for i in m.open_impediments] == [("a", 8 * DAY, True)]
    removals = {r.card_id: r for r in m.removals}
    assert removals["a"].took == 2 * DAY and not removals["a"].reopened
    # b: archived, restored, removed: counted once, at its last removal, from creation.
    assert removals["b"].removed_at == day(6) and removals["b"].took == 5 * DAY
    assert removals["b"].reopened and removals["b"].how == "removed"
    assert len(m.removals) == 2


def test_removed_then_archived_is_one_removal() -> None:
    h = history(
        cards=(
            ev("a", 0),
            ev("a", 1, "moved", state="removed", created=0),
            ev("a", 2, "archived", state="archived", created=0),
        )
    )
    m = forum_metrics(h, period(0, 7))
    assert [(r.removed_at, r.how) for r in m.removals] == [(day(1), "removed")]


def test_a_card_added_straight_into_removed_was_never_open() -> None:
    h = history(cards=(ev("a", 1, state="removed"),))
    m = forum_metrics(h, period(0, 7))
    assert m.removals == [] and m.open_impediments == [] and m.raised == 1


def test_the_kind_at_the_time_decides_what_counts_as_an_impediment() -> None:
    h = history(
        cards=(
            ev("a", 0, kind="note"),
            ev("a", 1, "edited", kind="impediment", created=0),  # a note turned impediment
            ev("a", 3, "moved", state="removed", created=0),
            ev("b", 0),
            ev("b", 1, "edited", kind="dependency", created=0),  # no longer an impediment
        )
    )
    m = forum_metrics(h, period(0, 7))
    assert [r.card_id for r in m.removals] == ["a"] and m.removals[0].took == 3 * DAY
    assert m.open_impediments == []
    assert m.raised == 1  # a; b is a dependency at the end of the period


# -- decisions ----------------------------------------------------------------------------


def test_decision_latency_is_raised_to_first_decision_naming_the_card() -> None:
    h = history(
        cards=(ev("a", 1, kind="risk"), ev("b", 2), ev("c", 0.5)),
        decisions=(
            DecisionFact(id="d1", session_id="f-1", at=day(-1), text="c before", card_ids=()),
            DecisionFact(id="d2", session_id="f-1", at=day(3), text="Fix it", card_ids=("a",)),
            DecisionFact(
                id="d3", session_id="f-2", at=day(5), text="Both", card_ids=("a", "b", "ghost")
            ),
            DecisionFact(id="d4", session_id="f-3", at=day(9), text="Later", card_ids=("c",)),
        ),
    )
    m = forum_metrics(h, period(0, 7))
    found = {x.card_id: x for x in m.latencies}
    assert set(found) == {"a", "b"}  # ghost is no card; c's first decision is after
    assert found["a"].latency == 2 * DAY and found["a"].decision_id == "d2"
    assert found["a"].card_kind == "risk"  # every kind counts
    assert found["b"].latency == 3 * DAY and found["b"].session_id == "f-2"
    assert m.decision_latency.median == 2.5 * DAY
    assert m.decisions == 2  # d2, d3 (d1 is before, d4 after)
    assert [w.decisions for w in m.weeks] == [2]


def test_a_card_first_decided_before_the_period_does_not_count_later() -> None:
    h = history(
        cards=(ev("a", 0),),
        decisions=(
            DecisionFact(id="d1", session_id="s", at=day(1), text="x", card_ids=("a",)),
            DecisionFact(id="d2", session_id="s", at=day(8), text="y", card_ids=("a",)),
        ),
    )
    assert forum_metrics(h, period(7, 14)).latencies == []
    assert [x.decision_id for x in forum_metrics(h, period(0, 14)).latencies] == ["d1"]


def test_the_title_shown_is_the_one_the_card_had_when_decided() -> None:
    h = history(
        cards=(ev("a", 0, title="Old"), ev("a", 2, "edited", created=0, title="New")),
        decisions=(DecisionFact(id="d1", session_id="s", at=day(1), text="x", card_ids=("a",)),),
    )
    assert forum_metrics(h, period(0, 7)).latencies[0].title == "Old"


# -- next-step follow-through -------------------------------------------------------------


def step(sid: str, session: str, created: float, *changes: tuple[float, str]) -> StepFact:
    return StepFact(
        id=sid,
        session_id=session,
        created_at=day(created),
        changes=(
            StatusChange(day(created), "open"),
            *(StatusChange(day(at), s) for at, s in changes),
        ),
    )


def session(n: int, start: float, end: float | None = None, forum: str = "f") -> SessionFact:
    return SessionFact(
        id=f"{forum}-{n}",
        number=n,
        started_at=day(start),
        ended_at=day(end) if end is not None else None,
    )


def test_follow_through_is_done_by_the_start_of_the_next_session() -> None:
    h = history(
        sessions=(session(1, 0, 0.1), session(2, 7, 7.1), session(3, 14, 14.1)),
        steps=(
            step("s1", "f-1", 0.05, (3, "done")),  # done before session 2
            step("s2", "f-1", 0.05, (8, "done")),  # done, but after session 2 started
            step("s3", "f-1", 0.05, (2, "dropped")),
            step("s4", "f-1", 0.05, (2, "done"), (5, "open")),  # reopened before session 2
            step("s5", "f-3", 14.05),  # session 3 has no next session yet
        ),
    )
    m = forum_metrics(h, period(0, 21))
    rows = {r.session_id: r for r in m.sessions}
    one = rows["f-1"]
    assert (one.steps, one.done, one.dropped, one.still_open) == (4, 1, 1, 2)
    assert one.rate == 0.25 and one.next_session_id == "f-2"
    assert rows["f-2"].steps == 0 and rows["f-2"].rate is None  # nothing to follow
    three = rows["f-3"]
    assert three.next_session_id is None and three.rate is None and three.still_open == 1
    assert (m.follow_through.sessions, m.follow_through.steps, m.follow_through.done) == (1, 4, 1)
    assert m.follow_through.rate == 0.25
    assert [r.session_id for r in m.sessions] == ["f-3", "f-2", "f-1"]  # most recent first


def test_follow_through_counts_sessions_that_started_in_the_period() -> None:
    h = history(
        sessions=(session(1, 0, 0.1), session(2, 7, 7.1)),
        steps=(step("s1", "f-1", 0.05, (1, "done")),),
    )
    assert forum_metrics(h, period(5, 10)).sessions[0].session_id == "f-2"
    assert forum_metrics(h, period(5, 10)).follow_through.rate is None
    assert forum_metrics(h, period(0, 5)).follow_through.rate == 1.0
    # The next session may start after the period: it is still the measure.
    assert forum_metrics(h, period(0, 2)).sessions[0].done == 1


def test_a_step_done_at_the_very_moment_the_next_session_starts_counts() -> None:
    h = history(
        sessions=(session(1, 0, 0.1), session(2, 7)),
        steps=(step("s1", "f-1", 0.05, (7, "done")),),
    )
    assert forum_metrics(h, period(0, 14)).follow_through.rate == 1.0


# -- weeks and the network ------------------------------------------------------------------


def test_weeks_count_raised_removed_and_decisions() -> None:
    h = history(
        cards=(
            ev("a", 0),
            ev("b", 6.9),
            ev("c", 7),  # exactly on the second week's start
            ev("c", 15, "moved", state="removed", created=7),
        ),
        decisions=(DecisionFact(id="d", session_id="s", at=day(13), text="x"),),
    )
    m = forum_metrics(h, period(0, 21))
    assert [(w.start, w.end) for w in m.weeks] == [
        (day(0), day(7)),
        (day(7), day(14)),
        (day(14), day(21)),
    ]
    assert [(w.raised, w.removed, w.decisions) for w in m.weeks] == [
        (2, 0, 0),
        (1, 0, 1),
        (0, 1, 0),
    ]
    # Bounds of the caller's own (e.g. local midnights): the same counts, other cuts.
    cuts = [day(0), day(10), day(21)]
    m2 = forum_metrics(h, period(0, 21), cuts)
    assert [(w.raised, w.removed, w.decisions) for w in m2.weeks] == [(3, 0, 0), (0, 1, 1)]


def test_the_network_puts_every_forum_together() -> None:
    p = period(0, 14)
    one = forum_metrics(
        history(
            "one",
            cards=(ev("a", 0), ev("b", 1), ev("b", 3, "moved", state="removed", created=1)),
        ),
        p,
    )
    two = forum_metrics(
        history(
            "two",
            cards=(ev("a", 10),),
            sessions=(session(1, 0, 0.1, "two"), session(2, 7, 7.1, "two")),
            steps=(step("s1", "two-1", 0.05, (1, "done")), step("s2", "two-1", 0.05)),
            decisions=(
                DecisionFact(id="d", session_id="two-1", at=day(11), text="x", card_ids=("a",)),
            ),
        ),
        p,
    )
    net = network_metrics([one, two], p)
    assert net.scope == "network"
    assert [(i.forum_id, i.card_id, i.age) for i in net.open_impediments] == [
        ("one", "a", 14 * DAY),
        ("two", "a", 4 * DAY),
    ]
    assert net.impediment_age.median == 9 * DAY and net.impediment_age.max == 14 * DAY
    assert [(r.forum_id, r.took) for r in net.removals] == [("one", 2 * DAY)]
    assert [(x.forum_id, x.latency) for x in net.latencies] == [("two", 1 * DAY)]
    assert net.follow_through.rate == 0.5 and net.follow_through.steps == 2
    assert [(w.raised, w.removed, w.decisions) for w in net.weeks] == [(2, 1, 0), (1, 0, 1)]
    assert net.raised == 3 and net.decisions == 1
    empty = network_metrics([], p)
    assert empty.open_impediments == [] and len(empty.weeks) == 2


def test_the_network_needs_forums_measured_over_the_same_weeks() -> None:
    a = forum_metrics(history("a"), period(0, 14))
    b = forum_metrics(history("b"), period(0, 21))
    with pytest.raises(ValueError):
        network_metrics([a, b], period(0, 14))


# -- from the operation log -----------------------------------------------------------------


class Log:
    """Operations applied to a board at chosen times, logged as a room would."""

    def __init__(self, board: Board) -> None:
        self.start = board
        self.board = board
        self.entries: list[LoggedOp] = []

    def do(self, at_day: float, op: o.Op, actor: str = "Ana") -> int:
        seq = self.board.seq + 1
        self.board, events = apply(self.board, op, Context(seq=seq, at=day(at_day), actor=actor))
        assert events, op
        self.entries.append(LoggedOp(seq=seq, actor=actor, at=day(at_day), op=op))
        return seq


def played_forum() -> Log:
    """Day 0: two impediments and a note. Session 1 (day 1): one impediment removed, a
    decision on the other, two next steps. Day 3: a step done. Session 2 (day 7)."""
    log = Log(new_board("sos-x", "sos", "SoS"))
    a = f"c{log.do(0, o.AddCard(column='new', title='Build is red'))}"
    b = f"c{log.do(0, o.AddCard(column='new', title='No test env'))}"
    log.do(0, o.AddCard(column="new", title="FYI", kind="note"))
    log.do(1, o.StartSession())
    log.do(1.01, o.MoveCard(card=a, column="removed", index=0), actor="Ben")
    log.do(1.02, o.RecordDecision(text="Platform builds the env", cards=(b,)))
    s1 = f"s{log.do(1.03, o.AddNextStep(text='Ask platform', owner='Ana'))}"
    log.do(1.03, o.AddNextStep(text="Write it up"))
    log.do(1.04, o.EndSession())
    log.do(3, o.UpdateNextStep(step=s1, status="done"))
    log.do(7, o.StartSession())
    log.do(7.01, o.EndSession())
    return log


def test_the_log_replays_into_facts() -> None:
    log = played_forum()
    h = forum_history(log.start, log.entries)
    assert (h.forum_id, h.kind, h.seq) == ("sos-x", "sos", log.board.seq)
    assert [(s.number, s.started_at, s.ended_at) for s in h.sessions] == [
        (1, day(1), day(1.04)),
        (2, day(7), day(7.01)),
    ]
    one = h.sessions[0]
    assert (one.decisions, one.next_steps) == (1, 2)
    assert set(one.participants) == {"Ana", "Ben"}
    assert one.kinds_at_end == {"impediment": 2, "note": 1}
    moved = [e for e in h.cards if e.change == "moved"]
    assert [(e.state, e.from_column, e.session_id) for e in moved] == [
        ("removed", "new", "sos-x-1")
    ]
    done = next(s for s in h.steps if s.text == "Ask platform")
    assert done.status_at(day(2)) == "open" and done.status_at(day(3)) == "done"


def test_metrics_of_a_played_forum() -> None:
    log = played_forum()
    m = forum_metrics(forum_history(log.start, log.entries), period(0, 14))
    assert [(i.title, i.age) for i in m.open_impediments] == [("No test env", 14 * DAY)]
    assert [(r.title, r.took) for r in m.removals] == [("Build is red", 1.01 * DAY)]
    assert [(x.title, x.latency) for x in m.latencies] == [("No test env", 1.02 * DAY)]
    assert m.follow_through.rate == 0.5 and m.follow_through.steps == 2
    assert m.raised == 2 and m.decisions == 1


def test_feeding_the_log_in_parts_gives_the_same_history() -> None:
    log = played_forum()
    builder = HistoryBuilder(log.start)
    builder.feed(log.entries[:5])
    partial = builder.history()
    assert partial.sessions[-1].ended_at is None  # session 1 still running
    builder.feed(log.entries[5:])
    assert builder.history() == forum_history(log.start, log.entries)
    with pytest.raises(ValueError):
        builder.feed(log.entries[-1:])  # already applied: not the next seq


def test_a_log_that_starts_from_a_board_with_cards() -> None:
    """An imported forum's first board already holds cards (one archived)."""
    log = played_forum()
    start = log.board  # as if the forum had been imported with this board
    h = forum_history(start, [])
    # Each card appears where it stood; when it got there is not known, so the one
    # already in Removed counts as never open (no removal time to measure).
    added = [(e.card_id, e.state, e.at) for e in h.cards if e.change == "added"]
    assert added == [("c1", "removed", day(0)), ("c2", "open", day(0)), ("c3", "open", day(0))]
    assert forum_metrics(h, period(0, 14)).removals == []
    archived = HistoryBuilder(
        apply(start, o.ArchiveCard(card="c2"), Context(seq=start.seq + 1, at=day(9), actor="A"))[0]
    ).history()
    states = [(e.card_id, e.change, e.state) for e in archived.cards if e.card_id == "c2"]
    assert states == [("c2", "added", "open"), ("c2", "archived", "archived")]
    m = forum_metrics(archived, period(0, 14))
    assert [(r.card_id, r.how) for r in m.removals] == [("c2", "archived")]


def test_a_column_titled_done_counts_as_removal() -> None:
    log = Log(new_board("eat-x", "eat", "EAT"))
    card = f"c{log.do(0, o.AddCard(column='escalated', title='Approvals'))}"
    col = f"col{log.do(0.5, o.AddColumn(title='Done'))}"
    log.do(2, o.MoveCard(card=card, column=col, index=0))
    log.do(3, o.MoveCard(card=card, column="returned", index=0))  # back out: open again
    h = forum_history(log.start, log.entries)
    assert [e.state for e in h.cards] == ["open", "removed", "open"]
    m = forum_metrics(h, period(0, 7))
    assert [r.took for r in m.removals] == [2 * DAY]
    assert [(i.card_id, i.reopened) for i in m.open_impediments] == [(card, True)]


def test_metascrum_reorders_are_counted_per_session() -> None:
    log = Log(new_board("ms-x", "metascrum", "MetaScrum"))
    a = f"c{log.do(0, o.AddCard(column='ordered', title='A'))}"
    log.do(0, o.AddCard(column="ordered", title="B"))
    c = f"c{log.do(0, o.AddCard(column='proposed', title='C'))}"
    log.do(0.5, o.MoveCard(card=a, column="ordered", index=1))  # outside a session
    log.do(1, o.StartSession())
    log.do(1.01, o.MoveCard(card=a, column="ordered", index=0))  # within
    log.do(1.02, o.MoveCard(card=c, column="ordered", index=0))  # into
    log.do(1.03, o.MoveCard(card=c, column="parked", index=0))  # out: not a re-order
    log.do(1.04, o.EndSession())
    h = forum_history(log.start, log.entries)
    assert h.sessions[0].reorders == 2
