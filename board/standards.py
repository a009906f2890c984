"""Standards: what an EAT adopts from a proven improvement, network-wide (SPEC R66, R67).

An improvement card on an Executive Action Team's board (an experiment a Scaled
Retrospective proved and sent, R37) can be adopted as a standard by the facilitator,
with the standard's text, the forums it applies to and the date it takes effect. The
server resolves "applies to" (all forums, forums of some kinds, or chosen forums) into
forum ids and writes ``adopt_standard``; the standard is kept on the EAT's board and is
a decision of the running session in the same seq. Each forum it applies to gets it as
mail (``standard_notice``, ``board.mail``), so its board shows it live and keeps it. A
standard is retired with a reason (``retire_standard``), kept with it in the history.
Pure, like every handler.
"""

from __future__ import annotations

from typing import Final

from msgspec.structs import replace

from . import ops as o
from . import ops_standards as so
from .events import Event, StandardAdopted, StandardAnnounced, StandardRetired
from .kinds import FORUM_KINDS
from .model import MAX_TEXT, Board, Standard
from .rules import Context, Rejected, Result, clean_text, live_card, required
from .rules import session as running_session
from .sessions import record_decision

MAX_STANDARDS: Final = 200  # per board, retired ones included
ADOPTABLE: Final = ("experiment",)  # an improvement: a proven experiment sent to the EAT
DECISION_PREFIX: Final = "Adopted as a standard: "


def decision_text(text: str) -> str:
    """The decision an adoption records (within a decision's length)."""
    return (DECISION_PREFIX + text)[:MAX_TEXT]


def _room_for_one(board: Board) -> None:
    if len(board.standards) >= MAX_STANDARDS:
        raise Rejected("limit", f"A board keeps at most {MAX_STANDARDS} standards.")


def adopt_standard(board: Board, op: so.AdoptStandard, ctx: Context) -> Result:
    if board.kind != "eat":
        raise Rejected("invalid", "Only an Executive Action Team adopts standards.")
    card = live_card(board, op.card)
    if card.kind not in ADOPTABLE:
        raise Rejected("invalid", "Only an improvement (an experiment card) becomes a standard.")
    text = required(op.text, "A standard's text", single_line=False)
    kinds = tuple(dict.fromkeys(op.kinds))
    if op.applies == "kinds" and not kinds:
        raise Rejected("invalid", "Choose the kinds of forum the standard applies to.")
    unknown = [k for k in kinds if k not in FORUM_KINDS]
    if unknown:
        raise Rejected("invalid", f"There is no kind of forum {unknown[0]!r}.")
    forums = tuple(dict.fromkeys(op.forums))
    if op.applies == "forums" and not forums:
        raise Rejected("invalid", "Choose the forums the standard applies to.")
    session = running_session(board)  # a decision of the session: none without one
    for s in board.standards:
        if s.eat == board.forum_id and s.card == card.id and not s.retired_at:
            raise Rejected("conflict", f"{card.title!r} is a standard already.")
    _room_for_one(board)
    standard = Standard(
        id=f"st{ctx.seq}",
        text=text,
        eat=board.forum_id,
        eat_name=board.name,
        card=card.id,
        card_title=card.title,
        adopted_at=ctx.at,
        adopted_by=ctx.actor,
        session_id=session.id,
        session_number=session.number,
        applies=op.applies,
        kinds=kinds if op.applies == "kinds" else (),
        forums=forums,
        effective=op.effective,
    )
    board = replace(board, standards=(*board.standards, standard))
    decision = o.RecordDecision(text=decision_text(text), cards=(card.id,))
    decided, events = record_decision(board, decision, ctx)
    return decided, [StandardAdopted(standard=standard), *events]


def retire_standard(board: Board, op: so.RetireStandard, ctx: Context) -> Result:
    found = _own(board, op.standard)
    if found.retired_at:
        raise Rejected("conflict", "That standard is retired already.")
    reason = required(op.reason, "A reason to retire it", single_line=False)
    retired = replace(found, retired_at=ctx.at, retired_by=ctx.actor, retired_reason=reason)
    kept = tuple(retired if s is found else s for s in board.standards)
    return replace(board, standards=kept), [StandardRetired(standard=retired)]


def _own(board: Board, standard_id: str) -> Standard:
    for s in board.standards:
        if s.id == standard_id and s.eat == board.forum_id:
            return s
    raise Rejected("not_found", f"This forum adopted no standard {standard_id!r}.")


def standard_notice(board: Board, op: so.StandardNotice, ctx: Context) -> Result:
    """Keep the standard an EAT announced here (new, or retired since): one per (EAT,
    id), replaced by a newer word about it; the same word again changes nothing."""
    new = replace(
        op.standard,
        text=clean_text(op.standard.text, single_line=False),
        retired_reason=clean_text(op.standard.retired_reason, single_line=False),
    )
    key = (new.eat, new.id)
    events: list[Event] = [StandardAnnounced(standard=new)]
    for i, s in enumerate(board.standards):
        if (s.eat, s.id) == key:
            if s == new:
                return board, []
            kept = (*board.standards[:i], new, *board.standards[i + 1 :])
            return replace(board, standards=kept), events
    _room_for_one(board)
    return replace(board, standards=(*board.standards, new)), events


def in_force(board: Board) -> list[Standard]:
    """The standards a board holds that are not retired, newest first."""
    return sorted((s for s in board.standards if not s.retired_at), key=lambda s: -s.adopted_at)
