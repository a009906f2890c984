"""Events: what an accepted operation changed, as a tagged union.

Clients never re-run ``apply``; they apply events, which carry outcomes (the rank a
card got, the card as it now is). Applying the events of every seq in order brings any
client to the server's board.
"""

from __future__ import annotations

import msgspec

from .model import (
    Card,
    CardGroup,
    Column,
    Decision,
    NextStep,
    Retro,
    RetroPhase,
    Session,
    Standard,
    TallyLine,
    Timer,
)
from .sds_model import ScaledDaily


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
    """The column is gone. Its archived cards (``rehomed``, ids) now belong to ``home``,
    the first column left, where a restore puts them (SPEC R39); ``home`` is ``None``
    when it had none."""

    column_id: str
    home: str | None = None
    rehomed: tuple[str, ...] = ()


class BacklogPaired(_Event, tag="backlog_paired", frozen=True):
    """This board's ordered column is now one list with ``forum``'s (SPEC R57)."""

    forum: str
    name: str


class BacklogUnpaired(_Event, tag="backlog_unpaired", frozen=True):
    """This board's ordered column is no longer one list with ``forum``'s (SPEC R76)."""

    forum: str
    name: str


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
    tally: tuple[TallyLine, ...] = ()  # a retrospective's vote, kept (SPEC R73)


class DecisionRecorded(_Event, tag="decision_recorded", frozen=True):
    decision: Decision


class NextStepAdded(_Event, tag="next_step_added", frozen=True):
    step: NextStep


class NextStepUpdated(_Event, tag="next_step_updated", frozen=True):
    step: NextStep


class WipLimitSet(_Event, tag="wip_limit_set", frozen=True):
    """A column's WIP limit is now ``limit`` (``None``: no limit) (``board/wip.py``)."""

    column: str
    limit: int | None


class WipExceeded(_Event, tag="wip_exceeded", frozen=True):
    """``card_id`` came into ``column`` (titled ``title`` then) and left it holding
    ``count`` cards, over its WIP limit ``limit``. Recorded, never blocking."""

    column: str
    count: int
    limit: int
    title: str = ""
    card_id: str = ""


class TimerChanged(_Event, tag="timer_changed", frozen=True):
    """The shared countdown as it now is; ``action`` is ``set``, ``started``, ``paused``
    or ``reset``. A client computes what is left from ``timer`` and the server's time
    (see ``docs/protocol.md``, "The timer")."""

    action: str
    timer: Timer


class PhaseChanged(_Event, tag="phase_changed", frozen=True):
    """The retrospective moved to ``retro.phase`` from ``previous`` (``None``: the
    session's phases just started). See ``board/retro.py``."""

    retro: Retro
    previous: RetroPhase | None = None


class RetroConfigured(_Event, tag="retro_configured", frozen=True):
    """The facilitator changed the dots per person or whether cards may be anonymous."""

    retro: Retro


class CardsRevealed(_Event, tag="cards_revealed", frozen=True):
    """Cards written in the write phase, face up for everyone now, as they are."""

    cards: tuple[Card, ...]


class FocusChanged(_Event, tag="focus_changed", frozen=True):
    """The card or column everyone following the facilitator is brought to (``None``:
    released)."""

    target: str | None


class GroupChanged(_Event, tag="group_changed", frozen=True):
    """A cluster was made or renamed (``board/voting.py``)."""

    group: CardGroup


class GroupRemoved(_Event, tag="group_removed", frozen=True):
    """A cluster was left with no card and is gone."""

    group_id: str


class VoteCast(_Event, tag="vote_cast", frozen=True):
    """``voter`` put a dot on ``target`` and has now used ``used``; ``voters`` people
    have voted. Only the voter receives it while the vote is open; everyone else gets
    ``VotesCounted`` in its place (SPEC R26)."""

    voter: str
    target: str
    used: int
    voters: int


class VoteRetracted(_Event, tag="vote_retracted", frozen=True):
    """``voter`` took a dot back from ``target`` (private like ``VoteCast``)."""

    voter: str
    target: str
    used: int
    voters: int


class VotesCounted(_Event, tag="votes_counted", frozen=True):
    """What everyone but the voter sees of a vote: how many people have voted. Never
    logged; made for the wire from ``VoteCast``/``VoteRetracted``."""

    voters: int


class RoomJoinChanged(_Event, tag="room_join_changed", frozen=True):
    """Whether the room link admits people now (SPEC R46)."""

    on: bool


class MyTeamsSet(_Event, tag="my_teams_set", frozen=True):
    """A person (``name``, their display name: never their key, SPEC R40) picked the
    teams (ids) they are in for this forum (SPEC R52)."""

    name: str
    teams: tuple[str, ...]


class SdsChanged(_Event, tag="sds_changed", frozen=True):
    """The Scaled Daily Scrum's round as it now is (``board/sds.py``); ``action``:
    ``started``, ``speaker``, ``answered``, ``next``, ``skipped`` or ``ended``, about
    ``team`` ("" for the round as a whole)."""

    action: str
    sds: ScaledDaily
    team: str = ""


class VoteClosed(_Event, tag="vote_closed", frozen=True):
    """The vote closed: dots per card or cluster id."""

    tally: dict[str, int]


class VoteReopened(_Event, tag="vote_reopened", frozen=True):
    """The facilitator stepped back into the vote: the tally is cleared, votes kept."""


class StandardAdopted(_Event, tag="standard_adopted", frozen=True):
    """An EAT adopted a standard (SPEC R66)."""

    standard: Standard


class StandardRetired(_Event, tag="standard_retired", frozen=True):
    standard: Standard


class StandardAnnounced(_Event, tag="standard_announced", frozen=True):
    """A standard that applies here, adopted or retired by an EAT (SPEC R67): connected
    clients show "New standard adopted: …"."""

    standard: Standard


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
    | BacklogPaired
    | BacklogUnpaired
    | SessionStarted
    | ParticipantsAdded
    | SessionEnded
    | DecisionRecorded
    | NextStepAdded
    | NextStepUpdated
    | TimerChanged
    | PhaseChanged
    | RetroConfigured
    | CardsRevealed
    | GroupChanged
    | GroupRemoved
    | VoteCast
    | VoteRetracted
    | VotesCounted
    | VoteClosed
    | VoteReopened
    | FocusChanged
    | WipLimitSet
    | WipExceeded
    | RoomJoinChanged
    | MyTeamsSet
    | SdsChanged
    | StandardAdopted
    | StandardRetired
    | StandardAnnounced
)
