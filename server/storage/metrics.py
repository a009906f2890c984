"""MetricsQueries: what the metrics and guardrails pages read beyond the live log."""

from __future__ import annotations

from typing import Protocol

from board.model import Board


class MetricsQueries(Protocol):
    """What the app asks of storage for a forum's metrics."""

    async def first_board(self, forum_id: str) -> Board | None:
        """The forum's oldest stored board (where its history's replay starts)."""
        ...
