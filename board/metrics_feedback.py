"""Feedback metrics (SPEC R68a): feedback a forum sent or received over a period, how
it stands at the period's end and how long the forum it went to took to answer.

Feedback (the routes ``board.kinds.FEEDBACK_ROUTES``, SPEC R68) travels like an
escalation and is recorded with the escalations (``board.metrics_facts.EscalationFact``),
but it is not an impediment escalation: ``board.metrics_escalation`` leaves it out and
it is counted here instead. Its outcome is the answer (``answer_feedback``: accepted,
declined, done); one archived or removed without an answer is ``closed``, one the target
refused ``failed``, anything else ``open`` (not answered yet). The network counts each
once, as for escalations: the receiving forum's record when there is one. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import msgspec

from .card_state import is_removal_column
from .feedback import OUTCOMES
from .kinds import FEEDBACK_ROUTES
from .metrics_facts import EscalationChange, EscalationFact, ForumHistory
from .periods import Period, Stats, stats

FeedbackOutcome = Literal["open", "accepted", "declined", "done", "closed", "failed"]
FEEDBACK_OUTCOMES: Final[tuple[FeedbackOutcome, ...]] = (
    "open", "accepted", "declined", "done", "closed", "failed",
)  # fmt: skip


def feedback_outcome(change: EscalationChange) -> FeedbackOutcome:
    """What a recorded status says about feedback: its answer, ``failed`` (refused),
    ``closed`` (archived or removed unanswered), else ``open``."""
    status = change.status
    if status in OUTCOMES:
        return status  # type: ignore[return-value]  # accepted | declined | done
    if status == "failed":
        return "failed"
    if change.outcome == "removed" or is_removal_column(status):
        return "closed"
    return "open"


class FeedbackItem(msgspec.Struct, frozen=True, kw_only=True):
    """One piece of feedback as a forum recorded it (``direction``: sent or received)."""

    forum_id: str
    card_id: str
    title: str
    direction: str
    route: str  # feedback-product | feedback-process
    other_forum: str
    other_name: str
    other_card: str
    sent_at: float
    outcome: FeedbackOutcome  # at the period's end
    answered_at: float | None = None  # first answered
    to_answer: float | None = None  # seconds, when answered in the period


class FeedbackOutcomes(msgspec.Struct, frozen=True):
    """Feedback sent in the period by how it stands at its end."""

    open: int = 0
    accepted: int = 0
    declined: int = 0
    done: int = 0
    closed: int = 0
    failed: int = 0


class Feedback(msgspec.Struct, frozen=True, kw_only=True):
    """Feedback between forums in the period (durations in seconds)."""

    sent: int = 0
    received: int = 0
    answered: int = 0  # of those sent in the period: accepted, declined or done by its end
    outcomes: FeedbackOutcomes = msgspec.field(default_factory=FeedbackOutcomes)
    time_to_answer: Stats = msgspec.field(default_factory=lambda: Stats(count=0))
    items: list[FeedbackItem] = msgspec.field(default_factory=list)  # most recent first


def _item(fid: str, fact: EscalationFact, period: Period) -> FeedbackItem | None:
    if fact.escalated_at >= period.end:
        return None
    outcome: FeedbackOutcome = "open"
    answered_at = None
    for c in fact.changes:
        if c.at >= period.end:
            break
        outcome = feedback_outcome(c)
        if answered_at is None and c.status in OUTCOMES:
            answered_at = c.at
    answered_in = answered_at is not None and answered_at in period
    if not (fact.escalated_at in period or answered_in):
        return None
    return FeedbackItem(
        forum_id=fid,
        card_id=fact.card_id,
        title=fact.title,
        direction=fact.direction,
        route=fact.route,
        other_forum=fact.other_forum,
        other_name=fact.other_name,
        other_card=fact.other_card,
        sent_at=fact.escalated_at,
        outcome=outcome,
        answered_at=answered_at,
        to_answer=max(0.0, answered_at - fact.escalated_at)
        if answered_at is not None and answered_in
        else None,
    )


def feedback(history: ForumHistory, period: Period) -> Feedback:
    """The forum's feedback (sent and received) over ``period``."""
    items = [
        item
        for fact in history.escalations
        if fact.route in FEEDBACK_ROUTES
        and (item := _item(history.forum_id, fact, period)) is not None
    ]
    return _summary(items, period)


def _summary(
    items: list[FeedbackItem], period: Period, *, sent: int | None = None,
    received: int | None = None,
) -> Feedback:  # fmt: skip
    made = [i for i in items if i.sent_at in period]
    counts = dict.fromkeys(FEEDBACK_OUTCOMES, 0)
    for i in made:
        counts[i.outcome] += 1
    items.sort(key=lambda i: (-i.sent_at, i.forum_id, i.card_id))
    return Feedback(
        sent=sum(1 for i in made if i.direction == "sent") if sent is None else sent,
        received=sum(1 for i in made if i.direction == "received")
        if received is None
        else received,
        answered=counts["accepted"] + counts["declined"] + counts["done"],
        outcomes=FeedbackOutcomes(**counts),
        time_to_answer=stats(i.to_answer for i in items if i.to_answer is not None),
        items=items,
    )


def network_feedback(parts: Sequence[Feedback], period: Period) -> Feedback:
    """The forums' feedback as one, each counted once: its receiving forum's record when
    there is one, else its sender's."""
    items = [i for p in parts for i in p.items]
    received = {(i.other_forum, i.other_card) for i in items if i.direction == "received"}
    once = [
        i
        for i in items
        if i.direction == "received"
        or i.outcome == "failed"
        or (i.forum_id, i.card_id) not in received
    ]
    return _summary(
        once,
        period,
        sent=sum(p.sent for p in parts),
        received=sum(p.received for p in parts),
    )
