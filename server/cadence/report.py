"""The guide's metrics per team per sprint (SPEC R71) as the metrics page charts them
and the API returns them: the last ``SPRINTS_SHOWN`` sprints up to the period's end,
each measure a chart with a bar per team per sprint (``server/metrics/charts.py``'s
``column_chart``), and the same numbers in a table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from board.model import Team
from board.sprints import Sprint, SprintCalendar
from board.team_metrics import MEASURES, TeamSprintMetrics
from server.metrics.charts import Chart, column_chart

SPRINTS_SHOWN: Final = 6
TEAM_SERIES: Final = 6  # team colours in static/css/metrics.css (series-team-0 … -5)
ALL_MEASURES: Final = (*MEASURES, ("happiness", "Sustainability (team happiness, 1–5)"))


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


def unit_of(report: TeamMetricsReport, measure: str) -> str:
    """The one unit every entry of ``measure`` uses, ``""`` when they differ or none."""
    if measure == "happiness":
        return "1–5"
    entries = report.entries
    units = {getattr(e, f"{measure}_unit") for e in entries if getattr(e, measure) is not None}
    return units.pop() if len(units) == 1 else ""


def team_charts(report: TeamMetricsReport, names: dict[str, str]) -> dict[str, Chart]:
    """One chart per measure: sprints across, a bar per team (unrecorded: no bar)."""
    found = {(e.team_id, e.sprint): e for e in report.entries}
    categories = [f"Sprint {s.number}" for s in report.sprints]
    out: dict[str, Chart] = {}
    for measure, _ in ALL_MEASURES:
        series = []
        missing: set[tuple[int, int]] = set()
        for j, team in enumerate(report.teams):
            values: list[float] = []
            for i, s in enumerate(report.sprints):
                e = found.get((team, s.number))
                value = None if e is None else getattr(e, measure)
                if value is None:
                    missing.add((i, j))
                values.append(0.0 if value is None else float(value))
            series.append((f"team-{j % TEAM_SERIES}", names.get(team, team), values))
        chart = column_chart(categories, series, height=380)
        chart = msgspec.structs.replace(chart, legend=[])  # the page lists the teams
        bars = list(chart.bars)
        n = len(report.teams)
        for k, bar in enumerate(bars):
            if (k // n, k % n) in missing:
                bars[k] = msgspec.structs.replace(bar, text="not recorded", shown=False)
        out[measure] = msgspec.structs.replace(chart, bars=bars)
    return out
