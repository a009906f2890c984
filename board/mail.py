"""Mail: the ops one forum's accepted item sends to another forum (SPEC R18, R18a).

A card escalated from one forum to another is linked both ways by ops on both boards.
The ops for the other forum are not applied in the same step: they are *mail*, stored
with the item that caused them (in its transaction) and delivered to the other forum's
room later, exactly once in effect (each is applied there with the op id ``mail:{id}``).
This module says, purely, what mail an accepted item sends; the server stores and
delivers it (``server/live/mail.py``).
"""

from __future__ import annotations

from typing import Final

import msgspec

from . import ops as o
from . import ops_backlog as ob
from . import ops_standards as so
from .backlog_sync import backlog_mail
from .escalation import status_updates
from .events import DecisionRecorded, StandardAdopted, StandardRetired
from .kinds import route
from .log import Item
from .model import MAX_TEXT, Board, Card

MAIL_PREFIX: Final = "mail:"  # the op id a mail is applied with: ``mail:{id}``
FAILED_LABEL: Final = "Not escalated"

MailOp = (
    o.ReceiveEscalation | o.EscalationStatus | ob.MirrorItem | ob.BacklogOrder | so.StandardNotice
)
"""The ops that travel as mail (server-made: no client may send them)."""
MAIL_OPS: Final = (
    o.ReceiveEscalation,
    o.EscalationStatus,
    ob.MirrorItem,
    ob.BacklogOrder,
    so.StandardNotice,
)


class Mail(msgspec.Struct, frozen=True):
    """One op addressed to another forum."""

    to_forum: str
    op: MailOp


def mail_for(item: Item, board: Board) -> list[Mail]:
    """The mail an accepted ``item`` sends (``board``: the board right after it): what
    escalation sends (``_escalation_mail``), a decision about a card that came from
    another forum (SPEC R59) and what keeps one Scaled Backlog (R57, R58)."""
    return [
        *_escalation_mail(item, board),
        *_decision_mail(item, board),
        *(Mail(to_forum=f, op=op) for f, op in backlog_mail(item, board)),
    ]


def _decision_mail(item: Item, board: Board) -> list[Mail]:
    """A decision recorded about a card escalated here goes back, with its text, to the
    card it came from (SPEC R59)."""
    out: list[Mail] = []
    for e in item.events:
        if not isinstance(e, DecisionRecorded):
            continue
        for card_id in e.decision.card_ids:
            card = board.cards.get(card_id)
            came = card.origin if card is not None else None
            if card is None or came is None or not came.card:
                continue
            label = board.column_title(card.column)[:60]
            status = o.EscalationStatus(
                card=came.card, status=card.column, label=label, decision=e.decision.text
            )
            out.append(Mail(to_forum=came.forum, op=status))
    return out


def _escalation_mail(item: Item, board: Board) -> list[Mail]:
    """The mail an accepted ``item`` sends; ``board`` is the board right after it.

    - ``escalate_card``: a ``receive_escalation`` to the target forum, with the card.
    - ``receive_escalation``: an ``escalation_status`` back to the source card, with the
      new (or reopened, R51) card's column, its title there and the link (``target_card``).
    - a change of a card escalated here (moved, archived, restored, returned): an
      ``escalation_status`` to the forum it came from (``status_updates``).
    - ``adopt_standard``, ``retire_standard``: a ``standard_notice`` to each forum the
      standard applies to (R67).
    """
    op = item.op
    if isinstance(op, o.EscalateCard):
        card = board.cards.get(op.card)
        way = route(board.kind, op.route)
        if card is None or way is None:  # an accepted escalate_card has both
            return []
        receive = o.ReceiveEscalation(
            from_forum=board.forum_id,
            from_name=board.name,
            from_kind=board.kind,
            from_card=card.id,
            column=way.lands_in(op.to_kind),
            kind=(way.card_kind if op.to_kind == way.to_kind else "") or card.kind,
            title=card.title,
            body=card.body,
            team=card.team,
            to_team=card.to_team,
            route=way.id,
            note=card.sent_to.asked if card.sent_to is not None else "",
        )
        return [Mail(to_forum=op.to_forum, op=receive)]
    if isinstance(op, o.ReceiveEscalation):
        if not item.events:
            return []
        added = _copy_of(board, op.from_forum, op.from_card)
        if added is None:
            return []
        status = o.EscalationStatus(
            card=op.from_card,
            status=added.column,
            label=board.column_title(added.column),
            target_card=added.id,
        )
        return [Mail(to_forum=op.from_forum, op=status)]
    if isinstance(op, so.AdoptStandard | so.RetireStandard):  # SPEC R67
        return [
            Mail(to_forum=forum, op=so.StandardNotice(standard=e.standard))
            for e in item.events
            if isinstance(e, StandardAdopted | StandardRetired)
            for forum in e.standard.forums
            if forum != board.forum_id
        ]
    return [Mail(to_forum=forum, op=status) for forum, status in status_updates(item, board)]


def _copy_of(board: Board, forum: str, card_id: str) -> Card | None:
    """The live card on ``board`` linked to ``forum``'s ``card_id``: the one a
    ``receive_escalation`` added, or reopened (R51)."""
    for card in board.cards.values():
        origin = card.origin
        if (
            origin is not None
            and not card.archived
            and (origin.forum, origin.card)
            == (
                forum,
                card_id,
            )
        ):
            return card
    return None


def refused_reply(receive: o.ReceiveEscalation, reason: str) -> Mail:
    """What a forum that refused a ``receive_escalation`` tells the card it came from:
    ``failed`` with the reason, so the card can be escalated again."""
    status = o.EscalationStatus(
        card=receive.from_card,
        status="failed",
        label=FAILED_LABEL,
        note=reason[:MAX_TEXT],
        follow=True,
    )
    return Mail(to_forum=receive.from_forum, op=status)


def mail_op_id(mail_id: int) -> str:
    """The op id a mail is applied with on its forum (a resend is a duplicate, R6)."""
    return f"{MAIL_PREFIX}{mail_id}"


def delivered_mail(item: Item) -> int | None:
    """The id of the mail ``item`` delivers (its op id is ``mail:{id}`` and its op one
    that travels as mail), or ``None``."""
    op_id = item.op_id
    if op_id is None or not op_id.startswith(MAIL_PREFIX):
        return None
    if not isinstance(item.op, MAIL_OPS):
        return None
    number = op_id[len(MAIL_PREFIX) :]
    return int(number) if number.isdigit() and len(number) < 19 else None
