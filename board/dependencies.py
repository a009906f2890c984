"""Dependencies between teams on a board: the cards a dependency card connects, the
markers those cards show, and the list of open dependencies with their age.

A dependency card (kind ``dependency``) names a team and the team it depends on
(``Card.team`` -> ``Card.to_team``) and may connect up to two cards of the same board
(``Card.connects``): the work on each side. ``connects`` is checked when it is set
(live cards of this board, not the card itself, only on a dependency card); a card
connected earlier that is archived later stays connected and is shown as archived.

A dependency is **open** by the metrics' notion of an open card
(``board.card_state``: not archived, not in a removal column). One open
longer than a sprint (``Settings.sprint_days``) stands out. Pure: boards in, facts out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import msgspec
from msgspec import UNSET

from .card_state import is_open
from .events import CardAdded, CardArchived, CardEdited, CardMoved, CardRestored
from .kinds import FORUM_KINDS
from .log import Item
from .model import MAX_CONNECTS, Board, Card
from .ops import EditCard
from .rules import Rejected, live_card

DEPENDENCY: Final = "dependency"
DAY: Final = 24 * 3600.0
DEFAULT_SPRINT_DAYS: Final = 14


# -- setting connects (used by ``apply`` for add_card / edit_card) ----------------------


def check_connects(
    board: Board, kind: str, connects: Iterable[str], own: Card | None
) -> tuple[str, ...]:
    """``connects`` cleaned (duplicates dropped, order kept) for a card of ``kind``
    (``own``: the card being edited, ``None`` for a new one); ``Rejected`` says what is
    wrong. A card it connects already may be archived since; a new one must be live."""
    ids = tuple(dict.fromkeys(connects))
    if not ids:
        return ()
    if kind != DEPENDENCY:
        raise Rejected("invalid", "Only a dependency card connects cards.")
    if len(ids) > MAX_CONNECTS:
        raise Rejected("invalid", f"A dependency connects at most {MAX_CONNECTS} cards.")
    kept = own.connects if own is not None else ()
    for cid in ids:
        if own is not None and cid == own.id:
            raise Rejected("invalid", "A dependency cannot connect itself.")
        if cid not in kept:
            live_card(board, cid)  # not_found, or conflict when archived
    return ids


# -- what the board shows ----------------------------------------------------------------


class Marker(msgspec.Struct, frozen=True):
    """What a connected card shows of a dependency card that connects it."""

    dependency: str  # the dependency card's id
    team: str
    to_team: str
    title: str


class Connected(msgspec.Struct, frozen=True):
    """A card a dependency connects, as the dependency card shows it."""

    id: str
    title: str
    archived: bool = False
    missing: bool = False  # no such card on the board any more (an imported board)


class DependencyLine(msgspec.Struct, frozen=True):
    """One open dependency in the board's Dependencies list."""

    card: Card
    connected: tuple[Connected, ...]
    opened_at: float
    days_open: int
    longer_than_sprint: bool


def marker_of(card: Card) -> Marker:
    """The marker a dependency card puts on the cards it connects."""
    return Marker(card.id, card.team, card.to_team, card.title)


def markers(board: Board) -> dict[str, tuple[Marker, ...]]:
    """Card id -> the markers it shows: one per live dependency card connecting it."""
    found: dict[str, list[Marker]] = {}
    for card in board.cards.values():
        if card.kind != DEPENDENCY or card.archived or not card.connects:
            continue
        mark = marker_of(card)
        for cid in card.connects:
            found.setdefault(cid, []).append(mark)
    return {cid: tuple(marks) for cid, marks in found.items()}


def connected(board: Board, card: Card) -> tuple[Connected, ...]:
    """The cards ``card`` connects, as they stand on ``board``."""
    out: list[Connected] = []
    for cid in card.connects:
        other = board.cards.get(cid)
        if other is None:
            out.append(Connected(cid, cid, missing=True))
        else:
            out.append(Connected(cid, other.title, archived=other.archived))
    return tuple(out)


def days_open(opened_at: float, now: float) -> int:
    """Whole days since ``opened_at`` (never negative)."""
    return max(0, int((now - opened_at) // DAY))


def longer_than_sprint(opened_at: float, now: float, sprint_days: int) -> bool:
    """Open for more than ``sprint_days`` days at ``now``."""
    return now - opened_at > sprint_days * DAY


def open_dependencies(
    board: Board, now: float, sprint_days: int = DEFAULT_SPRINT_DAYS
) -> list[DependencyLine]:
    """The board's open dependency cards, longest open first (then by id)."""
    lines = [
        DependencyLine(
            card=card,
            connected=connected(board, card),
            opened_at=card.created_at,
            days_open=days_open(card.created_at, now),
            longer_than_sprint=longer_than_sprint(card.created_at, now, sprint_days),
        )
        for card in board.cards.values()
        if card.kind == DEPENDENCY and is_open(board, card)
    ]
    lines.sort(key=lambda line: (line.opened_at, line.card.id))
    return lines


def holds_dependencies(board: Board) -> bool:
    """Whether this forum's kind has dependency cards at all."""
    kind = FORUM_KINDS.get(board.kind)
    return kind is not None and DEPENDENCY in kind.card_kinds


# -- what a live update must re-render ---------------------------------------------------


def touched(board: Board, items: Iterable[Item]) -> tuple[bool, set[str]]:
    """Whether ``items`` may change the Dependencies list of ``board`` (their board
    after them), and the dependency cards whose markup shows a card that changed.

    The list changes when a dependency card is added, edited, archived, restored or
    moved (open or removed), when a card it connects is edited, archived or restored
    (the list names it), and when an edit sets a card's kind (it may have stopped
    being a dependency)."""
    if not holds_dependencies(board):
        return False, set()
    changed = False
    shown: set[str] = set()
    for item in items:
        kind_set = isinstance(item.op, EditCard) and item.op.kind is not UNSET
        for e in item.events:
            if isinstance(e, CardMoved):
                moved = board.cards.get(e.card_id)
                changed = changed or (moved is not None and moved.kind == DEPENDENCY)
                continue
            if not isinstance(e, CardAdded | CardEdited | CardArchived | CardRestored):
                continue
            if e.card.kind == DEPENDENCY or (kind_set and isinstance(e, CardEdited)):
                changed = True
            if isinstance(e, CardAdded):
                continue  # a new card is connected by nothing yet
            for other in board.cards.values():
                if other.id != e.card.id and e.card.id in other.connects:
                    changed = True
                    shown.add(other.id)
    return changed, shown
