"""The PostgreSQL side of ``server.storage.metrics.MetricsQueries``."""

from __future__ import annotations

from board.model import Board
from server.storage.postgres.engine import Engine
from server.storage.writes import decode_board


class PostgresMetrics:
    """``MetricsQueries`` on one PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def first_board(self, forum_id: str) -> Board | None:
        rows = await self.engine.fetch(
            "SELECT board FROM snapshots WHERE forum_id=$1 ORDER BY seq LIMIT 1", (forum_id,)
        )
        return decode_board(rows[0][0]) if rows else None
