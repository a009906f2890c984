"""A forum's recorded history as plain facts (``board.metrics_facts``), replayed from its
operation log.

``HistoryBuilder`` re-applies a forum's logged operations (from its first stored
board, through ``board.replay``) and keeps, in time order, what the metrics and
guardrails need: every change of a card, the sessions, the decisions, every status a
next step had, and the escalations. It is incremental: ``feed`` more ops later and only
those are applied, so a server can keep one builder per forum. Pure: boards and ops in,
facts out.

A card is **open** unless it is archived or sits in a *removal column*
(``board.card_state``), judged when the card got there: renaming a column later does
not re-date moves already made. Cards already on the first stored board (an imported
forum's) appear as added when they were created, where they stood then: when they got
there is not known.

**Escalations** (``EscalationFact``): a card this forum sent to another (its
``sent_to`` link set by ``escalate_card``; sent again after a ``failed`` one is a new
escalation) with every status the other forum reported back (``escalation_status``),
and a card another forum escalated here (``receive_escalation``: its ``origin``) with
every column it went to here, ``archived``, or ``returned`` (``return_escalation``).
Each status is also classed as an outcome (``escalation_outcome``). Escalations already
on the first stored board count from the card's last change (when they were sent is
not known). A card sent another way than before (feedback after a returned
escalation) starts a new fact. Feedback (SPEC R68) is recorded the same way, with its
route; a received feedback card's status is its answer once it has one (R68a).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

import msgspec

from .card_state import card_state
from .events import (
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    DecisionRecorded,
    Event,
    NextStepAdded,
    NextStepUpdated,
    SessionEnded,
    SessionStarted,
    WipExceeded,
)
from .feedback import is_feedback, outcome_of
from .log import LoggedOp
from .metrics_facts import (
    CardChange,
    CardEvent,
    DecisionFact,
    Direction,
    EscalationChange,
    EscalationFact,
    EscalationOutcome,
    RoundFact,
    SessionFact,
    StatusChange,
    StepFact,
    escalation_outcome,
)
from .metrics_facts import ForumHistory as ForumHistory
from .model import Board, Card, Session
from .ops import MoveCard
from .replay import replay
from .wip import WipOverrun

ORDERED_COLUMN_IDS: Final = frozenset({"ordered"})  # the MetaScrum's strictly ordered column


def _card_event(
    board: Board, card: Card, change: CardChange, at: float, from_column: str = ""
) -> CardEvent:
    return CardEvent(
        at=at,
        card_id=card.id,
        change=change,
        kind=card.kind,
        title=card.title,
        column=card.column,
        state=card_state(board, card),
        created_at=card.created_at,
        column_title=board.column_title(card.column),
        from_column=from_column,
        team=card.team,
        to_team=card.to_team,
        session_id=board.session.id if board.session else None,
    )


class HistoryBuilder:
    """Replays a forum's log into a ``ForumHistory``; ``feed`` it more ops any time."""

    def __init__(self, start: Board) -> None:
        self.board = start
        self.cards: list[CardEvent] = []
        self.sessions: dict[str, SessionFact] = {}
        self.decisions: list[DecisionFact] = []
        self.steps: dict[str, StepFact] = {}
        self._reorders: dict[str, int] = {}
        self._noted: dict[str, int] = {}  # re-orders with a trade-off note, by session
        self._unnoted: dict[str, list[str]] = {}  # cards re-ordered without one, by session
        self._wip: dict[str, list[WipOverrun]] = {}  # WIP overruns, by session
        self._note_in_op = False  # the op being recorded is a move with a trade-off note
        self._made: dict[str, int] = {}  # next steps agreed, by session
        self.escalations: list[EscalationFact] = []
        self._current: dict[tuple[Direction, str], int] = {}  # index in escalations
        self._notes: dict[str, str] = {}  # a received card's return note, by card
        for card in sorted(start.cards.values(), key=lambda c: (c.created_at, c.id)):
            live = msgspec.structs.replace(card, archived=False)
            self.cards.append(_card_event(start, live, "added", card.created_at))
            if card.archived:
                self.cards.append(_card_event(start, card, "archived", card.updated_at))
            self._escalation(start, card, card.updated_at)
        if start.session is not None:
            self._started(start.session)
            for d in start.session.decisions:
                self._decided(d.id, d.session_id, d.at, d.text, d.card_ids)
        for step in start.next_steps.values():
            self._made[step.session_id] = self._made.get(step.session_id, 0) + 1
            self.steps[step.id] = StepFact(
                id=step.id,
                session_id=step.session_id,
                created_at=step.created_at,
                text=step.text,
                changes=(StatusChange(step.created_at, "open"),)
                + ((StatusChange(step.updated_at, step.status),) if step.status != "open" else ()),
            )

    @property
    def seq(self) -> int:
        return self.board.seq

    def feed(self, logged: Iterable[LoggedOp]) -> None:
        """Apply logged ops that follow the board; ``ReplayError`` says what is wrong (a
        gap, an op that does not apply). The ops before it are recorded."""
        for step in replay(self.board, logged):
            item, board = step.item, step.board
            self._note_in_op = isinstance(item.op, MoveCard) and any(
                isinstance(e, DecisionRecorded) for e in item.events
            )
            for event in item.events:
                self._record(board, event, item.at)
            self.board = board

    def _escalation(self, board: Board, card: Card, at: float) -> None:
        """Note what ``card`` (as it stands now) says about its escalations."""
        sent = card.sent_to
        if sent is not None:
            outcome = escalation_outcome(sent.status, sent.label)
            self._status(
                "sent", card, at, sent.forum, sent.forum_name, sent.card, sent.route,
                sent.status, outcome,
            )  # fmt: skip
        origin = card.origin
        if origin is not None:
            noted = origin.note and origin.note != self._notes.get(card.id, "")
            self._notes[card.id] = origin.note
            if card.archived:
                status = "archived"
            elif is_feedback(card):  # its answer when it has one, not "returned" (R68a)
                status = outcome_of(card) or card.column
            elif card.column == "returned" or noted:
                status = "returned"
            else:
                status = card.column
            state = card_state(board, card)
            outcome = (
                "removed"
                if state != "open"
                else "returned"
                if status == "returned"
                else escalation_outcome(status)
            )
            self._status(
                "received", card, at, origin.forum, origin.forum_name, origin.card,
                origin.route, status, outcome,
            )  # fmt: skip

    def _status(
        self,
        direction: Direction,
        card: Card,
        at: float,
        forum: str,
        name: str,
        other_card: str,
        route: str,
        status: str,
        outcome: EscalationOutcome,
    ) -> None:
        key = (direction, card.id)
        i = self._current.get(key)
        fact = self.escalations[i] if i is not None else None
        if (
            fact is None
            or (fact.changes[-1].outcome == "failed" and outcome != "failed")
            or fact.route != route  # sent again another way (feedback after a return): new
        ):
            self._current[key] = len(self.escalations)
            self.escalations.append(
                EscalationFact(
                    direction=direction,
                    card_id=card.id,
                    title=card.title,
                    kind=card.kind,
                    route=route,
                    other_forum=forum,
                    other_name=name,
                    other_card=other_card,
                    escalated_at=at,
                    changes=(EscalationChange(at, status, outcome),),
                )
            )
            return
        assert i is not None
        changes = fact.changes
        if changes[-1].status != status:
            changes = (*changes, EscalationChange(at, status, outcome))
        self.escalations[i] = msgspec.structs.replace(
            fact,
            title=card.title,
            kind=card.kind,
            other_name=name or fact.other_name,
            other_card=other_card or fact.other_card,
            changes=changes,
        )

    def _record(self, board: Board, e: Event, at: float) -> None:
        if isinstance(e, CardAdded | CardEdited | CardArchived | CardRestored):
            self._escalation(board, e.card, at)
        elif isinstance(e, CardMoved):
            self._escalation(board, board.cards[e.card_id], at)
        if isinstance(e, CardAdded):
            self.cards.append(_card_event(board, e.card, "added", at))
        elif isinstance(e, CardEdited | CardArchived | CardRestored):
            change: CardChange = (
                "edited"
                if isinstance(e, CardEdited)
                else "archived"
                if isinstance(e, CardArchived)
                else "restored"
            )
            self.cards.append(_card_event(board, e.card, change, at))
        elif isinstance(e, CardMoved):
            self.cards.append(
                _card_event(board, board.cards[e.card_id], "moved", at, from_column=e.from_column)
            )
            if board.session is not None and e.column in ORDERED_COLUMN_IDS:
                sid = board.session.id
                self._reorders[sid] = self._reorders.get(sid, 0) + 1
                if self._note_in_op:
                    self._noted[sid] = self._noted.get(sid, 0) + 1
                else:
                    self._unnoted.setdefault(sid, []).append(e.card_id)
        elif isinstance(e, WipExceeded):
            if board.session is not None:
                sid = board.session.id
                self._wip.setdefault(sid, []).append(
                    WipOverrun(
                        at=at,
                        column=e.column,
                        title=e.title,
                        count=e.count,
                        limit=e.limit,
                        card_id=e.card_id,
                        session_id=sid,
                    )
                )
        elif isinstance(e, SessionStarted):
            self._started(e.session)
        elif isinstance(e, DecisionRecorded):
            d = e.decision
            self._decided(d.id, d.session_id, d.at, d.text, d.card_ids)
        elif isinstance(e, NextStepAdded):
            s = e.step
            self._made[s.session_id] = self._made.get(s.session_id, 0) + 1
            self.steps[s.id] = StepFact(
                id=s.id,
                session_id=s.session_id,
                created_at=s.created_at,
                text=s.text,
                changes=(StatusChange(s.created_at, s.status),),
            )
        elif isinstance(e, NextStepUpdated):
            s = e.step
            fact = self.steps.get(s.id)
            if fact is not None:
                changes = fact.changes
                if fact.status_at(math.inf) != s.status:
                    changes = (*changes, StatusChange(s.updated_at, s.status))
                self.steps[s.id] = msgspec.structs.replace(fact, text=s.text, changes=changes)
        elif isinstance(e, SessionEnded):
            self.sessions[e.session.id] = self._session_fact(e.session, board, e.ended_at)

    def _started(self, session: Session) -> None:
        self.sessions[session.id] = SessionFact(
            id=session.id, number=session.number, started_at=session.started_at
        )

    def _decided(
        self, did: str, session_id: str, at: float, text: str, card_ids: tuple[str, ...]
    ) -> None:
        self.decisions.append(
            DecisionFact(id=did, session_id=session_id, at=at, text=text, card_ids=card_ids)
        )

    def _session_fact(self, session: Session, board: Board, ended_at: float | None) -> SessionFact:
        kinds: dict[str, int] = {}
        teams: set[str] = set()
        for column in board.columns:
            for card in board.live_cards(column):
                kinds[card.kind] = kinds.get(card.kind, 0) + 1
                teams.update(t for t in (card.team, card.to_team) if t)
        return SessionFact(
            id=session.id,
            number=session.number,
            started_at=session.started_at,
            ended_at=ended_at,
            participants=session.participants,
            member_teams=session.teams,
            decisions=len(session.decisions),
            next_steps=self._made.get(session.id, 0),
            reorders=self._reorders.get(session.id, 0),
            reorders_noted=self._noted.get(session.id, 0),
            unnoted_cards=tuple(self._unnoted.get(session.id, ())),
            wip_overruns=tuple(self._wip.get(session.id, ())),
            kinds_at_end=kinds,
            teams_at_end=tuple(sorted(teams)),
            sds=round_fact(board, session.id, ended_at),
        )

    def history(self) -> ForumHistory:
        """The facts so far (a running session as it stands now, ``ended_at`` None)."""
        sessions = dict(self.sessions)
        running = self.board.session
        if running is not None:
            sessions[running.id] = self._session_fact(running, self.board, None)
        board = self.board
        return ForumHistory(
            forum_id=board.forum_id,
            kind=board.kind,
            name=board.name,
            seq=board.seq,
            cards=tuple(self.cards),
            sessions=tuple(sorted(sessions.values(), key=lambda s: s.number)),
            decisions=tuple(self.decisions),
            steps=tuple(self.steps.values()),
            escalations=tuple(self.escalations),
        )


def round_fact(board: Board, session_id: str, ended_at: float | None) -> RoundFact | None:
    """The Scaled Daily Scrum session ``session_id`` held on ``board`` (SPEC R56)."""
    sds = board.sds
    if sds is None or sds.session_id != session_id:
        return None
    return RoundFact(
        teams=tuple(t.team for t in sds.turns),
        spoke=tuple(t.team for t in sds.turns if t.speaker),
        seconds=sds.seconds(ended_at if ended_at is not None else sds.started_at),
    )


def forum_history(start: Board, logged: Iterable[LoggedOp]) -> ForumHistory:
    """Replay ``logged`` (the ops after ``start``) into the forum's facts."""
    builder = HistoryBuilder(start)
    builder.feed(logged)
    return builder.history()
