"""The ops that link a card to another forum (SPEC R18), all written by the server:
``escalate_card`` on the source board, ``receive_escalation`` on the target board (a
linked copy in its landing column) and ``escalation_status`` back on the source. The
client op that sends a card back, ``return_escalation``, stays in ``apply.py`` (it is a
move). Pure, like every handler: board and op in, board and events out.

SPEC R50: a card escalated with ``wait_in`` moves to that column (the Scrum of Scrums'
"Needs EAT") and remembers the column it left; the target's outcome moves it on —
back to where it was when returned or refused, to the board's removal column when
removed. SPEC R51: a card that came back (returned or refused) can go again; the
target then reopens the card it returned instead of adding another."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace

from . import backlog as _backlog
from . import ops as o
from .card_state import is_removal_column, is_removed
from .cards import move_card
from .events import CardAdded, CardEdited, Event
from .kinds import forum_kind, route, routes_from
from .model import Board, Card, CardLink
from .rules import MAX_CARDS, Context, Rejected, Result, clean_text, differing
from .rules import card as _card
from .rules import column as _column
from .rules import live_card as _live_card
from .rules import place as _place
from .rules import required as _required
from .rules import rerank as _rerank
from .rules import with_column as _with_column


def escalate_card(board: Board, op: o.EscalateCard, ctx: Context) -> Result:
    card = _live_card(board, op.card)
    way = route(board.kind, op.route)
    if way is None:
        if not routes_from(board.kind):
            label = forum_kind(board.kind).label
            raise Rejected("invalid", f"A {label} does not send cards to other forums.")
        raise Rejected("invalid", f"A {board.kind} forum has no route {op.route!r}.")
    if card.kind not in way.card_kinds:
        kinds = " or ".join(k.replace("_", " ") + "s" for k in way.card_kinds)
        raise Rejected("invalid", f"Only {kinds} can go this way ({way.action}).")
    _backlog.check_route(card, way, ctx)  # an improvement: only a proven experiment
    if ctx.live and is_removed(board, card):
        where = _column(board, card.column)[1].title
        raise Rejected("conflict", f"{card.title!r} is in {where}: it is done with already.")
    if not way.goes_to(op.to_kind) or op.to_forum == board.forum_id:
        raise Rejected("invalid", f"{way.action}: that goes to a {way.to_kind} forum.")
    before = card.sent_to
    if before is not None and before.status not in AGAIN:
        where = before.forum_name or "another forum"
        raise Rejected("conflict", f"{card.title!r} is already with {where}.")
    waits = op.wait_in if op.wait_in and board.column(op.wait_in) is not None else ""
    left = card.column
    if left == waits:  # already waiting there: back to where it was before, if known
        left = before.left if before is not None and before.left else _first_other(board, waits)
    sent = CardLink(
        forum=op.to_forum,
        forum_name=clean_text(op.to_name, single_line=True),
        kind=op.to_kind,
        route=way.id,
        status=way.lands_in(op.to_kind),
        label=_template_title(op.to_kind, way.lands_in(op.to_kind)),
        asked=clean_text(op.note, single_line=False),
        waits_in=waits,
        left=left,
    )
    events: list[Event] = []
    if waits and card.column != waits:
        end = len(_column(board, waits)[1].card_ids)
        board, events = move_card(board, o.MoveCard(card=card.id, column=waits, index=end), ctx)
        card = board.cards[card.id]
    edited = replace(card, sent_to=sent, updated_at=ctx.at, updated_by=ctx.actor)
    cards = dict(board.cards)
    cards[card.id] = edited
    return replace(board, cards=cards), [*events, CardEdited(card=edited)]


AGAIN = frozenset({"failed", "returned"})
"""The statuses of a card that came back: it may be escalated again (R51)."""


def _first_other(board: Board, column_id: str) -> str:
    return next((c.id for c in board.columns if c.id != column_id), column_id)


def _template_title(kind: str, column_id: str) -> str:
    for col in forum_kind(kind).columns:
        if col.id == column_id:
            return col.title
    return column_id


def receive_escalation(board: Board, op: o.ReceiveEscalation, ctx: Context) -> Result:
    i, col = _column(board, op.column)
    source = (op.from_forum, op.from_card)
    for c in board.cards.values():
        if c.origin is not None and not c.archived and (c.origin.forum, c.origin.card) == source:
            if c.origin.status == "returned":
                return _reopen(board, c, op, ctx)
            raise Rejected("conflict", f"{c.title!r} was escalated here already.")
    allowed = forum_kind(board.kind).card_kinds
    kind = op.kind if op.kind in allowed else forum_kind(board.kind).default_card_kind
    if len(board.cards) >= MAX_CARDS:
        raise Rejected("limit", f"A board holds at most {MAX_CARDS} cards.")
    rank, others = _place(board, col.card_ids, len(col.card_ids))
    card = Card(
        id=f"c{ctx.seq}",
        kind=kind,
        title=_required(op.title, "A card's title"),
        column=col.id,
        rank=rank,
        created_at=ctx.at,
        created_by=ctx.actor,
        updated_at=ctx.at,
        updated_by=ctx.actor,
        body=clean_text(op.body, single_line=False),
        team=clean_text(op.team, single_line=True),
        to_team=clean_text(op.to_team, single_line=True),
        origin=CardLink(
            forum=op.from_forum,
            forum_name=clean_text(op.from_name, single_line=True),
            kind=op.from_kind,
            route=op.route,
            card=op.from_card,
            asked=clean_text(op.note, single_line=False),
        ),
    )
    cards = dict(board.cards)
    events: list[Event] = []
    _rerank(cards, col.id, others, events)
    cards[card.id] = card
    events.append(CardAdded(card=card))
    columns = _with_column(board, i, replace(col, card_ids=(*col.card_ids, card.id)))
    return replace(board, cards=cards, columns=columns), events


def _reopen(board: Board, card: Card, op: o.ReceiveEscalation, ctx: Context) -> Result:
    """A card this board returned comes again (R51): the same card, its age and history
    kept, back in the landing column with the new note, no longer returned."""
    came = card.origin
    assert came is not None
    events: list[Event] = []
    if card.column != op.column:
        _column(board, op.column)  # the landing column must still exist
        board, events = move_card(board, o.MoveCard(card=card.id, column=op.column, index=0), ctx)
        card = board.cards[card.id]
    origin = replace(came, status="", note="", asked=clean_text(op.note, single_line=False))
    edited = replace(
        card,
        title=_required(op.title, "A card's title"),
        body=clean_text(op.body, single_line=False),
        origin=origin,
        updated_at=ctx.at,
        updated_by=ctx.actor,
    )
    cards = dict(board.cards)
    cards[card.id] = edited
    return replace(board, cards=cards), [*events, CardEdited(card=edited)]


def escalation_status(board: Board, op: o.EscalationStatus, ctx: Context) -> Result:
    card = _card(board, op.card)
    sent = card.sent_to
    if sent is None:
        raise Rejected("conflict", f"{card.title!r} was not escalated.")
    changes: dict[str, Any]
    if op.decision:  # a decision the target recorded about it: its text only (SPEC R59)
        changes = {"decision": clean_text(op.decision, single_line=False)}
    elif op.target_card is not None:
        # The link to the new card only: a move the target made meanwhile may already
        # have updated the status, and must not be undone by the link arriving after it.
        changes = {"card": op.target_card}
    else:
        changes = {
            "status": op.status,
            "label": clean_text(op.label, single_line=True),
            "note": clean_text(op.note, single_line=False),
        }
    changes = differing(sent, changes)
    events: list[Event] = []
    if op.follow and not card.archived:
        board, events = _follow(board, card, op, ctx)
        card = board.cards[card.id]
    if not changes:
        return board, events
    edited = replace(
        card, sent_to=replace(sent, **changes), updated_at=ctx.at, updated_by=ctx.actor
    )
    cards = dict(board.cards)
    cards[card.id] = edited
    return replace(board, cards=cards), [*events, CardEdited(card=edited)]


def _follow(board: Board, card: Card, op: o.EscalationStatus, ctx: Context) -> Result:
    """Move ``card`` with the target's outcome (R50): returned or refused, from the
    column it waits in back to the one it left; removed there, to this board's removal
    column; taken up again there after removal, back to the column it waits in."""
    sent = card.sent_to
    assert sent is not None
    to = ""
    if op.status in AGAIN:
        if card.column == sent.waits_in:
            to = sent.left
    elif is_removal_column(op.status, op.label):
        to = next((c.id for c in board.columns if is_removal_column(c.id, c.title)), "")
    elif is_removed(board, card) and sent.waits_in:
        to = sent.waits_in
    if not to or to == card.column or board.column(to) is None:
        return board, []
    end = len(_column(board, to)[1].card_ids)
    return move_card(board, o.MoveCard(card=card.id, column=to, index=end), ctx)
