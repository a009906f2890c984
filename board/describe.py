"""One step of a forum's log in words: ``describe`` turns what an operation did (the
board before it and its events) into the line a person reads ("Ana moved “Flaky CI”
from Impediments to Removed"), for the replay's list of steps and the history pages.

Nobody's secret is told: a hidden card is "a hidden card", a vote's target is never
named. Pure: boards and events in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .events import (
    BacklogPaired,
    BacklogUnpaired,
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    CardsRevealed,
    ColumnAdded,
    ColumnMoved,
    ColumnRemoved,
    ColumnRenamed,
    DecisionRecorded,
    Event,
    FocusChanged,
    ForumRenamed,
    GroupChanged,
    GroupRemoved,
    MyTeamsSet,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    PhaseChanged,
    RetroConfigured,
    RoomJoinChanged,
    SdsChanged,
    SessionEnded,
    SessionStarted,
    StandardAdopted,
    StandardAnnounced,
    StandardRetired,
    TimerChanged,
    VoteCast,
    VoteClosed,
    VoteReopened,
    VoteRetracted,
    WipExceeded,
    WipLimitSet,
)
from .model import RETRO_PHASES, Board, Card
from .sds import describe as _describe_sds
from .timer import mmss


def _title(board: Board, card_id: str) -> str:
    card = board.cards.get(card_id)
    if card is not None and card.hidden:
        return "a hidden card"
    return f"“{card.title}”" if card else card_id


def describe(before: Board, events: Sequence[Event], actor: str) -> str:
    """One line saying what ``actor`` did, given the board before it and its events."""
    parts = [_describe_event(before, e) for e in events]
    text = "; ".join(p for p in parts if p)
    if not text:
        # Only people noted as taking part (the server notes who is connected, as
        # nobody in particular): say who joined rather than "changed the board".
        joined = [n for e in events if isinstance(e, ParticipantsAdded) for n in e.names]
        if joined:
            return f"{_names(joined)} joined the session"
        text = "changed the board"
    return f"{actor} {text}" if actor else f"Someone {text}"


def _names(names: Sequence[str]) -> str:
    """``Ana``, ``Ana and Bo``, ``Ana, Bo and Cy``."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


# How a card that went by a route other than escalation is said to have gone.
_ROUTE_WORDS: Final = {
    "product": "for product work",
    "improvement": "as an improvement",
    "feedback-product": "as product feedback",
    "feedback-process": "as process feedback",
}


_OUTCOME_WORDS: Final = {"accepted": "accepted", "declined": "declined", "done": "finished"}


def _describe_link(old: Card | None, new: Card) -> str:
    """A line for an edit that changed a card's escalation, or ``""``."""
    title = f"“{new.title}”"
    sent, was = new.sent_to, old.sent_to if old is not None else None
    if sent is not None and sent != was:
        where = sent.forum_name or sent.forum
        went = _ROUTE_WORDS.get(sent.route, "")
        asked = f" asking “{sent.asked}”" if sent.asked else ""
        if was is None or (was.status == "failed" and sent.status != "failed"):
            did = f"sent {title} to {where} {went}" if went else f"escalated {title} to {where}"
            return did + asked
        if was.status == "returned" and sent.status != "failed" and not sent.card:
            return f"escalated {title} to {where} again{asked}"  # R51
        if sent.status == "failed":
            verb = f"send {title} to {where} {went}" if went else f"escalate {title} to {where}"
            return f"could not {verb}: {sent.note}"
        if sent.status == was.status and sent.note == was.note:
            return f"linked {title} to its card in {where}"
        note = f" with the note “{sent.note}”" if sent.note else ""
        return f"moved {title} to {sent.label} in {where}{note}"
    origin, had = new.origin, old.origin if old is not None else None
    answered = origin is not None and origin.status in _OUTCOME_WORDS  # feedback's (R68)
    if answered and origin is not None and had is not None and origin != had:
        why = f": “{origin.note}”" if origin.note else ""
        return f"{_OUTCOME_WORDS[origin.status]} the feedback {title}{why}"
    if origin is not None and had is not None and had.status == "returned" != origin.status:
        return f"took {title} up again from {origin.forum_name or origin.forum}"  # R51
    if origin is not None and had is not None and origin.note != had.note:
        return (
            f"returned {title} to {origin.forum_name or origin.forum} with the note “{origin.note}”"
        )
    return ""


def _describe_retro(e: Event) -> str:
    """A line for a retrospective event (``board/retro.py``), or ``""``."""
    if isinstance(e, PhaseChanged):
        phase = e.retro.phase.capitalize()
        if e.previous is None:
            return f"started the retrospective phases with {phase}"
        if RETRO_PHASES.index(e.retro.phase) < RETRO_PHASES.index(e.previous):
            return f"took the retrospective back to {phase}"
        return f"moved the retrospective on to {phase}"
    if isinstance(e, RetroConfigured):
        allowed = "allowed" if e.retro.anonymous else "not allowed"
        return f"set {e.retro.dots} dots per person, anonymous cards {allowed}"
    if isinstance(e, CardsRevealed):
        titles = ", ".join(f"“{c.title}”" for c in e.cards)
        n = len(e.cards)
        return f"revealed {n} card{'' if n == 1 else 's'}: {titles}"
    return ""


def _describe_facilitation(before: Board, e: Event) -> str:
    """A line for a focus, WIP-limit, cluster or vote event, or ``""``. A vote's target
    is never named: while the vote is open it is the voter's secret (SPEC R26)."""
    if isinstance(e, FocusChanged):
        if e.target is None:
            return "released the follow"
        if e.target in before.cards:
            return f"brought everyone to {_title(before, e.target)}"
        return f"brought everyone to the column {before.column_title(e.target)}"
    if isinstance(e, WipLimitSet):
        where = before.column_title(e.column)
        return (
            f"set the WIP limit of {where} to {e.limit}"
            if e.limit
            else f"cleared {where}'s WIP limit"
        )
    if isinstance(e, WipExceeded):
        return f"took {before.column_title(e.column)} over its WIP limit ({e.count}/{e.limit})"
    if isinstance(e, GroupChanged):
        return f"named a cluster “{e.group.title}”" if e.group.title else "made a cluster"
    if isinstance(e, GroupRemoved):
        return "emptied a cluster"
    if isinstance(e, VoteCast):
        return "cast a vote"
    if isinstance(e, VoteRetracted):
        return "took a vote back"
    if isinstance(e, VoteClosed):
        return f"closed the vote ({sum(e.tally.values())} dots)"
    if isinstance(e, VoteReopened):
        return "re-opened the vote"
    return ""


def _describe_event(before: Board, e: Event) -> str:
    if isinstance(e, PhaseChanged | RetroConfigured | CardsRevealed):
        return _describe_retro(e)
    more = _describe_facilitation(before, e)
    if more:
        return more
    if isinstance(e, CardAdded | CardEdited | CardArchived | CardRestored) and e.card.hidden:
        did = {CardAdded: "wrote", CardEdited: "edited", CardArchived: "archived"}
        where = f" in {before.column_title(e.card.column)}"
        return f"{did.get(type(e), 'restored')} a card{where}, hidden until the reveal"
    if isinstance(e, CardAdded):
        if e.card.origin is not None:
            src = e.card.origin.forum_name or e.card.origin.forum
            went = _ROUTE_WORDS.get(e.card.origin.route, "")
            if went:
                return f"sent “{e.card.title}” here from {src} {went}"
            return f"escalated “{e.card.title}” here from {src}"
        return f"added “{e.card.title}” to {before.column_title(e.card.column)}"
    if isinstance(e, CardEdited):
        linked = _describe_link(before.cards.get(e.card.id), e.card)
        return linked or f"edited {_title(before, e.card.id)}"
    if isinstance(e, CardMoved):
        name = _title(before, e.card_id)
        if e.from_column == e.column:
            return f"reordered {name} in {before.column_title(e.column)}"
        src, dst = before.column_title(e.from_column), before.column_title(e.column)
        return f"moved {name} from {src} to {dst}"
    if isinstance(e, CardArchived):
        return f"archived “{e.card.title}”"
    if isinstance(e, CardRestored):
        return f"restored “{e.card.title}”"
    if isinstance(e, ColumnAdded):
        return f"added the column {e.column.title}"
    if isinstance(e, ColumnRenamed):
        return f"renamed the column {before.column_title(e.column_id)} to {e.title}"
    if isinstance(e, ColumnMoved):
        return f"moved the column {before.column_title(e.column_id)}"
    if isinstance(e, ColumnRemoved):
        return f"removed the column {before.column_title(e.column_id)}"
    if isinstance(e, ForumRenamed):
        return f"renamed the forum to {e.name}"
    if isinstance(e, SessionStarted):
        return f"started session {e.session.number}"
    if isinstance(e, SessionEnded):
        return f"ended session {e.session.number}"
    if isinstance(e, ParticipantsAdded):
        return ""  # joining is not an action worth a line of its own
    if isinstance(e, DecisionRecorded):
        return f"recorded the decision “{e.decision.text}”"
    if isinstance(e, NextStepAdded):
        owner = f" for {e.step.owner}" if e.step.owner else ""
        return f"added the next step “{e.step.text}”{owner}"
    if isinstance(e, NextStepUpdated):
        status = e.step.status
        verb = {"done": "marked done", "dropped": "dropped", "open": "updated"}[status]
        return f"{verb} the next step “{e.step.text}”"
    if isinstance(e, TimerChanged):
        return _describe_timer(e)
    if isinstance(e, RoomJoinChanged):
        return "let the room join" if e.on else "stopped the room joining"
    if isinstance(e, MyTeamsSet):
        return f"said they are in {', '.join(e.teams)}" if e.teams else "said they are in no team"
    if isinstance(e, SdsChanged):
        return _describe_sds(e)
    if isinstance(e, BacklogPaired):
        return f"made the ordered column one list with {e.name or e.forum}"
    if isinstance(e, BacklogUnpaired):
        return f"stopped sharing the ordered column with {e.name or e.forum}"
    if isinstance(e, StandardAdopted):
        return f"adopted the standard “{e.standard.text}”"
    if isinstance(e, StandardRetired):
        return f"retired the standard “{e.standard.text}”: {e.standard.retired_reason}"
    if isinstance(e, StandardAnnounced):
        verb = "retired" if e.standard.retired_at else "adopted"
        return f"{e.standard.eat_name} {verb} the standard “{e.standard.text}”"
    return ""  # ColumnReranked: bookkeeping, no visible change


def _describe_timer(e: TimerChanged) -> str:
    if e.action == "set":
        return f"set the timer to {mmss(e.timer.duration)}"
    if e.action == "started":
        if e.timer.remaining < e.timer.duration:
            return f"resumed the timer with {mmss(e.timer.remaining)} left"
        return f"started the timer ({mmss(e.timer.duration)})"
    if e.action == "paused":
        return f"paused the timer with {mmss(e.timer.remaining)} left"
    return f"reset the timer to {mmss(e.timer.duration)}"
