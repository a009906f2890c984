"""What an escalated card's forum tells the forum it came from.

When the target forum (an EAT, an Executive MetaScrum) moves, archives, restores or
returns a card that was escalated to it, the source forum's card shows it: the server
writes an ``escalation_status`` op on the source board for each such change. This
module finds those changes in an accepted item; it is pure (the server submits them).
"""

from __future__ import annotations

from .events import CardArchived, CardMoved, CardRestored
from .model import Board, Card
from .ops import EscalationStatus, ReturnEscalation
from .sync import Item


def _column_title(board: Board, column_id: str) -> str:
    col = board.column(column_id)
    return col.title if col is not None else column_id


def _status(card: Card, status: str, label: str, note: str = "") -> tuple[str, EscalationStatus]:
    assert card.origin is not None
    return card.origin.forum, EscalationStatus(
        card=card.origin.card, status=status, label=label, note=note
    )


def status_updates(item: Item, board: Board) -> list[tuple[str, EscalationStatus]]:
    """The ``escalation_status`` ops (with the forum each is for) that ``item`` calls
    for; ``board`` is the board right after it."""
    out: list[tuple[str, EscalationStatus]] = []

    def linked(card_id: str) -> Card | None:
        card = board.cards.get(card_id)
        return card if card is not None and card.origin is not None and card.origin.card else None

    if isinstance(item.op, ReturnEscalation):
        card = linked(item.op.card)
        if card is not None and card.origin is not None:
            out.append(_status(card, "returned", "Returned", card.origin.note))
        return out
    for e in item.events:
        if isinstance(e, CardMoved) and e.from_column != e.column:
            card = linked(e.card_id)
            if card is not None:
                out.append(_status(card, e.column, _column_title(board, e.column)))
        elif isinstance(e, CardArchived):
            card = linked(e.card.id)
            if card is not None:
                out.append(_status(card, "archived", "Archived"))
        elif isinstance(e, CardRestored):
            card = linked(e.card.id)
            if card is not None:
                out.append(_status(card, card.column, _column_title(board, card.column)))
    return out
