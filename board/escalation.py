"""What an escalated card's forum tells the forum it came from.

When the target forum (an EAT, an Executive MetaScrum) moves, archives, restores or
returns a card that was escalated to it, the source forum's card shows it: the server
writes an ``escalation_status`` op on the source board for each such change. This
module finds those changes in an accepted item; it is pure (the server submits them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .card_state import is_removal_column, is_removed
from .events import CardArchived, CardEdited, CardMoved, CardRestored
from .feedback import OUTCOMES, is_feedback, outcome_of
from .log import Item
from .model import Board, Card
from .ops import EscalationStatus, ReturnEscalation
from .ops_standards import AnswerFeedback


def _status(
    card: Card, status: str, label: str, note: str = "", *, follow: bool = False
) -> tuple[str, EscalationStatus]:
    assert card.origin is not None
    return card.origin.forum, EscalationStatus(
        card=card.origin.card, status=status, label=label, note=note, follow=follow
    )


def _answered(card: Card) -> tuple[str, EscalationStatus]:
    """The status the outcome of feedback ``card`` sends back (R68)."""
    outcome = outcome_of(card)
    note = card.origin.note if card.origin is not None else ""
    return _status(card, outcome, OUTCOMES[outcome], note)


def status_updates(item: Item, board: Board) -> list[tuple[str, EscalationStatus]]:
    """The ``escalation_status`` ops (with the forum each is for) that ``item`` calls
    for; ``board`` is the board right after it."""
    out: list[tuple[str, EscalationStatus]] = []

    def linked(card_id: str) -> Card | None:
        card = board.cards.get(card_id)
        return card if card is not None and card.origin is not None and card.origin.card else None

    moved = {e.card_id for e in item.events if isinstance(e, CardMoved)}
    if isinstance(item.op, EscalationStatus) and item.op.card not in moved:
        # A link of a chain (SPEC R72): what the forum above did goes on down.
        card = linked(item.op.card)
        if card is not None and any(isinstance(e, CardEdited) for e in item.events):
            out.append(_status(card, *reported(board, card)))
        return out
    if isinstance(item.op, ReturnEscalation):
        card = linked(item.op.card)
        if card is not None and card.origin is not None:
            out.append(_status(card, "returned", "Returned", card.origin.note, follow=True))
        return out
    if isinstance(item.op, AnswerFeedback):  # the outcome of feedback (R68)
        card = linked(item.op.card)
        if card is not None and item.events:
            out.append(_answered(card))
        return out
    for e in item.events:
        if isinstance(e, CardMoved) and e.from_column != e.column:
            card = linked(e.card_id)
            if card is not None and is_feedback(card) and outcome_of(card):
                continue  # answered feedback shows its outcome, wherever it moves
            if card is not None:
                # Into or out of a removal column is an outcome: the source card follows (R50).
                title = board.column_title(e.column)
                was = is_removal_column(e.from_column, board.column_title(e.from_column))
                ends = is_removal_column(e.column, title) != was
                # Feedback is not the source's card to remove: its source only shows the
                # status, wherever the target files it (R68).
                follow = ends and not is_feedback(card)
                out.append(_status(card, *reported(board, card), follow=follow))
        elif isinstance(e, CardArchived):
            card = linked(e.card.id)
            if card is not None:
                out.append(_status(card, "archived", "Archived"))
        elif isinstance(e, CardRestored):
            card = linked(e.card.id)
            outcome = outcome_of(card) if card is not None and is_feedback(card) else ""
            if card is not None and outcome:
                out.append(_answered(card))
            elif card is not None:
                out.append(_status(card, *reported(board, card)))
    return out


CHAIN: Final = " · "  # "Accepted · EAT": the status a forum higher up gave it


def reported(board: Board, card: Card) -> tuple[str, str, str]:
    """The (status, label, note) ``card``, escalated to ``board``, shows on the forum it
    came from: its column here — or, while it waits here on a forum above (a chain,
    SPEC R72: an SoS's parent SoS escalated it on), that forum's status, labelled with
    its name, and so does its removal there (the card followed it into Removed); a note
    that forum returned it with goes down with it."""
    link = card.sent_to
    if link is None or card.archived:
        return card.column, board.column_title(card.column), ""
    where = link.forum_name or "the forum above"
    above = is_removal_column(link.status, link.label.split(CHAIN)[0])
    waiting = card.column == link.waits_in or (above and is_removed(board, card))
    if link.card and waiting and link.status not in _AGAIN:
        label = link.label if CHAIN in link.label else f"{link.label}{CHAIN}{where}"
        return link.status, label, link.note
    note = f"{where} returned it: {link.note}" if link.status == "returned" and link.note else ""
    return card.column, board.column_title(card.column), note


_AGAIN: Final = frozenset({"failed", "returned"})


def expected_status(target: Board, card: Card) -> tuple[str, str, str] | None:
    """The (status, label, note) the source card should show for ``card``, the linked
    card on ``target`` — what ``status_updates`` would last have sent for it — or
    ``None`` when its log alone cannot say (a card returned on a board with no
    "Returned" column and moved since looks the same as one just returned)."""
    note = card.origin.note if card.origin is not None else ""
    if card.archived:
        return "archived", "Archived", ""
    outcome = outcome_of(card) if is_feedback(card) else ""
    if outcome:
        return outcome, OUTCOMES[outcome], note
    if target.column("returned") is None:
        if note:
            return None
    elif card.column == "returned" and note:
        return "returned", "Returned", note
    return reported(target, card)


LOST: Final = (
    "The server stopped before {name} received it; nothing arrived there. Escalate it again."
)


def reconcile(source: Board, targets: Mapping[str, Board]) -> list[EscalationStatus]:
    """The ``escalation_status`` ops that bring ``source``'s escalated cards up to date
    with the boards they went to (``targets``, by forum id; a forum missing from it is
    left alone).

    Status updates travel between rooms in memory after the target's commit, so a
    crash can lose one; the server runs this at startup to catch up. A card whose
    escalation never reached the target (a crash between the two forums' writes) is
    marked failed, which lets it be escalated again."""
    out: list[EscalationStatus] = []
    for card in source.cards.values():
        link = card.sent_to
        if link is None or link.status == "failed":
            continue
        target = targets.get(link.forum)
        if target is None:
            continue
        linked = target.cards.get(link.card) if link.card else _copy_of(target, source, card)
        if linked is None:
            if not link.card:
                name = link.forum_name or link.forum
                note = LOST.format(name=name)
                out.append(
                    EscalationStatus(
                        card=card.id, status="failed", label="Not escalated", note=note
                    )
                )
            continue
        if not link.card:
            out.append(
                EscalationStatus(
                    card=card.id, status=link.status, label=link.label, target_card=linked.id
                )
            )
        expected = expected_status(target, linked)
        if expected is not None and expected != (link.status, link.label, link.note):
            status, label, note = expected
            out.append(EscalationStatus(card=card.id, status=status, label=label, note=note))
    return out


def _copy_of(target: Board, source: Board, card: Card) -> Card | None:
    for other in target.cards.values():
        origin = other.origin
        if origin is not None and origin.forum == source.forum_id and origin.card == card.id:
            return other
    return None
