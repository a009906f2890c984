"""WIP limits: a column may say how many cards it should hold; going over is recorded.

A limit never blocks anything (a forum that is over its limit still has to be able to
add the impediment that just appeared). ``set_wip_limit`` sets or clears a column's
limit. ``checked`` wraps the handlers that bring a card into a column (add, move,
restore, a received escalation): when the column they put a card into ends up holding
more cards than its limit, a ``WipExceeded`` event is added to the same operation, so
it is in the log, in replays and on the session's record (``WipOverrun`` is that
record, as ``board.metrics_history`` keeps it). Every such entry counts, not only the
first one over: each is one more card than the forum agreed to carry. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec
from msgspec.structs import replace

from . import ops as o
from .events import CardAdded, CardMoved, CardRestored, Event, WipExceeded, WipLimitSet
from .model import Board
from .rules import Context, Rejected, Result, column, with_column

MIN_WIP: Final = 1
MAX_WIP: Final = 999

Handler = Callable[[Board, Any, Context], Result]


class WipOverrun(msgspec.Struct, frozen=True, kw_only=True):
    """One time a column went over its WIP limit, as a session's record keeps it."""

    at: float
    column: str
    title: str
    count: int
    limit: int
    card_id: str = ""
    session_id: str | None = None

    @property
    def label(self) -> str:
        """``Doing (5/4)``."""
        return f"{self.title or self.column} ({self.count}/{self.limit})"


def set_wip_limit(board: Board, op: o.SetWipLimit, ctx: Context) -> Result:
    """Set a column's limit (1 to 999) or clear it (``None``)."""
    i, col = column(board, op.column)
    if op.limit is not None and not MIN_WIP <= op.limit <= MAX_WIP:
        raise Rejected(
            "invalid", f"A WIP limit is a whole number from {MIN_WIP} to {MAX_WIP}, or none."
        )
    if col.wip_limit == op.limit:
        return board, []
    columns = with_column(board, i, replace(col, wip_limit=op.limit))
    return replace(board, columns=columns), [WipLimitSet(column=col.id, limit=op.limit)]


def _arrivals(events: list[Event]) -> dict[str, str]:
    """Column id -> the card that came into it, from a handler's events."""
    came: dict[str, str] = {}
    for e in events:
        if isinstance(e, CardAdded | CardRestored):
            came[e.card.column] = e.card.id
        elif isinstance(e, CardMoved) and e.from_column != e.column:
            came[e.column] = e.card_id
    return came


def exceeded(before: Board, after: Board, events: list[Event]) -> list[WipExceeded]:
    """The ``WipExceeded`` events of an operation that turned ``before`` into ``after``
    with ``events``: one per column a card came into that now holds more than its limit."""
    out: list[WipExceeded] = []
    for col_id, card_id in _arrivals(events).items():
        col = after.column(col_id)
        if col is None or col.wip_limit is None:
            continue
        old = before.column(col_id)
        count = len(col.card_ids)
        if count > col.wip_limit and count > (len(old.card_ids) if old else 0):
            out.append(
                WipExceeded(
                    column=col.id,
                    count=count,
                    limit=col.wip_limit,
                    title=col.title,
                    card_id=card_id,
                )
            )
    return out


def checked(handler: Handler) -> Handler:
    """``handler``, plus a ``WipExceeded`` event for each column it takes over its limit."""

    def run(board: Board, op: Any, ctx: Context) -> Result:
        new, events = handler(board, op, ctx)
        if not events:
            return new, events
        return new, [*events, *exceeded(board, new, events)]

    run.__doc__ = handler.__doc__
    return run


def over_limit(board: Board) -> list[tuple[str, int, int]]:
    """(column id, cards, limit) of every column holding more cards than its limit now."""
    return [
        (c.id, len(c.card_ids), c.wip_limit)
        for c in board.columns
        if c.wip_limit is not None and len(c.card_ids) > c.wip_limit
    ]
