"""CadenceRecords: the network's sprint calendar (SPEC R69) and the guide's metrics
per team per sprint (SPEC R71), on every engine.

The calendar is one row (``sprint_settings``): the sprint length and the date sprint 1
starts, with who set it and when; none stored means the defaults (``--sprint-days``
and the first forum's creation date, ``server/cadence/calendar.py``). Team metrics are
one row per team and sprint (``team_metrics``): recording again replaces the row.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import msgspec

from board.team_metrics import TeamSprintMetrics


class SprintSettings(msgspec.Struct, frozen=True):
    """The calendar as the admin set it."""

    days: int
    start: dt.date
    updated_at: float
    updated_by: str


class CadenceRecords(Protocol):
    """What the app asks of storage about sprints and team metrics."""

    async def sprint_settings(self) -> SprintSettings | None:
        """The calendar the admin set (``None``: never set, the defaults apply)."""
        ...

    async def put_sprint_settings(self, settings: SprintSettings) -> None:
        """Set the calendar, replacing the one before."""
        ...

    async def team_metrics(self) -> list[TeamSprintMetrics]:
        """Every team's recorded metrics, by sprint then team id."""
        ...

    async def team_metric(self, team_id: str, sprint: int) -> TeamSprintMetrics | None:
        """A team's metrics of one sprint (``None``: not recorded)."""
        ...

    async def put_team_metrics(self, entry: TeamSprintMetrics) -> None:
        """Record a team's metrics of a sprint, replacing what it had for that sprint."""
        ...
