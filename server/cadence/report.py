"""The guide's metrics per team per sprint (SPEC R71) as the metrics report holds them:
the last ``SPRINTS_SHOWN`` sprints up to the period's end, the teams, and every entry
recorded in them (``charts.py`` draws them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from board.model import Team
from board.sprints import Sprint, SprintCalendar
from board.team_metrics import TeamSprintMetrics

SPRINTS_SHOWN: Final = 6


class SprintRef(msgspec.Struct, frozen=True):
    number: int
    first_day: str  # ISO dates, UTC
    last_day: str


class TeamMetricsReport(msgspec.Struct, frozen=True):
    """The sprints shown (oldest first), the teams, and every entry recorded in them."""

    sprints: list[SprintRef]
    teams: list[str]
    entries: list[TeamSprintMetrics]


def team_report(
    calendar: SprintCalendar,
    last_sprint: int,
    teams: Sequence[Team],
    entries: Sequence[TeamSprintMetrics],
) -> TeamMetricsReport:
    shown = calendar.between(last_sprint - SPRINTS_SHOWN + 1, last_sprint)
    numbers = {s.number for s in shown}
    ids = {t.id for t in teams}
    return TeamMetricsReport(
        sprints=[_ref(s) for s in shown],
        teams=[t.id for t in teams],
        entries=[e for e in entries if e.sprint in numbers and e.team_id in ids],
    )


def _ref(s: Sprint) -> SprintRef:
    return SprintRef(s.number, s.first_day.isoformat(), s.last_day.isoformat())
