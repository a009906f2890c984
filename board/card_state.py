"""Where a card stands: open, removed or archived. One rule, shared by the metrics, the
network's open impediments, the Dependencies list, escalation and the board's markup.

A card is **open** unless it is archived or sits in a *removal column*: id ``removed``
(the Scrum of Scrums' and the Executive Action Team's Removed), or a column a forum
titled Removed, Resolved or Done. Pure: boards in, answers out.
"""

from __future__ import annotations

from typing import Final, Literal

from .model import Board, Card

REMOVAL_COLUMN_IDS: Final = frozenset({"removed"})
REMOVAL_TITLES: Final = frozenset({"removed", "resolved", "done"})

CardState = Literal["open", "removed", "archived"]


def is_removal_column(column_id: str, title: str = "") -> bool:
    """Whether a column (its id, and its title when known) is one a card is done with in."""
    return column_id in REMOVAL_COLUMN_IDS or title.strip().lower() in REMOVAL_TITLES


def is_removed(board: Board, card: Card) -> bool:
    """Whether a live ``card`` is done with: it sits in a removal column."""
    column = board.column(card.column)
    return is_removal_column(card.column, column.title if column is not None else "")


def card_state(board: Board, card: Card) -> CardState:
    """Archived, removed (in a removal column) or open."""
    if card.archived:
        return "archived"
    return "removed" if is_removed(board, card) else "open"


def is_open(board: Board, card: Card) -> bool:
    """Not archived and not in a removal column."""
    return card_state(board, card) == "open"
