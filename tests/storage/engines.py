"""How a read-contract test puts a forum's history into a store: through the storage
interface only, as a live room does.

A ``Seeder`` plays operations through ``board.sync.ForumSync`` exactly as a live room
does and appends what it accepted with ``ForumLog.append`` (the review rows are the
engine's business). The ``storage`` fixture (one per engine) is ``conftest.py``'s.
"""

from __future__ import annotations

from board import ops as o
from board.model import new_board
from board.sync import Accepted, ForumSync
from server.storage import Storage

T0 = 1_700_000_000.0


class Seeder:
    """Forums made and operated on as a live room would, written to ``storage``."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.at = T0
        self.syncs: dict[str, ForumSync] = {}

    async def forum(self, forum_id: str, kind: str = "sos", name: str = "Forum") -> ForumSync:
        board = new_board(forum_id, kind, name)
        self.syncs[forum_id] = sync = ForumSync(board, "epoch")
        await self.storage.forums.create(board, self.at)
        await self.storage.log.load(forum_id)  # as a room does before its first write
        return sync

    async def do(self, forum_id: str, actor: str, op: o.Op) -> Accepted:
        """Apply ``op`` (it must be accepted) and append it, as a room's turn does."""
        self.at += 60
        sync = self.syncs[forum_id]
        outcome = sync.submit(op, op_id=None, actor=actor, at=self.at)
        assert isinstance(outcome, Accepted), outcome
        await self.storage.log.append(forum_id, [outcome], self.at)
        return outcome

    async def snapshot(self, forum_id: str) -> None:
        await self.storage.log.snapshot(self.syncs[forum_id].board)
