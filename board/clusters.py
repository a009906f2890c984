"""Retrospective clusters (the group phase, SPEC R25) and what a cluster is on the board:

- Grouping (R25): participants put cards into clusters (``group_card``), take them out
  (``ungroup_card``) and name clusters (``name_group``), in the group phase only. A
  cluster's id comes from the seq of the op that made it (``g<seq>``), so replays give
  the same ids; a cluster left with no card disappears.
- Votable (SPEC R48): a column template may say its cards are not voted on (the
  retrospective's "Went well"). A card there takes no dot, and a cluster takes dots
  only while one of its live cards is in a votable column.
- Gathered (SPEC R49): a cluster is drawn as one box under its name, so its cards sit
  together. ``gather`` moves a card in right after the cluster's last card (in that
  card's column), in the same seq as the grouping that asked for it.

Pure: stdlib and msgspec only.
"""

from __future__ import annotations

from typing import Final

from msgspec.structs import replace

from . import ops as o
from .events import CardEdited, CardMoved, Event, GroupChanged, GroupRemoved
from .kinds import votable_column
from .model import Board, Card, CardGroup, Retro, RetroPhase
from .rules import Context, Rejected, Result, clean_text, found, live_card
from .rules import column as _column
from .rules import place as _place
from .rules import rerank as _rerank

MAX_GROUP_TITLE: Final = 60
MAX_GROUPS: Final = 500


def votable(board: Board, card: Card) -> bool:
    """Whether dots may go on ``card`` itself (its column's template says so, R48)."""
    return votable_column(board.kind, card.column)


def votable_group(board: Board, group_id: str) -> bool:
    """Whether a cluster takes dots: one of its live cards is in a votable column."""
    return any(
        c.group == group_id and votable(board, c)
        for col in board.columns
        for c in board.live_cards(col)
    )


def gather(board: Board, card_id: str, group_id: str, ctx: Context) -> tuple[Board, list[Event]]:
    """Move live card ``card_id`` to just after the last other card of ``group_id`` (in
    that card's column), so the cluster's cards form one run. Nothing when the cluster
    has no other live card or the card is already there."""
    card = board.cards[card_id]
    last: Card | None = None
    for col in board.columns:
        for other in board.live_cards(col):
            if other.group == group_id and other.id != card_id:
                last = other
    if last is None:
        return board, []
    src_i, src = _column(board, card.column)
    dst_i, dst = _column(board, last.column)
    ids = tuple(cid for cid in dst.card_ids if cid != card_id)
    index = ids.index(last.id) + 1
    if src_i == dst_i and dst.card_ids.index(card_id) == index:
        return board, []
    rank, others = _place(board, ids, index)
    cards = dict(board.cards)
    events: list[Event] = []
    _rerank(cards, dst.id, others, events)
    cards[card_id] = replace(card, column=dst.id, rank=rank, updated_at=ctx.at)
    cols = list(board.columns)
    if src_i != dst_i:
        cols[src_i] = replace(src, card_ids=tuple(c for c in src.card_ids if c != card_id))
    cols[dst_i] = replace(dst, card_ids=(*ids[:index], card_id, *ids[index:]))
    events.append(CardMoved(card_id=card_id, from_column=src.id, column=dst.id, rank=rank))
    return replace(board, cards=cards, columns=tuple(cols)), events


def in_phase(board: Board, phase: RetroPhase, doing: str) -> Retro:
    """The running retro, when it is in ``phase``; else ``Rejected`` (conflict)."""
    retro = board.retro
    if retro is None or retro.phase != phase:
        now = "no retrospective is running" if retro is None else f"this is the {retro.phase} phase"
        raise Rejected("conflict", f"{doing} in the {phase} phase only; {now}.")
    return retro


def _group(retro: Retro, group_id: str) -> CardGroup:
    return found(retro.groups, group_id, "cluster")


def ordered_cards(board: Board) -> list[Card]:
    """The live cards, in board order: columns left to right, each top to bottom."""
    return [card for col in board.columns for card in board.live_cards(col)]


# -- grouping -----------------------------------------------------------------------


def _set_group(cards: dict[str, Card], card: Card, group: str, ctx: Context) -> Card:
    moved = replace(card, group=group, updated_at=ctx.at, updated_by=ctx.actor)
    cards[card.id] = moved
    return moved


def _drop_if_empty(
    board: Board, cards: dict[str, Card], groups: dict[str, CardGroup], group_id: str
) -> list[Event]:
    """Remove a cluster no card is in any more (archived cards included: restoring one
    brings it back into its cluster only while the cluster exists)."""
    if not group_id or any(c.group == group_id for c in cards.values()):
        return []
    groups.pop(group_id, None)
    return [GroupRemoved(group_id=group_id)]


def group_card(board: Board, op: o.GroupCard, ctx: Context) -> Result:
    """Put ``card`` into ``with_card``'s cluster; a new cluster when it has none."""
    retro = in_phase(board, "group", "Cards are grouped")
    card = live_card(board, op.card)
    other = live_card(board, op.with_card)
    if card.id == other.id:
        raise Rejected("invalid", "A card cannot be grouped with itself.")
    if card.hidden or other.hidden:
        raise Rejected("conflict", "A card that is not revealed yet cannot be grouped.")
    if other.group and card.group == other.group:
        return board, []
    cards = dict(board.cards)
    groups = dict(retro.groups)
    events: list[Event] = []
    target = other.group
    if not target:
        if len(groups) >= MAX_GROUPS:
            raise Rejected("limit", f"A retrospective holds at most {MAX_GROUPS} clusters.")
        target = f"g{ctx.seq}"
        groups[target] = CardGroup(id=target)
        events.append(GroupChanged(group=groups[target]))
        events.append(CardEdited(card=_set_group(cards, other, target, ctx)))
    old = card.group
    events.append(CardEdited(card=_set_group(cards, card, target, ctx)))
    events.extend(_drop_if_empty(board, cards, groups, old))
    board = replace(board, cards=cards, retro=replace(retro, groups=groups))
    if op.gather:
        board, moved = gather(board, card.id, target, ctx)
        events.extend(moved)
    return board, events


def ungroup_card(board: Board, op: o.UngroupCard, ctx: Context) -> Result:
    """Take ``card`` out of its cluster (the cluster goes when it is left empty)."""
    retro = in_phase(board, "group", "Cards are grouped")
    card = live_card(board, op.card)
    if not card.group:
        return board, []
    cards = dict(board.cards)
    groups = dict(retro.groups)
    events: list[Event] = [CardEdited(card=_set_group(cards, card, "", ctx))]
    events.extend(_drop_if_empty(board, cards, groups, card.group))
    board = replace(board, cards=cards, retro=replace(retro, groups=groups))
    if op.gather and card.group in groups:
        board, moved = gather(board, card.id, card.group, ctx)
        events.extend(moved)
    return board, events


def name_group(board: Board, op: o.NameGroup, ctx: Context) -> Result:
    """Name a cluster (one line, at most 60 characters; empty clears the name)."""
    retro = in_phase(board, "group", "Clusters are named")
    group = _group(retro, op.group)
    title = clean_text(op.title, single_line=True)
    if len(title) > MAX_GROUP_TITLE:
        raise Rejected("invalid", f"A cluster's name is at most {MAX_GROUP_TITLE} characters.")
    if title == group.title:
        return board, []
    named = replace(group, title=title)
    groups = {**retro.groups, group.id: named}
    return replace(board, retro=replace(retro, groups=groups)), [GroupChanged(group=named)]
