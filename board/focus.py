"""Follow the facilitator: the card or column everyone is brought to (SPEC R30).

``Board.focus`` is a card id or a column id of this board, or ``None``. Only the
facilitator changes it (``set_focus``, ``board/access.py``); every client that follows
scrolls to it and marks it, and the projector always does. The focus is board state,
so it is in the op log, survives restarts and replays, and a reconnecting client gets
it like anything else.

A focus always names something that is on the board now: setting it to an archived
card or an unknown id is refused, and when the focused card is archived or the focused
column removed, ``drop_stale`` clears the focus in the same step (``apply`` calls it
after every operation that changed something).
"""

from __future__ import annotations

from msgspec.structs import replace

from . import ops as o
from .events import Event, FocusChanged
from .model import Board
from .rules import Context, Rejected, Result


def is_target(board: Board, target: str) -> bool:
    """Whether ``target`` is a live card or a column of ``board``."""
    card = board.cards.get(target)
    if card is not None:
        return not card.archived
    return board.column(target) is not None


def set_focus(board: Board, op: o.SetFocus, ctx: Context) -> Result:
    """Bring everyone to ``op.target`` (``None``: release them)."""
    target = op.target
    if target is not None and not is_target(board, target):
        card = board.cards.get(target)
        if card is not None:
            raise Rejected("conflict", f"Card {card.title!r} is archived; restore it first.")
        raise Rejected("not_found", f"There is no card or column {target!r} on this board.")
    if target == board.focus:
        return board, []
    return replace(board, focus=target), [FocusChanged(target=target)]


def drop_stale(board: Board, events: list[Event]) -> tuple[Board, list[Event]]:
    """Clear a focus whose card was archived or whose column was removed (after any
    operation), so the board never points everyone at something that is gone."""
    focus = board.focus
    if focus is None or is_target(board, focus):
        return board, events
    return replace(board, focus=None), [*events, FocusChanged(target=None)]
