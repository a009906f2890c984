"""The half of ``ForumLog`` that is the same on every engine: appending a turn and
snapshots through the engine's group commit (``group.py``; the statements are
``writes.py``'s), and ownership through the engine's ``owners`` module. An engine's
log class adds only its reads (``load``, ``board_at``, ``ops`` …) in its own SQL."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from board.log import Accepted
from board.model import Board
from server.storage.group import GroupCommit
from server.storage.records import Renewal
from server.storage.writes import append_writes, snapshot_write


class Owners(Protocol):
    """An engine's ownership statements (``sqlite/owners.py``, ``postgres/owners.py``)."""

    async def claim(self, engine: Any, forum_id: str, owner: str, lease: float) -> int | None: ...

    async def renew(
        self,
        engine: Any,
        owner: str,
        claims: dict[str, int],
        lease: float,
        present: Mapping[str, int] | None = None,
    ) -> Renewal: ...

    async def release(self, engine: Any, forum_id: str, owner: str, epoch: int) -> None: ...

    async def request_handover(self, engine: Any, forum_id: str) -> None: ...


class LogWrites:
    """Appends, snapshots and ownership of ``ForumLog`` over one engine."""

    def __init__(self, engine: GroupCommit, owners: Owners) -> None:
        self.engine = engine
        self._owners = owners

    # -- writing ------------------------------------------------------------------

    def append(
        self,
        forum_id: str,
        accepted: Sequence[Accepted],
        at: float,
        *,
        snapshot: bool = False,
        epoch: int | None = None,
    ) -> asyncio.Future[None]:
        writes = append_writes(forum_id, accepted, at, snapshot=snapshot)
        seqs = (accepted[0].item.seq, accepted[-1].item.seq)
        return self.engine.write(writes, forum_id=forum_id, seqs=seqs, epoch=epoch)

    def snapshot(self, board: Board, *, epoch: int | None = None) -> asyncio.Future[None]:
        return self.engine.write([snapshot_write(board)], forum_id=board.forum_id, epoch=epoch)

    def forget(self, forum_id: str) -> None:
        self.engine.forget(forum_id)

    # -- ownership ----------------------------------------------------------------

    async def claim(self, forum_id: str, owner: str, lease: float) -> int | None:
        return await self._owners.claim(self.engine, forum_id, owner, lease)

    async def renew(
        self,
        owner: str,
        claims: dict[str, int],
        lease: float,
        present: Mapping[str, int] | None = None,
    ) -> Renewal:
        return await self._owners.renew(self.engine, owner, claims, lease, present)

    async def release(self, forum_id: str, owner: str, epoch: int) -> None:
        await self._owners.release(self.engine, forum_id, owner, epoch)

    async def request_handover(self, forum_id: str) -> None:
        await self._owners.request_handover(self.engine, forum_id)
