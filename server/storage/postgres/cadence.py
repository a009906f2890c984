"""The PostgreSQL side of ``server.storage.cadence.CadenceRecords``: the
``sprint_settings`` row and the ``team_metrics`` table."""

from __future__ import annotations

from board.team_metrics import TeamSprintMetrics
from server.storage.cadence import SprintSettings
from server.storage.decoding import (
    SPRINT_COLUMNS,
    TEAM_METRIC_COLUMNS,
    sprints_row,
    team_metrics_row,
)
from server.storage.postgres.engine import Engine
from server.storage.writes import sprints_write, team_metrics_write


class PostgresCadence:
    """``CadenceRecords`` on one PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def sprint_settings(self) -> SprintSettings | None:
        rows = await self.engine.fetch(f"SELECT {SPRINT_COLUMNS} FROM sprint_settings WHERE id=1")
        return sprints_row(rows[0]) if rows else None

    async def put_sprint_settings(self, settings: SprintSettings) -> None:
        await self.engine.write([sprints_write(settings)])

    async def team_metrics(self) -> list[TeamSprintMetrics]:
        rows = await self.engine.fetch(
            f"SELECT {TEAM_METRIC_COLUMNS} FROM team_metrics ORDER BY sprint, team_id"
        )
        return [team_metrics_row(r) for r in rows]

    async def team_metric(self, team_id: str, sprint: int) -> TeamSprintMetrics | None:
        rows = await self.engine.fetch(
            f"SELECT {TEAM_METRIC_COLUMNS} FROM team_metrics WHERE team_id=$1 AND sprint=$2",
            (team_id, sprint),
        )
        return team_metrics_row(rows[0]) if rows else None

    async def put_team_metrics(self, entry: TeamSprintMetrics) -> None:
        await self.engine.write([team_metrics_write(entry)])
