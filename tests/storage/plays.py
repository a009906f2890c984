"""Plain histories for the contract tests: ops applied by ``board.sync.ForumSync``, as a
live room would, each ``Accepted`` holding the item and the board right after it."""

from __future__ import annotations

from board import ops as o
from board.model import Board, new_board
from board.sync import Accepted, ForumSync


class Play:
    """A forum's board and the ops accepted on it, in order."""

    def __init__(self, forum_id: str = "f1", kind: str = "sos", name: str = "Forum") -> None:
        self.first: Board = new_board(forum_id, kind, name)
        self.sync = ForumSync(self.first, "test")
        self.accepted: list[Accepted] = []
        self.at = 1_000.0

    @property
    def forum_id(self) -> str:
        return self.first.forum_id

    @property
    def board(self) -> Board:
        return self.sync.board

    def do(self, op: o.Op, op_id: str | None = None, actor: str = "Ann", by: str = "") -> Accepted:
        self.at += 1
        outcome = self.sync.submit(op, op_id=op_id, actor=actor, at=self.at, by=by)
        assert isinstance(outcome, Accepted), outcome
        self.accepted.append(outcome)
        return outcome

    def cards(self, n: int, prefix: str = "Card") -> list[Accepted]:
        return [
            self.do(o.AddCard(column="new", title=f"{prefix} {i}"), op_id=f"{prefix}-{i}")
            for i in range(n)
        ]
