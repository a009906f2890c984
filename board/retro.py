"""The phases of a Scaled Retrospective session (issue 5, SPEC R20-R22).

The facilitator runs them with two operations, only during a running session of a
``retro`` forum:

- ``set_phase``: the first one of a session starts the phases (``Board.retro``, in
  ``write``); after that the session moves forward one phase at a time
  (write → reveal → group → vote → discuss → decide) and back to any earlier phase (a
  phase advanced by mistake). Leaving ``write`` reveals every card written in it
  (``CardsRevealed``); stepping back to ``write`` leaves revealed cards face up. Every
  change tells ``voting.on_phase_change`` (the vote closes or re-opens there).
- ``configure_retro``: dots per person (1 to 20) and whether cards may be anonymous.

And the hooks ``apply`` calls for the cards of a retrospective: ``new_card`` (a card
added in ``write`` is hidden; ``anonymous`` only where allowed), ``guard`` (nobody but
its author may change a hidden card), ``end_session`` (everything is revealed, the
phases are over: their record is the ``set_phase`` ops in the log). What each viewer
may see of hidden and anonymous cards is ``board/visibility.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from msgspec import UNSET
from msgspec.structs import replace

from . import ops as o
from . import voting
from .events import CardAdded, CardsRevealed, Event, PhaseChanged, RetroConfigured
from .model import RETRO_PHASES, Board, Card, Retro, RetroPhase
from .rules import Context, Rejected, Result, differing, session

RETRO_KIND = "retro"

# Operations that change one card, by the card they name: refused on a hidden card to
# everyone but its author (its author may edit, move, archive and restore it).
_CARD_OPS = (o.EditCard, o.MoveCard, o.ArchiveCard, o.RestoreCard, o.ReturnEscalation)


def phase_label(phase: RetroPhase) -> str:
    """A phase's name as people read it ("Write")."""
    return phase.capitalize()


def next_phase(phase: RetroPhase | None) -> RetroPhase | None:
    """The phase after ``phase`` (``write`` before any; ``None`` after ``decide``)."""
    if phase is None:
        return RETRO_PHASES[0]
    i = RETRO_PHASES.index(phase)
    return RETRO_PHASES[i + 1] if i + 1 < len(RETRO_PHASES) else None


def _running(board: Board) -> None:
    """Refuse retrospective operations outside a running session of a retro forum."""
    if board.kind != RETRO_KIND:
        raise Rejected("invalid", "Only a Scaled Retrospective has phases.")
    session(board)


def set_phase(board: Board, op: o.SetPhase, ctx: Context) -> Result:
    _running(board)
    current = board.retro
    old: RetroPhase | None = current.phase if current is not None else None
    new = op.phase
    if old == new:
        return board, []
    expected = next_phase(old)
    new_i = RETRO_PHASES.index(new)
    forward = old is None or new_i > RETRO_PHASES.index(old)
    if forward and new != expected:
        step = f"the next phase is {phase_label(expected)}" if expected else "it is the last"
        raise Rejected(
            "invalid", f"Phases move forward one at a time: {step}, not {phase_label(new)}."
        )
    retro = replace(current, phase=new) if current is not None else Retro(phase=new)
    board = replace(board, retro=retro)
    events: list[Event] = [PhaseChanged(retro=_public(retro), previous=old)]
    if old == "write":
        board, revealed = _reveal(board)
        events.extend(revealed)
    board, more = voting.on_phase_change(board, old, new)
    events.extend(more)
    return board, events


def configure_retro(board: Board, op: o.ConfigureRetro, ctx: Context) -> Result:
    _running(board)
    retro = board.retro
    if retro is None:
        raise Rejected("conflict", "Start the retrospective's phases first (Write).")
    changes: dict[str, Any] = {}
    if op.dots is not UNSET:
        if not o.MIN_DOTS <= op.dots <= o.MAX_DOTS:
            raise Rejected("invalid", f"Each person has {o.MIN_DOTS} to {o.MAX_DOTS} dots.")
        changes["dots"] = op.dots
    if op.anonymous is not UNSET:
        changes["anonymous"] = op.anonymous
    changes = differing(retro, changes)
    if not changes:
        return board, []
    retro = replace(retro, **changes)
    return replace(board, retro=retro), [RetroConfigured(retro=_public(retro))]


def _public(retro: Retro) -> Retro:
    """The retro as its events carry it: without anyone's votes (they are private until
    the vote closes, and ``voting.py``'s own events carry them to whom may see them)."""
    return replace(retro, votes={}) if retro.votes else retro


def _reveal(board: Board) -> tuple[Board, list[Event]]:
    hidden = [c for c in board.cards.values() if c.hidden]
    if not hidden:
        return board, []
    cards = dict(board.cards)
    shown = tuple(replace(c, hidden=False, author="") for c in hidden)
    for c in shown:
        cards[c.id] = c
    return replace(board, cards=cards), [CardsRevealed(cards=shown)]


# -- hooks for apply ------------------------------------------------------------------


def new_card(board: Board, op: o.AddCard, card: Card, who: str = "") -> Card:
    """A card being added, as the retrospective has it: hidden in the write phase (its
    author is the person ``who``, SPEC R41), anonymous when asked for and allowed."""
    retro = board.retro
    if op.anonymous and (retro is None or not retro.anonymous):
        raise Rejected("invalid", "Anonymous cards are not allowed here now.")
    hidden = retro is not None and retro.phase == "write"
    if not (hidden or op.anonymous):
        return card
    author = who if hidden else ""
    return replace(card, hidden=hidden, anonymous=op.anonymous, author=author)


def private_add(op: o.Op, events: list[Event]) -> bool:
    """Whether ``op`` added a hidden or anonymous card: its author is then not added to
    the session's participants by it (that would name them beside the card; presence
    notes them anyway)."""
    if not isinstance(op, o.AddCard):
        return False
    return op.anonymous or any(isinstance(e, CardAdded) and e.card.hidden for e in events)


def guard(board: Board, op: o.Op, ctx: Context) -> None:
    """Refuse a change to a hidden card by anyone but its author."""
    if not isinstance(op, _CARD_OPS):
        return
    found = board.cards.get(op.card)
    if found is not None and found.hidden and found.author != ctx.who:
        raise Rejected(
            "conflict", "This card is hidden until the reveal; only its author can change it."
        )


def end_session(board: Board) -> tuple[Board, list[Event]]:
    """The session ends: every hidden card is revealed and the phases are over."""
    board, events = _reveal(board)
    if board.retro is not None:
        board = replace(board, retro=None)
    return board, events


class PhaseVisit(msgspec.Struct, frozen=True):
    """One phase a session went through: when it began and how it was reached."""

    phase: RetroPhase
    at: float
    back: bool = False  # stepped back to it


def phase_log(ops: Iterable[tuple[float, o.Op]]) -> list[PhaseVisit]:
    """The phases a session went through, from its logged ops (time, op) in order:
    every ``set_phase`` that changed the phase (a repeat of the current one changes
    nothing and is never logged)."""
    visits: list[PhaseVisit] = []
    for at, op in ops:
        if not isinstance(op, o.SetPhase):
            continue
        back = bool(visits) and RETRO_PHASES.index(op.phase) < RETRO_PHASES.index(visits[-1].phase)
        visits.append(PhaseVisit(phase=op.phase, at=at, back=back))
    return visits
