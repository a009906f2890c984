"""The facts a forum's metrics and guardrails are computed from (a ``ForumHistory``).

``board.metrics_history.HistoryBuilder`` replays a forum's operation log into them:
every change of a card (``CardEvent``: the card as it stood right after it, and its
state by ``board.card_state``), the sessions (``SessionFact``, with a summary of the
board each ended with), the decisions, every status a next step had, and the
escalations (``EscalationFact``) with every status each had, classed as an outcome by
``escalation_outcome``. Plain data, oldest first. Pure: no I/O.
"""

from __future__ import annotations

from typing import Final, Literal

import msgspec

from .card_state import CardState, is_removal_column
from .wip import WipOverrun

CardChange = Literal["added", "edited", "moved", "archived", "restored"]
Direction = Literal["sent", "received"]
EscalationOutcome = Literal["open", "accepted", "in_progress", "removed", "returned", "failed"]
# Where an escalated card lands (``board.kinds.ROUTES``): still waiting for the forum.
LANDING_COLUMN_IDS: Final = frozenset({"escalated", "raised", "proposed"})
# Taken on: the EAT's Accepted, the Executive MetaScrum's Decided.
ACCEPTED_COLUMN_IDS: Final = frozenset({"accepted", "decided"})


class CardEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A change of one card, with the card as it stood right after it."""

    at: float
    card_id: str
    change: CardChange
    kind: str
    title: str
    column: str
    state: CardState
    created_at: float
    column_title: str = ""  # the column's title then
    from_column: str = ""  # moves: the column it came from (the same one: a re-order)
    team: str = ""
    to_team: str = ""
    session_id: str | None = None  # the session running when it happened


class DecisionFact(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    session_id: str
    at: float
    text: str
    card_ids: tuple[str, ...] = ()


class StatusChange(msgspec.Struct, frozen=True):
    at: float
    status: str  # open | done | dropped


class StepFact(msgspec.Struct, frozen=True, kw_only=True):
    """A next step and every status it had, oldest first (it starts ``open``)."""

    id: str
    session_id: str
    created_at: float
    text: str = ""
    changes: tuple[StatusChange, ...] = ()

    def status_at(self, at: float) -> str:
        """Its status at time ``at`` (changes at ``at`` count); ``open`` before any."""
        status = "open"
        for change in self.changes:
            if change.at > at:
                break
            status = change.status
        return status


class EscalationChange(msgspec.Struct, frozen=True):
    at: float
    status: str  # the card's column in the target forum, ``archived``, ``returned``, ``failed``
    outcome: EscalationOutcome


class EscalationFact(msgspec.Struct, frozen=True, kw_only=True):
    """One escalation as this forum recorded it, every status oldest first."""

    direction: Direction  # sent from here, or received here
    card_id: str  # the card here
    title: str
    kind: str
    route: str
    other_forum: str  # where it went (sent) or came from (received)
    other_name: str = ""
    other_card: str = ""  # "" until known
    escalated_at: float
    changes: tuple[EscalationChange, ...] = ()

    def outcome_before(self, at: float) -> EscalationOutcome:
        """Its outcome after its changes before ``at`` (``open`` before any)."""
        outcome: EscalationOutcome = "open"
        for change in self.changes:
            if change.at >= at:
                break
            outcome = change.outcome
        return outcome


def escalation_outcome(status: str, label: str = "") -> EscalationOutcome:
    """What a status says about an escalation: still open (in the landing column),
    accepted (Accepted, or Decided in an Executive MetaScrum), removed (a removal column,
    or archived), returned, failed (the target refused it), else in progress."""
    if status in ("failed", "returned"):
        return "failed" if status == "failed" else "returned"
    if status == "archived" or is_removal_column(status, label):
        return "removed"
    if status in ACCEPTED_COLUMN_IDS:
        return "accepted"
    if not status or status in LANDING_COLUMN_IDS:
        return "open"
    return "in_progress"


class RoundFact(msgspec.Struct, frozen=True, kw_only=True):
    """A session's Scaled Daily Scrum (``board/sds.py``): its teams, those with a speaker
    recorded, and how long it ran (SPEC R56)."""

    teams: tuple[str, ...]
    spoke: tuple[str, ...]
    seconds: float


class SessionFact(msgspec.Struct, frozen=True, kw_only=True):
    """A session as recorded; the ``*_at_end`` fields describe its board when it ended."""

    id: str
    number: int
    started_at: float
    ended_at: float | None = None
    participants: tuple[str, ...] = ()
    # Participant name -> the teams they said they are in (SPEC R53; ``Session.teams``).
    member_teams: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    decisions: int = 0
    next_steps: int = 0
    reorders: int = 0  # moves into or within an ordered column while it ran
    reorders_noted: int = 0  # of those, moves that carried a trade-off note (backlog.py)
    unnoted_cards: tuple[str, ...] = ()  # the card of each re-order without a note
    wip_overruns: tuple[WipOverrun, ...] = ()  # columns taken over their WIP limit (wip.py)
    kinds_at_end: dict[str, int] = msgspec.field(default_factory=dict)  # live cards by kind
    teams_at_end: tuple[str, ...] = ()  # teams (ids) of live cards, dependencies' both
    sds: RoundFact | None = None  # its Scaled Daily Scrum, when it held one (R56)


class ForumHistory(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the metrics of one forum are computed from, oldest first."""

    forum_id: str
    kind: str
    name: str
    seq: int = 0
    cards: tuple[CardEvent, ...] = ()
    sessions: tuple[SessionFact, ...] = ()
    decisions: tuple[DecisionFact, ...] = ()
    steps: tuple[StepFact, ...] = ()
    escalations: tuple[EscalationFact, ...] = ()
