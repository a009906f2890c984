"""Feedback loops (SPEC R68): what a forum answers to feedback another forum sent it.

A team-facing forum (a Scrum of Scrums, a Scaled Retrospective) sends a card as
feedback by a feedback route (``board.kinds.FEEDBACK_ROUTES``): product and release
feedback to the MetaScrum, process feedback to the EAT. It travels like an escalation
(``escalate_card``, ``receive_escalation``, ``escalation_status``: linked both ways,
as mail, caught up after a restart). The forum it went to answers with an outcome,
``answer_feedback``: accepted, declined (with a reason) or done; the outcome is kept
on the card's ``origin`` and flows back to the source card's status
(``board.escalation.status_updates``). Pure.
"""

from __future__ import annotations

from typing import Final

from msgspec.structs import replace

from . import ops_standards as so
from .events import CardEdited
from .kinds import FEEDBACK_ROUTES
from .model import Board, Card
from .rules import Context, Rejected, Result, clean_text, live_card

OUTCOMES: Final[dict[str, str]] = {"accepted": "Accepted", "declined": "Declined", "done": "Done"}
"""Each outcome and the label the source card shows for it."""


def is_feedback(card: Card) -> bool:
    """Whether ``card`` is feedback another forum sent here."""
    return card.origin is not None and card.origin.route in FEEDBACK_ROUTES


def outcome_of(card: Card) -> str:
    """The outcome this forum gave the feedback ``card`` ("" while it has none)."""
    status = card.origin.status if card.origin is not None else ""
    return status if status in OUTCOMES else ""


def answer_feedback(board: Board, op: so.AnswerFeedback, ctx: Context) -> Result:
    card = live_card(board, op.card)
    if not is_feedback(card) or card.origin is None:
        raise Rejected("invalid", "Only feedback another forum sent here gets an outcome.")
    note = clean_text(op.note, single_line=False)
    if op.outcome == "declined" and not note:
        raise Rejected("invalid", "Say why the feedback is declined.")
    if (card.origin.status, card.origin.note) == (op.outcome, note):
        return board, []
    origin = replace(card.origin, status=op.outcome, note=note)
    edited = replace(card, origin=origin, updated_at=ctx.at, updated_by=ctx.actor)
    cards = dict(board.cards)
    cards[card.id] = edited
    return replace(board, cards=cards), [CardEdited(card=edited)]
