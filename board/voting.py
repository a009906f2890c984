"""Grouping and dot voting in a Scaled Retrospective (the group and vote phases).

``on_phase_change`` is called by ``board/retro.py`` whenever the facilitator moves the
session from one phase to another, so the vote can close (tally) or re-open.
"""

from __future__ import annotations

from .events import Event
from .model import Board, RetroPhase


def on_phase_change(
    board: Board, old: RetroPhase | None, new: RetroPhase
) -> tuple[Board, list[Event]]:
    """What changing phase from ``old`` to ``new`` does to the votes (nothing yet)."""
    return board, []
