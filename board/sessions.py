"""The session operations ``apply`` dispatches: start and end a session, record a
decision, add and update next steps, and note who takes part (``add_participants``,
which ``apply`` also calls for whoever changes the board during a session).

Ending a session records it (``SessionEnded``) with the next steps it made; the next
session opens with the steps still open. Ids come from the op's seq (``d<seq>``,
``s<seq>``) or the session's number (``<forum>-<n>``). Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET
from msgspec.structs import replace

from . import ops as o
from . import retro as _retro
from . import sds as _sds
from .events import (
    DecisionRecorded,
    Event,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    SessionEnded,
    SessionStarted,
)
from .model import Board, Decision, NextStep, Session
from .people import session_teams
from .rules import (
    MACHINE,
    MAX_DECISIONS,
    MAX_OPEN_STEPS,
    Context,
    Rejected,
    Result,
    clean_text,
    differing,
)
from .rules import card_refs as _card_refs
from .rules import required as _required
from .rules import session as _session
from .tally import session_tally

Person = tuple[str, str]  # (display name, person key)


def public(session: Session) -> Session:
    """``session`` as it may leave the server: without its person keys (SPEC R43)."""
    return replace(session, people={}) if session.people else session


def attendee(ctx: Context) -> tuple[Person, ...]:
    """Who an op notes as taking part: its actor, unless it is by an API token (R42)."""
    return () if ctx.by.startswith(MACHINE) else ((ctx.actor, ctx.who),)


def add_participants(board: Board, people: tuple[Person, ...]) -> tuple[Board, Event | None]:
    """Count ``people`` (name, key) as taking part (SPEC R43): a person already counted
    is not counted again under a new name; another person with a name already counted
    is counted as "Name (2)"; a token's key (``~``) is never counted (R42, R75)."""
    session = board.session
    if session is None:
        return board, None
    names = list(session.participants)
    counted = dict(session.people)
    new: list[str] = []
    for name, given in people:
        key = given or name  # an old log's op: its name is its key (R40)
        if not name or key in counted or given.startswith(MACHINE):  # R42, R75: no token
            continue
        taken = set(counted.values())  # names other people are counted under
        shown, n = name, 1
        while shown in taken:
            n += 1
            shown = f"{name} ({n})"
        counted[key] = shown
        if shown not in names:
            names.append(shown)
            new.append(shown)
    if counted == session.people and not new:
        return board, None
    teams = session_teams(session.teams, board.members, counted)  # R53
    session = replace(session, participants=tuple(names), people=counted, teams=teams)
    if not new:
        return replace(board, session=session), None
    event = ParticipantsAdded(session_id=session.id, names=tuple(new))
    return replace(board, session=session), event


def start_session(board: Board, op: o.StartSession, ctx: Context) -> Result:
    if board.session is not None:
        raise Rejected(
            "conflict", f"A session is already running (started by {board.session.started_by})."
        )
    number = board.sessions_held + 1
    session = Session(
        id=f"{board.forum_id}-{number}",
        number=number,
        started_at=ctx.at,
        started_by=ctx.actor,
        start_seq=ctx.seq,
    )
    board, _ = add_participants(replace(board, session=session), attendee(ctx))
    assert board.session is not None
    return board, [SessionStarted(session=public(board.session))]


def end_session(board: Board, op: o.EndSession, ctx: Context) -> Result:
    board, _ = add_participants(board, attendee(ctx))
    session = _session(board)
    kept = session_tally(board)  # the vote outlives the phases (R73)
    board, revealed = _retro.end_session(board)  # every card face up, phases over
    board, round_ended = _sds.end_with_session(board, ctx)  # a Scaled Daily Scrum too (R54)
    made = tuple(s for s in board.next_steps.values() if s.session_id == session.id)
    still_open = {k: s for k, s in board.next_steps.items() if s.status == "open"}
    ended = SessionEnded(
        session=public(session),
        ended_at=ctx.at,
        ended_by=ctx.actor,
        end_seq=ctx.seq,
        next_steps=made,
        tally=kept,
    )
    new = replace(
        board,
        session=None,
        sessions_held=session.number,
        last_session_id=session.id,
        next_steps=still_open,
    )
    return new, [*revealed, *round_ended, ended]


def record_decision(board: Board, op: o.RecordDecision, ctx: Context) -> Result:
    session = _session(board)
    text = _required(op.text, "A decision", single_line=False)
    if len(session.decisions) >= MAX_DECISIONS:
        raise Rejected("limit", f"A session records at most {MAX_DECISIONS} decisions.")
    decision = Decision(
        id=f"d{ctx.seq}",
        session_id=session.id,
        text=text,
        at=ctx.at,
        by=ctx.actor,
        card_ids=_card_refs(board, op.cards),
    )
    session = replace(session, decisions=(*session.decisions, decision))
    return replace(board, session=session), [DecisionRecorded(decision=decision)]


def add_next_step(board: Board, op: o.AddNextStep, ctx: Context) -> Result:
    session = _session(board)
    text = _required(op.text, "A next step", single_line=False)
    if len(board.open_steps()) >= MAX_OPEN_STEPS:
        raise Rejected("limit", f"A forum keeps at most {MAX_OPEN_STEPS} open next steps.")
    step = NextStep(
        id=f"s{ctx.seq}",
        session_id=session.id,
        text=text,
        created_at=ctx.at,
        created_by=ctx.actor,
        updated_at=ctx.at,
        updated_by=ctx.actor,
        owner=clean_text(op.owner, single_line=True),
        due=op.due,
        card_ids=_card_refs(board, op.cards),
    )
    steps = dict(board.next_steps)
    steps[step.id] = step
    return replace(board, next_steps=steps), [NextStepAdded(step=step)]


def update_next_step(board: Board, op: o.UpdateNextStep, ctx: Context) -> Result:
    step = board.next_steps.get(op.step)
    if step is None:
        raise Rejected(
            "not_found", f"There is no open next step {op.step!r} (it may be closed already)."
        )
    changes: dict[str, Any] = {}
    if op.text is not UNSET:
        changes["text"] = _required(op.text, "A next step", single_line=False)
    if op.owner is not UNSET:
        changes["owner"] = clean_text(op.owner, single_line=True)
    if op.due is not UNSET:
        changes["due"] = op.due
    if op.status is not UNSET:
        changes["status"] = op.status
    changes = differing(step, changes)
    if not changes:
        return board, []
    updated = replace(step, **changes, updated_at=ctx.at, updated_by=ctx.actor)
    steps = dict(board.next_steps)
    steps[step.id] = updated
    return replace(board, next_steps=steps), [NextStepUpdated(step=updated)]


def note_presence(board: Board, op: o.NotePresence, ctx: Context) -> Result:
    names = tuple(clean_text(n, single_line=True) for n in op.names)
    keys = op.people if len(op.people) == len(names) else ("",) * len(names)
    new, event = add_participants(board, tuple(zip(names, keys, strict=True)))
    return (new, [event]) if event is not None else (board, [])
