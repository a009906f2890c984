"""Escalation metrics: escalations a forum sent and received over a period, their
outcome at its end, time to accept and time to close; the network counts each once.
The rules are in ``metrics.py``'s docstring ("Escalations"). Pure: data in, data out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from .metrics_facts import EscalationFact, EscalationOutcome, ForumHistory
from .periods import Period, Stats, stats

ESCALATION_ROUTES: Final = frozenset({"escalate"})
TAKEN_ON: Final[frozenset[EscalationOutcome]] = frozenset({"accepted", "in_progress"})
CLOSED: Final[frozenset[EscalationOutcome]] = frozenset({"removed", "returned"})


class EscalationItem(msgspec.Struct, frozen=True, kw_only=True):
    """One escalation as a forum recorded it (``direction``: sent from it or received)."""

    forum_id: str
    card_id: str
    title: str
    direction: str
    route: str
    other_forum: str
    other_name: str
    other_card: str
    escalated_at: float
    status: str  # its last status before the period's end
    outcome: EscalationOutcome  # at the period's end
    accepted_at: float | None = None  # first accepted (or in progress)
    closed_at: float | None = None  # first removed or returned
    closed_how: str = ""  # removed | returned
    to_accept: float | None = None  # seconds, when accepted in the period
    to_close: float | None = None  # seconds, when closed in the period


class EscalationOutcomes(msgspec.Struct, frozen=True):
    """Escalations made in the period by their outcome at its end."""

    open: int = 0
    accepted: int = 0
    in_progress: int = 0
    removed: int = 0
    returned: int = 0
    failed: int = 0


class Escalations(msgspec.Struct, frozen=True, kw_only=True):
    """Escalations between forums in the period (durations in seconds)."""

    available: bool = True
    reason: str = ""
    sent: int = 0
    received: int = 0
    outcomes: EscalationOutcomes = msgspec.field(default_factory=EscalationOutcomes)
    time_to_accept: Stats = msgspec.field(default_factory=lambda: Stats(count=0))
    time_to_close: Stats = msgspec.field(default_factory=lambda: Stats(count=0))
    items: list[EscalationItem] = msgspec.field(default_factory=list)  # most recent first


def _escalation_item(fid: str, fact: EscalationFact, period: Period) -> EscalationItem | None:
    if fact.escalated_at >= period.end:
        return None
    accepted_at = closed_at = None
    closed_how = ""
    status = fact.changes[0].status if fact.changes else ""
    for c in fact.changes:
        if c.at >= period.end:
            break
        status = c.status
        if accepted_at is None and c.outcome in TAKEN_ON:
            accepted_at = c.at
        if closed_at is None and c.outcome in CLOSED:
            closed_at, closed_how = c.at, c.outcome
    if not (
        fact.escalated_at in period
        or (accepted_at is not None and accepted_at in period)
        or (closed_at is not None and closed_at in period)
    ):
        return None
    return EscalationItem(
        forum_id=fid,
        card_id=fact.card_id,
        title=fact.title,
        direction=fact.direction,
        route=fact.route,
        other_forum=fact.other_forum,
        other_name=fact.other_name,
        other_card=fact.other_card,
        escalated_at=fact.escalated_at,
        status=status,
        outcome=fact.outcome_before(period.end),
        accepted_at=accepted_at,
        closed_at=closed_at,
        closed_how=closed_how,
        to_accept=max(0.0, accepted_at - fact.escalated_at)
        if accepted_at is not None and accepted_at in period
        else None,
        to_close=max(0.0, closed_at - fact.escalated_at)
        if closed_at is not None and closed_at in period
        else None,
    )


def escalations(history: ForumHistory, period: Period) -> Escalations:
    """The forum's escalations (sent and received) over ``period``."""
    items = [
        item
        for fact in history.escalations
        if fact.route in ESCALATION_ROUTES
        and (item := _escalation_item(history.forum_id, fact, period)) is not None
    ]
    return _escalation_summary(items, period)


def _escalation_summary(
    items: list[EscalationItem], period: Period, *, sent: int | None = None,
    received: int | None = None,
) -> Escalations:  # fmt: skip
    made = [i for i in items if i.escalated_at in period]
    counts = {o: 0 for o in ("open", "accepted", "in_progress", "removed", "returned", "failed")}
    for i in made:
        counts[i.outcome] += 1
    items.sort(key=lambda i: (-i.escalated_at, i.forum_id, i.card_id))
    return Escalations(
        sent=sum(1 for i in made if i.direction == "sent") if sent is None else sent,
        received=sum(1 for i in made if i.direction == "received")
        if received is None
        else received,
        outcomes=EscalationOutcomes(**counts),
        time_to_accept=stats(i.to_accept for i in items if i.to_accept is not None),
        time_to_close=stats(i.to_close for i in items if i.to_close is not None),
        items=items,
    )


def network_escalations(parts: Sequence[Escalations], period: Period) -> Escalations:
    """The forums' escalations as one, each counted once: its receiving forum's record
    when there is one, else its sender's (a failed one only the sender has)."""
    items = [i for p in parts for i in p.items]
    received = {(i.other_forum, i.other_card) for i in items if i.direction == "received"}
    once = [
        i
        for i in items
        if i.direction == "received"
        or i.outcome == "failed"
        or (i.forum_id, i.card_id) not in received
    ]
    return _escalation_summary(
        once,
        period,
        sent=sum(p.sent for p in parts),
        received=sum(p.received for p in parts),
    )
