"""A retrospective's vote, kept when its session ends (SPEC R73).

The tally lives in ``Board.retro`` only while the session runs; ending the session
ends the phases. ``session_tally`` turns the board just before the end into what the
session's record keeps: each voted card or cluster with its dots, in discussion order
(R28) — dot counts only, never who voted (R40). A vote still open when the session
ends is counted as if it had closed (R27). ``tally_markdown`` is the same as a Markdown
list, for the export, the summary and the ``session.ended`` webhook. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .model import Board, TallyLine
from .voting import discussion_order, tally


def session_tally(board: Board) -> tuple[TallyLine, ...]:
    """The voted topics of ``board``'s retrospective, most dots first (ties in board
    order); ``()`` when it has no phases or nobody voted."""
    retro = board.retro
    if retro is None:
        return ()
    counts = retro.tally if retro.tally is not None else tally(board)
    return tuple(
        TallyLine(
            id=t.id,
            title=t.title,
            dots=t.votes,
            cards=tuple(c.title for c in t.cards) if t.group is not None else (),
            cluster=t.group is not None,
        )
        for t in discussion_order(board, counts)
        if t.votes > 0
    )


def _same(text: str) -> str:
    return text


def tally_markdown(lines: Sequence[TallyLine], inert: Callable[[str], str] = _same) -> str:
    """The tally as a numbered Markdown list ("1. Title — 5 dots"); ``inert`` makes
    user text inert (e.g. the export's ``md``)."""
    out = []
    for n, line in enumerate(lines, 1):
        dots = f"{line.dots} dot{'' if line.dots == 1 else 's'}"
        kind = " (cluster: " + "; ".join(inert(c) for c in line.cards) + ")" if line.cluster else ""
        out.append(f"{n}. {inert(line.title)} — {dots}{kind}")
    return "\n".join(out)
