"""The SQLite side of ``server.storage.metrics.MetricsQueries``."""

from __future__ import annotations

from board.model import Board
from server.storage.sqlite.engine import Engine
from server.storage.writes import decode_board


class SqliteMetrics:
    """``MetricsQueries`` on one SQLite file."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def first_board(self, forum_id: str) -> Board | None:
        rows = await self.engine.fetch(
            "SELECT board FROM snapshots WHERE forum_id=? ORDER BY seq LIMIT 1", (forum_id,)
        )
        return decode_board(rows[0][0]) if rows else None
