"""The storage engines the read contract runs against, and how a test puts a forum's
history into each.

``storage`` is a fixture parametrized by engine: a real store (SQLite: a temp file,
opened with ``SqliteStorage.open``), closed after the test. A second engine is one
more entry in ``ENGINES`` and one more branch in ``open_engine`` and ``Seeder.write``;
the tests themselves only make plain calls on the ``Storage`` interface.

A ``Seeder`` plays operations through ``board.sync.ForumSync`` exactly as a live room
does, and writes what a room writes for them (the op rows, the review rows of
``projections.rows_for``, the forum's summary, a snapshot at the end).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from board import ops as o
from board.model import new_board
from board.sync import Accepted, ForumSync, LoggedOp
from server.storage import Storage
from server.storage.sqlite import SqliteStorage
from server.storage.sqlite.projections import rows_for
from server.storage.sqlite.store import (
    Row,
    forum_summary_row,
    new_forum_rows,
    op_row,
    snapshot_row,
)

ENGINES = ["sqlite"]
T0 = 1_700_000_000.0


async def open_engine(engine: str, where: Path) -> Storage:
    if engine == "sqlite":
        return await SqliteStorage.open(where / "contract.db")
    raise ValueError(f"no engine {engine!r}")


@pytest.fixture(params=ENGINES)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh, empty store of each engine."""
    opened = await open_engine(request.param, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


class Seeder:
    """Forums made and operated on as a live room would, written to ``storage``."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.at = T0
        self.syncs: dict[str, ForumSync] = {}

    async def forum(self, forum_id: str, kind: str = "sos", name: str = "Forum") -> ForumSync:
        board = new_board(forum_id, kind, name)
        self.syncs[forum_id] = sync = ForumSync(board, "epoch")
        await self._write(new_forum_rows(board, self.at))
        return sync

    async def do(self, forum_id: str, actor: str, op: o.Op) -> Accepted:
        """Apply ``op`` (it must be accepted) and write it with its review rows."""
        self.at += 60
        sync = self.syncs[forum_id]
        outcome = sync.submit(op, op_id=None, actor=actor, at=self.at)
        assert isinstance(outcome, Accepted), outcome
        it = outcome.item
        rows = [op_row(forum_id, LoggedOp(it.seq, it.actor, it.at, it.op, it.op_id))]
        rows.extend(rows_for(it, outcome.board))
        rows.append(forum_summary_row(outcome.board, self.at))
        await self._write(rows)
        return outcome

    async def snapshot(self, forum_id: str) -> None:
        await self._write([snapshot_row(self.syncs[forum_id].board)])

    async def _write(self, rows: list[Row]) -> None:
        engine: Any = self.storage
        if isinstance(engine, SqliteStorage):
            await engine.store.write(rows)
            return
        raise NotImplementedError(type(engine).__name__)  # pragma: no cover
