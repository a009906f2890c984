"""The sans-I/O core of a live forum: seq, idempotent op ids, and catch-up.

``ForumSync`` holds a board and decides, for each submitted operation, what the
server answers (rules R4-R9 of ``SPEC.md``). It does no I/O: the room in
``server/live/rooms.py`` feeds it operations and turns its outcomes into frames and rows,
the way the ``websockets`` library's protocol objects are driven by plain bytes. What it
logs is ``board.log``'s record; replaying a log is ``board.replay``.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Final

import msgspec

from .apply import Context, Rejected, apply
from .log import Accepted, Item, LoggedOp
from .model import Board
from .ops import Op
from .replay import board_after

HISTORY: Final = 4096  # items kept in memory for delta catch-up
REMEMBERED_OPS: Final = 20_000  # op ids whose outcome is kept for idempotent resends


class Unchanged(msgspec.Struct, frozen=True):
    """Accepted, but it changed nothing: acknowledged at the current seq, not logged."""

    seq: int


class Duplicate(msgspec.Struct, frozen=True):
    """A resend of an op id already accepted at ``seq`` (R6)."""

    seq: int


class Refused(msgspec.Struct, frozen=True):
    code: str
    reason: str


Outcome = Accepted | Unchanged | Duplicate | Refused


class ForumSync:
    """Applies operations to one forum's board in order and remembers enough to sync."""

    def __init__(
        self,
        board: Board,
        epoch: str,
        *,
        known_op_ids: dict[str, int] | None = None,
        history: int = HISTORY,
    ) -> None:
        self.board = board
        self.epoch = epoch
        self._history: deque[Item] = deque(maxlen=history)
        self._outcomes: OrderedDict[str, int | Refused] = OrderedDict(known_op_ids or {})

    @property
    def seq(self) -> int:
        return self.board.seq

    def submit(
        self,
        op: Op,
        *,
        op_id: str | None,
        actor: str,
        at: float,
        teams: frozenset[str] | None = None,
        by: str = "",
    ) -> Outcome:
        """Decide one operation. Never raises for bad input; ``Refused`` says why."""
        if op_id is not None:
            known = self._outcomes.get(op_id)
            if isinstance(known, Refused):
                return known
            if known is not None:
                return Duplicate(seq=known)
        ctx = Context(seq=self.board.seq + 1, at=at, actor=actor, teams=teams, by=by)
        try:
            board, events = apply(self.board, op, ctx)
        except Rejected as e:
            refused = Refused(code=e.code, reason=e.reason)
            self._remember(op_id, refused)
            return refused
        if not events:
            self._remember(op_id, self.board.seq)
            return Unchanged(seq=self.board.seq)
        item = Item(
            seq=ctx.seq, op_id=op_id, actor=actor, at=at, op=op, by=by, events=tuple(events)
        )
        self.board = board
        self._history.append(item)
        self._remember(op_id, ctx.seq)
        return Accepted(item=item, board=board)

    def catch_up(self, epoch: str | None, last_seq: int | None) -> list[Item] | None:
        """The items after ``last_seq`` for a client of ``epoch``; ``None``: send the board.

        A delta is only possible within the same epoch (R8) and while the history still
        holds every item the client missed.
        """
        if epoch != self.epoch or last_seq is None or last_seq > self.board.seq:
            return None
        if last_seq == self.board.seq:
            return []
        if not self._history or self._history[0].seq > last_seq + 1:
            return None
        return [item for item in self._history if item.seq > last_seq]

    def _remember(self, op_id: str | None, outcome: int | Refused) -> None:
        if op_id is None:
            return
        self._outcomes[op_id] = outcome
        if len(self._outcomes) > REMEMBERED_OPS:
            self._outcomes.popitem(last=False)


def replay(board: Board, logged: Iterable[LoggedOp]) -> Board:
    """Re-apply logged operations in order (``board.replay.board_after``); the log is
    trusted, so ``ReplayError`` (a gap, a refusal, an op that changes nothing) is a bug."""
    return board_after(board, logged)
