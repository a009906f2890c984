"""``apply``: validate one operation against a board and return the next board.

``apply(board, op, ctx)`` is the only way a board changes. It is deterministic: the
same board, operation and context always give the same result, which is what makes
the operation log replayable (rooms reload from it; review replays it). New ids come
from the operation's ``seq``, never from randomness or the clock.

It returns ``(board, events)``. No events means the operation changed nothing (a card
dropped where it already was); the caller acknowledges it without spending a seq.
It raises ``Rejected`` with a code and a reason a person can read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import UNSET
from msgspec.structs import replace

from . import backlog as _backlog
from . import dependencies as _dependencies
from . import focus as _focus_ops
from . import forum_links as _links
from . import ops as o
from . import retro as _retro
from . import timer as _timer_ops
from . import voting as _voting
from . import wip as _wip
from .events import (
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    ColumnAdded,
    ColumnMoved,
    ColumnRemoved,
    ColumnRenamed,
    DecisionRecorded,
    Event,
    ForumRenamed,
    NextStepAdded,
    NextStepUpdated,
    ParticipantsAdded,
    SessionEnded,
    SessionStarted,
)
from .kinds import forum_kind
from .model import Board, Card, Column, Decision, NextStep, Session
from .rules import MAX_CARDS as MAX_CARDS
from .rules import MAX_COLUMNS as MAX_COLUMNS
from .rules import MAX_DECISIONS as MAX_DECISIONS
from .rules import MAX_OPEN_STEPS as MAX_OPEN_STEPS
from .rules import Context as Context
from .rules import Rejected as Rejected
from .rules import Result as Result
from .rules import card as _card
from .rules import card_refs as _card_refs
from .rules import check_kind as _check_kind
from .rules import check_team as _check_team
from .rules import clean_text as clean_text
from .rules import column as _column
from .rules import differing
from .rules import live_card as _live_card
from .rules import place as _place
from .rules import required as _required
from .rules import rerank as _rerank
from .rules import session as _session
from .rules import with_column as _with_column


def apply(board: Board, op: o.Op, ctx: Context) -> Result:
    """Validate ``op`` against ``board``; return the next board and what changed."""
    if ctx.seq != board.seq + 1:
        raise ValueError(f"context seq {ctx.seq} does not follow board seq {board.seq}")
    handler = _HANDLERS[type(op)]
    _retro.guard(board, op, ctx)  # a hidden card is its author's until the reveal
    new, events = handler(board, op, ctx)
    if not events:
        return board, []
    new, events = _focus_ops.drop_stale(new, events)  # the focused card/column is gone
    if (
        new.session is not None
        and not isinstance(op, _NOT_TAKING_PART)
        and not _retro.private_add(op, events)
    ):
        new, joined = _add_participants(new, (ctx.actor,))
        if joined is not None:
            events.append(joined)
    return replace(new, seq=ctx.seq), events


# Server-made ops whose actor is not taking part in this forum's session (presence, and
# what another forum's people did to a linked card).
_NOT_TAKING_PART = (o.NotePresence, o.ReceiveEscalation, o.EscalationStatus)


# -- cards --------------------------------------------------------------------------


def _add_card(board: Board, op: o.AddCard, ctx: Context) -> Result:
    i, col = _column(board, op.column)
    kind = _check_kind(board, op.kind or forum_kind(board.kind).default_card_kind)
    title = _required(op.title, "A card's title")
    if len(board.cards) >= MAX_CARDS:
        raise Rejected("limit", f"A board holds at most {MAX_CARDS} cards.")
    index = len(col.card_ids) if op.index is None else min(op.index, len(col.card_ids))
    rank, others = _place(board, col.card_ids, index)
    card = Card(
        id=f"c{ctx.seq}",
        kind=kind,
        title=title,
        column=col.id,
        rank=rank,
        created_at=ctx.at,
        created_by=ctx.actor,
        updated_at=ctx.at,
        updated_by=ctx.actor,
        body=clean_text(op.body, single_line=False),
        team=_check_team(op.team, ctx),
        to_team=_check_team(op.to_team, ctx),
        owner=clean_text(op.owner, single_line=True),
        connects=_dependencies.check_connects(board, kind, op.connects, None),
        **_backlog.new_card_fields(op, ctx),  # owning teams, an experiment's fields
    )
    card = _retro.new_card(board, op, card)  # hidden in a retro's write phase, anonymous
    cards = dict(board.cards)
    events: list[Event] = []
    _rerank(cards, col.id, others, events)
    cards[card.id] = card
    ids = (*col.card_ids[:index], card.id, *col.card_ids[index:])
    events.append(CardAdded(card=card))
    columns = _with_column(board, i, replace(col, card_ids=ids))
    return replace(board, cards=cards, columns=columns), events


def _edit_card(board: Board, op: o.EditCard, ctx: Context) -> Result:
    card = _live_card(board, op.card)
    changes: dict[str, Any] = {}
    if op.title is not UNSET:
        changes["title"] = _required(op.title, "A card's title")
    if op.kind is not UNSET:
        changes["kind"] = _check_kind(board, op.kind)
    if op.body is not UNSET:
        changes["body"] = clean_text(op.body, single_line=False)
    if op.team is not UNSET:
        changes["team"] = _check_team(op.team, ctx)
    if op.to_team is not UNSET:
        changes["to_team"] = _check_team(op.to_team, ctx)
    if op.owner is not UNSET:
        changes["owner"] = clean_text(op.owner, single_line=True)
    changes.update(_backlog.edited_fields(op, ctx))  # owning teams, experiment fields
    kind = changes.get("kind", card.kind)  # connects only on a dependency card
    connects = card.connects if op.connects is UNSET else op.connects
    if op.connects is not UNSET or (kind != "dependency" and connects):
        keep = connects if kind == "dependency" or op.connects is not UNSET else ()
        changes["connects"] = _dependencies.check_connects(board, kind, keep, card)
    changes = differing(card, changes)
    if not changes:
        return board, []
    edited = replace(card, **changes, updated_at=ctx.at, updated_by=ctx.actor)
    cards = dict(board.cards)
    cards[card.id] = edited
    return replace(board, cards=cards), [CardEdited(card=edited)]


def _move_card(board: Board, op: o.MoveCard, ctx: Context) -> Result:
    card = _live_card(board, op.card)
    src_i, src = _column(board, card.column)
    dst_i, dst = _column(board, op.column)
    ids = tuple(cid for cid in dst.card_ids if cid != card.id)
    index = min(op.index, len(ids))
    if src_i == dst_i and dst.card_ids.index(card.id) == index:
        return board, []
    rank, others = _place(board, ids, index)
    cards = dict(board.cards)
    events: list[Event] = []
    _rerank(cards, dst.id, others, events)
    cards[card.id] = replace(
        card, column=dst.id, rank=rank, updated_at=ctx.at, updated_by=ctx.actor
    )
    cols = list(board.columns)
    if src_i != dst_i:
        cols[src_i] = replace(src, card_ids=tuple(c for c in src.card_ids if c != card.id))
    cols[dst_i] = replace(dst, card_ids=(*ids[:index], card.id, *ids[index:]))
    events.append(CardMoved(card_id=card.id, from_column=src.id, column=dst.id, rank=rank))
    return replace(board, cards=cards, columns=tuple(cols)), events


def _archive_card(board: Board, op: o.ArchiveCard, ctx: Context) -> Result:
    card = _card(board, op.card)
    if card.archived:
        return board, []
    i, col = _column(board, card.column)
    archived = replace(card, archived=True, updated_at=ctx.at, updated_by=ctx.actor)
    cards = dict(board.cards)
    cards[card.id] = archived
    column = replace(col, card_ids=tuple(c for c in col.card_ids if c != card.id))
    columns = _with_column(board, i, column)
    return replace(board, cards=cards, columns=columns), [CardArchived(card=archived)]


def _restore_card(board: Board, op: o.RestoreCard, ctx: Context) -> Result:
    card = _card(board, op.card)
    if not card.archived:
        return board, []
    i, col = _column(board, card.column)
    rank, others = _place(board, col.card_ids, len(col.card_ids))
    cards = dict(board.cards)
    events: list[Event] = []
    _rerank(cards, col.id, others, events)
    restored = replace(card, archived=False, rank=rank, updated_at=ctx.at, updated_by=ctx.actor)
    cards[card.id] = restored
    columns = _with_column(board, i, replace(col, card_ids=(*col.card_ids, card.id)))
    events.append(CardRestored(card=restored))
    return replace(board, cards=cards, columns=columns), events


# -- columns and the forum ----------------------------------------------------------


def _add_column(board: Board, op: o.AddColumn, ctx: Context) -> Result:
    title = _required(op.title, "A column's title")
    if len(board.columns) >= MAX_COLUMNS:
        raise Rejected("limit", f"A board has at most {MAX_COLUMNS} columns.")
    index = len(board.columns) if op.index is None else min(op.index, len(board.columns))
    column = Column(id=f"col{ctx.seq}", title=title)
    columns = (*board.columns[:index], column, *board.columns[index:])
    return replace(board, columns=columns), [ColumnAdded(column=column, index=index)]


def _rename_column(board: Board, op: o.RenameColumn, ctx: Context) -> Result:
    i, col = _column(board, op.column)
    title = _required(op.title, "A column's title")
    if title == col.title:
        return board, []
    columns = _with_column(board, i, replace(col, title=title))
    return replace(board, columns=columns), [ColumnRenamed(column_id=col.id, title=title)]


def _move_column(board: Board, op: o.MoveColumn, ctx: Context) -> Result:
    i, col = _column(board, op.column)
    others = [c for c in board.columns if c.id != col.id]
    index = min(op.index, len(others))
    if index == i:
        return board, []
    others.insert(index, col)
    return replace(board, columns=tuple(others)), [ColumnMoved(column_id=col.id, index=index)]


def _remove_column(board: Board, op: o.RemoveColumn, ctx: Context) -> Result:
    _, col = _column(board, op.column)
    if col.card_ids:
        raise Rejected(
            "conflict", f"Column {col.title!r} still has cards; move or archive them first."
        )
    if len(board.columns) == 1:
        raise Rejected("conflict", "A board keeps at least one column.")
    columns = tuple(c for c in board.columns if c.id != col.id)
    cards = board.cards
    if any(c.column == col.id for c in cards.values()):
        home = columns[0].id  # archived cards of the column restore into the first one
        cards = {k: replace(c, column=home) if c.column == col.id else c for k, c in cards.items()}
    return replace(board, columns=columns, cards=cards), [ColumnRemoved(column_id=col.id)]


def _rename_forum(board: Board, op: o.RenameForum, ctx: Context) -> Result:
    name = _required(op.name, "A forum's name")
    if name == board.name:
        return board, []
    return replace(board, name=name), [ForumRenamed(name=name)]


# -- sessions, decisions, next steps ------------------------------------------------


def _add_participants(board: Board, names: tuple[str, ...]) -> tuple[Board, Event | None]:
    session = board.session
    if session is None:
        return board, None
    new = tuple(n for n in dict.fromkeys(names) if n and n not in session.participants)
    if not new:
        return board, None
    session = replace(session, participants=(*session.participants, *new))
    return replace(board, session=session), ParticipantsAdded(session_id=session.id, names=new)


def _start_session(board: Board, op: o.StartSession, ctx: Context) -> Result:
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
        participants=(ctx.actor,),
    )
    return replace(board, session=session), [SessionStarted(session=session)]


def _end_session(board: Board, op: o.EndSession, ctx: Context) -> Result:
    board, _ = _add_participants(board, (ctx.actor,))
    session = _session(board)
    board, revealed = _retro.end_session(board)  # every card face up, phases over
    made = tuple(s for s in board.next_steps.values() if s.session_id == session.id)
    still_open = {k: s for k, s in board.next_steps.items() if s.status == "open"}
    ended = SessionEnded(
        session=session, ended_at=ctx.at, ended_by=ctx.actor, end_seq=ctx.seq, next_steps=made
    )
    new = replace(
        board,
        session=None,
        sessions_held=session.number,
        last_session_id=session.id,
        next_steps=still_open,
    )
    return new, [*revealed, ended]


def _record_decision(board: Board, op: o.RecordDecision, ctx: Context) -> Result:
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


def _add_next_step(board: Board, op: o.AddNextStep, ctx: Context) -> Result:
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


def _update_next_step(board: Board, op: o.UpdateNextStep, ctx: Context) -> Result:
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


# -- escalation between forums (the server-made ops: board/forum_links.py) ---------


def _return_escalation(board: Board, op: o.ReturnEscalation, ctx: Context) -> Result:
    card = _live_card(board, op.card)
    origin = card.origin
    if origin is None:
        raise Rejected("invalid", f"{card.title!r} was not escalated here from another forum.")
    note = _required(op.note, "A note saying why it goes back", single_line=False)
    events: list[Event] = []
    if board.column("returned") is not None and card.column != "returned":
        board, events = _move_card(board, o.MoveCard(card=card.id, column="returned", index=0), ctx)
        card = board.cards[card.id]
    edited = replace(
        card, origin=replace(origin, note=note), updated_at=ctx.at, updated_by=ctx.actor
    )
    cards = dict(board.cards)
    cards[card.id] = edited
    events.append(CardEdited(card=edited))
    return replace(board, cards=cards), events


def _note_presence(board: Board, op: o.NotePresence, ctx: Context) -> Result:
    new, event = _add_participants(board, tuple(clean_text(n, single_line=True) for n in op.names))
    return (new, [event]) if event is not None else (board, [])


_HANDLERS: dict[type, Callable[[Board, Any, Context], Result]] = {
    o.AddCard: _wip.checked(_add_card),
    o.EditCard: _edit_card,
    o.MoveCard: _wip.checked(_backlog.with_tradeoff_note(_move_card, _record_decision)),
    o.ArchiveCard: _archive_card,
    o.RestoreCard: _wip.checked(_restore_card),
    o.AddColumn: _add_column,
    o.RenameColumn: _rename_column,
    o.MoveColumn: _move_column,
    o.RemoveColumn: _remove_column,
    o.RenameForum: _rename_forum,
    o.StartSession: _start_session,
    o.EndSession: _end_session,
    o.RecordDecision: _record_decision,
    o.AddNextStep: _add_next_step,
    o.UpdateNextStep: _update_next_step,
    o.NotePresence: _note_presence,
    o.ReturnEscalation: _return_escalation,
    o.EscalateCard: _links.escalate_card,
    o.ReceiveEscalation: _wip.checked(_links.receive_escalation),
    o.EscalationStatus: _links.escalation_status,
    o.SetTimer: _timer_ops.set_timer,
    o.StartTimer: _timer_ops.start_timer,
    o.PauseTimer: _timer_ops.pause_timer,
    o.ResetTimer: _timer_ops.reset_timer,
    o.GroupCard: _voting.group_card,
    o.UngroupCard: _voting.ungroup_card,
    o.NameGroup: _voting.name_group,
    o.CastVote: _voting.cast_vote,
    o.RetractVote: _voting.retract_vote,
    o.SetFocus: _focus_ops.set_focus,
    o.SetPhase: _retro.set_phase,
    o.ConfigureRetro: _retro.configure_retro,
    o.SetWipLimit: _wip.set_wip_limit,
}
