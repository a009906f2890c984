"""One Scaled Backlog: a MetaScrum's ordered column and its Scaled Backlog are one list.

Each forum keeps its own board (one writer each), so the list lives on both boards and
the two are kept one by mail (SPEC R18a), as escalation keeps a card linked:

- **Pairing (R57).** ``pair_backlog`` (server-made) names the other board of the pair
  (``Board.pair``); its items start travelling: each board sends the other the items
  made on it.
- **Items travel as they are (R57).** A change that touches a card in, into or out of
  the ordered column (added, edited, moved, archived, restored) sends the other board a
  ``mirror_item``: the item (by where it was made, ``ItemRef``), whether it is in the
  list, the item before it, and its title, body and teams. The other board adds it
  (its card keeps ``twin``: the card it was made as), restores it, moves it into place,
  edits it, or archives it when it left the list.
- **The Scaled Backlog owns the order (R58).** Whatever changes the order of a Scaled
  Backlog's list, its people's ops or a ``mirror_item`` from the MetaScrum, also sends
  the MetaScrum a ``backlog_order``: the whole list's order, which the MetaScrum's
  ordered column takes (items it does not list keep their places). So a re-order made on
  either board shows on both, and two re-orders at the same moment end in the same
  order on both: the Scaled Backlog's.
- Mail applied from the other board sends nothing back to it but that order: no echo.
- **Unpairing (R76).** ``unpair_backlog`` (server-made, when the admin chooses another
  Scaled Backlog or none) clears ``Board.pair`` and keeps the old forum in
  ``Board.unpaired``: its mail is refused from then on, and the items that came from it
  stay here as they are but travel no more. Pairing with it again takes it off.

Pure: no I/O; ``apply.py`` and ``mail.py`` call in here.
"""

from __future__ import annotations

from typing import Any, Final

from msgspec.structs import replace

from . import ops as o
from . import ops_backlog as ob
from .backlog import ORDERED_COLUMN
from .cards import add_card, archive_card, edit_card, move_card, restore_card
from .events import (
    BacklogPaired,
    BacklogUnpaired,
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    Event,
)
from .kinds import forum_kind
from .log import Item
from .model import Board, Card, CardLink
from .rules import Context, Rejected, Result
from .rules import column as _column

PAIRED_KINDS: Final = {"metascrum": "backlog", "backlog": "metascrum"}
OWNER_KIND: Final = "backlog"  # the board whose order both take (R58)

# -- which item is which ------------------------------------------------------------


def item_ref(board: Board, card: Card) -> ob.ItemRef:
    """The item ``card`` is: the card it was made as (here, or on the paired board)."""
    if card.twin is not None:
        return ob.ItemRef(forum=card.twin.forum, card=card.twin.card)
    return ob.ItemRef(forum=board.forum_id, card=card.id)


def find_item(board: Board, ref: ob.ItemRef) -> Card | None:
    """``board``'s card for the item ``ref`` (archived or not), or ``None``."""
    if ref.forum == board.forum_id:
        return board.cards.get(ref.card)
    for card in board.cards.values():
        if card.twin is not None and (card.twin.forum, card.twin.card) == (ref.forum, ref.card):
            return card
    return None


def ordered_list(board: Board) -> list[Card]:
    """The live cards of the ordered column, top first (none without one)."""
    col = board.column(ORDERED_COLUMN)
    return board.live_cards(col) if col is not None else []


# -- the handlers ---------------------------------------------------------------------


def pair_backlog(board: Board, op: ob.PairBacklog, ctx: Context) -> Result:
    if board.kind not in PAIRED_KINDS:
        raise Rejected("invalid", "Only a MetaScrum and a Scaled Backlog share a backlog.")
    if op.forum == board.forum_id:
        raise Rejected("invalid", "A backlog is not paired with itself.")
    if (board.pair, board.pair_name) == (op.forum, op.name):
        return board, []
    unpaired = tuple(f for f in board.unpaired if f != op.forum)  # () before R76: as it was
    paired = replace(board, pair=op.forum, pair_name=op.name, unpaired=unpaired)
    return paired, [BacklogPaired(forum=op.forum, name=op.name)]


def unpair_backlog(board: Board, op: ob.UnpairBacklog, ctx: Context) -> Result:
    """Stop sharing the ordered column with ``op.forum`` (SPEC R76); a board not paired
    with it is left as it is, so the same op again changes nothing."""
    if board.kind not in PAIRED_KINDS:
        raise Rejected("invalid", "Only a MetaScrum and a Scaled Backlog share a backlog.")
    if board.pair != op.forum:
        return board, []
    unpaired = (*(f for f in board.unpaired if f != op.forum), op.forum)
    alone = replace(board, pair="", pair_name="", unpaired=unpaired)
    return alone, [BacklogUnpaired(forum=op.forum, name=op.name or board.pair_name)]


def _ordered(board: Board) -> tuple[int, Any]:
    if board.column(ORDERED_COLUMN) is None:
        raise Rejected("invalid", "This board has no ordered column to keep the backlog in.")
    return _column(board, ORDERED_COLUMN)


def _check_sender(board: Board, from_forum: str) -> None:
    if board.pair and board.pair != from_forum:
        raise Rejected("conflict", "This board shares its backlog with another forum.")
    if from_forum in board.unpaired:  # R76: the old list no longer mirrors this one
        raise Rejected("conflict", "This board no longer shares its backlog with that forum.")


def _travels(board: Board, card: Card) -> bool:
    """Whether ``card``'s item is one list's with the pair: made here, or on the pair (an
    item that came from a board it was unpaired from stays here, R76)."""
    return card.twin is None or card.twin.forum == board.pair


def _index_after(board: Board, card_id: str | None, after: ob.ItemRef | None) -> int:
    """Where an item goes among the ordered column's other cards: right after
    ``after``'s card (the top for ``None``; the bottom when it is not in the list)."""
    ids = [c for c in _ordered(board)[1].card_ids if c != card_id]
    if after is None:
        return 0
    there = find_item(board, after)
    if there is None or there.id not in ids:
        return len(ids)
    return ids.index(there.id) + 1


def mirror_item(board: Board, op: ob.MirrorItem, ctx: Context) -> Result:
    _check_sender(board, op.from_forum)
    _ordered(board)
    card = find_item(board, op.item)
    if not op.present:
        if card is None or card.archived or card.column != ORDERED_COLUMN:
            return board, []
        return archive_card(board, o.ArchiveCard(card=card.id), ctx)
    events: list[Event] = []
    index = _index_after(board, card.id if card is not None else None, op.after)
    if card is None:
        board, events = _add(board, op, index, ctx)
        return board, events
    if card.archived:
        board, events = restore_card(board, o.RestoreCard(card=card.id), ctx)
        index = _index_after(board, card.id, op.after)
    board, moved = move_card(
        board, o.MoveCard(card=card.id, column=ORDERED_COLUMN, index=index), ctx
    )
    edit = o.EditCard(
        card=card.id, title=op.title, body=op.body, team=op.team, teams=op.teams, owner=op.owner
    )
    board, edited = edit_card(board, edit, ctx)
    return board, [*events, *moved, *edited]


def _add(board: Board, op: ob.MirrorItem, index: int, ctx: Context) -> Result:
    allowed = forum_kind(board.kind)
    kind = op.kind if op.kind in allowed.card_kinds else allowed.default_card_kind
    add = o.AddCard(
        column=ORDERED_COLUMN, title=op.title, kind=kind, body=op.body, team=op.team,
        teams=op.teams, owner=op.owner, index=index,
    )  # fmt: skip
    board, events = add_card(board, add, ctx)
    if op.item.forum == board.forum_id:  # made here (an item that came back): no twin
        return board, events
    new_id = f"c{ctx.seq}"
    twin = CardLink(
        forum=op.item.forum, forum_name=board.pair_name, kind=PAIRED_KINDS[board.kind],
        route="backlog", card=op.item.card,
    )  # fmt: skip
    card = replace(board.cards[new_id], twin=twin)
    cards = dict(board.cards)
    cards[new_id] = card
    events = [CardAdded(card=card) if isinstance(e, CardAdded) else e for e in events]
    return replace(board, cards=cards), events


def backlog_order(board: Board, op: ob.BacklogOrder, ctx: Context) -> Result:
    """Put the ordered column in ``op.order``'s order; a card it does not list keeps its
    slot (it is on its way to the Scaled Backlog, or not there yet)."""
    _check_sender(board, op.from_forum)
    _ordered(board)
    place = {(r.forum, r.card): i for i, r in enumerate(op.order)}
    current = _ordered(board)[1].card_ids

    def at(cid: str) -> int | None:
        ref = item_ref(board, board.cards[cid])
        return place.get((ref.forum, ref.card))

    listed = iter(sorted((c for c in current if at(c) is not None), key=lambda c: at(c) or 0))
    target = [next(listed) if at(c) is not None else c for c in current]
    events: list[Event] = []
    for i, cid in enumerate(target):
        if _ordered(board)[1].card_ids[i] != cid:
            move = o.MoveCard(card=cid, column=ORDERED_COLUMN, index=i)
            board, moved = move_card(board, move, ctx)
            events.extend(moved)
    return board, events


# -- the mail ---------------------------------------------------------------------------


def _touched(item: Item) -> list[tuple[str, bool]]:
    """The cards ``item`` changed in, into or out of the ordered column, each once, with
    whether only its place within the column changed."""
    found: dict[str, bool] = {}
    for e in item.events:
        if isinstance(e, CardMoved):
            if ORDERED_COLUMN in (e.column, e.from_column):
                within = e.column == e.from_column
                found[e.card_id] = found.get(e.card_id, True) and within
        elif (
            isinstance(e, CardAdded | CardArchived | CardRestored)
            or (isinstance(e, CardEdited) and isinstance(item.op, o.EditCard))  # not a link's
        ) and e.card.column == ORDERED_COLUMN:
            found[e.card.id] = False
    return list(found.items())


def _mirror(board: Board, card: Card) -> ob.MirrorItem:
    present = not card.archived and card.column == ORDERED_COLUMN
    after: ob.ItemRef | None = None
    if present:
        ids = _ordered(board)[1].card_ids
        above = [board.cards[c] for c in ids[: ids.index(card.id)]]
        shared = [c for c in above if _travels(board, c)]
        after = item_ref(board, shared[-1]) if shared else None
    return ob.MirrorItem(
        from_forum=board.forum_id, item=item_ref(board, card), present=present, after=after,
        kind=card.kind, title=card.title, body=card.body, team=card.team, teams=card.teams,
        owner=card.owner,
    )  # fmt: skip


def order_of(board: Board) -> ob.BacklogOrder:
    return ob.BacklogOrder(
        from_forum=board.forum_id, order=tuple(item_ref(board, c) for c in ordered_list(board))
    )


def backlog_mail(item: Item, board: Board) -> list[tuple[str, ob.MirrorItem | ob.BacklogOrder]]:
    """The ops (with the forum each is for) that keep the paired board's list one with
    ``board``'s after ``item``; ``board`` is the board right after it."""
    if board.kind not in PAIRED_KINDS or board.column(ORDERED_COLUMN) is None:
        return []
    op = item.op
    owner = board.kind == OWNER_KIND
    if isinstance(op, ob.MirrorItem | ob.BacklogOrder):  # from the other board: no echo
        return [(op.from_forum, order_of(board))] if owner and _touched(item) else []
    if not board.pair:
        return []
    out: list[tuple[str, ob.MirrorItem | ob.BacklogOrder]] = []
    if isinstance(op, ob.PairBacklog):
        # The items made here go over, in order; the Scaled Backlog's order follows.
        out = [(board.pair, _mirror(board, c)) for c in ordered_list(board)
               if c.twin is None]  # fmt: skip
        return [*out, (board.pair, order_of(board))] if owner else out
    touched = _touched(item)
    for card_id, within in touched:
        card = board.cards.get(card_id)
        if card is not None and not (owner and within) and _travels(board, card):
            out.append((board.pair, _mirror(board, card)))
    if owner and touched:
        out.append((board.pair, order_of(board)))
    return out
