"""Replaying a log: the one loop that re-applies logged operations to a board.

``replay(start, logged)`` yields one ``Accepted`` per logged op: the op with the events
it made (``Item``) and the board right after it. It checks the seqs once (each op must
follow the board it is applied to) and raises ``ReplayError`` for the first thing that
is wrong: a gap in the seqs (or a log that stops short of ``end``), an op the board
refuses, or an op that changes nothing (which is never logged). Every path that
replays a log goes through here: a room loading its forum, a board at a past seq, the
metrics' history, a session's timeline, an export and an import.

The log is trusted to be what ``apply`` once accepted, so a ``Context`` without teams
is used (rules added later must not refuse what the log once held). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from .apply import Context, Rejected, apply
from .log import Accepted, Item, LoggedOp
from .model import Board

Problem = Literal["gap", "refused", "unchanged"]


class ReplayError(ValueError):
    """A log that does not replay onto its start board, and why.

    ``problem`` is ``gap`` (an op whose seq does not follow the board's, or a log that
    stops before ``end``: ``entry`` is then ``None``), ``refused`` (the board refuses
    the op: ``code`` and ``reason`` say why) or ``unchanged`` (the op changes nothing).
    ``index`` is the entry's position in the log (its length when the log stops short);
    ``expected`` the seq that should have come next.
    """

    def __init__(
        self,
        problem: Problem,
        *,
        index: int,
        expected: int,
        entry: LoggedOp | None = None,
        code: str = "",
        reason: str = "",
    ) -> None:
        self.problem = problem
        self.index = index
        self.expected = expected
        self.entry = entry
        self.code = code
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        entry = self.entry
        if entry is None:
            return f"the log stops before op {self.expected}"
        if self.problem == "gap":
            return f"op {entry.seq} is logged where op {self.expected} should follow"
        what = f"logged op {entry.seq} ({entry.op_type})"
        if self.problem == "refused":
            return f"{what} is refused on replay: {self.reason}"
        return f"{what} changed nothing on replay"


def replay(
    start: Board, logged: Iterable[LoggedOp], *, end: int | None = None
) -> Iterator[Accepted]:
    """Each logged op applied in turn from ``start``, with its events and the board after
    it. ``end``: the seq the log must reach (a log that stops before it is a gap)."""
    board = start
    index = 0  # the entry's position in the log
    for entry in logged:
        expected = board.seq + 1
        if entry.seq != expected:
            raise ReplayError("gap", index=index, expected=expected, entry=entry)
        ctx = Context(seq=entry.seq, at=entry.at, actor=entry.actor, by=entry.by)
        try:
            board, events = apply(board, entry.op, ctx)
        except Rejected as e:
            raise ReplayError(
                "refused", index=index, expected=expected, entry=entry, code=e.code, reason=e.reason
            ) from None
        if not events:
            raise ReplayError("unchanged", index=index, expected=expected, entry=entry)
        item = Item(
            seq=entry.seq,
            actor=entry.actor,
            at=entry.at,
            op=entry.op,
            op_id=entry.op_id,
            by=entry.by,
            events=tuple(events),
        )
        yield Accepted(item=item, board=board)
        index += 1
    if end is not None and board.seq < end:
        raise ReplayError("gap", index=index, expected=board.seq + 1)


def board_after(start: Board, logged: Iterable[LoggedOp], *, end: int | None = None) -> Board:
    """The board the log leads to from ``start`` (``replay``'s last board)."""
    board = start
    for step in replay(start, logged, end=end):
        board = step.board
    return board
