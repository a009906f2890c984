"""The card operations ``apply`` dispatches: add, edit, move, archive and restore a card,
and return one escalated here to the forum it came from (``return_escalation``).

Each handler takes the board, its operation and the ``Context`` and returns the next
board with its events, or raises ``Rejected`` (``board.rules``). A card's id comes from
the op's seq (``c<seq>``), so a replay gives the same ids. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET
from msgspec.structs import replace

from . import backlog as _backlog
from . import dependencies as _dependencies
from . import ops as o
from . import retro as _retro
from . import sources as _sources
from .card_state import is_removed
from .events import CardAdded, CardArchived, CardEdited, CardMoved, CardRestored, Event
from .kinds import forum_kind
from .model import Board, Card
from .rules import MAX_CARDS, Context, Rejected, Result, clean_text, differing
from .rules import card as _card
from .rules import check_kind as _check_kind
from .rules import check_team as _check_team
from .rules import column as _column
from .rules import live_card as _live_card
from .rules import place as _place
from .rules import required as _required
from .rules import rerank as _rerank
from .rules import with_column as _with_column


def add_card(board: Board, op: o.AddCard, ctx: Context) -> Result:
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
        source=_sources.check_source(op.source),
        **_backlog.new_card_fields(op, ctx),  # owning teams, an experiment's fields
    )
    card = _retro.new_card(board, op, card, ctx.who)  # hidden in a retro's write phase, anonymous
    cards = dict(board.cards)
    events: list[Event] = []
    _rerank(cards, col.id, others, events)
    cards[card.id] = card
    ids = (*col.card_ids[:index], card.id, *col.card_ids[index:])
    events.append(CardAdded(card=card))
    columns = _with_column(board, i, replace(col, card_ids=ids))
    return replace(board, cards=cards, columns=columns), events


def edit_card(board: Board, op: o.EditCard, ctx: Context) -> Result:
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


def move_card(board: Board, op: o.MoveCard, ctx: Context) -> Result:
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


def archive_card(board: Board, op: o.ArchiveCard, ctx: Context) -> Result:
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


def restore_card(board: Board, op: o.RestoreCard, ctx: Context) -> Result:
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


def return_escalation(board: Board, op: o.ReturnEscalation, ctx: Context) -> Result:
    card = _live_card(board, op.card)
    origin = card.origin
    if origin is None:
        raise Rejected("invalid", f"{card.title!r} was not escalated here from another forum.")
    back = origin.forum_name or "the forum it came from"
    # Returned already, and still there (a board without a Returned column: for good,
    # until the source sends it again; with one: taken out of it, it may go back again).
    still = board.column("returned") is None or card.column == "returned"
    if ctx.live and origin.status == "returned" and still:
        raise Rejected("conflict", f"{card.title!r} went back to {back} already.")
    if ctx.live and is_removed(board, card):
        raise Rejected("conflict", f"{card.title!r} is removed: it is done with, not returned.")
    note = _required(op.note, "A note saying why it goes back", single_line=False)
    events: list[Event] = []
    if board.column("returned") is not None and card.column != "returned":
        board, events = move_card(board, o.MoveCard(card=card.id, column="returned", index=0), ctx)
        card = board.cards[card.id]
    edited = replace(
        card,
        origin=replace(origin, note=note, status="returned"),
        updated_at=ctx.at,
        updated_by=ctx.actor,
    )
    cards = dict(board.cards)
    cards[card.id] = edited
    events.append(CardEdited(card=edited))
    return replace(board, cards=cards), events
