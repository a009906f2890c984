"""What one viewer may see of a board and of its live items (issue 5, SPEC R22-R23).

The board in the room holds everything: a card written in the write phase of a Scaled
Retrospective (``Card.hidden``) with its text, an anonymous card (``Card.anonymous``)
with its author. Nothing that leaves the server may carry more than its viewer may
see, so every path out (live frames, pages, the JSON API, history and exports) passes
cards, items and boards through here:

- a **hidden** card is shown in full to its author only (``author`` is the
  viewer's person key, SPEC R41); everyone else gets it **face down**: its id, kind, place (column,
  rank) and that it exists, with no title, body, team, owner, links or author;
- an **anonymous** card never carries its author, for anyone (its author included):
  ``created_by`` and ``updated_by`` are blank;
- the ``actor`` of an item that touches a hidden or anonymous card is blank for
  everyone (a move of a face-down card would otherwise name its author).

Blanking authors and actors is the same for every viewer, so it keeps the room's
"encode once, same bytes to all"; only items carrying a hidden card's content differ
between its author and the others (``needs_private``), and only those make the room
split a frame per viewer.

**More rules** (``RULES``): each secret beyond the cards' is a ``Rule`` with its own
``private`` test, ``item`` rewrite and ``board`` rewrite, listed in ``RULES`` from the
functions of the module that owns it (secret votes: ``board/voting.py``, SPEC R26).
Listing them here, not registering them from their modules, means every caller of
this module gets every rule, whatever else it imported. Rules run after the card
rules, in the order listed. ``viewer`` is a person key (SPEC R40: the server's key of
the person, or a display name in logs older than keys), or ``None`` for nobody in
particular (a projector, an export): ``None`` sees only what everyone may see.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from msgspec.structs import replace

from . import ops as o
from . import people, sessions, voting
from .events import (
    CardAdded,
    CardArchived,
    CardEdited,
    CardMoved,
    CardRestored,
    CardsRevealed,
    Event,
)
from .log import Item
from .model import Board, Card

Viewer = str | None

_CARD_EVENTS = (CardAdded, CardEdited, CardArchived, CardRestored)


def _never(item: Item) -> bool:
    return False


def _same_item(item: Item, viewer: Viewer, board: Board | None) -> Item:
    return item


def _same_board(board: Board, viewer: Viewer) -> Board:
    return board


@dataclass(frozen=True)
class Rule:
    """One more thing some viewers may not see (see the module's docstring).

    ``private(item)``: whether ``item`` differs between viewers (the room then encodes
    it per viewer); ``item(item, viewer, board)``: the item as ``viewer`` may see it
    (``board`` is the board after it, when known); ``board(board, viewer)``: the whole
    board as ``viewer`` may see it (pages, full catch-ups, the API). Each must return
    its argument itself when it changes nothing (the common case stays allocation-free).
    """

    private: Callable[[Item], bool] = _never
    item: Callable[[Item, Viewer, Board | None], Item] = _same_item
    board: Callable[[Board, Viewer], Board] = _same_board


def _board_people(board: Board, viewer: Viewer) -> Board:
    """``board`` without the person keys of its session (SPEC R43; its events never
    carry them: ``board.sessions.public``)."""
    if board.session is None or not board.session.people:
        return board
    return replace(board, session=sessions.public(board.session))


# Every rule beyond the card rules, in the order they run.
RULES: Final[tuple[Rule, ...]] = (
    # Person keys (SPEC R40, R43): who counts as whom stays on the server.
    Rule(board=_board_people),
    # Team memberships (SPEC R52): by person key, so a viewer sees only their own.
    Rule(board=people.members_for),
    # Secret votes (SPEC R26): a voter's own votes only, until the vote closes.
    Rule(private=voting.personal_item, item=voting.item_votes_for, board=voting.board_votes_for),
)


# -- cards ----------------------------------------------------------------------------


def is_author(card: Card, viewer: Viewer) -> bool:
    """Whether the person ``viewer`` wrote ``card`` (a blank key is nobody's)."""
    return bool(viewer) and card.author == viewer


def is_face_down(card: Card) -> bool:
    """Whether ``card`` is a face-down copy made by ``card_for`` (a real card always
    has a title)."""
    return card.hidden and not card.title


def face_down(card: Card) -> Card:
    """``card`` as someone who did not write it sees it before the reveal."""
    return Card(
        id=card.id,
        kind=card.kind,
        title="",
        column=card.column,
        rank=card.rank,
        created_at=card.created_at,
        created_by="",
        updated_at=card.created_at,
        updated_by="",
        archived=card.archived,
        hidden=True,
        anonymous=card.anonymous,
    )


def card_for(card: Card, viewer: Viewer) -> Card:
    """``card`` as ``viewer`` may see it: face down, without its author, or as it is."""
    if card.hidden and not is_author(card, viewer):
        return face_down(card)
    if card.author:  # the author's own hidden card: their key is the server's, not shown
        card = replace(card, author="")
    if card.anonymous and (card.created_by or card.updated_by):
        return replace(card, created_by="", updated_by="")
    return card


def _shows(card: Card) -> bool:
    """Whether some viewer sees ``card`` differently from how it is stored."""
    return card.hidden or card.anonymous


def board_for(board: Board, viewer: Viewer) -> Board:
    """The whole board as ``viewer`` may see it (the same object when nothing differs)."""
    cards = board.cards
    if any(_shows(c) for c in cards.values()):
        cards = {cid: card_for(c, viewer) for cid, c in cards.items()}
        board = replace(board, cards=cards)
    for rule in RULES:
        board = rule.board(board, viewer)
    return board


# -- items ------------------------------------------------------------------------------


def _event_cards(event: Event) -> tuple[Card, ...]:
    if isinstance(event, _CARD_EVENTS):
        return (event.card,)
    if isinstance(event, CardsRevealed):
        return event.cards
    return ()


def touches_private_card(
    events: tuple[Event, ...] | list[Event],
    op: o.Op | None = None,
    cards: Mapping[str, Card] | None = None,
) -> bool:
    """Whether an operation concerns a hidden or anonymous card, so its actor must not
    be shown. ``cards`` (a board's, after the op) identifies a moved card; ``op`` an
    anonymous card being added. A reveal does not count (the facilitator made it)."""
    if isinstance(op, o.AddCard) and op.anonymous:
        return True
    for event in events:
        if isinstance(event, _CARD_EVENTS):
            if _shows(event.card):
                return True
        elif isinstance(event, CardMoved) and cards is not None:
            moved = cards.get(event.card_id)
            if moved is not None and _shows(moved):
                return True
    return False


def needs_private(item: Item) -> bool:
    """Whether ``item`` reads differently for different viewers (a hidden card's content,
    or a rule's private data); everything else is one frame for everyone."""
    for event in item.events:
        for card in _event_cards(event):
            if card.hidden:
                return True
    return any(rule.private(item) for rule in RULES)


def _events_for(events: tuple[Event, ...], viewer: Viewer) -> tuple[Event, ...]:
    out: list[Event] = []
    changed = False
    for event in events:
        new = event
        if isinstance(event, _CARD_EVENTS):
            shown = card_for(event.card, viewer)
            if shown is not event.card:
                new = replace(event, card=shown)
        elif isinstance(event, CardsRevealed):
            shown_cards = tuple(card_for(c, viewer) for c in event.cards)
            if any(a is not b for a, b in zip(shown_cards, event.cards, strict=True)):
                new = replace(event, cards=shown_cards)
        changed = changed or new is not event
        out.append(new)
    return tuple(out) if changed else events


def item_for(item: Item, viewer: Viewer, board: Board | None = None) -> Item:
    """``item`` as ``viewer`` may see it: cards through ``card_for``, the actor blank
    when it touches a hidden or anonymous card. ``board`` (after the item, or later:
    whether a card is anonymous never changes) tells whether a moved card is one."""
    events = _events_for(item.events, viewer)
    changes: dict[str, Any] = {}
    if events is not item.events:
        changes["events"] = events
    if item.actor and touches_private_card(
        item.events, item.op, board.cards if board is not None else None
    ):
        changes["actor"] = ""
    if changes:
        item = replace(item, **changes)
    for rule in RULES:
        item = rule.item(item, viewer, board)
    return item


def public_actor(
    actor: str,
    events: tuple[Event, ...] | list[Event],
    op: o.Op | None,
    cards: Mapping[str, Card] | None,
) -> str:
    """The actor to show for an operation in history and exports ("" when it concerns
    a hidden or anonymous card)."""
    return "" if actor and touches_private_card(events, op, cards) else actor
