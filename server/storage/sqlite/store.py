"""``Store``: the SQLite engine (``engine.py``) under the name callers have always used,
with the reads they still call on it directly.

The engine itself (group commit, seq guard, ``fetch``, ``write``) is ``Engine``; the
SQL of each domain is in its own class (``log.py``: ``SqliteLog``; ``forums.py``:
``SqliteForums``). The methods below only pass on to those, for modules that still
take the engine itself until they are moved to ``server.storage.Storage`` (then
these go). The row builders are re-exported for the same callers.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from board.model import Board, Team
from board.sync import LoggedOp
from server.storage.records import ForumRow, Loaded, StoreError
from server.storage.sqlite.engine import Engine
from server.storage.sqlite.forums import SqliteForums
from server.storage.sqlite.log import SqliteLog
from server.storage.sqlite.rows import (
    Row,
    decode_board,
    encode,
    forum_link_row,
    forum_summary_row,
    new_forum_rows,
    op_row,
    snapshot_row,
    team_row,
)
from server.storage.sqlite.schema import INSERT_OP, SCHEMA

__all__ = [
    "INSERT_OP",
    "SCHEMA",
    "ForumRow",
    "Loaded",
    "Row",
    "Store",
    "StoreError",
    "decode_board",
    "encode",
    "forum_link_row",
    "forum_summary_row",
    "new_forum_rows",
    "op_row",
    "snapshot_row",
    "team_row",
]


class Store(Engine):
    """One SQLite file (``Engine``), and the directory and log reads on it."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        super().__init__(path, writer, reader)
        self._forums = SqliteForums(self)
        self._log = SqliteLog(self)

    async def secret(self) -> str:
        return await self._forums.secret()

    async def is_new(self) -> bool:
        return await self._forums.is_new()

    async def teams(self) -> list[Team]:
        return await self._forums.teams()

    async def forums(self) -> list[ForumRow]:
        return await self._forums.forums()

    async def forum(self, forum_id: str) -> ForumRow | None:
        return await self._forums.forum(forum_id)

    async def forum_link(self, forum_id: str, relation: str) -> str | None:
        return await self._forums.link(forum_id, relation)

    async def served(self) -> dict[str, tuple[str, ...]]:
        return await self._forums.served()

    async def load(self, forum_id: str) -> Loaded | None:
        return await self._log.load(forum_id)

    async def board_at(self, forum_id: str, seq: int) -> Board:
        return await self._log.board_at(forum_id, seq)

    async def ops(self, forum_id: str, first: int, last: int) -> list[LoggedOp]:
        return await self._log.ops(forum_id, first, last)

    async def op_count(self, forum_id: str) -> int:
        return await self._log.op_count(forum_id)
