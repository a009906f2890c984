"""The operations of standards and feedback loops (SPEC R66–R68), part of ``board.ops``'
tagged union (re-exported there): adopting and retiring a standard and announcing it
(server-made), and answering feedback (a participant's)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final, Literal

import msgspec

from .model import Id, Standard, Text
from .op_base import OpStruct as _Op

MAX_STANDARD_FORUMS: Final = 500
StandardForums = Annotated[tuple[Id, ...], msgspec.Meta(max_length=MAX_STANDARD_FORUMS)]
FeedbackOutcome = Literal["accepted", "declined", "done"]


class AdoptStandard(_Op, tag="adopt_standard", frozen=True):
    """Server-made (``POST …/cards/{id}/adopt``, a facilitator), on an EAT: the
    improvement ``card`` becomes a standard and a decision of the session (SPEC R66).
    ``forums``: the forums it applies to, resolved by the server from ``applies``."""

    card: Id
    text: Text
    applies: Literal["all", "kinds", "forums"] = "all"
    kinds: Annotated[tuple[Id, ...], msgspec.Meta(max_length=8)] = ()
    forums: StandardForums = ()
    effective: dt.date | None = None


class RetireStandard(_Op, tag="retire_standard", frozen=True):
    """Server-made (``POST …/standards/{id}/retire``, a facilitator): retire a standard
    this EAT adopted, with a reason; it stays in the history (SPEC R66)."""

    standard: Id
    reason: Text


class StandardNotice(_Op, tag="standard_notice", frozen=True):
    """Mail, on each forum a standard applies to: the standard as adopted or retired
    (SPEC R67)."""

    standard: Standard


class AnswerFeedback(_Op, tag="answer_feedback", frozen=True):
    """The outcome of feedback sent here from another forum (SPEC R68): ``accepted``,
    ``declined`` (with a reason in ``note``) or ``done``; it flows back to the card."""

    card: Id
    outcome: FeedbackOutcome
    note: Text = ""


StandardOp = AdoptStandard | RetireStandard | StandardNotice
"""The server-made ops of standards."""
