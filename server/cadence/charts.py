"""The guide's metrics per team per sprint drawn for the metrics page: one chart per
measure, sprints across and a bar per team (``server/metrics/charts.py``'s
``column_chart``); the page puts the same numbers in a table beside each."""

from __future__ import annotations

from typing import Final

import msgspec

from board.team_metrics import MEASURES
from server.cadence.report import TeamMetricsReport
from server.metrics.charts import Chart, column_chart, number

TEAM_SERIES: Final = 6  # team colours in static/css/metrics.css (series-team-0 … -5)
ALL_MEASURES: Final = (*MEASURES, ("happiness", "Sustainability (team happiness, 1–5)"))


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


def team_rows(report: TeamMetricsReport, measure: str) -> list[tuple[int, list[str]]]:
    """The table beside a measure's chart: per sprint, each team's value with its unit
    (``–``: not recorded); the number alone when every entry uses one unit (the
    heading names it)."""
    found = {(e.team_id, e.sprint): e for e in report.entries}
    one_unit = bool(unit_of(report, measure))
    rows = []
    for s in report.sprints:
        cells = []
        for team in report.teams:
            e = found.get((team, s.number))
            value = None if e is None else getattr(e, measure)
            if value is None:
                cells.append("–")
            else:
                unit = "" if one_unit else getattr(e, f"{measure}_unit")
                cells.append(f"{number(value)} {unit}".strip())
        rows.append((s.number, cells))
    return rows
