"""Metrics of a forum and of the network, computed from what the forums recorded.

``forum_metrics(history, period)`` turns a forum's facts (``board.metrics_facts``: a
``ForumHistory`` replayed from its log by ``board.metrics_history``) into numbers over a
period ``[start, end)``; ``network_metrics`` merges forums. Durations are in seconds.
Pure: data in, data out.

What the numbers mean (the rules the tests pin down):

- **Impediment age**: impediments open at ``end`` (after every change before it),
  ``end - created``. A reopened impediment keeps the age of its first raising. (Open:
  not archived and not in a removal column, see ``board.card_state``.)
- **Time to removal**: impediments that went from open to removed or archived within
  the period, ``removed - created``. A card is counted once, at its last removal in
  the period; one added straight into a removal column was never open, so it is not.
  A card's kind is the one it had at that change.
- **Decision latency**: for each card named by a decision, the first decision that
  names it; counted when that decision falls in the period, ``decision - created``.
  Every card kind counts (not only impediments).
- **Next-step follow-through**: for each session that started in the period, its
  steps' status at the start of the forum's next session. ``done / steps`` (dropped
  and still-open steps are not done). A session with no next session yet, or with no
  steps, has no rate and does not count in the overall rate
  (``board.metrics_follow_through``).
- **Per week**: impediments raised (by creation time; kind as of the period's end),
  removed (the removals above, by removal time) and decisions recorded.
- **Escalations** (the ``escalate`` route: Scrum of Scrums to Executive Action Team,
  MetaScrum to Executive MetaScrum; ``board.metrics_facts.EscalationFact``): *sent*
  and *received* count those escalated in the period (by the time the forum recorded
  it). *Outcomes* are those escalations' outcome at the period's end: still open (in
  the landing column), accepted, in progress, removed (or archived), returned, failed.
  *Time to accept*: escalated → first accepted (or moved straight on to in progress),
  counted when that falls in the period; *time to close*: escalated → first removed or
  returned, likewise. The network counts each escalation once: the receiving forum's
  record when it is in the network (its times are the target's own), else the
  sender's (``board.metrics_escalation``). Feedback (SPEC R68) is not an escalation.
- **Feedback** (the ``feedback-product`` and ``feedback-process`` routes, SPEC R68a):
  *sent* and *received* as for escalations; *outcomes* at the period's end: open (not
  answered), accepted, declined, done, closed (archived or removed unanswered), failed;
  *time to answer*: sent → first answer, counted when the answer falls in the period
  (``board.metrics_feedback``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import msgspec

from .card_state import CardState
from .metrics_escalation import Escalations, escalations, network_escalations
from .metrics_facts import CardEvent, ForumHistory
from .metrics_feedback import Feedback, feedback, network_feedback
from .metrics_follow_through import FollowThrough as FollowThrough
from .metrics_follow_through import FollowThroughSummary as FollowThroughSummary
from .metrics_follow_through import follow_through as follow_through
from .metrics_follow_through import summary as follow_through_summary
from .periods import Period as Period
from .periods import Stats as Stats
from .periods import stats as stats

DAY: Final = 86_400.0
WEEK: Final = 7 * DAY
# Buckets of the age distribution: label, from (inclusive), to (exclusive; None: open).
AGE_BUCKETS: Final[tuple[tuple[str, float, float | None], ...]] = (
    ("under 1 day", 0.0, DAY),
    ("1–3 days", DAY, 3 * DAY),
    ("3–7 days", 3 * DAY, WEEK),
    ("1–2 weeks", WEEK, 2 * WEEK),
    ("2–4 weeks", 2 * WEEK, 4 * WEEK),
    ("4 weeks or more", 4 * WEEK, None),
)


class OpenImpediment(msgspec.Struct, frozen=True):
    forum_id: str
    card_id: str
    title: str
    column: str
    column_title: str
    created_at: float
    age: float  # seconds open at the end of the period
    reopened: bool  # it was removed or archived once and came back


class Removal(msgspec.Struct, frozen=True):
    forum_id: str
    card_id: str
    title: str
    created_at: float
    removed_at: float
    took: float  # seconds from raised to removed
    how: str  # "removed" (moved to a removal column) or "archived"
    reopened: bool  # it had been removed before and came back


class Latency(msgspec.Struct, frozen=True):
    forum_id: str
    card_id: str
    card_kind: str
    title: str
    raised_at: float
    decision_id: str
    session_id: str
    decided_at: float
    latency: float  # seconds from the card raised to the first decision naming it
    decision: str


class Week(msgspec.Struct, frozen=True):
    start: float
    end: float
    raised: int = 0
    removed: int = 0
    decisions: int = 0


class AgeBucket(msgspec.Struct, frozen=True):
    label: str
    min_age: float
    max_age: float | None
    count: int


class Metrics(msgspec.Struct, frozen=True, kw_only=True):
    """The metrics of a forum (``scope``: its id) or of the network (``network``)."""

    scope: str
    start: float
    end: float
    impediment_age: Stats
    open_impediments: list[OpenImpediment]  # oldest first
    age_buckets: list[AgeBucket]
    time_to_removal: Stats
    removals: list[Removal]  # most recent first
    decision_latency: Stats
    latencies: list[Latency]  # most recent first
    follow_through: FollowThroughSummary
    sessions: list[FollowThrough]  # most recent first
    weeks: list[Week]
    raised: int  # impediments raised in the period
    decisions: int  # decisions recorded in the period
    escalations: Escalations = msgspec.field(default_factory=Escalations)
    feedback: Feedback = msgspec.field(default_factory=Feedback)  # not escalations (R68a)


def week_bounds(period: Period) -> list[float]:
    """Week starts: every 7 days from the period's start, then its end."""
    bounds = [period.start]
    while bounds[-1] + WEEK < period.end:
        bounds.append(bounds[-1] + WEEK)
    return [*bounds, period.end]


def age_buckets(ages: Iterable[float]) -> list[AgeBucket]:
    counts = [0] * len(AGE_BUCKETS)
    for age in ages:
        for i, (_, lo, hi) in enumerate(AGE_BUCKETS):
            if age >= lo and (hi is None or age < hi):
                counts[i] += 1
                break
    return [
        AgeBucket(label, lo, hi, n) for (label, lo, hi), n in zip(AGE_BUCKETS, counts, strict=True)
    ]


def _by_card(events: Iterable[CardEvent]) -> dict[str, list[CardEvent]]:
    out: dict[str, list[CardEvent]] = {}
    for e in sorted(events, key=lambda e: e.at):  # stable: log order within a time
        out.setdefault(e.card_id, []).append(e)
    return out


def _as_of(events: Sequence[CardEvent], at: float, *, inclusive: bool) -> CardEvent | None:
    """The card as it stood after its changes before ``at`` (or at it, ``inclusive``)."""
    found = None
    for e in events:
        if e.at > at or (e.at == at and not inclusive):
            break
        found = e
    return found


def _removal(fid: str, events: Sequence[CardEvent], period: Period) -> Removal | None:
    """The card's last open-to-closed change in the period, if it was an impediment."""
    previous: CardState | None = None
    was_reopened = False
    found: Removal | None = None
    for e in events:
        if previous is not None and previous != "open" and e.state == "open":
            was_reopened = True
        if previous == "open" and e.state != "open" and e.at in period and e.kind == "impediment":
            found = Removal(
                forum_id=fid,
                card_id=e.card_id,
                title=e.title,
                created_at=e.created_at,
                removed_at=e.at,
                took=max(0.0, e.at - e.created_at),
                how=e.state,
                reopened=was_reopened,
            )
        previous = e.state
    return found


def _bucket(bounds: Sequence[float], at: float) -> int | None:
    for i in range(len(bounds) - 1):
        if bounds[i] <= at < bounds[i + 1]:
            return i
    return None


def forum_metrics(
    history: ForumHistory, period: Period, bounds: Sequence[float] | None = None
) -> Metrics:
    """The forum's metrics over ``period``; ``bounds`` are the week starts then the end
    (default: ``week_bounds(period)``)."""
    fid = history.forum_id
    bounds = list(bounds) if bounds is not None else week_bounds(period)
    weeks = [[0, 0, 0] for _ in range(len(bounds) - 1)]
    cards = _by_card(history.cards)
    opened: list[OpenImpediment] = []
    removals: list[Removal] = []
    raised = 0
    for card_id, events in cards.items():
        last = _as_of(events, period.end, inclusive=False)
        if last is None:
            continue  # raised after the period
        if last.kind == "impediment":
            if last.created_at in period:
                raised += 1
                i = _bucket(bounds, last.created_at)
                if i is not None:
                    weeks[i][0] += 1
            if last.state == "open":
                opened.append(
                    OpenImpediment(
                        forum_id=fid,
                        card_id=card_id,
                        title=last.title,
                        column=last.column,
                        column_title=last.column_title or last.column,
                        created_at=last.created_at,
                        age=max(0.0, period.end - last.created_at),
                        reopened=any(e.state != "open" for e in events if e.at < period.end),
                    )
                )
        removal = _removal(fid, events, period)
        if removal is not None:
            removals.append(removal)
            i = _bucket(bounds, removal.removed_at)
            if i is not None:
                weeks[i][1] += 1
    latencies: list[Latency] = []
    seen: set[str] = set()
    decided = 0
    for d in sorted(history.decisions, key=lambda d: d.at):
        if d.at in period:
            decided += 1
            i = _bucket(bounds, d.at)
            if i is not None:
                weeks[i][2] += 1
        for card_id in d.card_ids:
            if card_id in seen or card_id not in cards:
                continue
            seen.add(card_id)
            if d.at not in period:
                continue
            events = cards[card_id]
            card = _as_of(events, d.at, inclusive=True) or events[0]
            latencies.append(
                Latency(
                    forum_id=fid,
                    card_id=card_id,
                    card_kind=card.kind,
                    title=card.title,
                    raised_at=card.created_at,
                    decision_id=d.id,
                    session_id=d.session_id,
                    decided_at=d.at,
                    latency=max(0.0, d.at - card.created_at),
                    decision=d.text,
                )
            )
    follow = follow_through(history, period)
    return _assemble(
        fid,
        period,
        opened,
        removals,
        latencies,
        follow,
        [
            Week(start=bounds[i], end=bounds[i + 1], raised=w[0], removed=w[1], decisions=w[2])
            for i, w in enumerate(weeks)
        ],
        raised,
        decided,
        escalations=escalations(history, period),
        feedback=feedback(history, period),
    )


def _assemble(
    scope: str,
    period: Period,
    opened: list[OpenImpediment],
    removals: list[Removal],
    latencies: list[Latency],
    follow: list[FollowThrough],
    weeks: list[Week],
    raised: int,
    decided: int,
    *,
    escalations: Escalations,
    feedback: Feedback,
) -> Metrics:
    opened.sort(key=lambda o: (-o.age, o.forum_id, o.card_id))
    removals.sort(key=lambda r: (-r.removed_at, r.forum_id, r.card_id))
    latencies.sort(key=lambda x: (-x.decided_at, x.forum_id, x.card_id))
    follow.sort(key=lambda f: (-f.started_at, f.forum_id, f.number))
    return Metrics(
        scope=scope,
        start=period.start,
        end=period.end,
        impediment_age=stats(o.age for o in opened),
        open_impediments=opened,
        age_buckets=age_buckets(o.age for o in opened),
        time_to_removal=stats(r.took for r in removals),
        removals=removals,
        decision_latency=stats(x.latency for x in latencies),
        latencies=latencies,
        follow_through=follow_through_summary(follow),
        sessions=follow,
        weeks=weeks,
        raised=raised,
        decisions=decided,
        escalations=escalations,
        feedback=feedback,
    )


def network_metrics(parts: Sequence[Metrics], period: Period) -> Metrics:
    """The forums' metrics as one: every item together, weeks added up (the parts must
    share the period and its week bounds)."""
    bounds = (
        [w.start for w in parts[0].weeks] + [parts[0].weeks[-1].end]
        if parts and parts[0].weeks
        else week_bounds(period)
    )
    weeks = [Week(start=bounds[i], end=bounds[i + 1]) for i in range(len(bounds) - 1)]
    for part in parts:
        if len(part.weeks) != len(weeks):
            raise ValueError("the forums' metrics do not share their weeks")
        for i, w in enumerate(part.weeks):
            t = weeks[i]
            weeks[i] = Week(
                start=t.start,
                end=t.end,
                raised=t.raised + w.raised,
                removed=t.removed + w.removed,
                decisions=t.decisions + w.decisions,
            )
    return _assemble(
        "network",
        period,
        [o for p in parts for o in p.open_impediments],
        [r for p in parts for r in p.removals],
        [x for p in parts for x in p.latencies],
        [f for p in parts for f in p.sessions],
        weeks,
        sum(p.raised for p in parts),
        sum(p.decisions for p in parts),
        escalations=network_escalations([p.escalations for p in parts], period),
        feedback=network_feedback([p.feedback for p in parts], period),
    )
