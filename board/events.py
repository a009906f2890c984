"""Events: what an accepted operation changed, as a tagged union.

Clients never re-run ``apply``; they apply events, which carry outcomes (the rank a
card got, the card as it now is). Applying the events of every seq in order brings any
client to the server's board.
"""

from __future__ import annotations

import msgspec

from .model import Card, Column, Decision, NextStep, Session, Timer


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    pass


class CardAdded(_Event, tag="card_added", frozen=True):
    card: Card


class CardEdited(_Event, tag="card_edited", frozen=True):
    card: Card


class CardMoved(_Event, tag="card_moved", frozen=True):
    card_id: str
    from_column: str
    column: str
    rank: str


class ColumnReranked(_Event, tag="column_reranked", frozen=True):
    """New ranks for cards already in ``column``; their order is unchanged."""

    column: str
    ranks: dict[str, str]


class CardArchived(_Event, tag="card_archived", frozen=True):
    card: Card


class CardRestored(_Event, tag="card_restored", frozen=True):
    card: Card


class ColumnAdded(_Event, tag="column_added", frozen=True):
    column: Column
    index: int


class ColumnRenamed(_Event, tag="column_renamed", frozen=True):
    column_id: str
    title: str


class ColumnMoved(_Event, tag="column_moved", frozen=True):
    column_id: str
    index: int


class ColumnRemoved(_Event, tag="column_removed", frozen=True):
    column_id: str


class ForumRenamed(_Event, tag="forum_renamed", frozen=True):
    name: str


class SessionStarted(_Event, tag="session_started", frozen=True):
    session: Session


class ParticipantsAdded(_Event, tag="participants_added", frozen=True):
    session_id: str
    names: tuple[str, ...]


class SessionEnded(_Event, tag="session_ended", frozen=True):
    """The session is over; ``next_steps`` are the steps it created, as they ended."""

    session: Session
    ended_at: float
    ended_by: str
    end_seq: int
    next_steps: tuple[NextStep, ...]


class DecisionRecorded(_Event, tag="decision_recorded", frozen=True):
    decision: Decision


class NextStepAdded(_Event, tag="next_step_added", frozen=True):
    step: NextStep


class NextStepUpdated(_Event, tag="next_step_updated", frozen=True):
    step: NextStep


class TimerChanged(_Event, tag="timer_changed", frozen=True):
    """The shared countdown as it now is; ``action`` is ``set``, ``started``, ``paused``
    or ``reset``. A client computes what is left from ``timer`` and the server's time
    (see ``docs/protocol.md``, "The timer")."""

    action: str
    timer: Timer


Event = (
    CardAdded
    | CardEdited
    | CardMoved
    | ColumnReranked
    | CardArchived
    | CardRestored
    | ColumnAdded
    | ColumnRenamed
    | ColumnMoved
    | ColumnRemoved
    | ForumRenamed
    | SessionStarted
    | ParticipantsAdded
    | SessionEnded
    | DecisionRecorded
    | NextStepAdded
    | NextStepUpdated
    | TimerChanged
)
